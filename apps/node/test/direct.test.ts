/**
 * Direct channels in the node (issue 13, item 7): two real `hush start` processes become
 * contacts through hush_addContact, post to each other with hush_post (asymmetric and signed,
 * symmetric) and shh_post (to the contact's key, over the channel, not gossip), read what came
 * with shh_newMessageFilter + shh_getFilterMessages, and keep what was posted while the other
 * was stopped until it started again; hush_channels shows the channel open or pending; bad
 * params are refused.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBackend, randomBytes } from '@hush/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, eventually, LOCAL_LISTENERS, spawnHush, testNode } from './helpers.js';

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  /** The node's public key, 04… hex. */
  readonly id: string;
  readonly gossip: string;
  readonly direct: string;
  readonly rpc: string;
  stderr(): string;
}

/** Starts `hush start` on free loopback ports; resolves once it says it runs. */
async function start(dataDir: string, extra: readonly string[] = []): Promise<Running> {
  const child = spawnHush([
    'start',
    '--data-dir',
    dataDir,
    ...LOCAL_LISTENERS,
    '--metrics-port',
    '-1',
    '--log-level',
    'warn',
    ...extra,
  ]);
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => {
    err = (err + chunk).slice(-8000);
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (/\n {2}ws +\S+\n/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
  });
  return {
    child,
    id: /hush node ([0-9a-f]{130}) running/.exec(out)![1]!,
    gossip: /gossip +(ws:\/\/\S+)/.exec(out)![1]!,
    direct: /direct +(ws:\/\/\S+)/.exec(out)![1]!,
    rpc: /rpc +(http:\/\/\S+)/.exec(out)![1]!,
    stderr: () => err,
  };
}

