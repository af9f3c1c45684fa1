/**
 * The inbox compliance suite: what every `Inbox` of `@hush/interface` must do (the mailserver
 * archive today; the DHT inbox and direct store-and-forward later). Deposit then fetch;
 * following the cursors gives every matching envelope exactly once, oldest first (by creation
 * time, expiry − ttl); `from` and `to` bound creation times inclusively; `topics` selects
 * exactly, `bloom` by the Whisper topic bloom (SPEC §2.3 of specs/whisper-v6); a second
 * deposit of an envelope changes nothing; delete by the ids a page gave removes exactly those
 * and counts them; `limit` is never exceeded.
 *
 * Cursors: a cursor belongs to the inbox that gave it out. One of a form the inbox never
 * gives out is refused with InboxError 'bad-cursor' before anything is read; the suite tries
 * a 2-byte and a 1000-byte cursor. Whether a well-formed cursor the inbox did not give out is
 * refused depends on the inbox: the mailserver's cursors are positions (sent ‖ hash), and any
 * position is served from; an inbox whose cursors are tokens names some in `foreignCursors`.
 */
import type { Inbox, InboxItem, InboxQuery, WireEnvelope } from '@hush/interface';
import { describe, expect, it } from 'vitest';

/** What one test of the suite works with. */
export interface InboxSetup<E extends WireEnvelope = WireEnvelope> {
  /** A fresh, empty inbox. */
  readonly inbox: Inbox<E>;
  /**
   * A new envelope created at `sent` (unix seconds: expiry − ttl) on `topic`, with at least
   * `size` bytes of data (default a few). Each call gives an envelope distinct from every
   * other (its data or nonce differ), one the inbox accepts.
   */
  makeEnvelope(options: { sent: number; topic: Uint8Array; size?: number }): E;
  /** Well-formed cursors this inbox did not give out and must refuse (default none). */
  readonly foreignCursors?: readonly Uint8Array[];
  /** Releases the inbox and what it is kept in. */
  close(): Promise<void>;
}

const TOPICS = [
  Uint8Array.of(0x01, 0x02, 0x03, 0x04),
  Uint8Array.of(0xa0, 0xb0, 0xc0, 0x0f),
  Uint8Array.of(0x7e, 0x57, 0x70, 0x91),
];

