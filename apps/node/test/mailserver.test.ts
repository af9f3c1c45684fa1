/**
 * The mailserver: a node started with --mailserver archives what it accepts and answers a
 * client's shhext_requestMessages in pages with a cursor; the history reaches the client's
 * filters that allow p2p messages. Killed with SIGKILL in the middle of archiving, it keeps
 * every envelope it acknowledged. Both with the LevelDB archive (the default) and with
 * `--archive postgres://…` on a throwaway PostgreSQL cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRequestComplete } from '@hush/mailserver';
import { generatePrivateKey } from '@hush/message';
import { sharedPostgres, stopSharedPostgres } from '@hush/test-support/postgres';
import { createGossipNode, webSocketTransport } from '@hush/transport-gossip';
import { afterAll, describe, expect, it } from 'vitest';
import { startNode } from '../src/index.js';
import { call, eventually, LOCAL_LISTENERS, localConfig, spawnHush, testNode } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stopSharedPostgres();
});

/** The archive settings of each backend: LevelDB in the data dir, or a fresh PostgreSQL database. */
const backends: [string, () => Promise<string>][] = [
  ['LevelDB', async () => 'leveldb'],
  ['PostgreSQL', async () => (await sharedPostgres()).createDatabase()],
];

describe.each(backends)('mailserver with its archive in %s', (_, archiveOf) => {
  it('serves archived history in pages to a client, into its p2p filters', async () => {
    const server = await testNode({ mailserver: true, minPow: 0, archive: await archiveOf() });
    const client = await testNode({ bootstrap: [server.gossip.addresses[0]!], minPow: 0 });
    try {
      const at = (node: typeof server) => `${node.rpc.httpUrl}/`;
      await eventually(
        () => client.gossip.stats().peers.some((p) => p.ready),
        20_000,
        'connection',
      );
      const shared = (
        (await call(at(server), 'shh_generateSymKeyFromPassword', ['history'])) as {
          result: string;
        }
      ).result;
      for (let i = 0; i < 5; i++) {
        const payload = `0x0${i}`;
        await call(at(server), 'shh_post', [
          { symKeyID: shared, topic: '0x0badf00d', payload, powTarget: 0, powTime: 1 },
        ]);
      }
      const clientKey = (
        (await call(at(client), 'shh_generateSymKeyFromPassword', ['history'])) as {
          result: string;
        }
      ).result;
      const filter = (
        (await call(at(client), 'shh_newMessageFilter', [
          { symKeyID: clientKey, topics: ['0x0badf00d'], allowP2P: true },
        ])) as {
          result: string;
        }
      ).result;
      const mailKey = (
        (await call(at(client), 'shh_generateSymKeyFromPassword', ['status-offline-inbox'])) as {
          result: string;
        }
      ).result;
      const completions: { cursor: Uint8Array }[] = [];
      client.gossip.engine.on('p2p:complete', (c) =>
        completions.push(decodeRequestComplete(c.payload)),
      );
      const request = {
        mailServerPeer: server.id,
        symKeyID: mailKey,
        from: 0,
        limit: 3,
        topics: ['0x0badf00d'],
      };
      const first = (await call(at(client), 'shhext_requestMessages', [request])) as {
        result: string;
      };
      expect(first.result).toMatch(/^0x[0-9a-f]{64}$/);
      await eventually(() => completions.length === 1, 20_000, 'first page');
      const cursor = `0x${Buffer.from(completions[0]!.cursor).toString('hex')}`;
      expect(completions[0]!.cursor.length).toBe(36);
      const second = (await call(at(client), 'shhext_requestMessagesSync', [
        { ...request, cursor },
        { timeout: 20 },
      ])) as {
        result: { requestId: string; cursor: string; error: string };
      };
      expect(second.result).toMatchObject({ cursor: '0x', error: '' });
      expect(second.result.requestId).toMatch(/^0x[0-9a-f]{64}$/);
      const badCursor = (await call(at(client), 'shhext_requestMessages', [
        { ...request, cursor: '0x0102' },
      ])) as {
        error: { code: number; message: string };
      };
      expect(badCursor.error).toMatchObject({ code: -32602 });
      expect(badCursor.error.message).toMatch(/cursor/);
      let messages: { payload: string }[] = [];
      await eventually(async () => {
        messages = messages.concat(
          (
            (await call(at(client), 'shh_getFilterMessages', [filter])) as {
              result: { payload: string }[];
            }
          ).result,
        );
        return messages.length >= 5;
      });
      expect(messages.map((m) => m.payload).sort()).toEqual([
        '0x00',
        '0x01',
        '0x02',
        '0x03',
        '0x04',
      ]);
    } finally {
      await client.stop();
      await server.stop();
    }
  });

  it('keeps every acknowledged envelope when killed with SIGKILL while archiving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-kill-'));
    dirs.push(dataDir);
    const archive = await archiveOf();
    // The archive's URL goes through the environment, as an operator would keep it off `ps`.
    const child = spawnHush(
      [
        'start',
        '--mailserver',
        '--data-dir',
        dataDir,
        ...LOCAL_LISTENERS,
        '--metrics-port=-1',
        '--min-pow',
        '0',
      ],
      { ...process.env, HUSH_ARCHIVE: archive },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    let log = '';
    child.stderr.on('data', (chunk) => {
      log = (log + chunk).slice(-4000); // drained so the child never blocks on a full pipe
    });
    await eventually(
      () => /rpc\s+(http:\S+)/.test(out),
      60_000,
      () => `node start: ${log}`,
    );
    const url = `${/rpc\s+(http:\S+)/.exec(out)![1]}/`;
    const key = ((await call(url, 'shh_newSymKey')) as { result: string }).result;
    const acknowledged: string[] = [];
    let stop = false;
    const posters = Array.from({ length: 4 }, async (_, p) => {
      for (let i = 0; !stop; i++) {
        try {
          const response = (await call(url, 'shh_post', [
            {
              symKeyID: key,
              topic: '0x01020304',
              payload: `0x${p.toString(16).padStart(2, '0')}${(i & 0xff).toString(16).padStart(2, '0')}`,
              powTarget: 0,
              powTime: 1,
            },
          ])) as { result?: string };
          if (response.result) acknowledged.push(response.result);
          else throw new Error(`shh_post refused: ${JSON.stringify(response)}`);
        } catch (error) {
          if (!stop) throw error;
          return; // the node is gone
        }
      }
    });
    await eventually(() => acknowledged.length >= 40, 60_000, 'acknowledged posts');
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(posters);
    await exited;
    // Restart a mailserver on the same data directory and read its archive.
    const restarted = await startNode(localConfig(dataDir, { mailserver: true, archive }));
    const archived = new Set<string>();
    try {
      for await (const [k] of restarted.archiveStore!.range({ gte: 'archive/', lt: 'archive0' }))
        archived.add(`0x${k.split('/')[2]}`); // archive/<sent>/<hash>/<topic>
    } finally {
      await restarted.stop();
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);
    expect(acknowledged.filter((hash) => !archived.has(hash))).toEqual([]);
  });
});

