/**
 * Fetching a directory (specs/mixnet-sphinx/SPEC.md §10.3): a mix or client asks the
 * network's authorities in turn for an epoch's document (`GET <url>/v1/documents/<epoch>`)
 * and takes the first answer that verifies: a document of that epoch signed by the threshold
 * of the network's authorities. An authority that answers wrongly or not at all is skipped.
 */
import { type Metrics, noMetrics } from '@hush/interface';
import {
  type DirectoryDocument,
  DirectoryError,
  decodeDirectory,
  type SignedDirectory,
  verifyDirectory,
} from './directory.js';
import { epochStart, type NetworkConfig } from './network.js';

/** How a directory is fetched. */
export interface FetchDirectoryOptions {
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
  /** Unix ms now (default Date.now()): a future epoch's document is checked at its start. */
  readonly now?: number;
  /** Per authority (default 5 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Counts each answer refused, by reason (`hush_directory_refused_total{reason}`: `http`,
   * `unreachable`, `malformed`, `too-few-signatures`, `not-yet-valid`, `expired`,
   * `wrong-epoch`).
   */
  readonly metrics?: Metrics;
}

/** The most bytes of a directory answer read. */
const MAX_ANSWER = 4 * 1024 * 1024;

/**
 * An HTTP answer's body as text, read no further than `maxBytes`: a server cannot fill the
 * reader's memory by answering at length.
 *
 * @throws DirectoryError 'malformed' for a body longer than `maxBytes` (the read is
 *   cancelled); what reading the body throws
 */
export async function readCappedText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  const tooLong = () =>
    new DirectoryError('malformed', `the answer is longer than ${maxBytes} bytes`);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLong();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel();
      throw tooLong();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(all);
}

/**
 * The verified document of `epoch`.
 *
 * @example
 * ```ts
 * const doc = await fetchDirectory(network, epochAt(Date.now(), network.epochMs));
 * ```
 * @throws DirectoryError 'unavailable' naming each authority's failure (none answered with a
 *   document that verifies)
 */
export async function fetchDirectory(
  network: NetworkConfig,
  epoch: number,
  options: FetchDirectoryOptions = {},
): Promise<{ document: DirectoryDocument; signed: SignedDirectory }> {
  const get = options.fetch ?? fetch;
  const reasons: string[] = [];
  const refused = (options.metrics ?? noMetrics).counter<'reason'>({
    name: 'hush_directory_refused_total',
    help: 'Directory answers refused, by reason',
    labelNames: ['reason'],
  });
  const authorities = network.authorities.map((a) => a.publicKey);
  for (const authority of network.authorities) {
    const signal = AbortSignal.any([
      AbortSignal.timeout(options.timeoutMs ?? 5000),
      ...(options.signal ? [options.signal] : []),
    ]);
    try {
      const response = await get(`${authority.url}/v1/documents/${epoch}`, { signal });
      if (!response.ok) {
        await response.body?.cancel();
        refused.inc(1, { reason: 'http' });
        reasons.push(`${authority.url}: HTTP ${response.status}`);
        continue;
      }
      const text = await readCappedText(response, MAX_ANSWER);
      let signed: SignedDirectory;
      try {
        signed = JSON.parse(text) as SignedDirectory;
      } catch {
        throw new DirectoryError('malformed', 'the answer is not JSON');
      }
      if (!signed || typeof signed.document !== 'string')
        throw new DirectoryError('malformed', 'the answer is not { document, signatures }');
      // Another epoch's document is refused as such, before its signatures are checked.
      if (decodeDirectory(signed.document).epoch !== epoch) {
        refused.inc(1, { reason: 'wrong-epoch' });
        reasons.push(`${authority.url}: a document of another epoch`);
        continue;
      }
      const now = Math.max(options.now ?? Date.now(), epochStart(epoch, network.epochMs));
      const document = verifyDirectory(signed, authorities, network.threshold, now);
      return { document, signed };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      refused.inc(1, { reason: error instanceof DirectoryError ? error.code : 'unreachable' });
      reasons.push(`${authority.url}: ${(error as Error).message}`);
    }
  }
  throw new DirectoryError(
    'unavailable',
    `no authority gave epoch ${epoch}'s directory (${reasons.join('; ')})`,
  );
}
