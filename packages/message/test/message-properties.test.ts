/**
 * Property tests (SPEC §5): wrap/open round trips for random payloads, paddings and keys, and
 * hostile bytes (random plaintexts, random or mutated envelope data) only ever raise
 * MessageError, never crash, whatever the key.
 */
import { defaultBackend } from '@hush/crypto';
import { createEnvelope, type Envelope } from '@hush/envelope';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPlaintext,
  generatePrivateKey,
  generateSymKey,
  MessageError,
  openAsymmetric,
  openSymmetric,
  parsePlaintext,
  publicKeyOf,
  wrapMessage,
} from '../src/index.js';

const topic = Uint8Array.of(1, 2, 3, 4);
const symKey = generateSymKey();
const privateKey = generatePrivateKey();
const publicKey = publicKeyOf(privateKey);
const signer = generatePrivateKey();

function onlyMessageErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
  }
}

const envelopeOf = (data: Uint8Array): Envelope =>
  createEnvelope({ expiry: 100, ttl: 50, topic, data });

describe('message properties', () => {
  it('refuses payloads whose size field would collide with the signed flag', () => {
    expect(() =>
      buildPlaintext(new Uint8Array(1 << 24), new Uint8Array(1), undefined, defaultBackend),
    ).toThrow(RangeError);
  });

  it('open(wrap(m)) = m, symmetric and asymmetric, signed or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 700 }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        async (payload, padding, signed, asymmetric) => {
          const envelope = await wrapMessage({
            topic,
            payload,
            ...(padding ? { padding } : {}),
            ...(signed ? { signingKey: signer } : {}),
            ...(asymmetric ? { publicKey } : { symKey }),
            pow: 0,
            workTime: 1,
          });
          const message = asymmetric
            ? openAsymmetric(envelope, privateKey)
            : openSymmetric(envelope, symKey);
          expect(message.payload).toEqual(payload);
          if (padding) expect(message.padding).toEqual(padding);
          else expect(message.raw.length % 256).toBe(0);
          expect(message.signer).toEqual(signed ? publicKeyOf(signer) : null);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('parses any plaintext into a message or a MessageError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) =>
        onlyMessageErrors(() => parsePlaintext(raw, defaultBackend)),
      ),
      { numRuns: 3000 },
    );
    // Mutated real plaintexts reach deeper: flags, size fields, signatures.
    const real = buildPlaintext(new Uint8Array(40).fill(7), undefined, signer, defaultBackend);
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 255 }), fc.nat(), (at, value, cut) => {
        const mutated = real.slice(0, Math.max(1, cut % (real.length + 1)));
        mutated[at % mutated.length] = value;
        onlyMessageErrors(() => parsePlaintext(mutated, defaultBackend));
      }),
      { numRuns: 2000 },
    );
  });

  it('opens random or mutated envelope data only into messages or MessageErrors', async () => {
    const sealed = await wrapMessage({
      topic,
      payload: new Uint8Array(30),
      publicKey,
      pow: 0,
      workTime: 1,
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.nat(),
        fc.nat({ max: 255 }),
        (random, at, value) => {
          onlyMessageErrors(() => openSymmetric(envelopeOf(random), symKey));
          onlyMessageErrors(() => openAsymmetric(envelopeOf(random), privateKey));
          const mutated = sealed.data.slice();
          mutated[at % mutated.length] = value;
          onlyMessageErrors(() => openAsymmetric(envelopeOf(mutated), privateKey));
          onlyMessageErrors(() =>
            openAsymmetric(envelopeOf(mutated.subarray(0, at % mutated.length)), privateKey),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('wrapMessage bounds', () => {
  it('refuses an envelope over maxEnvelopeSize before sealing, and admits one at it', async () => {
    const symKey = generateSymKey();
    const params = { topic: Uint8Array.of(1, 2, 3, 4), payload: new Uint8Array(1000), symKey };
    const free = await wrapMessage({ ...params, pow: 0, workTime: 0 });
    const size = 20 + free.data.length;
    // A target no seal could reach in the time given: only a refusal before the seal ends
    // this call at once (a seal would fail on its target after an hour).
    const hopeless = { ...params, pow: 1e12, workTime: 3600 };
    await expect(wrapMessage({ ...hopeless, maxEnvelopeSize: size - 1 })).rejects.toMatchObject({
      name: 'MessageError',
      code: 'too-large',
    });
    const fits = await wrapMessage({ ...params, pow: 0, workTime: 0, maxEnvelopeSize: size });
    expect(20 + fits.data.length).toBe(size);
  });
});
