/**
 * The mailserver (Status's 4/WHISPER-MAILSERVER): answers a peer's p2pRequest — an envelope
 * encrypted with the key shared with the mailserver and signed by the requester — with the
 * archived envelopes it asks for, in p2pMessage batches, then p2pRequestComplete with the
 * page's last hash and a cursor for the next page (or Status's `ERROR=` form on failure).
 */
import type { CryptoBackend } from '@hush/crypto';
import { type Envelope, envelopeHash } from '@hush/envelope';
import type { Logger } from '@hush/interface';
import { openSymmetric } from '@hush/message';
import type { P2PRequestHandler } from '@hush/transport-gossip';
import type { Archive } from './archive.js';
import { decodeHistoryRequest, encodeRequestComplete, encodeRequestFailed } from './request.js';

/** Envelopes per p2pMessage, and bytes at most, so batches stay within frame limits. */
const BATCH_ENVELOPES = 100;
const BATCH_BYTES = 512 * 1024;

export interface MailserverOptions {
  readonly archive: Archive;
  /** The symmetric key requests are encrypted with (from the mailserver password). */
  readonly symKey: Uint8Array;
  readonly backend: CryptoBackend;
  readonly logger: Logger;
  /** Largest page, whatever a request asks (default 1000). */
  readonly maxPage?: number;
}

/** The p2pRequest handler of a mailserver. */
export function mailserverHandler(options: MailserverOptions): P2PRequestHandler {
  const maxPage = options.maxPage ?? 1000;
  // One request in flight per peer: a peer asking faster than pages are served gets `busy`.
  const serving = new Set<string>();
  return (request, peer) => {
    let signer: Uint8Array | null;
    let payload: Uint8Array;
    try {
      const message = openSymmetric(request, options.symKey, { backend: options.backend });
      signer = message.signer;
      payload = message.payload;
    } catch {
      options.logger.debug(
        { peer: peer.id },
        'mailserver: request does not open with the mailserver key',
      );
      return;
    }
    if (!signer) {
      options.logger.debug({ peer: peer.id }, 'mailserver: unsigned request refused');
      return;
    }
    let query: ReturnType<typeof decodeHistoryRequest>;
    try {
      query = decodeHistoryRequest(payload);
    } catch (error) {
      options.logger.debug(
        { peer: peer.id, reason: (error as Error).message },
        'mailserver: bad request',
      );
      return;
    }
    const limit = query.limit > 0 ? Math.min(query.limit, maxPage) : maxPage;
    const requestId = envelopeHash(request);
    // As status-go: upper 0 means "now", with a margin for clocks a little ahead.
    const upper = query.upper === 0 ? Math.floor(Date.now() / 1000) + 60 : query.upper;
    if (upper < query.lower) {
      peer.complete(encodeRequestFailed(requestId, 'query range is invalid: lower > upper'));
      return;
    }
    if (serving.has(peer.id)) {
      peer.complete(encodeRequestFailed(requestId, 'busy: one request at a time'));
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
        options.logger.info(
          { peer: peer.id, envelopes: sent, more: page.cursor.length > 0 },
          'mailserver: request answered',
        );
      })
      .catch((error: unknown) => {
        options.logger.error(
          { peer: peer.id, reason: String(error) },
          'mailserver: request failed',
        );
        peer.complete(encodeRequestFailed(requestId, 'archive query failed'));
      })
      .finally(() => serving.delete(peer.id));
  };
}
