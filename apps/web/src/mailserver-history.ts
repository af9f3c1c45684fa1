/**
 * History from the serving node's mailserver (issue 15; specs/mailserver/SPEC.md §2.1 the
 * request envelope, §4.3 cursors, §5.1–§5.3 the answer, §6.1 trusting the mailserver, §6.3
 * paging as `shhext_requestMessagesSync` does it, §6.4 delivery to filters). The page asks for
 * the envelopes of its topics over a time range, page after page with the cursor each
 * completion (code 125) gives, until a completion comes without one.
 *
 * Where the envelopes go: each page's envelopes come as p2pMessages (code 127) from the
 * mailserver, which the gossip engine accepts only from a trusted peer and hands, never
 * pooled or relayed, to its `envelope` listeners with `p2p: true` and `p2pMessage: true` —
 * `GossipNode.onEnvelope` reports them as source `'p2p'`, and `subscribe({ p2p: true })`
 * subscriptions get them. A light client's live gossip is `p2p` too (geth's isP2P), so only
 * `p2pMessage` marks history.
 * A `HushClient` fed by `onEnvelope` (`client.attach(gossip)`, or `client.deliver(received)`
 * from the page's own listener) opens them only for filters made with `allowP2P: true`
 * (W§5.7 F3; `isP2PSource` of `@hush/client`), and each filter skips an envelope it already
 * delivered (the last 4,096 hashes), so a message seen live and again in history shows once.
 * This module counts them and reports progress; it does not deliver them itself, so that
 * nothing reaches a filter twice.
 */
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import { envelopeHash } from '@hush/envelope';
import { type AbortOptions, HushError, throwIfAborted } from '@hush/interface';
import {
  createHistoryRequest,
  decodeRequestComplete,
  historyBloom,
  MAX_REQUEST_TOPICS,
  mailserverPeerId,
  type RequestCompletion,
} from '@hush/mailserver';
import { generatePrivateKey } from '@hush/message';
import type { AcceptedEnvelope, GossipEngine, GossipNode } from '@hush/transport-gossip';
import { bytesToHex } from '@noble/hashes/utils.js';
import { passwordKey } from './channels.js';

/**
 * Pages of history the page asks for at most in one request: 50 pages of up to 1,000
 * envelopes. A mailserver with more than that for the page's topics in the window is cut
 * short (HistoryError 'too-many-pages'), not paged without end.
 */
export const DEFAULT_MAX_PAGES = 50;

/** Why a history request failed. */
export type HistoryErrorCode =
  /** The mailserver peer is not a 65-byte public key (`0x04…`) or an enode URL. */
  | 'bad-peer'
  /** The gossip node has no ready connection to the mailserver. */
  | 'not-connected'
  /** The mailserver did not complete a page in time (refused requests get no answer, §2.2). */
  | 'timeout'
  /** The mailserver answered a page with its failure form (§5.2), e.g. `busy`. */
  | 'mailserver-error'
  /**
   * The history took more pages than `maxPages`: what those pages brought was delivered,
   * the rest was not asked for (the message says how many envelopes came).
   */
  | 'too-many-pages';

/** A history request that failed; `code` says why. */
export class HistoryError extends HushError<HistoryErrorCode> {
  override readonly name = 'HistoryError';
}

/** Progress of a history request, after each page's completion. */
export interface HistoryProgress {
  /** Pages completed so far. */
  readonly pages: number;
  /** Envelopes the mailserver sent so far (p2p messages from it, every page). */
  readonly envelopes: number;
  /** The envelopes of the page just completed. */
  readonly pageEnvelopes: number;
  /** Where the next page starts; empty when this was the last. */
  readonly cursor: Uint8Array;
  /** Whether this was the last page. */
  readonly done: boolean;
}

