/**
 * ChaChaPoly through node:crypto (OpenSSL): the same bytes as @noble's (`./cipher-web.ts`),
 * faster on large transport messages. Node-only path of `#chacha`.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { nonceBytes } from './nonce.js';
import type { CipherFunction } from './primitives.js';

export const chachaPoly: CipherFunction = {
  name: 'ChaChaPoly',
  encrypt(key, nonce, ad, plaintext) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonceBytes(nonce, true), {
      authTagLength: 16,
    });
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const head = cipher.update(plaintext);
    cipher.final();
    const out = new Uint8Array(plaintext.length + 16);
    out.set(head, 0);
    out.set(cipher.getAuthTag(), plaintext.length);
    return out;
  },
  decrypt(key, nonce, ad, ciphertext) {
    if (ciphertext.length < 16) return undefined;
    const body = ciphertext.length - 16;
    try {
      const decipher = createDecipheriv('chacha20-poly1305', key, nonceBytes(nonce, true), {
        authTagLength: 16,
      });
      decipher.setAuthTag(ciphertext.subarray(body));
      if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: body });
      const head = decipher.update(ciphertext.subarray(0, body));
      decipher.final();
      return new Uint8Array(head.buffer, head.byteOffset, head.byteLength);
    } catch {
      return undefined;
    }
  },
};
