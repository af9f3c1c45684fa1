/**
 * The DHT inbox in the node (issue 14, item 6; specs/inbox-dht/SPEC.md §2.4, §4.5, §5.2,
 * §6.7): DHT addresses as --dht-bootstrap reads them, the holder limits of --inbox-quota,
 * the settings, the hush_ inbox methods' refusals of bad parameters, and two in-process
 * nodes on real hush-dht/1 links over loopback WebSockets: publish on B, deposit from A (and
 * from C, which holds nothing), stop them, fetch on B into an shh filter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDhtAddress, parseDhtAddress } from '@hush/inbox-dht';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../src/cli.js';
import { ConfigError, holderLimitsFor, resolveConfig, startNode } from '../src/index.js';
import { call, eventually, localConfig, testNode } from './helpers.js';

const PEER = 'ab'.repeat(64);
const topic = '0x0d0e0a0d';

describe('DHT addresses', () => {
  it('read <128 hex digits>@ws://host:port, with an optional 04 or 0x prefix', () => {
    expect(parseDhtAddress(`${PEER}@ws://127.0.0.1:30305`)).toEqual({
      peer: PEER,
      endpoint: 'ws://127.0.0.1:30305',
    });
    expect(parseDhtAddress(`04${PEER.toUpperCase()}@wss://dht.example:443`).peer).toBe(PEER);
    expect(parseDhtAddress(`0x${PEER}@ws://[::1]:1`).endpoint).toBe('ws://[::1]:1');
    expect(formatDhtAddress(PEER as never, 'ws://127.0.0.1:1')).toBe(`${PEER}@ws://127.0.0.1:1`);
  });

  it('refuse what is not one, saying why', () => {
    const bad = [
      'ws://127.0.0.1:30305',
      `${PEER.slice(2)}@ws://127.0.0.1:1`,
      `${PEER}zz@ws://127.0.0.1:1`,
      `${PEER}@http://127.0.0.1:1`,
      `${PEER}@not a url`,
      `${PEER}@ws://h/${'x'.repeat(300)}`,
    ];
    for (const text of bad)
      expect(() => parseDhtAddress(text), text).toThrow(
        expect.objectContaining({ name: 'DhtError', code: 'bad-address' }),
      );
  });
});

describe('--inbox-quota', () => {
  it('is the holder byte limit; item limits follow from it within the package defaults', () => {
    const limits = holderLimitsFor(256 * 1024 * 1024, 1024 * 1024);
    expect(limits).toMatchObject({
      maxBytes: 256 * 1024 * 1024,
      maxItems: 100_000,
      maxBytesPerLocation: 16 * 1024 * 1024,
      maxItemsPerLocation: 1_000,
      maxSize: 1024 * 1024,
    });
    const small = holderLimitsFor(64 * 1024, 1024 * 1024);
    expect(small).toMatchObject({ maxBytes: 65_536, maxItems: 128, maxBytesPerLocation: 4096 });
    expect(small.maxSize).toBe(4096);
    expect(holderLimitsFor(0, 1024).maxBytes).toBe(0);
    expect(() => holderLimitsFor(-1, 1024)).toThrow(RangeError);
  });
});

describe('DHT settings', () => {
  it('take --dht-bootstrap more than once, and refuse a bad address, endpoint or quota', () => {
    const a = `${PEER}@ws://127.0.0.1:1`;
    const b = `${'cd'.repeat(64)}@ws://127.0.0.1:2`;
    const { values } = parse(['--dht-bootstrap', a, '--dht-bootstrap', b, '--inbox']);
    expect(values['dht-bootstrap']).toEqual([a, b]);
    expect(resolveConfig({ 'dht-bootstrap': `${a},${b}` }, {}).dhtBootstrap).toEqual([a, b]);
    expect(() => resolveConfig({ 'dht-bootstrap': 'ws://127.0.0.1:1' }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ 'dht-endpoint': 'http://x' }, {})).toThrow(/dht-endpoint/);
    expect(() => resolveConfig({ 'dht-port': '70000' }, {})).toThrow(/dht-port/);
    expect(() => resolveConfig({ 'inbox-quota': '1.5' }, {})).toThrow(/inbox-quota/);
    expect(() => resolveConfig({ inbox: true, dht: false }, {})).toThrow(/inbox needs the DHT/);
  });
});

type Answer = { result?: unknown; error?: { code: number; message: string } };

describe('the hush_ inbox methods', () => {
  let a: Awaited<ReturnType<typeof testNode>>;
  let b: Awaited<ReturnType<typeof testNode>>;
  let off: Awaited<ReturnType<typeof testNode>>;
  /** A node without --inbox: it deposits, and holds nothing. */
  let c: Awaited<ReturnType<typeof testNode>>;
  const rpc = async (node: typeof a, method: string, params: unknown[] = []) =>
    (await call(node.rpc.httpUrl, method, params)) as Answer;

  beforeAll(async () => {
    a = await testNode({ inbox: true, direct: false });
    b = await testNode({ inbox: true, direct: false, dhtBootstrap: [a.dht!.address] });
    c = await testNode({ direct: false, dhtBootstrap: [a.dht!.address] });
    off = await testNode({ dht: false, direct: false });
    await eventually(
      () => b.dht!.isJoined && c.dht!.isJoined && a.dht!.contacts > 1 && c.dht!.contacts > 1,
      30_000,
      'B and C joining A',
    );
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop(), off?.stop()]);
  });

  it('refuse bad parameters with -32602 naming the argument', async () => {
    const invalid = [
      ['hush_publishInbox', ['not an object']],
      ['hush_publishInbox', [{ minPow: -1 }]],
      ['hush_publishInbox', [{ minPow: 'high' }]],
      ['hush_publishInbox', [{ maxSize: 0 }]],
      ['hush_publishInbox', [{ maxTtl: 2 ** 32 }]],
      ['hush_publishInbox', [{ seq: 1 }]],
      ['hush_deposit', []],
      ['hush_deposit', ['0x12', {}]],
      ['hush_deposit', ['ab'.repeat(32), {}]],
      ['hush_deposit', [`0x${'ab'.repeat(32)}`]],
      ['hush_deposit', [`0x${'ab'.repeat(32)}`, 'message']],
      ['hush_fetchInbox', [{ topics: '0x12345678' }]],
      ['hush_fetchInbox', [{ topics: ['0x12'] }]],
      ['hush_fetchInbox', [{ since: 0 }]],
    ] as const;
    for (const [method, params] of invalid) {
      const answer = await rpc(a, method, [...params]);
      expect(answer.error?.code, `${method} ${JSON.stringify(params)}`).toBe(-32602);
    }
    // A key in the message: the descriptor names it.
    const published = (await rpc(b, 'hush_publishInbox', [{ minPow: 0.001 }])).result as {
      inboxKey: string;
    };
    for (const field of [{ symKeyID: 'x' }, { pubKey: '0x04' }, { targetPeer: 'x' }]) {
      const answer = await rpc(a, 'hush_deposit', [published.inboxKey, { topic, ...field }]);
      expect(answer.error, JSON.stringify(field)).toMatchObject({
        code: -32602,
        message: expect.stringMatching(/^invalid argument 1: .* has no use here/),
      });
    }
  });

  it('refuse what cannot be done with -32000', async () => {
    expect((await rpc(a, 'hush_fetchInbox')).error).toMatchObject({
      code: -32000,
      message: expect.stringContaining('hush_publishInbox'),
    });
    expect(
      (await rpc(a, 'hush_deposit', [`0x${'11'.repeat(32)}`, { topic, payload: '0x01' }])).error,
    ).toMatchObject({ code: -32000, message: expect.stringContaining('no descriptor') });
    for (const method of ['hush_inboxInfo', 'hush_publishInbox', 'hush_fetchInbox'])
      expect((await rpc(off, method)).error).toMatchObject({
        code: -32000,
        message: expect.stringContaining('--no-dht'),
      });
    // A TTL over the inbox's maximum.
    const { inboxKey } = (await rpc(b, 'hush_inboxInfo')).result as { inboxKey: string };
    expect(
      (await rpc(a, 'hush_deposit', [inboxKey, { topic, payload: '0x01', ttl: 10 ** 6 }])).error,
    ).toMatchObject({ code: -32000, message: expect.stringContaining('maximum') });
  });

  it('publish on B, deposit from A (and C), they stop, B fetches into its shh filter and deletes', async () => {
    const published = (await rpc(b, 'hush_publishInbox', [{ minPow: 0.001, maxTtl: 3600 }]))
      .result as Record<string, unknown>;
    expect(published).toMatchObject({
      inboxKey: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      encryptionKey: expect.stringMatching(/^0x04[0-9a-f]{128}$/),
      minPow: 0.001,
      maxTtl: 3600,
      accepted: 2,
    });
    // The keys are made once: publishing again keeps them, with a higher seq.
    const again = (await rpc(b, 'hush_publishInbox')).result as Record<string, unknown>;
    expect(again.inboxKey).toBe(published.inboxKey);
    expect(again.maxTtl).toBe(3600);
    expect(BigInt(again.seq as string)).toBeGreaterThan(BigInt(published.seq as string));

    const deposited = (
      await rpc(a, 'hush_deposit', [
        published.inboxKey,
        { topic, payload: '0x68656c6c6f', ttl: 600 },
      ])
    ).result as Record<string, unknown>;
    // A asks A, B and C (C is in its routing table); C, holding nothing, refuses.
    expect(deposited).toMatchObject({
      holders: 3,
      accepted: 2,
      refusedBy: { refused: 1 },
      hash: expect.any(String),
    });
    // C holds nothing (no --inbox): A and B are the holders, C is not among them.
    const fromC = (
      await rpc(c, 'hush_deposit', [published.inboxKey, { topic, payload: '0x6869', ttl: 600 }])
    ).result as Record<string, unknown>;
    expect(fromC).toMatchObject({ holders: 2, accepted: 2 });
    expect((await rpc(c, 'hush_inboxInfo')).result).toMatchObject({
      holding: false,
      held: { descriptors: 0, items: 0 },
    });
    await Promise.all([a.stop(), c.stop()]);

    const filter = (
      await rpc(b, 'shh_newMessageFilter', [
        { privateKeyID: 'inbox', topics: [topic], allowP2P: true },
      ])
    ).result as string;
    const fetched = (await rpc(b, 'hush_fetchInbox')).result as Record<string, unknown>;
    expect(fetched).toMatchObject({ fetched: 2, deleted: 2 });
    const messages = (await rpc(b, 'shh_getFilterMessages', [filter])).result as {
      payload: string;
      hash: string;
      pow: number;
    }[];
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ payload: '0x68656c6c6f', hash: deposited.hash }),
        expect.objectContaining({ payload: '0x6869', hash: fromC.hash }),
      ]),
    );
    expect(messages).toHaveLength(2);
    for (const message of messages) expect(message.pow).toBeGreaterThanOrEqual(0.001);
    expect((await rpc(b, 'hush_fetchInbox')).result).toMatchObject({ fetched: 0 });
    expect((await rpc(b, 'hush_inboxInfo')).result).toMatchObject({
      published: true,
      inboxKey: published.inboxKey,
      holding: true,
    });
  });
});