/** What to ask the mailserver for, and how. */
export interface HistoryOptions extends AbortOptions {
  /**
   * The page's gossip node, dialing the mailserver (it waits for the connection to be ready,
   * up to `timeoutMs`). Its `onEnvelope` listeners receive the history (see the module
   * header): the caller's filters must have `allowP2P: true`.
   */
  readonly gossip: GossipNode;
  /**
   * The mailserver's gossip public key, `0x04…` (130 hex digits), as `/hush-web.json`'s
   * `mailserver.peer`, or an `enode://<128 hex>@…` URL. It is marked trusted on the gossip
   * node for the rest of its life (§6.1): the engine drops p2p messages (and the completions)
   * of peers it does not trust.
   */
  readonly mailserverPeer: string;
  /**
   * The mailserver's password (`mailserver.password`); or give `symKey`. Its key is derived
   * by WebCrypto's PBKDF2 ({@link passwordKey}, 65,356 iterations) on every call.
   */
  readonly password?: string;
  /**
   * The key of the password ({@link passwordKey}, the same bytes as `symKeyFromPassword` of
   * `@hush/message`): derive it once per session and pass it, to spare the PBKDF2 per call.
   */
  readonly symKey?: Uint8Array;
  /**
   * The key that signs the requests (the mailserver takes any signer, §2.2). Default: a
   * fresh key per call, which the page should use: a signature by its identity key would
   * tell the mailserver which identity asks for these topics.
   */
  readonly identityKey?: Uint8Array;
  /** Exact topics (4 bytes each, at most 1,000); none or empty: every topic (a full bloom). */
  readonly topics?: readonly Uint8Array[];
  /** Oldest sent time wanted, unix seconds (default a day before now). */
  readonly from?: number;
  /** Newest sent time wanted, inclusive (default 0: now + 60 s by the mailserver's clock). */
  readonly to?: number;
  /** Envelopes per page (default 1,000, the mailserver's maximum). */
  readonly pageSize?: number;
  /**
   * Pages at most (default {@link DEFAULT_MAX_PAGES}, 50). When the mailserver still gives a
   * cursor after the last of them, the request stops there and rejects with HistoryError
   * 'too-many-pages': the envelopes of those pages have reached the listeners (and were
   * counted in `onProgress`), the older rest was not asked for. The page shows the
   * mailserver's progress as `failed` with that count received.
   */
  readonly maxPages?: number;
  /** How long to wait for the connection and for each page, ms (default 10 s). */
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: HistoryProgress) => void;
  /** Told of each envelope of the history as it arrives (besides the gossip listeners). */
  readonly onEnvelope?: (accepted: AcceptedEnvelope) => void;
  readonly backend?: CryptoBackend;
}

/** What a history request did. */
export interface HistoryResult {
  readonly pages: number;
  readonly envelopes: number;
  /** The hash of each page's request envelope (the requestId its completion named). */
  readonly requestIds: readonly Uint8Array[];
}

/**
 * The mailserver's gossip id as the engine names its peers: 130 lowercase hex digits (04…).
 *
 * @throws HistoryError 'bad-peer'
 */
export function mailserverPeer(peer: string): string {
  const id = mailserverPeerId(peer);
  if (!id)
    throw new HistoryError('bad-peer', `"${peer}" is not a mailserver peer (0x04… or enode://)`);
  return id;
}

/**
 * Asks the mailserver for the history of `topics` from `from` to `to`, page after page
 * (each page's request carries the previous completion's cursor, the same range and
 * topics), until a completion without a cursor. One request is in flight at a time, as the
 * mailserver serves one per peer (§5.1): do not run two of these against one mailserver at
 * once (the second would be answered `busy`). The envelopes reach the gossip node's
 * listeners, not this function's caller (see the module header).
 *
 * @throws HistoryError 'bad-peer', 'not-connected', 'timeout' (the connection or a page),
 *   'mailserver-error' (the mailserver's reason in the message), 'too-many-pages' (more than
 *   `maxPages`, default 50: what came so far was delivered)
 * @throws RangeError for more than 1,000 topics, a topic not 4 bytes, a bad range or page
 *   size, or neither `password` nor `symKey`; the signal's reason when aborted
 * @example
 * ```ts
 * const symKey = await passwordKey(config.mailserver.password); // once per session
 * await requestHistory({
 *   gossip: peer.gossip,
 *   mailserverPeer: config.mailserver.peer,
 *   symKey,
 *   signal,
 *   topics,
 *   onProgress: ({ pages, envelopes }) => show(`${envelopes} messages, ${pages} pages`),
 * });
 * ```
 */
