/**
 * The mailserver archive of `@hush/mailserver` over the node's own stores (LevelDB, and
 * PostgreSQL on a throwaway cluster): the inbox suite of `@hush/interface-compliance`, and
 * what depends on the store's key order — a page in creation-time order, hostile cursors and
 * keys outside the archive that never reach the page. The archive's own rules are tested in
 * packages/mailserver over the memory store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fullBloom } from '@hush/bloom';
import { createEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { inboxCompliance } from '@hush/interface-compliance';
import { Archive } from '@hush/mailserver';
import { sharedPostgres, stopSharedPostgres } from '@hush/test-support/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelStore, PostgresStore, type Store } from '../src/index.js';

const dirs: string[] = [];
let tables = 0;
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stopSharedPostgres();
});

const stores: [string, () => Promise<Store>][] = [
  [
    'LevelStore',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hush-archive-'));
      dirs.push(dir);
      return LevelStore.open(join(dir, 'db'));
    },
  ],
  [
    'PostgresStore',
    async () => PostgresStore.open((await sharedPostgres()).url, { table: `archive_${++tables}` }),
  ],
];

let made = 0;
function makeEnvelope(options: { sent: number; topic: Uint8Array; size?: number }): Envelope {
  const data = new Uint8Array(Math.max(4, options.size ?? 4));
  new DataView(data.buffer).setUint32(0, ++made);
  return createEnvelope({
    expiry: options.sent + 50,
    ttl: 50,
    topic: options.topic,
    data,
    nonce: BigInt(made),
  });
}

for (const [name, open] of stores) {
  inboxCompliance(`Archive over ${name}`, async () => {
    const store = await open();
    return { inbox: new Archive(store), makeEnvelope, close: () => store.close() };
  });
}

const TOPIC = Uint8Array.of(0x11, 0x22, 0x33, 0x44);
const all = { bloom: fullBloom() };

const cursorOf = (sent: number, hash: Uint8Array) => {
  const cursor = new Uint8Array(36);
  new DataView(cursor.buffer).setUint32(0, sent);
  cursor.set(hash, 4);
  return cursor;
};

describe.each(stores)('Archive over %s', (_, open) => {
  it('clamps a cursor before the range and reads no key outside the archive', async () => {
    const store = await open();
    try {
      const archive = new Archive(store);
      const envelopes = [100, 101, 102, 103].map((sent) => makeEnvelope({ sent, topic: TOPIC }));
      for (const e of envelopes) await archive.add(e, encodeEnvelope(e), envelopeHash(e));
      await store.put('a-before-the-archive', Uint8Array.of(0xde, 0xad));
      await store.put('archive/', Uint8Array.of(0xde, 0xad));
      await store.put('archive/00000066/00', Uint8Array.of(0xff, 0x00));
      await store.put('zzz-after-the-archive', Uint8Array.of(0xbe, 0xef));
      const sents = (page: { envelopes: Envelope[] }) => page.envelopes.map((e) => e.expiry - 50);
      const early = await archive.query(101, 102, all, 10, cursorOf(0, new Uint8Array(32)));
      expect(sents(early)).toEqual([101, 102]);
      const late = cursorOf(0xffffffff, new Uint8Array(32).fill(0xff));
      expect((await archive.query(101, 102, all, 10, late)).envelopes).toEqual([]);
      expect((await archive.query(0, 0xffffffff, all, 10, late)).envelopes).toEqual([]);
      const whole = await archive.query(0, 0xffffffff, all, 10, new Uint8Array(0));
      expect(sents(whole)).toEqual([100, 101, 102, 103]);
      const resumed = await archive.query(0, 0xffffffff, all, 2, new Uint8Array(0));
      expect(sents(await archive.query(0, 0xffffffff, all, 10, resumed.cursor))).toEqual([
        102, 103,
      ]);
    } finally {
      await store.close();
    }
  });
});
