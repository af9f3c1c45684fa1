/**
 * The PostgreSQL archive when things go wrong, on a throwaway cluster that the tests crash
 * (`pg_ctl stop -m immediate`) and start again: a store operation during an outage rejects
 * and the store reconnects afterwards; a mailserver's shh_post answers an error for an
 * envelope it could not archive, never an acknowledgement, and archives again once PostgreSQL
 * is back; an unreachable or refusing PostgreSQL fails the start with a clear error; no
 * message or log line carries the URL's password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type PostgresServer,
  sharedPostgres,
  stopSharedPostgres,
} from '@hush/test-support/postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import {
  ConfigError,
  PostgresStore,
  redactUrl,
  resolveConfig,
  StoreError,
  startNode,
} from '../src/index.js';
import { call, localConfig, testNode } from './helpers.js';

let server: PostgresServer;
const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-pg-node-'));
  dirs.push(dir);
  return dir;
};
beforeAll(async () => {
  server = await sharedPostgres();
});
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stopSharedPostgres();
});

/** A logger that keeps every line, to look for the password in. */
function recordingLogger() {
  const lines: string[] = [];
  const keep = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  };
  return {
    lines,
    logger: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') },
  };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('archive URLs', () => {
  it('are shown without their password', () => {
    expect(redactUrl('postgres://hush:s3cret@db.example:5432/archive')).toBe(
      'postgres://hush:***@db.example:5432/archive',
    );
    expect(redactUrl('postgresql://hush:p@ss:w/rd@127.0.0.1/db?sslmode=require')).toBe(
      'postgresql://hush:***@127.0.0.1/db?sslmode=require',
    );
    expect(redactUrl('postgres://127.0.0.1/db?user=hush&password=s3cret')).toBe(
      'postgres://127.0.0.1/db?user=hush&password=***',
    );
    expect(redactUrl('postgres://hush@127.0.0.1/db')).toBe('postgres://hush@127.0.0.1/db');
    expect(redactUrl('leveldb')).toBe('leveldb');
  });

  it('are checked by the configuration: postgres:// only, and only for a mailserver', () => {
    const url = 'postgres://hush:pw@127.0.0.1/db';
    expect(resolveConfig({ mailserver: true, archive: url }, {}).archive).toBe(url);
    expect(resolveConfig({ mailserver: true }, { HUSH_ARCHIVE: url }).archive).toBe(url);
    expect(resolveConfig({}, {}).archive).toBe('leveldb');
    expect(() => resolveConfig({ mailserver: true, archive: 'mysql://x/y' }, {})).toThrow(
      /archive must be leveldb or a postgres:\/\/ URL/,
    );
    expect(() => resolveConfig({ archive: url }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ archive: url }, {})).toThrow(/mailserver/);
  });

  it('are printed by `hush config print` without their password', async () => {
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const status = await main([
        'config',
        'print',
        '--mailserver',
        '--archive',
        'postgres://hush:s3cret@127.0.0.1/db',
      ]);
      expect(status).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(JSON.parse(printed.join('')).archive).toBe('postgres://hush:***@127.0.0.1/db');
  });

  it('that are not postgres:// are refused by the store', async () => {
    await expect(PostgresStore.open('mysql://hush:pw@127.0.0.1/db')).rejects.toMatchObject({
      code: 'invalid-url',
      message: expect.not.stringContaining('pw'),
    });
    await expect(PostgresStore.open(server.url, { table: 'drop table x' })).rejects.toThrow(
      StoreError,
    );
  });
});

describe('a PostgreSQL archive that cannot be used at start', () => {
  it('fails the start at once with a clear error when PostgreSQL is unreachable', async () => {
    const port = await closedPort();
    const url = `postgres://hush:not-this-one@127.0.0.1:${port}/hush`;
    const { lines, logger } = recordingLogger();
    const error = await startNode(
      localConfig(scratch(), { mailserver: true, archive: url }),
      logger,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'unavailable' });
    const message = (error as Error).message;
    expect(message).toContain(`postgres://hush:***@127.0.0.1:${port}/hush`);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).not.toContain('not-this-one');
    expect(lines.join('\n')).not.toContain('not-this-one');
  });

  it('fails the start when PostgreSQL refuses the login, without showing the password', async () => {
    const url = server.url.replace(server.password, 'wrong-password');
    const error = await PostgresStore.open(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'failed' });
    expect((error as Error).message).toMatch(/password authentication failed/);
    expect((error as Error).message).not.toContain('wrong-password');
  });
});