describe('the node inbox across a restart', () => {
  it('keeps its keys and parameters, and publishes again with a higher seq at start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-dht-restart-'));
    try {
      const config = localConfig(dataDir, { inbox: true, direct: false });
      let node = await startNode(config);
      const result = async (method: string, params: unknown[] = []) =>
        ((await call(node.rpc.httpUrl, method, params)) as Answer).result;
      const first = (await result('hush_publishInbox', [{ maxTtl: 7200 }])) as {
        inboxKey: string;
        encryptionKey: string;
        seq: string;
      };
      await node.stop();
      node = await startNode(config);
      try {
        // The first node of its network has joined at once and publishes today's again.
        await eventually(
          async () => {
            const info = (await result('hush_inboxInfo')) as { seq: string };
            return BigInt(info.seq) > BigInt(first.seq);
          },
          30_000,
          'the republication at start',
        );
        expect(await result('hush_inboxInfo')).toMatchObject({
          published: true,
          inboxKey: first.inboxKey,
          encryptionKey: first.encryptionKey,
          parameters: { maxTtl: 7200 },
          held: { descriptors: 1 },
        });
      } finally {
        await node.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a burst of deposits to one inbox', () => {
  it('150 messages in a row from one node all reach every holder, and one fetch-and-delete reads them all', async () => {
    const a = await testNode({ inbox: true, direct: false });
    const b = await testNode({ inbox: true, direct: false, dhtBootstrap: [a.dht!.address] });
    try {
      await eventually(() => b.dht!.isJoined && a.dht!.contacts > 0, 30_000, 'B joining A');
      const rpc = async (node: typeof a, method: string, params: unknown[] = []) =>
        ((await call(node.rpc.httpUrl, method, params)) as Answer).result as Record<
          string,
          unknown
        >;
      const { inboxKey } = await rpc(b, 'hush_publishInbox', [{ minPow: 0.001, maxTtl: 3600 }]);
      // More than the routing bucket's burst of 40 (SPEC §2.5): inbox requests have their own.
      for (let i = 0; i < 150; i++) {
        const payload = `0x${i.toString(16).padStart(4, '0')}`;
        const deposited = await rpc(a, 'hush_deposit', [inboxKey, { topic, payload, ttl: 600 }]);
        expect({ i, ...deposited }).toMatchObject({ i, holders: 2, accepted: 2 });
      }
      await a.stop();
      const filter = (
        (await call(b.rpc.httpUrl, 'shh_newMessageFilter', [
          { privateKeyID: 'inbox', topics: [topic], allowP2P: true },
        ])) as Answer
      ).result as string;
      expect(await rpc(b, 'hush_fetchInbox')).toMatchObject({ fetched: 150, deleted: 150 });
      const messages = ((await call(b.rpc.httpUrl, 'shh_getFilterMessages', [filter])) as Answer)
        .result as { payload: string }[];
      expect(new Set(messages.map((m) => m.payload)).size).toBe(150);
      expect(await rpc(b, 'hush_inboxInfo')).toMatchObject({ held: { items: 0 } });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 240_000);
});
