/**
 * @hush/transport-direct: direct channels between trusted contacts (specs/transport-direct).
 * Built so far: introductions over Whisper (SPEC §2), signed and asymmetric, acted on only
 * when the signer is a contact, and the contact list they are judged against (`ContactBook`). The channel itself (Noise IK/XX over WebSocket, WebRTC or a
 * relay), the envelopes without PoW or expiry and the store-and-forward outbox follow.
 *
 * @example
 * ```ts
 * import { openIntroduction, wrapIntroduction } from '@hush/transport-direct';
 * const envelope = await wrapIntroduction(intro, { from: aliceKey, to: bobPublicKey, pow: 0.2, workTime: 5 });
 * const verdict = openIntroduction(envelope, { privateKey: bobKey, isContact, now });
 * ```
 *
 * @packageDocumentation
 */

export { DIRECT_LINK_PROTOCOL, type DirectLinkOptions, directLinkEncrypter } from './channel.js';
export { type Contact, ContactBook } from './contacts.js';
export { DirectError, type DirectErrorCode } from './errors.js';
export {
  decodeIntroduction,
  encodeIntroduction,
  type IgnoredBecause,
  INTRODUCTION_LIMITS,
  INTRODUCTION_MAX_SKEW,
  INTRODUCTION_TOPIC,
  type Introduction,
  type IntroductionVerdict,
  type OpenIntroductionOptions,
  openIntroduction,
  type WrapIntroductionOptions,
  wrapIntroduction,
} from './introduction.js';
