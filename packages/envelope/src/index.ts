/**
 * @hush/envelope: the Whisper v6 envelope, byte-exact with go-ethereum v1.8.27
 * (specs/whisper-v6 SPEC §3): strict canonical RLP codec, hash, size, bloom, expiry, the
 * messages packet, and sealing with proof of work.
 *
 * @packageDocumentation
 */
export {
  assertEnvelope,
  createEnvelope,
  decodeEnvelope,
  decodeMessagesPacket,
  decodeMessagesPacketItems,
  ENVELOPE_HEADER_LENGTH,
  type Envelope,
  encodeEnvelope,
  encodeMessagesPacket,
  envelopeBloom,
  envelopeHash,
  envelopeHashAndPow,
  envelopePow,
  envelopePowWork,
  envelopeSent,
  envelopeSize,
  isExpired,
  rlpWithoutNonce,
} from './envelope.js';
export { EnvelopeDecodeError, type EnvelopeDecodeErrorCode, type EnvelopeField } from './errors.js';
export { type SealEnvelopeOptions, type SealProgress, sealEnvelope } from './seal.js';
