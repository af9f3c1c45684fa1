/**
 * specs/transport-direct/SPEC.md §2: introductions. Encoded and decoded both ways, limits
 * refused by name, strict decoding; wrapped for a contact and opened only by that contact,
 * only when signed by one of its contacts and fresh; everything else ignored with its reason.
 */

import { generatePrivateKey, publicKeyOf } from '@hush/message';
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DirectError,
  decodeIntroduction,
  encodeIntroduction,
  INTRODUCTION_LIMITS,
  INTRODUCTION_TOPIC,
  type Introduction,
  openIntroduction,
  wrapIntroduction,
} from '../src/index.js';

const now = 1_800_000_000;
const intro: Introduction = {
  sent: now,
  staticKey: new Uint8Array(32).fill(9),
  endpoints: ['wss://alice.example:30303', 'ws://192.0.2.7:30303'],
  signal: new TextEncoder().encode('v=0 o=- 1 1 IN IP4 0.0.0.0'),
};
const TAG = new TextEncoder().encode('hush-direct/1 introduction');

describe('introduction payloads', () => {
  it('round-trip, and decode only what they encode', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.string({ maxLength: 60 }), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 2000 }),
        (sent, staticKey, endpoints, signal) => {
          const value = { sent, staticKey, endpoints, signal };
          const encoded = encodeIntroduction(value);
          expect(decodeIntroduction(encoded)).toEqual(value);
          expect(encodeIntroduction(decodeIntroduction(encoded))).toEqual(encoded);
        },
      ),
    );
  });

  it('refuse to encode what breaks a limit, naming the field', () => {
    expect(() => encodeIntroduction({ ...intro, staticKey: new Uint8Array(31) })).toThrow(
      /staticKey/,
    );
    expect(() =>
      encodeIntroduction({
        ...intro,
        endpoints: Array(INTRODUCTION_LIMITS.endpoints + 1).fill('ws://x'),
      }),
    ).toThrow(/endpoints/);
    expect(() => encodeIntroduction({ ...intro, endpoints: ['x'.repeat(257)] })).toThrow(
      /endpoints/,
    );
    expect(() =>
      encodeIntroduction({ ...intro, signal: new Uint8Array(INTRODUCTION_LIMITS.signalBytes + 1) }),
    ).toThrow(/signal/);
    expect(() => encodeIntroduction({ ...intro, sent: -1 })).toThrow(RangeError);
  });

  it('refuse malformed bytes with DirectError malformed-introduction', () => {
    const good = encodeIntroduction(intro);
    const endpoints = encodeList(
      intro.endpoints.map((e) => encodeBytes(new TextEncoder().encode(e))),
    );
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, good.length - 1),
      Uint8Array.of(...good, 0x80),
      encodeList([
        encodeBytes(new TextEncoder().encode('hush-direct/2 introduction')),
        encodeUint(now),
        encodeBytes(intro.staticKey),
        endpoints,
        encodeBytes(intro.signal),
      ]),
      encodeList([
        encodeBytes(TAG),
        encodeUint(now),
        encodeBytes(new Uint8Array(33)),
        endpoints,
        encodeBytes(intro.signal),
      ]),
      encodeList([
        encodeBytes(TAG),
        encodeUint(now),
        encodeBytes(intro.staticKey),
        endpoints,
        encodeBytes(intro.signal),
        encodeBytes(new Uint8Array(1)),
      ]),
      encodeList([
        encodeBytes(TAG),
        encodeUint(now),
        encodeBytes(intro.staticKey),
        encodeList([encodeBytes(Uint8Array.of(0xff, 0xfe))]),
        encodeBytes(intro.signal),
      ]),
      encodeList([
        encodeBytes(TAG),
        encodeUint(2 ** 33),
        encodeBytes(intro.staticKey),
        endpoints,
        encodeBytes(intro.signal),
      ]),
    ];
    for (const bytes of cases) {
      expect(() => decodeIntroduction(bytes)).toThrow(DirectError);
      try {
        decodeIntroduction(bytes);
      } catch (error) {
        expect((error as DirectError).code).toBe('malformed-introduction');
      }
    }
  });
});

describe('introductions over Whisper', () => {
  const alice = generatePrivateKey();
  const bob = generatePrivateKey();
  const mallory = generatePrivateKey();
  const contactsOfBob = [publicKeyOf(alice)];
  const isContact = (key: Uint8Array) =>
    contactsOfBob.some((c) => c.length === key.length && c.every((b, i) => b === key[i]));
  const wrap = (from: Uint8Array, value: Introduction = intro, to = publicKeyOf(bob)) =>
    wrapIntroduction(value, { from, to, pow: 0, workTime: 1, now });

  it('are accepted from a contact, with the signer and the introduction', async () => {
    const envelope = await wrap(alice);
    expect(envelope.topic).toEqual(INTRODUCTION_TOPIC);
    const verdict = openIntroduction(envelope, { privateKey: bob, isContact, now: now + 10 });
    expect(verdict).toEqual({ accepted: true, from: publicKeyOf(alice), introduction: intro });
  });

  it('are ignored, with the reason, from a stranger, for someone else, stale, or unsigned', async () => {
    const judge = (envelope: Awaited<ReturnType<typeof wrap>>, at = now, privateKey = bob) =>
      openIntroduction(envelope, { privateKey, isContact, now: at });
    expect(judge(await wrap(mallory))).toEqual({ accepted: false, because: 'stranger' });
    expect(judge(await wrap(alice), now, mallory)).toEqual({
      accepted: false,
      because: 'not-for-us',
    });
    expect(judge(await wrap(alice), now + 301)).toEqual({ accepted: false, because: 'stale' });
    expect(judge(await wrap(alice), now - 301)).toEqual({ accepted: false, because: 'stale' });
    const { wrapMessage } = await import('@hush/message');
    const unsigned = await wrapMessage({
      topic: INTRODUCTION_TOPIC,
      payload: encodeIntroduction(intro),
      publicKey: publicKeyOf(bob),
      pow: 0,
      workTime: 1,
      now,
    });
    expect(judge(unsigned)).toEqual({ accepted: false, because: 'unsigned' });
    const garbage = await wrapMessage({
      topic: INTRODUCTION_TOPIC,
      payload: Uint8Array.of(1, 2, 3),
      publicKey: publicKeyOf(bob),
      signingKey: alice,
      pow: 0,
      workTime: 1,
      now,
    });
    expect(judge(garbage)).toEqual({ accepted: false, because: 'malformed' });
    const elsewhere = await wrapMessage({
      topic: Uint8Array.of(1, 2, 3, 4),
      payload: encodeIntroduction(intro),
      publicKey: publicKeyOf(bob),
      signingKey: alice,
      pow: 0,
      workTime: 1,
      now,
    });
    expect(judge(elsewhere)).toEqual({ accepted: false, because: 'other-topic' });
  });
});