async function stop(node: Running | undefined): Promise<void> {
  if (!node || node.child.exitCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  expect(await exited).toBe(0);
}

/** A JSON-RPC call's result, or its error thrown with its code. */
async function result(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const answer = (await call(url, method, params)) as {
    result?: unknown;
    error?: { code: number; message: string };
  };
  if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
  return answer.result;
}

interface RpcMessage {
  sig?: string;
  payload: string;
  topic: string;
  hash: string;
  recipientPublicKey?: string;
}

/** Polls a filter until a message with `payload` comes; answers everything polled. */
async function receive(url: string, filter: string, payload: string): Promise<RpcMessage[]> {
  const got: RpcMessage[] = [];
  await eventually(
    async () => {
      got.push(...((await result(url, 'shh_getFilterMessages', [filter])) as RpcMessage[]));
      return got.some((m) => m.payload === payload);
    },
    45_000,
    () => `a message with payload ${payload} (polled ${JSON.stringify(got.map((m) => m.payload))})`,
  );
  return got;
}

interface Channel {
  peerId: string;
  name: string;
  state: string;
  pending: number;
  introduced: boolean;
  wanted: boolean;
}

const hex = (text: string) => `0x${Buffer.from(text).toString('hex')}`;

describe('direct channels between two hush start processes', () => {
  const dirs: string[] = [];
  let alice: Running;
  let bob: Running;
  let bobDir: string;
  const bobArgs = () => ['--bootstrap', alice.gossip];

  beforeAll(async () => {
    const aliceDir = mkdtempSync(join(tmpdir(), 'hush-direct-alice-'));
    bobDir = mkdtempSync(join(tmpdir(), 'hush-direct-bob-'));
    dirs.push(aliceDir, bobDir);
    alice = await start(aliceDir);
    bob = await start(bobDir, bobArgs());
  }, 60_000);
  afterAll(async () => {
    await stop(bob).catch(() => undefined);
    await stop(alice).catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const channelOf = async (from: Running, to: Running) => {
    const channels = (await result(from.rpc, 'hush_channels')) as Channel[];
    return channels.find((c) => c.peerId === to.id.slice(2));
  };

  it('becomes contacts and learns where the other is from its introduction', async () => {
    expect(alice.direct).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    await result(alice.rpc, 'hush_addContact', [`0x${bob.id}`, 'bob']);
    // Alice's introduction reaches Bob before Bob has her as a contact, and is ignored; Bob's
    // reaches her, and she answers with hers, since it is the first she has from him.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await result(bob.rpc, 'hush_addContact', [`0x${alice.id}`, 'alice']);
    await eventually(
      async () => !!(await channelOf(alice, bob))?.introduced,
      20_000,
      'alice knows bob',
    );
    await eventually(
      async () => !!(await channelOf(bob, alice))?.introduced,
      20_000,
      'bob knows alice',
    );
    expect(await channelOf(alice, bob)).toMatchObject({
      name: 'bob',
      state: 'idle',
      pending: 0,
      wanted: false,
    });
  }, 60_000);

  it('delivers hush_post asymmetric and signed, then symmetric, to shh filters', async () => {
    const bobKey = (await result(bob.rpc, 'shh_newKeyPair')) as string;
    const bobPub = (await result(bob.rpc, 'shh_getPublicKey', [bobKey])) as string;
    const aliceSig = (await result(alice.rpc, 'shh_newKeyPair')) as string;
    const alicePub = (await result(alice.rpc, 'shh_getPublicKey', [aliceSig])) as string;
    const topic = '0x0badf00d';
    const filter = (await result(bob.rpc, 'shh_newMessageFilter', [
      { privateKeyID: bobKey, topics: [topic], allowP2P: true },
    ])) as string;
    // A filter without allowP2P gets it too: a channel's envelopes are live messages, not
    // geth's p2p history (SPEC §4.3).
    const plain = (await result(bob.rpc, 'shh_newMessageFilter', [
      { privateKeyID: bobKey, topics: [topic] },
    ])) as string;
    const payload = hex('hello bob, asymmetric');
    const hash = await result(alice.rpc, 'hush_post', [
      bob.id.slice(2),
      { pubKey: bobPub, sig: aliceSig, topic, payload },
    ]);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    const [message] = await receive(bob.rpc, filter, payload);
    expect(message).toMatchObject({
      payload,
      sig: alicePub,
      topic,
      hash,
      recipientPublicKey: bobPub,
    });
    expect(await channelOf(alice, bob)).toMatchObject({ state: 'open', pending: 0 });
    expect(await receive(bob.rpc, plain, payload)).toMatchObject([{ payload, hash }]);

    const aliceSym = await result(alice.rpc, 'shh_generateSymKeyFromPassword', ['alice and bob']);
    const bobSym = await result(bob.rpc, 'shh_generateSymKeyFromPassword', ['alice and bob']);
    const symFilter = (await result(bob.rpc, 'shh_newMessageFilter', [
      { symKeyID: bobSym, topics: [topic], allowP2P: true },
    ])) as string;
    const symPayload = hex('hello bob, symmetric');
    const symHash = await result(alice.rpc, 'hush_post', [
      `0x${bob.id}`,
      { symKeyID: aliceSym, topic, payload: symPayload, powTarget: 0.01, powTime: 1 },
    ]);
    const [symMessage] = await receive(bob.rpc, symFilter, symPayload);
    expect(symMessage).toMatchObject({ payload: symPayload, hash: symHash });
    expect(symMessage!.sig).toBeUndefined();
  }, 90_000);

  it('sends shh_post to a contact with a channel in use over that channel, not gossip', async () => {
    const topic = '0xfeedbeef';
    // The channel is wanted, so it stays in use while Bob is away.
    await result(alice.rpc, 'hush_openChannel', [bob.id]);
    await stop(bob);
    const payload = hex('to bob over the channel');
    // A TTL of 2 s and Bob stopped: by gossip it would be gone long before he is back; over
    // the channel it waits in Alice's outbox and has no expiry check.
    const hash = await result(alice.rpc, 'shh_post', [
      { pubKey: `0x${bob.id}`, topic, payload, ttl: 2, powTarget: 0.2, powTime: 2 },
    ]);
    expect((await channelOf(alice, bob))!.pending).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    bob = await start(bobDir, bobArgs());
    // "node" names the node's own key in filters: what contacts send to its public key.
    const filter = (await result(bob.rpc, 'shh_newMessageFilter', [
      { privateKeyID: 'node', topics: [topic], allowP2P: true },
    ])) as string;
    const [message] = await receive(bob.rpc, filter, payload);
    expect(message).toMatchObject({ hash, recipientPublicKey: `0x${bob.id}` });
    await eventually(
      async () => (await channelOf(alice, bob))?.pending === 0,
      30_000,
      'bob acknowledged',
    );
  }, 90_000);

  it('keeps what is posted while the contact is stopped and delivers it once it is back', async () => {
    await stop(bob);
    const aliceSym = await result(alice.rpc, 'shh_generateSymKeyFromPassword', ['offline']);
    const topic = '0x0ff11e00';
    const payload = hex('posted while bob was away');
    // A TTL of 1 s: long expired when Bob is back; a direct channel does not check expiry.
    const hash = await result(alice.rpc, 'hush_post', [
      bob.id.slice(2),
      { symKeyID: aliceSym, topic, payload, ttl: 1 },
    ]);
    expect(await channelOf(alice, bob)).toMatchObject({ pending: 1 });
    expect((await channelOf(alice, bob))!.state).not.toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 2000));

    bob = await start(bobDir, bobArgs());
    // Keys live in memory (no --persist-keys): the same password makes the same key again.
    const bobSym = await result(bob.rpc, 'shh_generateSymKeyFromPassword', ['offline']);
    const filter = (await result(bob.rpc, 'shh_newMessageFilter', [
      { symKeyID: bobSym, topics: [topic], allowP2P: true },
    ])) as string;
    // Whether it came before the filter (from the inbox) or after (live), it comes once.
    const got = await receive(bob.rpc, filter, payload);
    await eventually(
      async () => (await channelOf(alice, bob))?.pending === 0,
      30_000,
      'bob acknowledged',
    );
    got.push(...((await result(bob.rpc, 'shh_getFilterMessages', [filter])) as RpcMessage[]));
    expect(got.filter((m) => m.hash === hash)).toHaveLength(1);
    expect(got.find((m) => m.hash === hash)).toMatchObject({ payload, topic });
  }, 120_000);

  it('keeps a channel open on hush_openChannel', async () => {
    const channel = (await result(alice.rpc, 'hush_openChannel', [`0x${bob.id}`])) as Channel;
    expect(channel).toMatchObject({ peerId: bob.id.slice(2), name: 'bob', wanted: true });
    await eventually(
      async () => (await channelOf(alice, bob))?.state === 'open',
      30_000,
      'the channel open',
    );
  }, 60_000);

  it('refuses bad params with -32602 and an unknown contact with -32000', async () => {
    const invalid = (index: number, pattern: RegExp) => ({
      code: -32602,
      message: expect.stringMatching(new RegExp(`^invalid argument ${index}: ${pattern.source}`)),
    });
    const post = (...params: unknown[]) => result(alice.rpc, 'hush_post', params);
    const peer = bob.id.slice(2);
    await expect(post()).rejects.toMatchObject({
      code: -32602,
      message: 'missing value for required argument 0',
    });
    await expect(post(7, {})).rejects.toMatchObject(invalid(0, /publicKey or peer id must be/));
    await expect(post('0x1234', {})).rejects.toMatchObject(invalid(0, /"0x1234" names no contact/));
    await expect(post(peer)).rejects.toMatchObject({
      code: -32602,
      message: 'missing value for required argument 1',
    });
    await expect(post(peer, 7)).rejects.toMatchObject(invalid(1, /must be an object/));
    await expect(post(peer, { payload: 'zz', symKeyID: 'x' })).rejects.toMatchObject(
      invalid(1, /payload: hex string without 0x prefix/),
    );
    await expect(post(peer, { ttl: -1 })).rejects.toMatchObject(invalid(1, /ttl must be a uint32/));
    await expect(post(peer, { targetPeer: 'enode://x' })).rejects.toMatchObject(
      invalid(1, /targetPeer/),
    );
    await expect(post(peer, { topic: '0x01020304' })).rejects.toMatchObject({
      code: -32000,
      message: 'specify either a symmetric or an asymmetric key',
    });
    let stranger = randomBytes(32);
    while (!defaultBackend.isValidPrivateKey(stranger)) stranger = randomBytes(32);
    const strangerKey = Buffer.from(defaultBackend.publicKeyCreate(stranger)).toString('hex');
    await expect(
      post(`0x${strangerKey}`, { pubKey: `0x${strangerKey}`, topic: '0x01020304' }),
    ).rejects.toMatchObject({
      code: -32000,
      message: `no contact has peer id ${strangerKey.slice(2)}`,
    });
    await expect(result(alice.rpc, 'hush_openChannel', [])).rejects.toMatchObject({
      code: -32602,
    });
    await expect(result(alice.rpc, 'hush_openChannel', [`0x${strangerKey}`])).rejects.toMatchObject(
      { code: -32000, message: expect.stringMatching(/no contact has peer id/) },
    );
    // Nothing of it was queued.
    expect(await channelOf(alice, bob)).toMatchObject({ pending: 0 });
  }, 30_000);
});

describe('a node started with --no-direct', () => {
  it('has no direct channels and says so', async () => {
    const node = await testNode({ direct: false });
    try {
      expect(node.direct).toBeUndefined();
      for (const [method, params] of [
        ['hush_channels', []],
        ['hush_openChannel', [`0x${'11'.repeat(64)}`]],
        ['hush_post', [`0x${'11'.repeat(64)}`, {}]],
      ] as const)
        await expect(result(node.rpc.httpUrl, method, [...params])).rejects.toMatchObject({
          code: -32000,
          message: 'direct channels are off on this node (--no-direct)',
        });
      // Contacts are still kept.
      expect(await result(node.rpc.httpUrl, 'hush_listContacts')).toEqual([]);
    } finally {
      await node.stop();
    }
  });
});
