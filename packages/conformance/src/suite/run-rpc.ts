/**
 * `hush-conformance rpc URL`: the RPC suites against a node, with their reports.
 */
import { type CaseResult, type Profile, type RunOptions, runCases } from './model.js';
import { rpcAdapter } from './rpc-client.js';
import { SHH_RPC_SECTIONS, SHH_RPC_SPEC, shhRpcAlive, shhRpcCases } from './shh-rpc.js';

export interface RpcSuiteOptions {
  readonly profile?: Profile;
  /** Longest wait for one answer, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Longest wait for a posted message to be delivered, ms (default 15 000). */
  readonly deliveryMs?: number;
  /** The WebSocket handshake's Origin (default `http://localhost`; `''`: none). */
  readonly origin?: string;
  readonly onResult?: (result: CaseResult) => void;
  /** Only cases whose id contains one of these strings. */
  readonly only?: readonly string[];
}

/** The specs the RPC suites cover, with their numbered headings (for the HTML report). */
export const RPC_SPECS = [{ spec: SHH_RPC_SPEC, sections: SHH_RPC_SECTIONS }] as const;

/**
 * Runs every RPC suite against the node at `url` (http://, https://, ws:// or wss://). A call
 * that gets no answer within the timeout fails its case when the node answers `shh_version`
 * again (two tries); only a node that does not is crashed.
 *
 * @throws TypeError for a URL of another scheme
 */
export async function runRpcSuite(
  url: string,
  options: RpcSuiteOptions = {},
): Promise<CaseResult[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const rpc = rpcAdapter(url, {
    timeoutMs,
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
  });
  const context = { rpc, deliveryMs: options.deliveryMs ?? 15_000 };
  const run: RunOptions<typeof context> = {
    alive: shhRpcAlive,
    // Each try of the re-probe is one shh_version, bounded by the adapter's timeout; the
    // bound in all leaves room for two of them and the pause between.
    reprobeTries: 2,
    reprobeMs: 2 * timeoutMs + 1000,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
    ...(options.only ? { only: options.only } : {}),
  };
  try {
    return await runCases(shhRpcCases(), context, run);
  } finally {
    await rpc.close();
  }
}
