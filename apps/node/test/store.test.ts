/**
 * The store compliance suite, run by the memory, LevelDB and PostgreSQL stores (PostgreSQL on
 * a throwaway cluster started only when its suite runs); keys encrypted at rest; a restarted
 * node keeps its identity and (with --persist-keys) its keys.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedPostgres, stopSharedPostgres } from '@hush/test-support/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LevelStore,
  MemoryStore,
  PersistentKeyStore,
  PostgresStore,
  resolveConfig,
  type Store,
  startNode,
} from '../src/index.js';
import { call, LOCAL_LISTENERS, localConfig, spawnHush } from './helpers.js';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stopSharedPostgres();
});
let tables = 0;

const bytes = (...values: number[]) => Uint8Array.from(values);

describe.each([
  ['MemoryStore', async () => new MemoryStore() as Store],
  ['LevelStore', async () => (await LevelStore.open(join(scratch(), 'db'))) as Store],
  [
    'PostgresStore',
    async () =>
      (await PostgresStore.open((await sharedPostgres()).url, {
        table: `compliance_${++tables}`,
      })) as Store,
  ],
] as const)('store compliance: %s', (_, open) => {
  const keys = async (store: Store, options: Parameters<Store['range']>[0]) => {
    const out: string[] = [];
    for await (const [key] of store.range(options)) out.push(key);
    return out;
  };

  it('puts, gets, deletes, and returns copies', async () => {
    const store = await open();
    await store.put('a', bytes(1, 2));
    const value = (await store.get('a'))!;
    expect(value).toEqual(bytes(1, 2));
    value[0] = 9;
    expect(await store.get('a')).toEqual(bytes(1, 2));
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    await store.close();
  });

  it('applies batches and reads ranges in order, forward and reverse, with limits', async () => {
    const store = await open();
    await store.batch([
      { type: 'put', key: 'x/3', value: bytes(3) },
      { type: 'put', key: 'x/1', value: bytes(1) },
      { type: 'put', key: 'x/2', value: bytes(2) },
      { type: 'put', key: 'y/1', value: bytes(9) },
      { type: 'del', key: 'x/2' },
    ]);
    const read = async (options: Parameters<Store['range']>[0]) => {
      const out: string[] = [];
      for await (const [key] of store.range(options)) out.push(key);
      return out;
    };
    expect(await read({ gte: 'x/', lt: 'x0' })).toEqual(['x/1', 'x/3']);
    expect(await read({ gte: 'x/', lt: 'x0', reverse: true })).toEqual(['x/3', 'x/1']);
    expect(await read({ gte: 'x/', limit: 1 })).toEqual(['x/1']);
    await store.close();
  });

  it('overwrites, treats a missing key as absent, and keeps the last write of a batch', async () => {
    const store = await open();
    await store.put('k', bytes(1));
    await store.put('k', bytes(2, 2));
    expect(await store.get('k')).toEqual(bytes(2, 2));
    expect(await store.get('missing')).toBeUndefined();
    await store.delete('missing');
    await store.batch([]);
    await store.batch([
      { type: 'put', key: 'b', value: bytes(1) },
      { type: 'del', key: 'b' },
      { type: 'put', key: 'c', value: bytes(1) },
      { type: 'put', key: 'c', value: bytes(3) },
      { type: 'del', key: 'k' },
      { type: 'put', key: 'k', value: bytes(4) },
      { type: 'put', key: 'e', value: new Uint8Array(0) },
    ]);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('c')).toEqual(bytes(3));
    expect(await store.get('k')).toEqual(bytes(4));
    expect(await store.get('e')).toEqual(new Uint8Array(0));
    await store.close();
  });

  it('orders keys byte by byte, bounds gte inclusive and lt exclusive, either alone', async () => {
    const store = await open();
    const all = ['A', 'a', 'a\u0000b', 'a/', 'a0', 'ab', '~', 'é', '中'];
    await store.batch(
      [...all].reverse().map((key) => ({ type: 'put' as const, key, value: bytes(1) })),
    );
    expect(await keys(store, {})).toEqual(all);
    expect(await keys(store, { gte: 'a/' })).toEqual(['a/', 'a0', 'ab', '~', 'é', '中']);
    expect(await keys(store, { lt: 'a/' })).toEqual(['A', 'a', 'a\u0000b']);
    expect(await keys(store, { gte: 'a', lt: 'ab' })).toEqual(['a', 'a\u0000b', 'a/', 'a0']);
    expect(await keys(store, { gte: 'ab', lt: 'ab' })).toEqual([]);
    expect(await keys(store, { lt: 'é', reverse: true, limit: 2 })).toEqual(['~', 'ab']);
    expect(await keys(store, { gte: 'zz' })).toEqual(['~', 'é', '中']);
    expect(await store.get('a\u0000b')).toEqual(bytes(1));
    await store.close();
  });

  it('reads long ranges whole and in order, and lets a reader stop early', async () => {
    const store = await open();
    const n = 3000;
    const key = (i: number) => `r/${i.toString().padStart(5, '0')}`;
    for (let i = 0; i < n; i += 500)
      await store.batch(
        Array.from({ length: 500 }, (_, j) => ({
          type: 'put' as const,
          key: key(i + j),
          value: Uint8Array.of((i + j) & 0xff, (i + j) >> 8),
        })),
      );
    let count = 0;
    for await (const [k, value] of store.range({ gte: 'r/', lt: 'r0' })) {
      expect(k).toBe(key(count));
      expect(value).toEqual(Uint8Array.of(count & 0xff, count >> 8));
      count++;
    }
    expect(count).toBe(n);
    const backwards = await keys(store, { gte: 'r/', lt: 'r0', reverse: true });
    expect(backwards).toHaveLength(n);
    expect(backwards[0]).toBe(key(n - 1));
    expect(backwards[n - 1]).toBe(key(0));
    expect(await keys(store, { gte: key(1000), limit: 1500 })).toEqual(
      Array.from({ length: 1500 }, (_, i) => key(1000 + i)),
    );
    let seen = 0;
    for await (const _ of store.range({ gte: 'r/' })) if (++seen === 10) break;
    expect(seen).toBe(10);
    // The store still works after an abandoned range.
    await store.put(key(0), bytes(7));
    expect(await store.get(key(0))).toEqual(bytes(7));
    await store.close();
  });
});

describe('keys at rest', () => {
  it('are encrypted, survive reopening, and refuse a wrong passphrase', async () => {
    const dir = join(scratch(), 'db');
    let store = await LevelStore.open(dir);
    const keys = await PersistentKeyStore.open(store, 'open sesame');
    const secret = bytes(...new Array(32).fill(0x5a));
    const id = await keys.add('symKey', secret);
    await keys.close();
    await store.close();
    for (const file of readdirSync(dir)) {
      expect(readFileSync(join(dir, file)).includes(Buffer.from(secret))).toBe(false);
    }
    store = await LevelStore.open(dir);
    await expect(PersistentKeyStore.open(store, 'wrong')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    const reopened = await PersistentKeyStore.open(store, 'open sesame');
    expect(await reopened.get('symKey', id)).toEqual(secret);
    await reopened.close();
    await store.close();
  });
});

describe('a restarted node', () => {
  it('keeps its identity, and its keys with --persist-keys', async () => {
    const dataDir = scratch();
    const config = localConfig(dataDir, { persistKeys: true, keyPassphrase: 'pw' });
    let node = await startNode(config);
    const id = node.id;
    const keyId = (await call(`${node.rpc.httpUrl}/`, 'shh_generateSymKeyFromPassword', ['x'])) as {
      result: string;
    };
    await node.stop();
    node = await startNode(config);
    try {
      expect(node.id).toBe(id);
      expect(await call(`${node.rpc.httpUrl}/`, 'shh_hasSymKey', [keyId.result])).toMatchObject({
        result: true,
      });
    } finally {
      await node.stop();
    }
    await expect(startNode({ ...config, keyPassphrase: 'not it' })).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    // Kept keys and no passphrase: the node refuses rather than start with no keys, and a
    // later start with the passphrase still finds them.
    for (const without of [
      { persistKeys: false, keyPassphrase: undefined },
      { persistKeys: true, keyPassphrase: undefined },
    ]) {
      await expect(startNode({ ...config, ...without })).rejects.toThrow(
        /holds encrypted keys: start with --persist-keys and their passphrase/,
      );
    }
    node = await startNode(config);
    try {
      expect(await call(`${node.rpc.httpUrl}/`, 'shh_hasSymKey', [keyId.result])).toMatchObject({
        result: true,
      });
    } finally {
      await node.stop();
    }
  });

  it('refuses --persist-keys without a passphrase, saying what to pass', async () => {
    expect(() => resolveConfig({ 'persist-keys': true }, {})).toThrow(
      /persist-keys needs the passphrase.*HUSH_KEY_PASSPHRASE.*--key-passphrase/,
    );
    expect(resolveConfig({ 'persist-keys': true }, { HUSH_KEY_PASSPHRASE: 'pw' }).persistKeys).toBe(
      true,
    );
    const cli = spawnHush(['--persist-keys', '--data-dir', scratch(), ...LOCAL_LISTENERS]);
    let err = '';
    cli.stderr.on('data', (chunk) => {
      err += chunk;
    });
    const code = await new Promise((resolve) => cli.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/persist-keys needs the passphrase/);
  });
});
