/**
 * CipherState and SymmetricState (Noise Protocol Framework rev. 34 §5.1, §5.2, §4.3 HKDF,
 * §11.3 rekey).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { NoiseError } from './errors.js';
import type { CipherFunction, HashFunction } from './primitives.js';

/** Noise's largest message, bytes (§3). */
export const MAX_MESSAGE_LENGTH = 65_535;
/** 2^64 − 1, the nonce no key may use (§5.1). */
const MAX_NONCE = (1n << 64n) - 1n;
const EMPTY = new Uint8Array(0);

/** A key and its nonce counter: encrypts or decrypts one direction's messages. */
export class CipherState {
  private key: Uint8Array | undefined;
  private nonce = 0n;
  private readonly cipher: CipherFunction;

  /** @param key - 32 bytes, or undefined for the empty key (messages pass in clear) */
  constructor(cipher: CipherFunction, key?: Uint8Array) {
    this.cipher = cipher;
    this.key = key;
  }

  hasKey(): boolean {
    return this.key !== undefined;
  }

  /** Sets the nonce (for protocols that carry it explicitly, §5.1 SetNonce). */
  setNonce(nonce: bigint): void {
    this.nonce = nonce;
  }

  /**
   * Encrypts with associated data, then increments the nonce.
   *
   * @throws NoiseError 'nonce-exhausted' when the nonce reached 2^64 − 1
   */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.key) return plaintext;
    if (this.nonce >= MAX_NONCE) throw new NoiseError('nonce-exhausted', 'nonce exhausted');
    const out = this.cipher.encrypt(this.key, this.nonce, ad, plaintext);
    this.nonce++;
    return out;
  }

  /**
   * Decrypts with associated data; the nonce advances only when authentication succeeds.
   *
   * @throws NoiseError 'decrypt-failed' or 'nonce-exhausted'
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.key) return ciphertext;
    if (this.nonce >= MAX_NONCE) throw new NoiseError('nonce-exhausted', 'nonce exhausted');
    const out = this.cipher.decrypt(this.key, this.nonce, ad, ciphertext);
    if (!out) throw new NoiseError('decrypt-failed', 'message authentication failed');
    this.nonce++;
    return out;
  }

  /** Replaces the key with REKEY(k) (§11.3): ENCRYPT(k, 2^64 − 1, empty, 32 zeros)[0..32]. */
  rekey(): void {
    if (!this.key) return;
    this.key = this.cipher.encrypt(this.key, MAX_NONCE, EMPTY, new Uint8Array(32)).slice(0, 32);
  }
}

/** HKDF of §4.3: two or three outputs of HASHLEN bytes. */
export function hkdf(
  hash: HashFunction,
  chainingKey: Uint8Array,
  input: Uint8Array,
  outputs: 2 | 3,
): Uint8Array[] {
  const tempKey = hmac(hash.hash, chainingKey, input);
  const out1 = hmac(hash.hash, tempKey, Uint8Array.of(1));
  const out2 = hmac(hash.hash, tempKey, concat(out1, Uint8Array.of(2)));
  if (outputs === 2) return [out1, out2];
  return [out1, out2, hmac(hash.hash, tempKey, concat(out2, Uint8Array.of(3)))];
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A 64-byte hash output truncated to a 32-byte cipher key (§5.2). */
const cipherKey = (bytes: Uint8Array) => bytes.slice(0, 32);

/** The chaining key, handshake hash and cipher of a handshake in progress. */
export class SymmetricState {
  private chainingKey: Uint8Array;
  private handshakeHash: Uint8Array;
  private cipherState: CipherState;
  private readonly hash: HashFunction;
  private readonly cipher: CipherFunction;

  constructor(protocolName: string, cipher: CipherFunction, hash: HashFunction) {
    this.hash = hash;
    this.cipher = cipher;
    const name = new TextEncoder().encode(protocolName);
    if (name.length <= hash.hashLen) {
      this.handshakeHash = new Uint8Array(hash.hashLen);
      this.handshakeHash.set(name);
    } else {
      this.handshakeHash = hash.hash(name);
    }
    this.chainingKey = this.handshakeHash.slice();
    this.cipherState = new CipherState(cipher);
  }

  /** h, the handshake hash: after the handshake, a value both sides share (channel binding). */
  get h(): Uint8Array {
    return this.handshakeHash.slice();
  }

  hasKey(): boolean {
    return this.cipherState.hasKey();
  }

  mixKey(input: Uint8Array): void {
    const [ck, key] = hkdf(this.hash, this.chainingKey, input, 2);
    this.chainingKey = ck!;
    this.cipherState = new CipherState(this.cipher, cipherKey(key!));
  }

  mixHash(data: Uint8Array): void {
    this.handshakeHash = this.hash.hash(concat(this.handshakeHash, data));
  }

  mixKeyAndHash(input: Uint8Array): void {
    const [ck, h, key] = hkdf(this.hash, this.chainingKey, input, 3);
    this.chainingKey = ck!;
    this.mixHash(h!);
    this.cipherState = new CipherState(this.cipher, cipherKey(key!));
  }

  /** @throws NoiseError 'nonce-exhausted' */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipherState.encryptWithAd(this.handshakeHash, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** @throws NoiseError 'decrypt-failed' or 'nonce-exhausted' */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipherState.decryptWithAd(this.handshakeHash, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** The two transport CipherStates: initiator→responder, then responder→initiator. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf(this.hash, this.chainingKey, new Uint8Array(0), 2);
    return [
      new CipherState(this.cipher, cipherKey(k1!)),
      new CipherState(this.cipher, cipherKey(k2!)),
    ];
  }
}
