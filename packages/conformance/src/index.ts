/**
 * @hush/conformance: the Whisper v6 conformance suite. Runs every spec of specs/ against the
 * Hush packages in-process (vector files and API cases, by spec section), and the RPC, peer
 * and mailserver suites against any running node, with terminal, JUnit and HTML reports.
 *
 * @packageDocumentation
 */
export { codeMatchesReason } from './checks/envelope.js';
export { messageCodeMatchesReason } from './checks/message.js';
export { describeEnvelope, type EmittedFile, emitVectors } from './emit.js';
export { formatFloatGo } from './go-format.js';
export { INBOX_DHT_SPEC, inboxDhtCases } from './inprocess/inbox-dht-suite.js';
export { NOISE_SPEC, noiseCases } from './inprocess/noise-suite.js';
export {
  type InProcessSuiteOptions,
  inProcessCases,
  runInProcessSuite,
  vectorFoldersIn,
} from './inprocess/run-inprocess.js';
export {
  IN_PROCESS_SPECS,
  INBOX_DHT_SECTIONS,
  type InProcessSpec,
  MIXNET_SPHINX_SECTIONS,
  NOISE_SECTIONS,
  type SpecSection,
  TRANSPORT_DIRECT_SECTIONS,
} from './inprocess/sections.js';
export { TRANSPORT_DIRECT_SPEC, transportDirectCases } from './inprocess/transport-direct-suite.js';
export {
  type InProcessContext,
  VECTOR_SPECS,
  type VectorSpec,
  vectorCases,
  vectorSection,
} from './inprocess/vector-suite.js';
export {
  DEFAULT_MAILSERVER_PASSWORD,
  MAILSERVER_SECTIONS,
  MAILSERVER_SPEC,
  type MailserverContext,
  mailserverAlive,
  mailserverCases,
} from './peer/mailserver-suite.js';
export {
  type PeerClose,
  PeerSession,
  type PeerSessionOptions,
  type UnreadableFrame,
} from './peer/peer-session.js';
export { type PeerContext, peerAlive, peerCases } from './peer/peer-suite.js';
export {
  MAILSERVER_SPECS,
  type MailserverSuiteOptions,
  runMailserverSuite,
} from './peer/run-mailserver.js';
export { PEER_SPECS, type PeerSuiteOptions, runPeerSuite } from './peer/run-peer.js';
export {
  formatLine,
  formatTotals,
  type ReportLine,
  type Totals,
  totals,
  type Verdict,
} from './report.js';
export {
  checkedNothing,
  checkVectorCase,
  describeError,
  knownVectorFiles,
  readVectorFiles,
  runVectors,
  type VectorFile,
  type VectorFormat,
  type VectorVerdict,
  vectorCaseName,
} from './runner.js';
export {
  type AdapterKind,
  type CaseResult,
  type ConformanceCase,
  expectEqual,
  expectThat,
  inProfile,
  Mismatch,
  type Outcome,
  PROFILES,
  type Profile,
  runCases,
  Skip,
  type SuiteTotals,
  suiteTotals,
} from './suite/model.js';
export {
  escapeXml,
  formatCaseLine,
  formatSuiteTotals,
  githubAnchor,
  htmlReport,
  junitXml,
  type ReportMeta,
  type ReportSpec,
} from './suite/reports.js';
export {
  type RpcAdapter,
  RpcCallError,
  rpcAdapter,
  type Subscription,
  Unreachable,
} from './suite/rpc-client.js';
export { RPC_SPECS, type RpcSuiteOptions, runRpcSuite } from './suite/run-rpc.js';
export {
  SHH_RPC_SECTIONS,
  SHH_RPC_SPEC,
  type ShhRpcContext,
  shhRpcCases,
} from './suite/shh-rpc.js';
