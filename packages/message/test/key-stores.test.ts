/**
 * SPEC §5.5: the key store compliance suite, run by every implementation, plus what only the
 * encrypted file store promises (persistence, atomic rewrites, refusing a wrong passphrase).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex, loadVectors } from '@hush/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { FileKeyStore } from '../src/file-key-store.js';
import {
  generateKeyId,
  generatePrivateKey,
  generateSymKey,
  type KeyStore,
  MemoryKeyStore,
  publicKeyOf,
  publicKeyToAddress,
  symKeyFromPassword,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hush-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const implementations: [string, () => Promise<KeyStore>][] = [
  ['MemoryKeyStore', async () => new MemoryKeyStore()],
  [
    'FileKeyStore',
    () => FileKeyStore.open(join(dir, `store-${files++}.json`), 'correct horse battery staple'),
  ],
];

describe.each(implementations)('key store compliance: %s', (_, create) => {
  it('stores, lists, reads and deletes both kinds under separate ids', async () => {
    const store = await create();
    const pair = generatePrivateKey();
    const sym = generateSymKey();
    const pairId = await store.add('keyPair', pair);
    const symId = await store.add('symKey', sym);
    expect(pairId).toMatch(/^[0-9a-f]{64}$/);
    expect(pairId).not.toBe(symId);
    expect(await store.get('keyPair', pairId)).toEqual(pair);
    expect(await store.get('symKey', symId)).toEqual(sym);
    expect(await store.get('symKey', pairId)).toBeUndefined();
    expect(await store.has('keyPair', pairId)).toBe(true);
    expect(await store.ids('keyPair')).toEqual([pairId]);
    expect(await store.delete('keyPair', pairId)).toBe(true);
    expect(await store.delete('keyPair', pairId)).toBe(false);
    expect(await store.has('keyPair', pairId)).toBe(false);
    await store.close();
  });

  it('returns copies, so callers cannot change stored keys', async () => {
    const store = await create();
    const id = await store.add('symKey', generateSymKey());
    const copy = (await store.get('symKey', id))!;
    copy.fill(0);
    expect((await store.get('symKey', id))!.some((b) => b !== 0)).toBe(true);
    await store.close();
  });

  it('refuses bad keys, taken ids, and use after close', async () => {
    const store = await create();
    await expect(store.add('keyPair', new Uint8Array(31))).rejects.toThrow(RangeError);
    await expect(store.add('symKey', new Uint8Array(20))).rejects.toThrow(RangeError);
    await expect(store.add('other' as 'symKey', generateSymKey())).rejects.toThrow(TypeError);
    const id = generateKeyId();
    await store.put('symKey', id, generateSymKey());
    await expect(store.put('keyPair', id, generatePrivateKey())).rejects.toMatchObject({
      code: 'duplicate-id',
    });
    await store.close();
    await expect(store.get('symKey', id)).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('FileKeyStore', () => {
  it('keeps keys across reopening, encrypted at rest', async () => {
    const path = join(dir, 'persist.json');
    const store = await FileKeyStore.open(path, 'pass');
    const key = generatePrivateKey();
    const id = await store.add('keyPair', key);
    await store.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(Buffer.from(key).toString('hex'));
    const reopened = await FileKeyStore.open(path, 'pass');
    expect(await reopened.get('keyPair', id)).toEqual(key);
    await reopened.close();
  });

  it('refuses a wrong passphrase and a file that is not a store, without changing them', async () => {
    const path = join(dir, 'guarded.json');
    const store = await FileKeyStore.open(path, 'right');
    await store.add('symKey', generateSymKey());
    await store.close();
    const before = readFileSync(path, 'utf8');
    await expect(FileKeyStore.open(path, 'wrong')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    expect(readFileSync(path, 'utf8')).toBe(before);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"hello": 1}');
    await expect(FileKeyStore.open(junk, 'x')).rejects.toMatchObject({ code: 'corrupt-store' });
    const damaged = JSON.parse(before);
    damaged.ciphertext = `00${damaged.ciphertext.slice(2)}`;
    writeFileSync(junk, JSON.stringify(damaged));
    await expect(FileKeyStore.open(junk, 'right')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
  });
});

describe('SPEC §5.5 keys', () => {
  it.each(loadVectors<{ password: string; symKey: string }>('symkey-password.json').cases)(
    'password "$password" gives geth\'s key',
    (c) => {
      expect(symKeyFromPassword(c.password)).toEqual(hex(c.symKey));
    },
  );

  it('derives public keys and addresses', () => {
    const key = hex('0x4646464646464646464646464646464646464646464646464646464646464646');
    expect(Buffer.from(publicKeyToAddress(publicKeyOf(key))).toString('hex')).toBe(
      '9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f',
    );
    expect(() => publicKeyOf(new Uint8Array(32))).toThrow(RangeError);
  });
});

describe('key store bounds', () => {
  it('holds at most maxKeys keys, and takes more once some are deleted', async () => {
    const store = new MemoryKeyStore({ maxKeys: 3 });
    const ids = [
      await store.add('symKey', new Uint8Array(32).fill(1)),
      await store.add('keyPair', new Uint8Array(32).fill(2)),
      await store.add('symKey', new Uint8Array(32).fill(3)),
    ];
    await expect(store.add('symKey', new Uint8Array(32).fill(4))).rejects.toMatchObject({
      code: 'full',
    });
    expect(await store.delete('symKey', ids[0]!)).toBe(true);
    expect(await store.add('symKey', new Uint8Array(32).fill(4))).toMatch(/^[0-9a-f]{64}$/);
    await expect(store.put('symKey', 'x'.repeat(257), new Uint8Array(32))).rejects.toThrow(
      TypeError,
    );
    expect(() => new MemoryKeyStore({ maxKeys: 0 })).toThrow(RangeError);
  });
});
