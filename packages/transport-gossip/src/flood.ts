/**
 * The flood scheduler (specs/whisper-v6 SPEC §7.4): on every transmission cycle each ready
 * peer is sent, in packets within its size limit, the pooled envelopes it has not seen and
 * wants; a congested link keeps the rest for a later cycle.
 */
import { encodeList } from '@hush/rlp';
import type { ProtocolMessage } from './codec.js';
import type { PeerSession } from './peer-session.js';
import type { EnvelopePool, PoolEntry } from './pool.js';
import { MessageCode } from './protocol.js';

/** What one transmission needs of the engine. */
export interface FloodContext {
  readonly pool: EnvelopePool;
  /** A light client relays only its own posts. */
  readonly lightClient: boolean;
  /** The largest payload to send the peer. */
  payloadLimit(session: PeerSession): number;
  /** Sends one message; false when the link is congested. */
  send(session: PeerSession, message: ProtocolMessage): boolean;
}

/** Runs one transmission cycle over `sessions`. */
export function transmit(sessions: Iterable<PeerSession>, context: FloodContext): void {
  for (const session of sessions) {
    if (session.ready && session.resync) {
      session.resync = false;
      session.pending = new Set(context.pool.values());
    }
    if (!session.ready || session.pending.size === 0) continue;
    const limit = context.payloadLimit(session);
    let bundle: PoolEntry[] = [];
    let bytes = 0;
    const flush = (): boolean => {
      if (bundle.length === 0) return true;
      const ok = context.send(session, {
        code: MessageCode.messages,
        payload: encodeList(bundle.map((e) => e.encoded)),
      });
      for (const entry of bundle) entry.knownBy.add(session.index);
      session.envelopesSent += bundle.length;
      bundle = [];
      bytes = 0;
      return ok;
    };
    for (const entry of session.pending) {
      if (
        !session.wants(entry) ||
        (context.lightClient && !entry.local) ||
        entry.encoded.length > limit
      ) {
        // Not for this peer (a light client relays only its own posts; an envelope too large
        // for the link can never go).
        session.pending.delete(entry);
        continue;
      }
      // A congested link keeps the rest for a later cycle.
      if (bytes + entry.encoded.length > limit && !flush()) break;
      session.pending.delete(entry);
      bundle.push(entry);
      bytes += entry.encoded.length;
    }
    flush();
  }
}
