/**
 * The mailserver archive: envelopes by creation time, pages with cursors, pruning, and
 * hostile cursors or damaged records that never reach outside the archive.
 */
import { fullBloom, topicToBloom } from '@hush/bloom';
import { type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { describe, expect, it } from 'vitest';
import { Archive, decodeHistoryRequest, encodeHistoryRequest, MemoryStore } from '../src/index.js';

const envelope = (sent: number, topic: number, n: number): Envelope => ({
  expiry: sent + 50,
  ttl: 50,
  topic: topic ? Uint8Array.of(0x55, 0x66, 0x77, 0x88) : Uint8Array.of(0x11, 0x22, 0x33, 0x44),
  data: Uint8Array.of(n, n, n, n),
  nonce: BigInt(n),
});

async function filled() {
  const store = new MemoryStore();
  const archive = new Archive(store);
  const envelopes = [100, 101, 102, 103, 104, 200].map((sent, n) => envelope(sent, n % 2, n));
  for (const e of envelopes) await archive.add(e, encodeEnvelope(e), envelopeHash(e));
  return { store, archive, envelopes };
}

describe('Archive', () => {
  it('pages through a time range oldest first, the last page with an empty cursor', async () => {
    const { archive } = await filled();
    const first = await archive.query(100, 104, fullBloom(), 3, new Uint8Array(0));
    expect(first.envelopes.map((e) => e.data[0])).toEqual([0, 1, 2]);
    expect(first.cursor.length).toBeGreaterThan(0);
    expect(first.lastHash).toEqual(envelopeHash(first.envelopes[2]!));
    const second = await archive.query(100, 104, fullBloom(), 3, first.cursor);
    expect(second.envelopes.map((e) => e.data[0])).toEqual([3, 4]);
    expect(second.cursor.length).toBe(0);
  });

  it('keeps only envelopes whose topic the bloom admits', async () => {
    const { archive } = await filled();
    const page = await archive.query(
      0,
      0xffffffff,
      topicToBloom(Uint8Array.of(0x55, 0x66, 0x77, 0x88)),
      10,
      new Uint8Array(0),
    );
    expect(page.envelopes.map((e) => e.data[0])).toEqual([1, 3, 5]);
  });

  it('clamps a hostile cursor to the range and never reads outside the archive', async () => {
    const { store, archive } = await filled();
    await store.put('a-before-the-archive', Uint8Array.of(0xde, 0xad));
    await store.put('zzz-after-the-archive', Uint8Array.of(0xbe, 0xef));
    for (const cursor of ['', 'a', '\u0000', 'archive/', 'archive/00000000/', 'zzz']) {
      const page = await archive.query(101, 102, fullBloom(), 10, new TextEncoder().encode(cursor));
      expect(page.envelopes.every((e) => e.data[0] === 1 || e.data[0] === 2)).toBe(true);
    }
  });

  it('skips a damaged record instead of failing the request', async () => {
    const { store, archive } = await filled();
    await store.put('archive/00000066/00', Uint8Array.of(0xff, 0x00));
    const page = await archive.query(100, 104, fullBloom(), 10, new Uint8Array(0));
    expect(page.envelopes).toHaveLength(5);
  });

  it('prunes envelopes created before a time', async () => {
    const { archive, envelopes } = await filled();
    expect(await archive.prune(103)).toBe(3);
    const page = await archive.query(0, 0xffffffff, fullBloom(), 10, new Uint8Array(0));
    expect(page.envelopes.map((e) => e.data[0])).toEqual([3, 4, 5]);
    expect(await archive.has(200, envelopeHash(envelopes[5]!))).toBe(true);
  });
});

describe('mailserver request payload', () => {
  it('round-trips [lower, upper, bloom, limit, cursor]', () => {
    const request = {
      lower: 1,
      upper: 0xffffffff,
      bloom: fullBloom(),
      limit: 50,
      cursor: Uint8Array.of(1, 2),
    };
    expect(decodeHistoryRequest(encodeHistoryRequest(request))).toEqual(request);
    const noCursor = { ...request, cursor: new Uint8Array(0) };
    expect(decodeHistoryRequest(encodeHistoryRequest(noCursor))).toEqual(noCursor);
  });

  it('refuses malformed payloads with a RangeError', () => {
    const good = encodeHistoryRequest({
      lower: 1,
      upper: 2,
      bloom: fullBloom(),
      limit: 1,
      cursor: new Uint8Array(0),
    });
    const shortBloom = encodeHistoryRequest({
      lower: 1,
      upper: 2,
      bloom: new Uint8Array(63),
      limit: 1,
      cursor: new Uint8Array(0),
    });
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(0xc0),
      good.subarray(0, good.length - 3),
      shortBloom,
      Uint8Array.of(0xff, 0xff),
    ])
      expect(() => decodeHistoryRequest(bad)).toThrow(RangeError);
  });
});
