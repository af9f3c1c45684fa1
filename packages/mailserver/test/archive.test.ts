/**
 * The mailserver archive (specs/mailserver §3, §4): the inbox suite, then what is the
 * archive's own: envelopes by creation time, pages with 36-byte cursors (sent ‖ hash), exact
 * topics or bloom, pruning, and hostile cursors or damaged records that never reach outside
 * the archive. Over the memory store here; apps/node runs the suite and the store-dependent
 * cases over LevelDB and PostgreSQL.
 */
import { fullBloom, topicToBloom } from '@hush/bloom';
import { type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { MemoryStore } from '@hush/interface';
import { inboxCompliance } from '@hush/interface-compliance';
import { describe, expect, it } from 'vitest';
import { Archive } from '../src/index.js';
import { makeEnvelope } from './helpers.js';

inboxCompliance('Archive over MemoryStore', async () => {
  const store = new MemoryStore();
  return { inbox: new Archive(store), makeEnvelope, close: () => store.close() };
});

const TOPICS = [Uint8Array.of(0x11, 0x22, 0x33, 0x44), Uint8Array.of(0x55, 0x66, 0x77, 0x88)];
const all = { bloom: fullBloom() };
const none = new Uint8Array(0);

const envelope = (sent: number, topic: number, n: number): Envelope => ({
  expiry: sent + 50,
  ttl: 50,
  topic: TOPICS[topic]!,
  data: Uint8Array.of(n, n, n, n),
  nonce: BigInt(n),
});

const cursorOf = (sent: number, hash: Uint8Array) => {
  const cursor = new Uint8Array(36);
  new DataView(cursor.buffer).setUint32(0, sent);
  cursor.set(hash, 4);
  return cursor;
};

async function filled() {
  const store = new MemoryStore();
  const archive = new Archive(store);
  const envelopes = [100, 101, 102, 103, 104, 200].map((sent, n) => envelope(sent, n % 2, n));
  for (const e of envelopes) await archive.add(e, encodeEnvelope(e), envelopeHash(e));
  return { store, archive, envelopes };
}

describe('Archive', () => {
  it('pages through a time range oldest first; a cursor is sent ‖ hash of the last envelope', async () => {
    const { archive, envelopes } = await filled();
    const first = await archive.query(100, 104, all, 3, none);
    expect(first.envelopes.map((e) => e.data[0])).toEqual([0, 1, 2]);
    expect(first.lastHash).toEqual(envelopeHash(envelopes[2]!));
    expect(first.cursor).toEqual(cursorOf(102, envelopeHash(envelopes[2]!)));
    expect(first.ids).toEqual([0, 1, 2].map((i) => cursorOf(100 + i, envelopeHash(envelopes[i]!))));
    const second = await archive.query(100, 104, all, 3, first.cursor);
    expect(second.envelopes.map((e) => e.data[0])).toEqual([3, 4]);
    expect(second.cursor.length).toBe(0);
  });

  it('ends a full page with an empty cursor when only other topics follow in the range', async () => {
    const { archive, envelopes } = await filled();
    // Topic 0 in 100 … 104: envelopes 0, 2, 4; topic 1's 1 and 3 lie between them, none after 4.
    const selection = { bloom: topicToBloom(TOPICS[0]!) };
    const first = await archive.query(100, 104, selection, 2, none);
    expect(first.envelopes.map((e) => e.data[0])).toEqual([0, 2]);
    // Envelope 4 follows: there is a next page.
    expect(first.cursor).toEqual(cursorOf(103, envelopeHash(envelopes[3]!)));
    const second = await archive.query(100, 104, selection, 1, first.cursor);
    expect(second.envelopes.map((e) => e.data[0])).toEqual([4]);
    expect(second.cursor.length).toBe(0);
    // Topic 1 in 100 … 104 is 1 and 3; a full page of them is the last, though 4 follows.
    const other = await archive.query(100, 104, { bloom: topicToBloom(TOPICS[1]!) }, 2, none);
    expect(other.envelopes.map((e) => e.data[0])).toEqual([1, 3]);
    expect(other.cursor.length).toBe(0);
  });

  it('keeps only envelopes whose topic the bloom admits, or exactly the topics given', async () => {
    const { archive } = await filled();
    const byBloom = await archive.query(
      0,
      0xffffffff,
      { bloom: topicToBloom(TOPICS[1]!) },
      10,
      none,
    );
    expect(byBloom.envelopes.map((e) => e.data[0])).toEqual([1, 3, 5]);
    const byTopic = await archive.query(
      0,
      0xffffffff,
      { bloom: fullBloom(), topics: [TOPICS[0]!] },
      10,
      none,
    );
    expect(byTopic.envelopes.map((e) => e.data[0])).toEqual([0, 2, 4]);
  });

  it("clamps a cursor before the range, and refuses one of the wrong size with InboxError 'bad-cursor'", async () => {
    const { store, archive } = await filled();
    await store.put('a-before-the-archive', Uint8Array.of(0xde, 0xad));
    await store.put('zzz-after-the-archive', Uint8Array.of(0xbe, 0xef));
    const early = await archive.query(101, 102, all, 10, cursorOf(0, new Uint8Array(32)));
    expect(early.envelopes.map((e) => e.data[0])).toEqual([1, 2]);
    const late = await archive.query(
      101,
      102,
      all,
      10,
      cursorOf(0xffffffff, new Uint8Array(32).fill(0xff)),
    );
    expect(late.envelopes).toEqual([]);
    await expect(archive.query(101, 102, all, 10, new Uint8Array(35))).rejects.toMatchObject({
      name: 'InboxError',
      code: 'bad-cursor',
    });
  });

  it('skips a damaged record or a foreign key instead of failing the request', async () => {
    const { store, archive } = await filled();
    await store.put('archive/00000066/00', Uint8Array.of(0xff, 0x00));
    await store.put(`archive/00000066/${'00'.repeat(32)}/11223344`, Uint8Array.of(0xff, 0x00));
    await store.put(
      `archive/00000066/${'00'.repeat(32)}/1122334x`,
      encodeEnvelope(envelope(102, 0, 9)),
    );
    const page = await archive.query(100, 104, all, 10, none);
    expect(page.envelopes).toHaveLength(5);
  });

  it('bounds the keys one page reads, ending a page cut short with a cursor', async () => {
    const archive = new Archive(new MemoryStore());
    for (let n = 0; n < 40; n++) {
      const e = envelope(100 + n, 0, n);
      await archive.add(e, encodeEnvelope(e), envelopeHash(e));
    }
    const other = { bloom: fullBloom(), topics: [TOPICS[1]!] }; // matches nothing stored
    let page = await archive.query(0, 1000, other, 1, none); // reads at most 10 keys
    expect(page.envelopes).toEqual([]);
    expect(page.cursor.length).toBe(36);
    let pages = 1;
    while (page.cursor.length > 0) {
      page = await archive.query(0, 1000, other, 1, page.cursor);
      pages++;
    }
    expect(pages).toBe(4); // 40 keys, 10 per page, the last page finds the end
  });

  it('pages through thousands of envelopes, each page resuming exactly at its cursor', async () => {
    const archive = new Archive(new MemoryStore());
    const many = Array.from({ length: 2100 }, (_, n) => envelope(1000 + (n >> 2), n % 2, n));
    for (let i = 0; i < many.length; i += 100)
      await Promise.all(
        many.slice(i, i + 100).map((e) => archive.add(e, encodeEnvelope(e), envelopeHash(e))),
      );
    const seen = new Set<string>();
    const sizes: number[] = [];
    let page = await archive.query(0, 0xffffffff, all, 1000, none);
    let previous = '';
    for (;;) {
      sizes.push(page.envelopes.length);
      for (const e of page.envelopes) {
        const at = `${(e.expiry - e.ttl).toString().padStart(6, '0')}/${Buffer.from(envelopeHash(e)).toString('hex')}`;
        expect(at > previous).toBe(true); // creation time, then hash: the key order
        previous = at;
        seen.add(at);
      }
      if (page.cursor.length === 0) break;
      page = await archive.query(0, 0xffffffff, all, 1000, page.cursor);
    }
    expect(sizes).toEqual([1000, 1000, 100]);
    expect(seen.size).toBe(2100);
  });

  it('prunes envelopes created before a time', async () => {
    const { archive, envelopes } = await filled();
    expect(await archive.prune(103)).toBe(3);
    const page = await archive.query(0, 0xffffffff, all, 10, none);
    expect(page.envelopes.map((e) => e.data[0])).toEqual([3, 4, 5]);
    expect(await archive.has(envelopes[5]!, envelopeHash(envelopes[5]!))).toBe(true);
    expect(await archive.has(envelopes[0]!, envelopeHash(envelopes[0]!))).toBe(false);
  });

  it('deposits as add does, fetches as query does, and deletes by sent ‖ hash', async () => {
    const { archive, envelopes } = await filled();
    const extra = envelope(150, 1, 42);
    await archive.deposit(extra);
    expect(await archive.has(extra, envelopeHash(extra))).toBe(true);
    const page = await archive.fetch({ from: 101, to: 150, topics: [TOPICS[1]!], limit: 10 });
    expect(page.items.map((item) => item.envelope.data[0])).toEqual([1, 3, 42]);
    expect(page.items[0]!.id).toEqual(cursorOf(101, envelopeHash(envelopes[1]!)));
    expect(await archive.delete([page.items[0]!.id, new Uint8Array(35)])).toBe(1);
    expect(await archive.has(envelopes[1]!, envelopeHash(envelopes[1]!))).toBe(false);
    await expect(archive.fetch({ limit: 0 })).rejects.toThrow(RangeError);
    await expect(archive.fetch({ limit: 1, bloom: new Uint8Array(8) })).rejects.toThrow(RangeError);
    const aborted = AbortSignal.abort();
    await expect(archive.fetch({ limit: 1 }, { signal: aborted })).rejects.toThrow();
  });
});