describe('PostgreSQL going away mid-run', () => {
  it('makes store operations reject, and the store reconnects when it is back', async () => {
    const lost: StoreError[] = [];
    const store = await PostgresStore.open(await server.createDatabase(), {
      onConnectionError: (error) => lost.push(error),
    });
    try {
      await store.put('before', Uint8Array.of(1));
      await server.crash();
      await expect(store.put('during', Uint8Array.of(2))).rejects.toMatchObject({
        name: 'StoreError',
        code: 'unavailable',
      });
      await expect(store.get('before')).rejects.toMatchObject({ code: 'unavailable' });
      await expect(
        store.batch([{ type: 'put', key: 'batched', value: Uint8Array.of(3) }]),
      ).rejects.toMatchObject({ code: 'unavailable' });
      const reading = (async () => {
        for await (const _ of store.range({})) {
          // nothing: the read fails before a row arrives
        }
      })();
      await expect(reading).rejects.toMatchObject({ code: 'unavailable' });
      await server.start();
      await store.put('after', Uint8Array.of(4));
      expect(await store.get('before')).toEqual(Uint8Array.of(1));
      expect(await store.get('during')).toBeUndefined();
      expect(await store.get('batched')).toBeUndefined();
      expect(await store.get('after')).toEqual(Uint8Array.of(4));
      for (const error of lost) expect(error.message).not.toContain(server.password);
    } finally {
      await store.close();
    }
    await expect(store.get('after')).rejects.toMatchObject({ code: 'closed' });
  });

  it('makes shh_post answer an error, never an acknowledgement, and archives again once it is back', async () => {
    const node = await testNode({
      mailserver: true,
      minPow: 0,
      archive: await server.createDatabase(),
    });
    const url = `${node.rpc.httpUrl}/`;
    try {
      const key = ((await call(url, 'shh_newSymKey')) as { result: string }).result;
      const post = (payload: string) =>
        call(url, 'shh_post', [
          { symKeyID: key, topic: '0x01020304', payload, powTarget: 0, powTime: 1 },
        ]) as Promise<{ result?: string; error?: { code: number; message: string } }>;
      const archived = async () => {
        const hashes: string[] = [];
        for await (const [k] of node.archiveStore!.range({ gte: 'archive/', lt: 'archive0' }))
          hashes.push(`0x${k.split('/')[2]}`);
        return hashes;
      };
      const first = await post('0x01');
      expect(first.result).toMatch(/^0x[0-9a-f]{64}$/);

      await server.crash();
      const lostPost = await post('0x02');
      expect(lostPost.result).toBeUndefined();
      expect(lostPost.error?.message).toMatch(/^envelope posted but not archived: /);
      expect(lostPost.error?.message).toMatch(/unavailable/);
      expect(lostPost.error?.message).not.toContain(server.password);

      await server.start();
      const third = await post('0x03');
      expect(third.result).toMatch(/^0x[0-9a-f]{64}$/);
      expect((await archived()).sort()).toEqual([first.result, third.result].sort());
    } finally {
      await node.stop();
    }
  });

  it('is logged without the password by a node whose archive is in PostgreSQL', async () => {
    const archive = await server.createDatabase();
    const { lines, logger } = recordingLogger();
    const node = await startNode(
      localConfig(scratch(), { mailserver: true, minPow: 0, archive }),
      logger,
    );
    try {
      const url = `${node.rpc.httpUrl}/`;
      const key = ((await call(url, 'shh_newSymKey')) as { result: string }).result;
      await server.crash();
      const answer = (await call(url, 'shh_post', [
        { symKeyID: key, topic: '0x01020304', payload: '0x01', powTarget: 0, powTime: 1 },
      ])) as { error?: { message: string } };
      expect(answer.error?.message).toMatch(/not archived/);
      await server.start();
    } finally {
      await node.stop();
    }
    const log = lines.join('\n');
    expect(log).toMatch(/mailserver archive in PostgreSQL/);
    expect(log).toMatch(/archive write failed/);
    expect(log).toContain('hush:***@127.0.0.1');
    expect(log).not.toContain(server.password);
  });
});