export async function requestHistory(options: HistoryOptions): Promise<HistoryResult> {
  const peer = mailserverPeer(options.mailserverPeer);
  const topics = options.topics ?? [];
  if (topics.length > MAX_REQUEST_TOPICS)
    throw new RangeError(`at most ${MAX_REQUEST_TOPICS} topics, not ${topics.length}`);
  const now = Math.floor(Date.now() / 1000);
  const to = options.to ?? 0;
  const from = options.from ?? Math.max(0, (to || now) - 86_400);
  const limit = options.pageSize ?? 1000;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const timeoutMs = options.timeoutMs ?? 10_000;
  for (const [name, value] of [
    ['from', from],
    ['to', to],
    ['pageSize', limit],
  ] as const)
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
      throw new RangeError(`${name} must be a uint32, not ${value}`);
  if (!Number.isInteger(maxPages) || maxPages < 1)
    throw new RangeError(`maxPages must be a positive integer, not ${maxPages}`);
  const backend = options.backend ?? defaultBackend;
  if (options.symKey === undefined && options.password === undefined)
    throw new RangeError('requestHistory needs the mailserver password or its symKey');
  const symKey = options.symKey ?? (await passwordKey(options.password!));
  const signingKey = options.identityKey ?? generatePrivateKey(backend);
  // The bloom is sent with the topics too (§2.1: their OR); without topics it is full.
  const bloom = historyBloom(topics);
  const { engine } = options.gossip;
  // Trusted before anything is sent (§6.1): the first p2p message may come at once.
  options.gossip.markTrusted(peer);

  let envelopes = 0;
  let pageEnvelopes = 0;
  const completions = new Map<string, RequestCompletion>();
  let wake: (() => void) | undefined;
  // Listening before sending: a fast mailserver answers before sendRequest returns. Its
  // batches of a page precede the page's completion on the connection and are handled in
  // order (§6.3), so a page's envelopes are all counted when its completion arrives.
  const stopCounting = engine.on('envelope', (accepted) => {
    // p2pMessage, not p2p: to a light client the node's live gossip is p2p too.
    if (!accepted.p2pMessage || accepted.from !== peer) return;
    envelopes++;
    pageEnvelopes++;
    options.onEnvelope?.(accepted);
  });
  const stopCompleting = engine.on('p2p:complete', ({ from: sender, payload }) => {
    if (sender !== peer) return;
    try {
      const completion = decodeRequestComplete(payload);
      completions.set(bytesToHex(completion.requestId), completion);
      wake?.();
    } catch {
      // Too short for either form: it answers no request (the engine's owner drops the peer).
    }
  });
  const wait = <T>(found: () => T | undefined, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', abort);
        stopReady();
        wake = undefined;
      };
      const check = () => {
        const value = found();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const abort = () => {
        done();
        reject(options.signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new HistoryError('timeout', `the mailserver did not ${what} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      options.signal?.addEventListener('abort', abort, { once: true });
      const stopReady = engine.on('peer:ready', check);
      wake = check;
      check();
    });

  try {
    throwIfAborted(options);
    await wait(() => (isReady(engine, peer) ? true : undefined), 'connect');
    const requestIds: Uint8Array[] = [];
    let cursor: Uint8Array = new Uint8Array(0);
    for (let pages = 1; ; pages++) {
      throwIfAborted(options);
      const request = await createHistoryRequest({
        request: { lower: from, upper: to, bloom, limit, cursor, topics },
        symKey,
        signingKey,
        backend,
      });
      const requestId = envelopeHash(request);
      const id = bytesToHex(requestId);
      requestIds.push(requestId);
      pageEnvelopes = 0;
      if (!engine.sendRequest(peer, request))
        throw new HistoryError('not-connected', 'the mailserver peer is not connected');
      const completion = await wait(() => completions.get(id), `complete page ${pages}`);
      completions.delete(id);
      if (completion.error !== undefined)
        throw new HistoryError('mailserver-error', `the mailserver refused: ${completion.error}`);
      cursor = completion.cursor;
      const done = cursor.length === 0;
      options.onProgress?.({ pages, envelopes, pageEnvelopes, cursor, done });
      if (done) return { pages, envelopes, requestIds };
      if (pages >= maxPages)
        throw new HistoryError(
          'too-many-pages',
          `the history took more than ${maxPages} pages: ${envelopes} messages came, older ones were not asked for`,
        );
    }
  } finally {
    stopCounting();
    stopCompleting();
  }
}

/** Whether the engine has a ready session with `peer` (its status exchanged). */
function isReady(engine: GossipEngine, peer: string): boolean {
  return engine.peers().some((p) => p.id === peer && p.ready);
}