/** The Whisper topic bloom (specs/whisper-v6 SPEC §2.3): three bits of 512 per topic. */
function bloomOf(topics: readonly Uint8Array[]): Uint8Array {
  const bloom = new Uint8Array(64);
  for (const topic of topics)
    for (let j = 0; j < 3; j++) {
      const index = topic[j]! + 256 * ((topic[3]! >> j) & 1);
      bloom[index >> 3]! |= 1 << (index & 7);
    }
  return bloom;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
/** An envelope's identity in the suite: every field. */
const fingerprint = (e: WireEnvelope) =>
  `${e.expiry}/${e.ttl}/${hex(e.topic)}/${hex(e.data)}/${e.nonce}`;
const sentOf = (e: WireEnvelope) => e.expiry - e.ttl;

/**
 * Registers the inbox suite with Vitest. `setup` gives a fresh, empty inbox for each test;
 * the suite closes each.
 *
 * @example
 * ```ts
 * inboxCompliance('Archive over MemoryStore', async () => {
 *   const store = new MemoryStore();
 *   return { inbox: new Archive(store), makeEnvelope, close: () => store.close() };
 * });
 * ```
 */
export function inboxCompliance<E extends WireEnvelope>(
  name: string,
  setup: () => Promise<InboxSetup<E>>,
): void {
  describe(`inbox compliance: ${name}`, () => {
    /** Runs `test` on a fresh setup, closing it whatever happens. */
    const using = (test: (s: InboxSetup<E>) => Promise<void>) => async () => {
      const s = await setup();
      try {
        await test(s);
      } finally {
        await s.close();
      }
    };

    /** Every item of a query, page by page; fails if a page breaks the limit. */
    const fetchAll = async (inbox: Inbox<E>, query: InboxQuery, maxPages = 1000) => {
      const items: InboxItem<E>[] = [];
      let cursor: Uint8Array | undefined;
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(maxPages);
        const page = await inbox.fetch({ ...query, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(query.limit);
        items.push(...page.items);
        if (page.cursor.length === 0) return items;
        cursor = page.cursor;
      }
    };

    it(
      'gives back what was deposited, with an id for each, and no cursor when all is served',
      using(async ({ inbox, makeEnvelope }) => {
        const deposited = [100, 101, 102].map((sent) => makeEnvelope({ sent, topic: TOPICS[0]! }));
        for (const e of deposited) await inbox.deposit(e);
        const page = await inbox.fetch({ limit: 10 });
        expect(page.items.map((item) => fingerprint(item.envelope))).toEqual(
          deposited.map(fingerprint),
        );
        expect(page.cursor.length).toBe(0);
        const ids = page.items.map((item) => hex(item.id));
        for (const id of ids) expect(id.length).toBeGreaterThan(0);
        expect(new Set(ids).size).toBe(3);
      }),
    );

    it(
      'pages through the cursors giving every envelope exactly once, oldest first',
      using(async ({ inbox, makeEnvelope }) => {
        // Deposited out of order, several at one creation time.
        const times = [5, 3, 9, 3, 1, 7, 7, 7, 2, 8, 6, 4, 0, 9, 5, 1, 3, 2, 8, 6, 4, 0, 7, 9, 5];
        const deposited = times.map((t, i) =>
          makeEnvelope({ sent: 1000 + t, topic: TOPICS[i % 3]! }),
        );
        for (const e of deposited) await inbox.deposit(e);
        for (const limit of [1, 4, 7, 25, 100]) {
          const items = await fetchAll(inbox, { limit });
          const got = items.map((item) => fingerprint(item.envelope));
          expect(new Set(got).size).toBe(got.length);
          expect([...got].sort()).toEqual(deposited.map(fingerprint).sort());
          const sent = items.map((item) => sentOf(item.envelope));
          expect(sent).toEqual([...sent].sort((a, b) => a - b));
        }
      }),
    );

    it(
      'bounds creation times inclusively with from and to, either alone',
      using(async ({ inbox, makeEnvelope }) => {
        for (let sent = 100; sent < 110; sent++)
          await inbox.deposit(makeEnvelope({ sent, topic: TOPICS[0]! }));
        const sents = async (query: Omit<InboxQuery, 'limit'>) =>
          (await fetchAll(inbox, { ...query, limit: 3 })).map((item) => sentOf(item.envelope));
        expect(await sents({ from: 103, to: 106 })).toEqual([103, 104, 105, 106]);
        expect(await sents({ from: 108 })).toEqual([108, 109]);
        expect(await sents({ to: 101 })).toEqual([100, 101]);
        expect(await sents({ from: 104, to: 104 })).toEqual([104]);
        expect(await sents({ from: 110 })).toEqual([]);
        expect(await sents({ from: 106, to: 105 })).toEqual([]);
      }),
    );

    it(
      'selects exact topics, or the topics a bloom admits; topics win over a bloom',
      using(async ({ inbox, makeEnvelope }) => {
        const deposited = Array.from({ length: 9 }, (_, i) =>
          makeEnvelope({ sent: 200 + i, topic: TOPICS[i % 3]! }),
        );
        for (const e of deposited) await inbox.deposit(e);
        const topicsOf = async (query: Omit<InboxQuery, 'limit'>) =>
          (await fetchAll(inbox, { ...query, limit: 2 })).map((item) => hex(item.envelope.topic));
        const of = (...indices: number[]) =>
          deposited.filter((_, i) => indices.includes(i % 3)).map((e) => hex(e.topic));
        expect(await topicsOf({ topics: [TOPICS[1]!] })).toEqual(of(1));
        expect(await topicsOf({ topics: [TOPICS[0]!, TOPICS[2]!] })).toEqual(of(0, 2));
        expect(await topicsOf({ topics: [Uint8Array.of(9, 9, 9, 9)] })).toEqual([]);
        expect(await topicsOf({ bloom: bloomOf([TOPICS[2]!]) })).toEqual(of(2));
        expect(await topicsOf({ bloom: bloomOf([TOPICS[0]!, TOPICS[1]!]) })).toEqual(of(0, 1));
        expect(await topicsOf({ bloom: new Uint8Array(64).fill(0xff) })).toEqual(of(0, 1, 2));
        expect(await topicsOf({ bloom: new Uint8Array(64) })).toEqual([]);
        expect(await topicsOf({ topics: [TOPICS[0]!], bloom: bloomOf([TOPICS[1]!]) })).toEqual(
          of(0),
        );
        expect(await topicsOf({})).toEqual(of(0, 1, 2));
      }),
    );

    it(
      'changes nothing when an envelope is deposited again',
      using(async ({ inbox, makeEnvelope }) => {
        const e = makeEnvelope({ sent: 300, topic: TOPICS[0]! });
        const other = makeEnvelope({ sent: 301, topic: TOPICS[0]! });
        await inbox.deposit(e);
        await inbox.deposit(other);
        await inbox.deposit(e);
        const items = await fetchAll(inbox, { limit: 10 });
        expect(items.map((item) => fingerprint(item.envelope))).toEqual(
          [e, other].map(fingerprint),
        );
      }),
    );

    it(
      'deletes exactly the items whose ids it is given, and counts those it held',
      using(async ({ inbox, makeEnvelope }) => {
        const deposited = [400, 401, 402, 403, 404].map((sent) =>
          makeEnvelope({ sent, topic: TOPICS[sent % 3]! }),
        );
        for (const e of deposited) await inbox.deposit(e);
        const items = await fetchAll(inbox, { limit: 2 });
        expect(items).toHaveLength(5);
        const doomed = [items[1]!.id, items[3]!.id];
        expect(await inbox.delete(doomed)).toBe(2);
        const left = await fetchAll(inbox, { limit: 10 });
        expect(left.map((item) => fingerprint(item.envelope))).toEqual(
          [0, 2, 4].map((i) => fingerprint(deposited[i]!)),
        );
        expect(left.map((item) => hex(item.id))).toEqual([0, 2, 4].map((i) => hex(items[i]!.id)));
        expect(await inbox.delete(doomed)).toBe(0);
        expect(await inbox.delete([])).toBe(0);
        expect(await inbox.delete([items[0]!.id, items[0]!.id])).toBe(1);
        expect(await fetchAll(inbox, { limit: 10 })).toHaveLength(2);
        // A deleted envelope deposited again is held again.
        await inbox.deposit(deposited[1]!);
        expect(await fetchAll(inbox, { limit: 10 })).toHaveLength(3);
      }),
    );

    it(
      "refuses a cursor it did not give out with InboxError 'bad-cursor'",
      using(async ({ inbox, makeEnvelope, foreignCursors }) => {
        for (let sent = 500; sent < 504; sent++)
          await inbox.deposit(makeEnvelope({ sent, topic: TOPICS[0]! }));
        const refused = { name: 'InboxError', code: 'bad-cursor' };
        for (const cursor of [
          Uint8Array.of(0xba, 0xd0),
          new Uint8Array(1000).fill(0xee),
          ...(foreignCursors ?? []),
        ]) {
          await expect(inbox.fetch({ limit: 2, cursor })).rejects.toMatchObject(refused);
          await expect(
            inbox.fetch({ limit: 2, cursor, topics: [TOPICS[0]!], from: 0, to: 1000 }),
          ).rejects.toMatchObject(refused);
        }
        // An empty cursor is the first page.
        expect((await inbox.fetch({ limit: 2, cursor: new Uint8Array(0) })).items).toHaveLength(2);
      }),
    );

    it(
      'never serves more than the limit, and ends a short page with a cursor when more is left',
      using(async ({ inbox, makeEnvelope }) => {
        for (let sent = 600; sent < 606; sent++)
          await inbox.deposit(makeEnvelope({ sent, topic: TOPICS[1]!, size: 16 * 1024 }));
        const one = await inbox.fetch({ limit: 1 });
        expect(one.items.length).toBeLessThanOrEqual(1);
        expect(one.cursor.length).toBeGreaterThan(0);
        const all = await inbox.fetch({ limit: 1000 });
        expect(all.items.length).toBeLessThanOrEqual(6);
        for (const limit of [1, 2, 5, 6]) {
          const items = await fetchAll(inbox, { limit });
          expect(items).toHaveLength(6);
          expect(items.every((item) => item.envelope.data.length >= 16 * 1024)).toBe(true);
        }
      }),
    );
  });
}
