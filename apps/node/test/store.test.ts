/**
 * The store compliance suite, run by the memory and LevelDB stores; keys encrypted at rest;
 * a restarted node keeps its identity and (with --persist-keys) its keys.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LevelStore,
  MemoryStore,
  PersistentKeyStore,
  type Store,
  startNode,
} from '../src/index.js';
import { call, localConfig } from './helpers.js';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const bytes = (...values: number[]) => Uint8Array.from(values);

describe.each([
  ['MemoryStore', async () => new MemoryStore() as Store],
  ['LevelStore', async () => (await LevelStore.open(join(scratch(), 'db'))) as Store],
] as const)('store compliance: %s', (_, open) => {
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
  });
});
