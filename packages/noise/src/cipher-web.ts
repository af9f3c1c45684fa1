/** ChaChaPoly from @noble (browsers). Browser path of `#chacha`; Node uses node:crypto. */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { CipherFunction } from './primitives.js';

/** 32 zero bits, then the 64-bit nonce little-endian (Noise §12.3). */
function nonceBytes(nonce: bigint): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, nonce, true);
  return out;
}

export const chachaPoly: CipherFunction = {
  name: 'ChaChaPoly',
  encrypt: (key, nonce, ad, plaintext) =>
    chacha20poly1305(key, nonceBytes(nonce), ad).encrypt(plaintext),
  decrypt(key, nonce, ad, ciphertext) {
    try {
      return chacha20poly1305(key, nonceBytes(nonce), ad).decrypt(ciphertext);
    } catch {
      return undefined;
    }
  },
};