describe('a mailserver answer the client cannot read', () => {
  it('answers no request, and the client lets the mailserver go', async () => {
    const key = generatePrivateKey();
    const completions: number[] = [];
    // A trusted peer answering every request with a completion too short for either form.
    const fake = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key, host: '127.0.0.1', port: 0 }),
      minPow: 0,
      onP2PRequest: (_request, peer) => {
        completions.push(peer.complete(new Uint8Array(10)) ? 1 : 0);
      },
    });
    await fake.start();
    const client = await testNode({ bootstrap: [fake.addresses[0]!], minPow: 0 });
    try {
      const url = `${client.rpc.httpUrl}/`;
      await eventually(() => client.gossip.hasPeer(fake.id), 20_000, 'connection');
      const gone: string[] = [];
      client.gossip.on('peer:disconnected', ({ id }) => gone.push(id));
      const mailKey = (
        (await call(url, 'shh_generateSymKeyFromPassword', ['status-offline-inbox'])) as {
          result: string;
        }
      ).result;
      const answer = (await call(url, 'shhext_requestMessagesSync', [
        { mailServerPeer: fake.id, symKeyID: mailKey, from: 0 },
        { timeout: 1 },
      ])) as { error?: { message: string } };
      expect(completions).toEqual([1]);
      expect(answer.error?.message).toMatch(/did not answer within 1 s/);
      await eventually(() => gone.includes(fake.id), 5_000, 'mailserver let go');
    } finally {
      await client.stop();
      await fake.stop();
    }
  });
});
