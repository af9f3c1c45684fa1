/** ChaChaPoly from @noble (browsers). Browser path of `#chacha`; Node uses node:crypto. */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { nonceBytes } from './nonce.js';
import type { CipherFunction } from './primitives.js';

export const chachaPoly: CipherFunction = {
  name: 'ChaChaPoly',
  encrypt: (key, nonce, ad, plaintext) =>
    chacha20poly1305(key, nonceBytes(nonce, true), ad).encrypt(plaintext),
  decrypt(key, nonce, ad, ciphertext) {
    try {
      return chacha20poly1305(key, nonceBytes(nonce, true), ad).decrypt(ciphertext);
    } catch {
      return undefined;
    }
  },
};
