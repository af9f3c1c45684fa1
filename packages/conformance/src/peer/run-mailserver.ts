/**
 * `hush-conformance mailserver ADDRESS`: the mailserver suite against a node that serves
 * history, over its peer transport (and its JSON-RPC for local posts), with the reports of the
 * other suites (the same case model and runner).
 */
import { type CaseResult, type Profile, type RunOptions, runCases } from '../suite/model.js';
import { rpcAdapter } from '../suite/rpc-client.js';
import {
  DEFAULT_MAILSERVER_PASSWORD,
  MAILSERVER_SECTIONS,
  MAILSERVER_SPEC,
  type MailserverContext,
  mailserverAlive,
  mailserverCases,
} from './mailserver-suite.js';

export interface MailserverSuiteOptions {
  readonly profile?: Profile;
  /** The mailserver's password (default `status-offline-inbox`). */
  readonly password?: string;
  /** Longest wait for a connection, an answer or the archive, ms (default 10 000). */
  readonly timeoutMs?: number;
  readonly onResult?: (result: CaseResult) => void;
  /** Only cases whose id contains one of these strings. */
  readonly only?: readonly string[];
}

/** The specs the mailserver suite covers, with their numbered headings (for the HTML report). */
export const MAILSERVER_SPECS = [{ spec: MAILSERVER_SPEC, sections: MAILSERVER_SECTIONS }] as const;

/**
 * Runs the mailserver suite against the node at `address` (`ws://host:port#<Noise static
 * key>`); `rpcUrl` (HTTP or WebSocket, optional) is the same node's JSON-RPC, for the case
 * that posts locally. After each case a fresh session must still get an answer to a request,
 * or the case is `crashed` and the rest skipped.
 */
export async function runMailserverSuite(
  address: string,
  rpcUrl: string | undefined,
  options: MailserverSuiteOptions = {},
): Promise<CaseResult[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const rpc = rpcUrl ? rpcAdapter(rpcUrl, { timeoutMs }) : undefined;
  const context: MailserverContext = {
    address,
    ...(rpc ? { rpc } : {}),
    password: options.password ?? DEFAULT_MAILSERVER_PASSWORD,
    timeoutMs,
  };
  const run: RunOptions<MailserverContext> = {
    alive: mailserverAlive,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
    ...(options.only ? { only: options.only } : {}),
  };
  try {
    return await runCases(mailserverCases(), context, run);
  } finally {
    await rpc?.close();
  }
}
