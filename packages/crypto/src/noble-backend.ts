/**
 * The pure-JS backend: @noble/ciphers, @noble/curves, @noble/hashes. Browser-safe; the
 * default wherever the native backend is not available.
 */
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoBackend } from './backend.js';

const Point = secp256k1.Point;

/** The pure-JS backend. */
export const nobleBackend: CryptoBackend = {
  name: 'noble',

  aesGcmSeal: (key, nonce, plaintext) => gcm(key, nonce).encrypt(plaintext),
  aesGcmOpen(key, nonce, sealed) {
    try {
      return gcm(key, nonce).decrypt(sealed);
    } catch {
      return null;
    }
  },
  aes128Ctr: (key, iv, data) => ctr(key, iv).encrypt(data),
  sha256: (data) => sha256(data),
  hmacSha256(key, ...parts) {
    const mac = hmac.create(sha256, key);
    for (const part of parts) mac.update(part);
    return mac.digest();
  },
  pbkdf2Sha256: (password, salt, iterations, length) =>
    pbkdf2(sha256, password, salt, { c: iterations, dkLen: length }),

  isValidPrivateKey: (key) => key.length === 32 && secp256k1.utils.isValidSecretKey(key),
  isValidPublicKey(key) {
    if (key.length !== 65 || key[0] !== 0x04) return false;
    try {
      Point.fromBytes(key).assertValidity();
      return true;
    } catch {
      return false;
    }
  },
  publicKeyCreate: (privateKey) => secp256k1.getPublicKey(privateKey, false),
  ecdhX: (privateKey, publicKey) =>
    secp256k1.getSharedSecret(privateKey, publicKey, true).subarray(1),
  signRecoverable(hash, privateKey) {
    const sig = secp256k1.sign(hash, privateKey, {
      prehash: false,
      format: 'recovered',
      extraEntropy: false,
    });
    // noble writes the recovery byte first; Ethereum writes r ‖ s ‖ v.
    const out = new Uint8Array(65);
    out.set(sig.subarray(1), 0);
    out[64] = sig[0]!;
    return out;
  },
  recoverPublicKey(hash, signature) {
    if (signature.length !== 65 || signature[64]! > 3) return null;
    const recovered = new Uint8Array(65);
    recovered[0] = signature[64]!;
    recovered.set(signature.subarray(0, 64), 1);
    try {
      return secp256k1.Signature.fromBytes(recovered, 'recovered')
        .recoverPublicKey(hash)
        .toBytes(false);
    } catch {
      return null;
    }
  },
};
