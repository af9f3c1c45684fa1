/**
 * The store compliance suite of @hush/interface-compliance, run by the memory, LevelDB and PostgreSQL stores (PostgreSQL on
 * a throwaway cluster started only when its suite runs); keys encrypted at rest; a restarted
 * node keeps its identity and (with --persist-keys) its keys.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeCompliance } from '@hush/interface-compliance';
import { sharedPostgres, stopSharedPostgres } from '@hush/test-support/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LevelStore,
  MemoryStore,
  PersistentKeyStore,
  PostgresStore,
  resolveConfig,
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

storeCompliance('MemoryStore', async () => new MemoryStore());
storeCompliance('LevelStore', async () => LevelStore.open(join(scratch(), 'db')));
storeCompliance('PostgresStore', async () =>
  PostgresStore.open((await sharedPostgres()).url, { table: `compliance_${++tables}` }),
);

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
