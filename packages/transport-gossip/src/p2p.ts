/**
 * The p2p extension (specs/whisper-v6 SPEC §7.3, codes 125–127; Status' mailserver protocol):
 * p2pRequest (126) carries one request envelope to a mailserver; p2pMessage (127) carries
 * envelopes, one or a list, straight from a trusted peer, outside the pool and its rules;
 * p2pRequestComplete (125) carries one byte string, opaque here (`@hush/mailserver` reads
 * it). Codecs and the request handler's types.
 */
import {
  decodeEnvelope,
  decodeMessagesPacket,
  type Envelope,
  encodeEnvelope,
} from '@hush/envelope';
import { encodeBytes, encodeList, RlpStream } from '@hush/rlp';
import { GossipError } from './errors.js';

/** What a p2pRequest handler can do for the peer that asked. */
export interface P2PRequestPeer {
  readonly id: string;
  /** Largest p2pMessage payload this peer's link carries, in bytes. */
  readonly maxBytes: number;
  /**
   * Sends envelopes as one p2pMessage (a list, as Status mailservers do); false when it was
   * not sent (the peer is gone) or the link is congested (sent: hold back).
   */
  send(envelopes: Envelope[]): boolean;
  /**
   * Sends p2pRequestComplete carrying `body`, an opaque byte string (the mailserver's
   * answer, as `@hush/mailserver` encodes it); false as for `send`.
   */
  complete(body: Uint8Array): boolean;
}

/** Handles a p2pRequest (a mailserver). */
export type P2PRequestHandler = (request: Envelope, peer: P2PRequestPeer) => void;

/**
 * The envelopes of a p2pMessage: one envelope (geth), or a list of them (Status
 * mailservers); a receiver takes both.
 *
 * @throws GossipError 'invalid-p2p-message'
 */
export function decodeP2PMessage(payload: Uint8Array): Envelope[] {
  try {
    const s = new RlpStream(payload);
    s.list();
    let batch = false;
    try {
      s.list();
      batch = true;
    } catch {
      // The first item is not a list: a single envelope.
    }
    return batch
      ? decodeMessagesPacket(payload)
      : [decodeEnvelope(payload, { allowTrailing: true })];
  } catch (error) {
    throw new GossipError('invalid-p2p-message', 'invalid p2p message', { cause: error });
  }
}

/** A p2pMessage of one envelope (geth) or of a list (a mailserver's batch). */
export function encodeP2PMessage(envelopes: Envelope | readonly Envelope[]): Uint8Array {
  return Array.isArray(envelopes)
    ? encodeList((envelopes as readonly Envelope[]).map((e) => encodeEnvelope(e)))
    : encodeEnvelope(envelopes as Envelope);
}

/**
 * The byte string of a p2pRequestComplete.
 *
 * @throws GossipError 'invalid-p2p-message'
 */
export function decodeRequestCompletePayload(payload: Uint8Array): Uint8Array {
  try {
    return new RlpStream(payload).string();
  } catch (error) {
    throw new GossipError('invalid-p2p-message', 'invalid request-complete message', {
      cause: error,
    });
  }
}

/** A p2pRequestComplete carrying `body`. */
export function encodeRequestCompletePayload(body: Uint8Array): Uint8Array {
  return encodeBytes(body);
}

/**
 * The request envelope of a p2pRequest.
 *
 * @throws GossipError 'invalid-p2p-request'
 */
export function decodeP2PRequest(payload: Uint8Array): Envelope {
  try {
    return decodeEnvelope(payload, { allowTrailing: true });
  } catch (error) {
    throw new GossipError('invalid-p2p-request', 'invalid p2p request', { cause: error });
  }
}
