/** The page the browser test drives: @hush/message with the browser's default backend. */
import { defaultBackend } from '@hush/crypto';
import { decodeEnvelope, encodeEnvelope } from '@hush/envelope';
import { openAsymmetric, openSymmetric, wrapMessage } from '../../src/index.js';

const bytes = (hex: string) =>
  Uint8Array.from(hex.slice(2).match(/../g) ?? [], (b) => Number.parseInt(b, 16));
const hex = (data: Uint8Array) =>
  `0x${Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('')}`;

interface Case {
  symKey?: string;
  recipientPrivateKey?: string;
  rlp: string;
  reseal?: {
    topic: string;
    payload: string;
    ttl: number;
    padding: string;
    salt: string;
    signingKey: string | null;
    pow: number;
    now: number;
  };
}

const api = {
  backend: () => defaultBackend.name,
  async run(cases: Case[]) {
    const results: { payload: string; signer: string | null; resealed: string | null }[] = [];
    for (const c of cases) {
      const envelope = decodeEnvelope(bytes(c.rlp));
      const message = c.symKey
        ? openSymmetric(envelope, bytes(c.symKey))
        : openAsymmetric(envelope, bytes(c.recipientPrivateKey!));
      let resealed: string | null = null;
      if (c.reseal && c.symKey) {
        const r = c.reseal;
        const sealed = await wrapMessage({
          topic: bytes(r.topic),
          payload: bytes(r.payload),
          ttl: r.ttl,
          padding: bytes(r.padding),
          symKey: bytes(c.symKey),
          salt: bytes(r.salt),
          ...(r.signingKey ? { signingKey: bytes(r.signingKey) } : {}),
          pow: r.pow,
          workTime: 60,
          now: r.now,
        });
        resealed = hex(encodeEnvelope(sealed));
      }
      results.push({
        payload: hex(message.payload),
        signer: message.signer && hex(message.signer),
        resealed,
      });
    }
    return results;
  },
};

Object.assign(globalThis, { hushMessage: api, hushReady: true });
