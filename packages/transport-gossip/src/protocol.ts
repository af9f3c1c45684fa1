/**
 * Constants of the Whisper v6 peer protocol (specs/whisper-v6 SPEC §7).
 */

/** The protocol version a peer must announce. */
export const PROTOCOL_VERSION = 6;

/** Message codes of the sub-protocol. */
export const MessageCode = {
  status: 0,
  messages: 1,
  powRequirement: 2,
  bloomFilterEx: 3,
  /** Status's mailserver extension: [request id, last envelope hash, cursor]. */
  p2pRequestComplete: 125,
  p2pRequest: 126,
  p2pMessage: 127,
} as const;

/** Codes below this belong to the protocol; geth ignores unknown ones. */
export const NUMBER_OF_MESSAGE_CODES = 128;

/** How often each peer is sent what it has not seen (geth: 300 ms). */
export const TRANSMISSION_CYCLE_MS = 300;
/** How often expired envelopes leave the pool (geth: 1 s). */
export const EXPIRATION_CYCLE_MS = 1000;
/** Seconds of clock difference and of tolerance after a settings change. */
export const DEFAULT_SYNC_ALLOWANCE = 10;
/** Largest envelope a node accepts by default (and largest packet). */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/** Largest value MaxMessageSize may be set to. */
export const MAX_MESSAGE_SIZE = 10 * 1024 * 1024;
/** A node's default minimum PoW. */
export const DEFAULT_MINIMUM_POW = 0.2;
