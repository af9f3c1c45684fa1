/**
 * @hush/conformance: the Whisper v6 conformance suite. Runs vector files of the
 * specs/whisper-v6/vectors schema against Hush and reports a verdict per case.
 *
 * @packageDocumentation
 */
export { codeMatchesReason } from './checks/envelope.js';
export { messageCodeMatchesReason } from './checks/message.js';
export { describeEnvelope, type EmittedFile, emitVectors } from './emit.js';
export { formatFloatGo } from './go-format.js';
export {
  formatLine,
  formatTotals,
  type ReportLine,
  type Totals,
  totals,
  type Verdict,
} from './report.js';
export { checkedNothing, knownVectorFiles, runVectors } from './runner.js';
