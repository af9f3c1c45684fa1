/**
 * Reference-node benchmarks (issue 6): shh_post to a local WebSocket subscription (round
 * trips/s, p50/p99 latency), two nodes over loopback (messages/s end to end, PoW 0.2, 300-byte
 * payloads), and the mailserver (envelopes archived/s; 100,000 envelopes of history served),
 * with its archive in LevelDB and in PostgreSQL (a throwaway cluster; skipped with a note when
 * PostgreSQL is not installed).
 *
 * These figures have no geth reference beside them: tools/geth-reference times geth's functions,
 * not a running geth node, and geth v1.8.27 has no mailserver. They are Hush's own baseline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, section } from '@hush/bench-support';
import { fullBloom } from '@hush/bloom';
import { nobleBackend } from '@hush/crypto';
import { createEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import {
  Archive,
  decodeRequestComplete,
  encodeHistoryRequest,
  mailserverHandler,
} from '@hush/mailserver';
import { generatePrivateKey, symKeyFromPassword, wrapMessage } from '@hush/message';
import {
  type PostgresServer,
  PostgresUnavailableError,
  startPostgres,
} from '@hush/test-support/postgres';
import { WebSocket } from 'ws';
import type { HushNode } from '../src/index.js';
import { LevelStore, PostgresStore, type Store } from '../src/index.js';
import { testNode } from '../test/helpers.js';

const TOPIC = '0x0badf00d';
const PAYLOAD = `0x${'ab'.repeat(300)}`;

/** A JSON-RPC client over one WebSocket, with subscription notifications. */
async function rpcClient(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let next = 1;
  const pending = new Map<number, (value: { result?: unknown; error?: unknown }) => void>();
  let onNotification: (result: unknown) => void = () => {};
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      method?: string;
      params?: { result: unknown };
      result?: unknown;
      error?: unknown;
    };
    if (message.method === 'shh_subscription') onNotification(message.params!.result);
    else if (message.id !== undefined) {
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    }
  });
  const call = async (method: string, params: unknown[]) => {
    const id = next++;
    const answer = await new Promise<{ result?: unknown; error?: unknown }>((resolve) => {
      pending.set(id, resolve);
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
    if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    return answer.result;
  };
  return {
    call,
    onNotification: (handler: (result: unknown) => void) => {
      onNotification = handler;
    },
    close: () => socket.close(),
  };
}

async function subscribed(target: HushNode, password: string) {
  const client = await rpcClient(target.rpc.wsUrl);
  const key = (await client.call('shh_generateSymKeyFromPassword', [password])) as string;
  await client.call('shh_subscribe', ['messages', { symKeyID: key, topics: [TOPIC] }]);
  return { client, key };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function postToSubscription(): Promise<void> {
  section('shh_post to a local WebSocket subscription (PoW 0.2 on workers, 300-byte payload)');
  const local = await testNode({ metricsPort: -1 });
  const { client, key } = await subscribed(local, 'bench');
  let arrived: (() => void) | undefined;
  client.onNotification(() => arrived?.());
  const post = () =>
    client.call('shh_post', [
      { symKeyID: key, topic: TOPIC, payload: PAYLOAD, powTarget: 0.2, powTime: 2, ttl: 60 },
    ]);
  const roundTrip = async () => {
    const started = performance.now();
    const delivered = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await post();
    await delivered;
    return performance.now() - started;
  };
  for (let i = 0; i < 50; i++) await roundTrip(); // warm-up: JIT, worker pool
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < 1000; i++) latencies.push(await roundTrip());
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  report({
    name: 'sequential round trips (post → notification)',
    rate: 1000 / (elapsed / 1000),
    unit: ' rt/s',
  });
  console.log(
    `  latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
  let count = 0;
  let allArrived: (() => void) | undefined;
  const total = 4000;
  client.onNotification(() => {
    if (++count === total) allArrived?.();
  });
  const done = new Promise<void>((resolve) => {
    allArrived = resolve;
  });
  // A client may have 2 seals running at once (SealLimits): 64 in flight take 32 clients.
  const posters = await Promise.all(Array.from({ length: 32 }, () => rpcClient(local.rpc.wsUrl)));
  const postFrom = (poster: (typeof posters)[number]) =>
    poster.call('shh_post', [
      { symKeyID: key, topic: TOPIC, payload: PAYLOAD, powTarget: 0.2, powTime: 2, ttl: 60 },
    ]);
  const concurrentStart = performance.now();
  // Lanes 2i and 2i + 1 post through client i.
  await window(total, 64, (lane) => postFrom(posters[lane >> 1]!));
  await done;
  for (const poster of posters) poster.close();
  report({
    name: 'concurrent posts, 64 in flight (post → notification)',
    rate: (total * 1000) / (performance.now() - concurrentStart),
    unit: ' msg/s',
  });
  client.close();
  await local.stop();
}

/** Runs `task` `total` times with at most `width` in flight, each lane telling its number. */
async function window(total: number, width: number, task: (lane: number) => Promise<unknown>) {
  let started = 0;
  const lane = async (index: number) => {
    while (started < total) {
      started++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: width }, (_, index) => lane(index)));
}

async function twoNodes(): Promise<void> {
  section('Two nodes over loopback WebSockets (PoW 0.2, 300-byte payloads, end to end)');
  const receiver = await testNode({ metricsPort: -1 });
  const sender = await testNode({ metricsPort: -1, bootstrap: [receiver.gossip.addresses[0]!] });
  const deadline = Date.now() + 20_000;
  while (!sender.gossip.stats().peers.some((p) => p.ready)) {
    if (Date.now() > deadline) throw new Error('the two nodes did not connect');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { client: listener } = await subscribed(receiver, 'two nodes');
  // A client may have 2 seals running at once (SealLimits): 64 in flight take 32 clients.
  const posters = await Promise.all(Array.from({ length: 32 }, () => rpcClient(sender.rpc.wsUrl)));
  const key = (await posters[0]!.call('shh_generateSymKeyFromPassword', ['two nodes'])) as string;
  const total = 4000;
  let count = 0;
  let allArrived: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    allArrived = resolve;
  });
  listener.onNotification(() => {
    if (++count === total) allArrived?.();
  });
  const started = performance.now();
  let n = 0;
  await window(total, 64, (lane) =>
    posters[lane >> 1]!.call('shh_post', [
      {
        symKeyID: key,
        topic: TOPIC,
        // Distinct payloads: identical messages would still differ by salt, but say so.
        payload: `0x${(n++).toString(16).padStart(8, '0')}${'ab'.repeat(296)}`,
        powTarget: 0.2,
        powTime: 2,
        ttl: 60,
      },
    ]),
  );
  await done;
  report({
    name: `${total} messages, 64 in flight, sender RPC → receiver subscription`,
    rate: (total * 1000) / (performance.now() - started),
    unit: ' msg/s',
  });
  listener.close();
  for (const poster of posters) poster.close();
  await sender.stop();
  await receiver.stop();
}

/** 100,000 envelopes of 300-byte data, one a second up to now. */
function benchEnvelopes(now: number, total: number) {
  const envelopes: { envelope: Envelope; encoded: Uint8Array; hash: Uint8Array }[] = [];
  for (let i = 0; i < total; i++) {
    const data = new Uint8Array(300);
    new DataView(data.buffer).setUint32(0, i);
    const envelope = createEnvelope({
      expiry: now - total + i + 600,
      ttl: 600,
      topic: Uint8Array.of(0x0b, 0xad, 0xf0, 0x0d),
      data,
      nonce: BigInt(i),
    });
    envelopes.push({ envelope, encoded: encodeEnvelope(envelope), hash: envelopeHash(envelope) });
  }
  return envelopes;
}

/** Archives `envelopes` into `store`, then serves them all as history, printing both rates. */
async function archiveAndServe(
  store: Store,
  envelopes: ReturnType<typeof benchEnvelopes>,
  now: number,
): Promise<void> {
  const archive = new Archive(store);
  const total = envelopes.length;
  let next = 0;
  const archiveStart = performance.now();
  await window(total, 256, () => {
    const { envelope, encoded, hash } = envelopes[next++]!;
    return archive.add(envelope, encoded, hash);
  });
  report({
    name: 'envelopes archived (256 writes in flight, each acknowledged)',
    rate: (total * 1000) / (performance.now() - archiveStart),
    unit: ' env/s',
  });

  const symKey = symKeyFromPassword('status-offline-inbox');
  const signingKey = generatePrivateKey();
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const serve = mailserverHandler({ archive, symKey, backend: nobleBackend, logger });
  let cursor: Uint8Array = new Uint8Array(0);
  let served = 0;
  let pages = 0;
  const serveStart = performance.now();
  do {
    const request = await wrapMessage({
      topic: Uint8Array.of(0, 0, 0, 0),
      payload: encodeHistoryRequest({
        lower: 0,
        upper: now + 1,
        bloom: fullBloom(),
        limit: 1000,
        cursor,
        topics: [],
      }),
      symKey,
      signingKey,
      pow: 0,
      workTime: 0,
    });
    cursor = await new Promise<Uint8Array>((resolve) => {
      serve(request, {
        id: 'bench',
        maxBytes: 1 << 20,
        send: (batch) => {
          served += batch.length;
          for (const envelope of batch) encodeEnvelope(envelope); // what the wire would carry
          return true;
        },
        complete: (body) => {
          const answer = decodeRequestComplete(body);
          if (answer.error !== undefined) throw new Error(`mailserver failed: ${answer.error}`);
          resolve(answer.cursor);
          return true;
        },
      });
    });
    pages++;
  } while (cursor.length > 0);
  const serveMs = performance.now() - serveStart;
  if (served !== total) throw new Error(`served ${served} of ${total} envelopes`);
  console.log(
    `  history of ${total} envelopes served in ${pages} pages of 1000: ${(serveMs / 1000).toFixed(2)} s`,
  );
  report({
    name: 'envelopes served (query, bloom, batches, encoding)',
    rate: (total * 1000) / serveMs,
    unit: ' env/s',
  });
}

async function mailserver(): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const total = 100_000;
  const envelopes = benchEnvelopes(now, total);

  section('Mailserver: LevelDB archive of 100,000 envelopes (300-byte data) and serving them');
  const dir = mkdtempSync(join(tmpdir(), 'hush-bench-archive-'));
  const level = await LevelStore.open(dir);
  try {
    await archiveAndServe(level, envelopes, now);
  } finally {
    await level.close();
    rmSync(dir, { recursive: true, force: true });
  }

  section(
    'Mailserver: PostgreSQL archive (--archive) of the same 100,000 envelopes and serving them',
  );
  let server: PostgresServer;
  try {
    // fsync on, as an operator's server runs (LevelDB's writes above are not fsynced).
    server = await startPostgres({ durable: true, install: false });
  } catch (error) {
    if (!(error instanceof PostgresUnavailableError)) throw error;
    console.log(`  skipped: ${error.message}`);
    return;
  }
  try {
    console.log(`  throwaway PostgreSQL ${server.version} on 127.0.0.1 (fsync on, 10 connections)`);
    const postgres = await PostgresStore.open(await server.createDatabase(), {
      table: 'hush_archive',
    });
    try {
      await archiveAndServe(postgres, envelopes, now);
    } finally {
      await postgres.close();
    }
  } finally {
    await server.stop();
  }
}

/** How long shh_version waits while 50 password keys are derived (PBKDF2 off the loop). */
export async function versionDuringDerivations(): Promise<void> {
  section('shh_version while 50 shh_generateSymKeyFromPassword run (PBKDF2, 65,356 iterations)');
  const node = await testNode({ minPow: 0 });
  try {
    const client = await rpcClient(node.rpc.wsUrl);
    try {
      const started = performance.now();
      const derivations = Array.from({ length: 50 }, (_, i) =>
        client.call('shh_generateSymKeyFromPassword', [`password ${i}`]),
      );
      const asked = performance.now();
      await client.call('shh_version', []);
      const answered = performance.now();
      await Promise.all(derivations);
      const done = performance.now();
      console.log(
        `  shh_version answered in ${(answered - asked).toFixed(1)} ms; the 50 derivations took ${(done - started).toFixed(0)} ms`,
      );
    } finally {
      client.close();
    }
  } finally {
    await node.stop();
  }
}

export async function run(): Promise<void> {
  await versionDuringDerivations();
  await postToSubscription();
  await twoNodes();
  await mailserver();
}
