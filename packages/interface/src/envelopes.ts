/**
 * Handing envelopes between layers: a protocol that delivers envelopes (gossip, a direct
 * channel, a mailserver, an inbox) is an {@link EnvelopeReceiver}; one that carries them away
 * is an {@link EnvelopeSender}. `@hush/client` joins any receiver to its filters.
 */
import type { AbortOptions } from './abort.js';
import type { PeerId } from './peer.js';

/** A Whisper v6 envelope's fields (the `Envelope` of `@hush/envelope` has them). */
export interface WireEnvelope {
  /** Unix seconds. */
  readonly expiry: number;
  /** Seconds. */
  readonly ttl: number;
  /** 4 bytes. */
  readonly topic: Uint8Array;
  readonly data: Uint8Array;
  readonly nonce: bigint;
}

/** Where an envelope came from. */
export type EnvelopeSource = 'local' | 'gossip' | 'p2p' | 'history' | 'inbox' | 'direct' | 'mixnet';

/** An envelope a receiver delivers. */
export interface ReceivedEnvelope<E extends WireEnvelope = WireEnvelope> {
  readonly envelope: E;
  /** Keccak-256 of its RLP encoding (32 bytes). */
  readonly hash: Uint8Array;
  readonly source: EnvelopeSource;
  /** The peer it came from, when it came over a connection. */
  readonly peer?: PeerId;
}

/** Delivers envelopes to whoever listens. */
export interface EnvelopeReceiver<E extends WireEnvelope = WireEnvelope> {
  /** Adds a handler of every envelope delivered from now on; returns its removal. */
  onEnvelope(handler: (received: ReceivedEnvelope<E>) => void): () => void;
}

/** What became of a sent envelope. */
export interface SendResult {
  /** Keccak-256 of its RLP encoding (32 bytes). */
  readonly hash: Uint8Array;
  /** Whether the protocol took it (false: it already had it). */
  readonly accepted: boolean;
}

/** Carries envelopes away. */
export interface EnvelopeSender<E extends WireEnvelope = WireEnvelope> {
  /**
   * Sends one envelope.
   *
   * @throws HushError of the implementing package when the envelope is refused (too large,
   *   expired, too little PoW…), with the refusal in `code`
   */
  send(envelope: E, options?: AbortOptions): Promise<SendResult>;
}
