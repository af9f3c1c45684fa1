/**
 * specs/transport-direct/SPEC.md §4.2: the frames of a direct channel. Round trips of any
 * frame within the limits; each malformed form refused as DirectError 'malformed-frame'.
 */
import { createEnvelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DirectError,
  decodeFrame,
  directMessage,
  encodeFrame,
  FRAME_LIMITS,
} from '../src/index.js';

const id32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const envelope = fc.record({
  expiry: fc.integer({ min: 0, max: 0xffffffff }),
  ttl: fc.integer({ min: 0, max: 0xffffffff }),
  topic: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  data: fc.uint8Array({ maxLength: 300 }),
  nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
});

const refused = (bytes: Uint8Array, because: string) => {
  let error: unknown;
  try {
    decodeFrame(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DirectError);
  expect((error as DirectError).code).toBe('malformed-frame');
  expect((error as DirectError).message).toContain(because);
};

const one = createEnvelope({
  expiry: 10,
  ttl: 5,
  topic: Uint8Array.of(1, 2, 3, 4),
  data: Uint8Array.of(9),
});

describe('§4.2 frames', () => {
  it('round-trips any frame within the limits; ids are the envelope hashes', () => {
    fc.assert(
      fc.property(
        fc.array(id32, { maxLength: 20 }),
        fc.array(fc.tuple(envelope, fc.array(id32, { maxLength: 3 })), { maxLength: 8 }),
        (acks, items) => {
          const messages = items.map(([e, parents]) => directMessage(createEnvelope(e), parents));
          const decoded = decodeFrame(encodeFrame({ acks, messages }));
          expect(decoded.acks).toEqual(acks);
          expect(decoded.messages.map((m) => [m.id, m.parents, m.encoded])).toEqual(
            messages.map((m) => [envelopeHash(m.envelope), m.parents, m.encoded]),
          );
        },
      ),
    );
  });

  it('refuses another version, bad ids, extra items, trailing bytes and bad envelopes', () => {
    const message = (parents: Uint8Array[], envelopeBytes: Uint8Array) =>
      encodeList([encodeList(parents.map((p) => encodeBytes(p))), encodeBytes(envelopeBytes)]);
    const frame = (
      version: number,
      acks: Uint8Array[],
      messages: Uint8Array[],
      ...more: Uint8Array[]
    ) =>
      encodeList([
        encodeUint(version),
        encodeList(acks.map((a) => encodeBytes(a))),
        encodeList(messages),
        ...more,
      ]);
    const good = encodeEnvelope(one);
    refused(frame(2, [], []), 'version 2');
    refused(frame(1, [new Uint8Array(31)], []), 'a message id of 31 bytes');
    refused(frame(1, [], [message([new Uint8Array(33)], good)]), 'a message id of 33 bytes');
    refused(frame(1, [], [], encodeUint(0)), 'items after the messages');
    refused(
      frame(1, [], [encodeList([encodeList([]), encodeBytes(good), encodeUint(1)])]),
      'items after a message envelope',
    );
    refused(new Uint8Array([...frame(1, [], []), 0]), 'bytes after the frame');
    refused(frame(1, [], [message([], good.subarray(0, good.length - 1))]), 'malformed frame');
    refused(new Uint8Array(0), 'malformed frame');
    refused(Uint8Array.of(0xc5, 1), 'malformed frame');
  });

  it('refuses frames over the limits, and will not encode them', () => {
    const ids = Array.from({ length: FRAME_LIMITS.acks + 1 }, () => new Uint8Array(32));
    expect(() => encodeFrame({ acks: ids, messages: [] })).toThrow(RangeError);
    refused(
      encodeList([encodeUint(1), encodeList(ids.map((i) => encodeBytes(i))), encodeList([])]),
      `more than ${FRAME_LIMITS.acks} acknowledgements`,
    );
    const parents = Array.from({ length: FRAME_LIMITS.parents + 1 }, () => new Uint8Array(32));
    expect(() => directMessage(one, parents)).toThrow(RangeError);
    refused(
      encodeList([
        encodeUint(1),
        encodeList([]),
        encodeList([
          encodeList([
            encodeList(parents.map((p) => encodeBytes(p))),
            encodeBytes(encodeEnvelope(one)),
          ]),
        ]),
      ]),
      `more than ${FRAME_LIMITS.parents} parents`,
    );
    const many = Array.from({ length: FRAME_LIMITS.messages + 1 }, () =>
      encodeList([encodeList([]), encodeBytes(encodeEnvelope(one))]),
    );
    refused(
      encodeList([encodeUint(1), encodeList([]), encodeList(many)]),
      `more than ${FRAME_LIMITS.messages} messages`,
    );
  });
});
