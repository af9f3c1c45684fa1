/**
 * geth's ECIES over secp256k1 (go-ethereum v1.8.27 `crypto/ecies`), as Whisper v6's
 * asymmetric messages (specs/whisper-v6 SPEC §5.4) and the RLPx handshake (specs/rlpx SPEC §2)
 * use it. Shared secret z = x coordinate of ECDH; K = SHA-256(0x00000001 ‖ z ‖ s1) (one
 * concat-KDF block); Ke = K[0:16] for AES-128-CTR, Km = SHA-256(K[16:32]) for HMAC-SHA-256
 * over IV ‖ ciphertext ‖ s2. Data = ephemeral public key (65, uncompressed) ‖ IV (16) ‖
 * ciphertext ‖ MAC (32). Whisper passes no s1 and no s2; RLPx's EIP-8 packets pass their
 * 2-byte size prefix as s2.
 */
import { type CryptoBackend, randomBytes } from './backend.js';

const KEY_LENGTH = 16;
const IV_LENGTH = 16;
const MAC_LENGTH = 32;
const POINT_LENGTH = 65;
const COUNTER_1 = Uint8Array.of(0, 0, 0, 1);
const EMPTY = new Uint8Array(0);

/** Bytes ECIES adds to a plaintext: the ephemeral key, the IV and the MAC. */
export const ECIES_OVERHEAD = POINT_LENGTH + IV_LENGTH + MAC_LENGTH;

/** Fixed randomness for reproducing an encryption (tests, vectors). */
export interface EciesRandomness {
  /** Ephemeral private key, 32 bytes. */
  readonly ephemeralKey?: Uint8Array;
  /** 16-byte IV. */
  readonly iv?: Uint8Array;
}

/** The optional inputs of geth's ECIES. */
export interface EciesOptions {
  /** Fixed randomness, for vectors. */
  readonly randomness?: EciesRandomness;
  /** s1, mixed into the key derivation (none in Whisper or RLPx). */
  readonly sharedInfo?: Uint8Array;
  /** s2, authenticated by the MAC but not sent (RLPx: the EIP-8 size prefix). */
  readonly sharedMacData?: Uint8Array;
}

/** Why ECIES data did not decrypt, checked in geth's order. */
export type EciesFailure = 'too-short' | 'bad-ephemeral-key' | 'decrypt-failed' | 'short-body';

function deriveKeys(
  backend: CryptoBackend,
  sharedX: Uint8Array,
  sharedInfo: Uint8Array,
): { ke: Uint8Array; km: Uint8Array } {
  const k = backend.sha256(concat(COUNTER_1, sharedX, sharedInfo));
  return {
    ke: k.subarray(0, KEY_LENGTH),
    km: backend.sha256(k.subarray(KEY_LENGTH, 2 * KEY_LENGTH)),
  };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Encrypts `plaintext` to `publicKey` (65 bytes, uncompressed).
 *
 * @example
 * ```ts
 * const sealed = eciesEncrypt(plaintext, recipientPublicKey, defaultBackend);
 * const opened = eciesDecrypt(sealed, recipientPrivateKey, defaultBackend); // { ok: true, plaintext }
 * ```
 *
 * @throws TypeError if `publicKey` is not a valid uncompressed secp256k1 point
 * @throws RangeError if given randomness has the wrong size or is not a valid key
 */
export function eciesEncrypt(
  plaintext: Uint8Array,
  publicKey: Uint8Array,
  backend: CryptoBackend,
  options: EciesOptions = {},
): Uint8Array {
  if (!backend.isValidPublicKey(publicKey))
    throw new TypeError('publicKey must be an uncompressed secp256k1 point');
  let ephemeral = options.randomness?.ephemeralKey;
  if (ephemeral) {
    if (!backend.isValidPrivateKey(ephemeral))
      throw new RangeError('randomness.ephemeralKey must be a valid private key');
  } else {
    do ephemeral = randomBytes(32);
    while (!backend.isValidPrivateKey(ephemeral));
  }
  const iv = options.randomness?.iv ?? randomBytes(IV_LENGTH);
  if (iv.length !== IV_LENGTH) throw new RangeError(`randomness.iv must be ${IV_LENGTH} bytes`);
  const { ke, km } = deriveKeys(
    backend,
    backend.ecdhX(ephemeral, publicKey),
    options.sharedInfo ?? EMPTY,
  );
  const ciphertext = backend.aes128Ctr(ke, iv, plaintext);
  const mac = backend.hmacSha256(km, iv, ciphertext, options.sharedMacData ?? EMPTY);
  return concat(backend.publicKeyCreate(ephemeral), iv, ciphertext, mac);
}

/**
 * Decrypts ECIES data with a private key, checking in geth's order: length, key prefix,
 * length again, the point, the MAC, then the body (which geth would panic on when shorter
 * than its IV). Never throws on bad data: the failure is the result.
 *
 * @throws nothing for any `data`
 */
export function eciesDecrypt(
  data: Uint8Array,
  privateKey: Uint8Array,
  backend: CryptoBackend,
  options: Pick<EciesOptions, 'sharedInfo' | 'sharedMacData'> = {},
): { ok: true; plaintext: Uint8Array } | { ok: false; failure: EciesFailure; detail: string } {
  if (data.length === 0) return fail('too-short', 'empty ECIES data');
  const prefix = data[0]!;
  if (prefix !== 2 && prefix !== 3 && prefix !== 4)
    return fail('bad-ephemeral-key', 'ephemeral public key has an invalid prefix');
  if (data.length < POINT_LENGTH + MAC_LENGTH + 1) return fail('too-short', 'ECIES data too short');
  const ephemeral = data.subarray(0, POINT_LENGTH);
  if (!backend.isValidPublicKey(ephemeral))
    return fail('bad-ephemeral-key', 'ephemeral public key is not an uncompressed curve point');
  const body = data.subarray(POINT_LENGTH, data.length - MAC_LENGTH);
  const { ke, km } = deriveKeys(
    backend,
    backend.ecdhX(privateKey, ephemeral),
    options.sharedInfo ?? EMPTY,
  );
  const mac = backend.hmacSha256(km, body, options.sharedMacData ?? EMPTY);
  if (!constantTimeEqual(mac, data.subarray(data.length - MAC_LENGTH)))
    return fail('decrypt-failed', 'ECIES MAC mismatch');
  if (body.length < IV_LENGTH) return fail('short-body', 'ECIES body shorter than its IV');
  return {
    ok: true,
    plaintext: backend.aes128Ctr(ke, body.subarray(0, IV_LENGTH), body.subarray(IV_LENGTH)),
  };
}

function fail(failure: EciesFailure, detail: string) {
  return { ok: false as const, failure, detail };
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
