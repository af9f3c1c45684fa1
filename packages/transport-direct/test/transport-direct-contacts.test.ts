/**
 * specs/transport-direct/SPEC.md §1, §2.3: the contact list in a store. Contacts survive a
 * reload; only a newer introduction replaces the kept one (a replay changes nothing);
 * strangers' introductions are not kept; damaged records are skipped, not served.
 */
import { MemoryStore, peerIdFromPublicKey } from '@hush/interface';
import { generatePrivateKey, publicKeyOf } from '@hush/message';
import { describe, expect, it } from 'vitest';
import { ContactBook, type Introduction } from '../src/index.js';

const intro = (sent: number): Introduction => ({
  sent,
  staticKey: new Uint8Array(32).fill(sent & 0xff),
  endpoints: [`ws://127.0.0.1:${30000 + (sent % 1000)}`],
  signal: new Uint8Array(0),
});

describe('the contact book', () => {
  it('adds, renames, lists, removes, and survives a reload from its store', async () => {
    const store = new MemoryStore();
    const book = new ContactBook(store);
    await book.load();
    const alice = publicKeyOf(generatePrivateKey());
    const bob = publicKeyOf(generatePrivateKey());
    await book.add(alice, 'alice', 100);
    await book.add(bob, 'bob', 200);
    await book.add(alice, 'Alice', 300);
    expect(book.has(alice)).toBe(true);
    const again = new ContactBook(store);
    await again.load();
    expect(again.has(bob)).toBe(true);
    const listed = await again.list();
    expect(listed.map((c) => [c.name, c.added]).sort()).toEqual([
      ['Alice', 100],
      ['bob', 200],
    ]);
    expect((await again.get(peerIdFromPublicKey(alice)))?.publicKey).toEqual(alice);
    expect(await again.remove(peerIdFromPublicKey(bob))).toBe(true);
    expect(await again.remove(peerIdFromPublicKey(bob))).toBe(false);
    expect(again.has(bob)).toBe(false);
    await expect(book.add(alice, 'x'.repeat(257), 1)).rejects.toThrow(RangeError);
    expect(() => book.has(new Uint8Array(10))).toThrow(RangeError);
  });

  it('keeps only a newer introduction, and none from a stranger', async () => {
    const book = new ContactBook(new MemoryStore());
    await book.load();
    const alice = publicKeyOf(generatePrivateKey());
    await book.add(alice, 'alice', 1);
    expect(await book.recordIntroduction(alice, intro(1000))).toBe(true);
    expect(await book.recordIntroduction(alice, intro(1000))).toBe(false);
    expect(await book.recordIntroduction(alice, intro(999))).toBe(false);
    expect(await book.recordIntroduction(alice, intro(1001))).toBe(true);
    expect((await book.get(peerIdFromPublicKey(alice)))?.introduction).toEqual(intro(1001));
    const stranger = publicKeyOf(generatePrivateKey());
    expect(await book.recordIntroduction(stranger, intro(5000))).toBe(false);
    expect(await book.get(peerIdFromPublicKey(stranger))).toBeUndefined();
  });

  it('skips a damaged record instead of serving it', async () => {
    const store = new MemoryStore();
    const book = new ContactBook(store);
    const alice = publicKeyOf(generatePrivateKey());
    await book.add(alice, 'alice', 1);
    const key = `contacts/${peerIdFromPublicKey(alice)}`;
    await store.put(key, Uint8Array.of(0xc3, 0x02, 0x80, 0x80));
    expect(await book.get(peerIdFromPublicKey(alice))).toBeUndefined();
    expect(await book.list()).toEqual([]);
  });
});
