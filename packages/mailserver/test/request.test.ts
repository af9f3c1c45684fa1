/**
 * The history request (specs/mailserver §2.1): status-go's seven-item payload and the older
 * five- and six-item forms, malformed payloads refused; and the request envelope a client
 * builds, which opens with the mailserver key and carries the requester's signature.
 */
import { fullBloom } from '@hush/bloom';
import { envelopeHash } from '@hush/envelope';
import { generatePrivateKey, openSymmetric, publicKeyOf, symKeyFromPassword } from '@hush/message';
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import { describe, expect, it } from 'vitest';
import { createHistoryRequest, decodeHistoryRequest, encodeHistoryRequest } from '../src/index.js';

const TOPICS = [Uint8Array.of(0x11, 0x22, 0x33, 0x44), Uint8Array.of(0x55, 0x66, 0x77, 0x88)];
const none = new Uint8Array(0);

describe('mailserver request payload', () => {
  const request = {
    lower: 1,
    upper: 0xffffffff,
    bloom: fullBloom(),
    limit: 50,
    cursor: new Uint8Array(36).fill(7),
    topics: [TOPICS[0]!],
  };

  it('round-trips [lower, upper, bloom, topics, limit, cursor, batch]', () => {
    expect(decodeHistoryRequest(encodeHistoryRequest(request))).toEqual(request);
    const plain = { ...request, cursor: none, topics: [] };
    expect(decodeHistoryRequest(encodeHistoryRequest(plain))).toEqual(plain);
  });

  it("reads older Status clients' five- and six-item requests", () => {
    const head = [
      encodeUint(1),
      encodeUint(2),
      encodeBytes(fullBloom()),
      encodeUint(3),
      encodeBytes(none),
    ];
    const expected = { lower: 1, upper: 2, bloom: fullBloom(), limit: 3, cursor: none, topics: [] };
    expect(decodeHistoryRequest(encodeList(head))).toEqual(expected);
    expect(decodeHistoryRequest(encodeList([...head, encodeUint(1)]))).toEqual(expected);
    // status-go's current order: topics fourth.
    const topical = [
      ...head.slice(0, 3),
      encodeList([encodeBytes(TOPICS[1]!)]),
      ...head.slice(3),
      encodeUint(1),
    ];
    expect(decodeHistoryRequest(encodeList(topical))).toEqual({
      ...expected,
      topics: [TOPICS[1]!],
    });
  });

  it("refuses malformed payloads with MailserverError 'invalid-request'", () => {
    const bad = [
      none,
      Uint8Array.of(0xc0),
      encodeHistoryRequest(request).subarray(0, 20),
      encodeHistoryRequest({ ...request, bloom: new Uint8Array(63) }),
      encodeHistoryRequest({ ...request, cursor: new Uint8Array(35) }),
      encodeHistoryRequest({ ...request, topics: [Uint8Array.of(1, 2, 3)] }),
      encodeHistoryRequest({ ...request, topics: Array.from({ length: 1001 }, () => TOPICS[0]!) }),
      Uint8Array.of(0xff, 0xff),
    ];
    for (const payload of bad)
      expect(() => decodeHistoryRequest(payload)).toThrow(
        expect.objectContaining({ name: 'MailserverError', code: 'invalid-request' }),
      );
  });
});

describe('the request envelope', () => {
  it('opens with the mailserver key, signed by the requester, carrying the request', async () => {
    const symKey = symKeyFromPassword('status-offline-inbox');
    const signingKey = generatePrivateKey();
    const request = {
      lower: 10,
      upper: 20,
      bloom: fullBloom(),
      limit: 5,
      cursor: none,
      topics: [TOPICS[0]!],
    };
    const envelope = await createHistoryRequest({ request, symKey, signingKey });
    expect(envelope.topic).toEqual(new Uint8Array(4));
    expect(envelopeHash(envelope)).toHaveLength(32);
    const opened = openSymmetric(envelope, symKey);
    expect(opened.signer).toEqual(publicKeyOf(signingKey));
    expect(decodeHistoryRequest(opened.payload)).toEqual(request);
  });
});
