/**
 * Wrapping a message into a sealed envelope as geth's NewSentMessage + Wrap do (specs/whisper-v6
 * SPEC §5.6): pad, sign, encrypt (asymmetric wins when both keys are given), set expiry to now
 * + TTL (TTL 0 becomes 50), then seal with proof of work.
 */
import { assertTopic } from '@hush/bloom';
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import {
  createEnvelope,
  type Envelope,
  envelopeSize,
  type SealEnvelopeOptions,
  sealEnvelope,
} from '@hush/envelope';
import { DEFAULT_TTL } from './constants.js';
import { encryptAsymmetric } from './ecies.js';
import { MessageError } from './errors.js';
import { buildPlaintext } from './plaintext.js';
import { encryptSymmetric } from './symmetric.js';

/** geth's MessageParams, plus the controls this library adds. */
export interface WrapParams extends Pick<SealEnvelopeOptions, 'signal' | 'onProgress' | 'pool'> {
  readonly topic: Uint8Array;
  readonly payload: Uint8Array;
  /** Seconds; 0 or absent means 50. */
  readonly ttl?: number;
  /** Explicit padding; absent or empty means geth's random default padding. */
  readonly padding?: Uint8Array;
  /** Private key that signs the message (geth's Src). */
  readonly signingKey?: Uint8Array;
  /** Recipient's 65-byte public key (geth's Dst): ECIES. Wins over `symKey`. */
  readonly publicKey?: Uint8Array;
  /** 32-byte symmetric key (geth's KeySym): AES-256-GCM. */
  readonly symKey?: Uint8Array;
  /** PoW target (> 0), timed sealing (< 0) or none (0). */
  readonly pow: number;
  /** Seconds of work allowed. */
  readonly workTime: number;
  /** Unix seconds used for the expiry (default: now). */
  readonly now?: number;
  /** Symmetric: the 12-byte GCM nonce, to reproduce an envelope. */
  readonly salt?: Uint8Array;
  /** Asymmetric: the ephemeral private key, to reproduce an envelope. */
  readonly ephemeralKey?: Uint8Array;
  /** Asymmetric: the 16-byte IV, to reproduce an envelope. */
  readonly iv?: Uint8Array;
  /**
   * Largest envelope size (SPEC §3.5: 20 + data length) the caller can send, checked after
   * encryption and before any proof of work, so that an envelope the node would refuse never
   * costs a seal.
   */
  readonly maxEnvelopeSize?: number;
  readonly backend?: CryptoBackend;
}

function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

/**
 * Builds, encrypts and seals a message.
 *
 * @returns the sealed envelope
 * @throws MessageError 'no-key', 'bad-key-size', 'zero-key', 'bad-public-key',
 *   'bad-private-key', or 'too-large' (the envelope exceeds `maxEnvelopeSize`)
 * @throws PowError 'pow-unreachable' if the PoW target is not reached within `workTime`
 * @throws TypeError / RangeError naming a bad parameter
 */
export async function wrapMessage(params: WrapParams): Promise<Envelope> {
  const backend = params.backend ?? defaultBackend;
  assertTopic(params.topic, 'params.topic');
  assertBytes(params.payload, 'params.payload');
  for (const name of [
    'padding',
    'signingKey',
    'publicKey',
    'symKey',
    'salt',
    'ephemeralKey',
    'iv',
  ] as const) {
    if (params[name] !== undefined) assertBytes(params[name], `params.${name}`);
  }
  const ttl = params.ttl === undefined || params.ttl === 0 ? DEFAULT_TTL : params.ttl;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0xffffffff)
    throw new RangeError('params.ttl must be a uint32');
  const now = params.now ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(now) || now < 0) throw new RangeError('params.now must be unix seconds');
  if (!params.publicKey && !params.symKey) {
    throw new MessageError(
      'no-key',
      'unable to encrypt the message: neither symmetric nor asymmetric key provided',
    );
  }

  const plaintext = buildPlaintext(params.payload, params.padding, params.signingKey, backend);
  const data = params.publicKey
    ? encryptAsymmetric(plaintext, params.publicKey, backend, {
        ...(params.ephemeralKey ? { ephemeralKey: params.ephemeralKey } : {}),
        ...(params.iv ? { iv: params.iv } : {}),
      })
    : encryptSymmetric(plaintext, params.symKey!, backend, params.salt);
  const envelope = createEnvelope({ expiry: (now + ttl) >>> 0, ttl, topic: params.topic, data });
  if (params.maxEnvelopeSize !== undefined && envelopeSize(envelope) > params.maxEnvelopeSize) {
    throw new MessageError(
      'too-large',
      `huge messages are not allowed: the envelope would be ${envelopeSize(envelope)} bytes, more than ${params.maxEnvelopeSize}`,
    );
  }
  return sealEnvelope(envelope, {
    pow: params.pow,
    workTime: params.workTime,
    ...(params.signal ? { signal: params.signal } : {}),
    ...(params.onProgress ? { onProgress: params.onProgress } : {}),
    ...(params.pool ? { pool: params.pool } : {}),
  });
}
