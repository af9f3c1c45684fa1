/**
 * The mailserver's side of the protocol (specs/mailserver §2.2, §5): answers a peer's
 * p2pRequest — an envelope encrypted with the key shared with the mailserver and signed by
 * the requester — with the archived envelopes it asks for, in p2pMessage batches (code 127),
 * then p2pRequestComplete (code 125) with the page's last hash and a cursor for the next page,
 * or Status's `ERROR=` form on failure. Refused requests get no answer at all.
 */
import type { CryptoBackend } from '@hush/crypto';
import { type Envelope, envelopeHash } from '@hush/envelope';
import { type Clock, type Logger, silentLogger, systemClock } from '@hush/interface';
import { openSymmetric } from '@hush/message';
import type { Archive } from './archive.js';
import { encodeRequestComplete, encodeRequestFailed } from './completion.js';
import { decodeHistoryRequest, type HistoryRequest } from './request.js';

/** Envelopes per p2pMessage, and bytes at most, so batches stay within frame limits. */
const BATCH_ENVELOPES = 100;
const BATCH_BYTES = 512 * 1024;

/**
 * The requesting peer, as the transport that carried the request gives it (the gossip
 * engine's p2p request handler passes one of these).
 */
export interface MailserverPeer {
  readonly id: string;
  /** Largest p2pMessage payload this peer's link carries, in bytes. */
  readonly maxBytes: number;
  /** Sends envelopes as one p2pMessage (a list, as Status mailservers do); false: not sent, or sent onto a congested link. */
  send(envelopes: Envelope[]): boolean;
  /** Sends p2pRequestComplete carrying `body`; false as for `send`. */
  complete(body: Uint8Array): boolean;
}

/** Handles one p2pRequest. */
export type MailserverRequestHandler = (request: Envelope, peer: MailserverPeer) => void;

/** What a mailserver serves from, and how. */
export interface MailserverOptions {
  readonly archive: Pick<Archive, 'query'>;
  /** The symmetric key requests are encrypted with (from the mailserver password). */
  readonly symKey: Uint8Array;
  readonly backend?: CryptoBackend;
  readonly logger?: Logger;
  /** "Now", for a request whose upper bound is 0 (default: the system clock). */
  readonly clock?: Clock;
  /** Largest page, whatever a request asks (default 1000). */
  readonly maxPage?: number;
}

/**
 * The p2pRequest handler of a mailserver; give it to the transport (`onP2PRequest` of
 * `@hush/transport-gossip`). One request is served per peer at a time.
 *
 * @throws nothing: every failure is logged, and answered in the failure form when the request
 *   was one to answer
 * @example
 * ```ts
 * const node = createGossipNode({
 *   ...options,
 *   onP2PRequest: mailserverHandler({ archive, symKey: symKeyFromPassword(password), logger }),
 * });
 * ```
 */
export function mailserverHandler(options: MailserverOptions): MailserverRequestHandler {
  const maxPage = options.maxPage ?? 1000;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const open = options.backend ? { backend: options.backend } : {};
  // One request in flight per peer: a peer asking faster than pages are served gets `busy`.
  const serving = new Set<string>();
  return (request, peer) => {
    let signer: Uint8Array | null;
    let payload: Uint8Array;
    try {
      const message = openSymmetric(request, options.symKey, open);
      signer = message.signer;
      payload = message.payload;
    } catch {
      logger.debug({ peer: peer.id }, 'mailserver: request does not open with the mailserver key');
      return;
    }
    if (!signer) {
      logger.debug({ peer: peer.id }, 'mailserver: unsigned request refused');
      return;
    }
    let query: HistoryRequest;
    try {
      query = decodeHistoryRequest(payload);
    } catch (error) {
      logger.debug({ peer: peer.id, reason: (error as Error).message }, 'mailserver: bad request');
      return;
    }
    const limit = query.limit > 0 ? Math.min(query.limit, maxPage) : maxPage;
    const requestId = envelopeHash(request);
    const fail = (reason: string) => peer.complete(encodeRequestFailed(requestId, reason));
    // As status-go: upper 0 means "now", with a margin for clocks a little ahead.
    const upper = query.upper === 0 ? Math.floor(clock.now() / 1000) + 60 : query.upper;
    if (upper < query.lower) {
      fail('query range is invalid: lower > upper');
      return;
    }
    if (serving.has(peer.id)) {
      fail('busy: one request at a time');
      return;
    }
    serving.add(peer.id);
    const batchBytes = Math.min(BATCH_BYTES, peer.maxBytes);
    options.archive
      .query(query.lower, upper, query, limit, query.cursor)
      .then((page) => {
        let batch: Envelope[] = [];
        let bytes = 0;
        let sent = 0;
        const flush = () => {
          if (batch.length > 0 && peer.send(batch)) sent += batch.length;
          batch = [];
          bytes = 0;
        };
        for (const [i, envelope] of page.envelopes.entries()) {
          const size = page.encoded[i]!.length + 8;
          if (size > batchBytes) continue; // larger than this link carries: never deliverable
          if (batch.length >= BATCH_ENVELOPES || bytes + size > batchBytes) flush();
          batch.push(envelope);
          bytes += size;
        }
        flush();
        peer.complete(encodeRequestComplete(requestId, page.lastHash, page.cursor));
        logger.info(
          { peer: peer.id, envelopes: sent, more: page.cursor.length > 0 },
          'mailserver: request answered',
        );
      })
      .catch((error: unknown) => {
        logger.error({ peer: peer.id, reason: String(error) }, 'mailserver: request failed');
        fail('archive query failed');
      })
      .finally(() => serving.delete(peer.id));
  };
}
