/**
 * `hush-conformance peer ADDRESS`: the whisper-v6 peer suite against a node's peer transport,
 * with the reports of the RPC suites (the same case model and runner).
 */
import { type CaseResult, type Profile, type RunOptions, runCases } from '../suite/model.js';
import {
  type PeerContext,
  peerAlive,
  peerCases,
  WHISPER_V6_SECTIONS,
  WHISPER_V6_SPEC,
} from './peer-suite.js';

export interface PeerSuiteOptions {
  readonly profile?: Profile;
  /** Longest wait for a connection, the node's status or its reaction to a message, ms (default 10 000). */
  readonly timeoutMs?: number;
  readonly onResult?: (result: CaseResult) => void;
  /** Only cases whose id contains one of these strings. */
  readonly only?: readonly string[];
}

/** The specs the peer suite covers, with their numbered headings (for the HTML report). */
export const PEER_SPECS = [{ spec: WHISPER_V6_SPEC, sections: WHISPER_V6_SECTIONS }] as const;

/**
 * Runs the peer suite against the node at `address` (`ws://host:port#<Noise static key>`, the
 * address a Hush node prints). After each case a fresh session must still connect and be sent
 * the node's status, or the case is `crashed` and the rest skipped.
 */
export async function runPeerSuite(
  address: string,
  options: PeerSuiteOptions = {},
): Promise<CaseResult[]> {
  const context: PeerContext = { address, timeoutMs: options.timeoutMs ?? 10_000 };
  const run: RunOptions<PeerContext> = {
    alive: peerAlive,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
    ...(options.only ? { only: options.only } : {}),
  };
  return runCases(peerCases(), context, run);
}
