/**
 * specs/rlpx §6–§7 through the node: `--rlpx` listens for RLPx peers, `--bootstrap` and
 * `admin_addPeer` take enode:// URLs, `admin_nodeInfo` gives the RLPx enode, and one gossip
 * engine bridges both transports: a message posted on a node whose only peer is over RLPx
 * reaches a node two hops away over a Noise link, and back.
 */
import { defaultBackend } from '@hush/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/index.js';
import { call, eventually, testNode } from './helpers.js';

const nodes: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.stop();
});

async function result(url: string, method: string, params: unknown[] = []) {
  const answer = await call(url, method, params);
  if (!('result' in answer)) throw new Error(`${method}: ${JSON.stringify(answer)}`);
  return answer.result;
}

const peers = async (url: string) =>
  Number.parseInt((await result(url, 'net_peerCount')) as string, 16);

describe('hush over RLPx', () => {
  it('validates --rlpx and enode:// bootstrap peers', () => {
    const key = Buffer.from(defaultBackend.publicKeyCreate(new Uint8Array(32).fill(1)).subarray(1));
    const enode = `enode://${key.toString('hex')}@127.0.0.1:30303`;
    expect(
      resolveConfig({ rlpx: '0.0.0.0:30303', listen: '127.0.0.1:30304', bootstrap: enode }, {})
        .bootstrap,
    ).toEqual([enode]);
    // The gossip listener's default port is 30303 too: one TCP port cannot serve both.
    expect(() => resolveConfig({ rlpx: '0.0.0.0:30303' }, {})).toThrow(
      /rlpx 0\.0\.0\.0:30303 and listen 127\.0\.0\.1:30303 are the same TCP port/,
    );
    expect(resolveConfig({ rlpx: '127.0.0.2:30303' }, {}).rlpx).toBe('127.0.0.2:30303');
    expect(resolveConfig({ rlpx: '127.0.0.1:0', listen: '127.0.0.1:0' }, {}).rlpx).toBe(
      '127.0.0.1:0',
    );
    expect(() => resolveConfig({ 'rlpx-announce': '203.0.113.9' }, {})).toThrow(
      /rlpx-announce names the host of the --rlpx listener/,
    );
    for (const bad of ['203.0.113.9:30303', 'http://x', '[::1]', 'a b'])
      expect(() => resolveConfig({ rlpx: '127.0.0.1:0', 'rlpx-announce': bad }, {})).toThrow(
        /is not a host: give an IP address or a DNS name/,
      );
    for (const good of ['203.0.113.9', '::1', 'node.example.org'])
      expect(resolveConfig({ rlpx: '127.0.0.1:0', 'rlpx-announce': good }, {}).rlpxAnnounce).toBe(
        good,
      );
    expect(() => resolveConfig({ discovery: 'true' }, {})).toThrow(/give --rlpx too/);
    expect(() =>
      resolveConfig({ rlpx: '127.0.0.1:0', discovery: 'true', bootnodes: 'enode://nope' }, {}),
    ).toThrow(/bootnodes: "enode:\/\/nope" is not an enode URL/);
    expect(() => resolveConfig({ rlpx: '127.0.0.1:0', bootnodes: enode }, {})).toThrow(
      /give --discovery too/,
    );
    expect(() => resolveConfig({ rlpx: 'localhost:0', discovery: 'true' }, {})).toThrow(
      /give --rlpx an IP address, not "localhost"/,
    );
    expect(() =>
      resolveConfig(
        { rlpx: '127.0.0.1:0', discovery: 'true', 'rlpx-announce': 'node.example.org' },
        {},
      ),
    ).toThrow(/rlpx-announce must be an IP address/);
    const found = resolveConfig({ rlpx: '127.0.0.1:0', discovery: 'true', bootnodes: enode }, {});
    expect([found.discovery, found.bootnodes]).toEqual([true, [enode]]);
    expect(() => resolveConfig({ rlpx: 'nowhere' }, {})).toThrow(/rlpx must be host:port/);
    expect(() =>
      resolveConfig({ bootstrap: `enode://${'ab'.repeat(63)}@127.0.0.1:30303` }, {}),
    ).toThrow(/is not a peer address \(an enode URL is/);
  });

  it('finds RLPx peers through discovery v4: two nodes that only know a bootnode peer with each other', async () => {
    const admin = ['shh', 'web3', 'net', 'admin'] as const;
    const boot = await testNode({ rlpx: '127.0.0.1:0', discovery: true, rpcApi: [...admin] });
    nodes.push(boot);
    const bootInfo = (await result(boot.rpc.httpUrl, 'admin_nodeInfo')) as {
      enode: string;
      ports: { discovery: number; listener: number };
      listenAddr: string;
    };
    // UDP on the RLPx listener's port, as geth: the enode URL needs no discport.
    expect(bootInfo.ports.discovery).toBe(bootInfo.ports.listener);
    expect(bootInfo.listenAddr).toBe(`127.0.0.1:${bootInfo.ports.listener}`);
    expect(bootInfo.enode).toMatch(/^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/);
    // Bootnodes only: neither is told of the other, nor given a static peer.
    const [a, c] = await Promise.all(
      [0, 1].map(() =>
        testNode({
          rlpx: '127.0.0.1:0',
          discovery: true,
          bootnodes: [bootInfo.enode],
          rpcApi: [...admin],
        }),
      ),
    );
    nodes.push(a!, c!);
    await eventually(
      () => a!.gossip.hasPeer(c!.gossip.id) || c!.gossip.hasPeer(a!.gossip.id),
      60_000,
      'a and c peered through discovery',
    );
    expect(a!.discovery?.nodes().length).toBeGreaterThanOrEqual(1);
  });

  it('bridges RLPx and Noise peers: sym messages both ways across the two transports', async () => {
    const a = await testNode({
      rlpx: '127.0.0.1:0',
      rpcApi: ['shh', 'web3', 'net', 'admin'],
      minPow: 0.01,
    });
    nodes.push(a);
    const info = (await result(a.rpc.httpUrl, 'admin_nodeInfo')) as { enode: string };
    expect(info.enode).toMatch(/^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/);
    // b: one RLPx peer (a) and, over a Noise link, c.
    const b = await testNode({
      bootstrap: [info.enode],
      rpcApi: ['shh', 'web3', 'net', 'admin'],
      minPow: 0.01,
    });
    nodes.push(b);
    const c = await testNode({ bootstrap: [b.gossip.linkAddresses[0]!], minPow: 0.01 });
    nodes.push(c);
    await eventually(
      async () => (await peers(a.rpc.httpUrl)) === 1 && (await peers(b.rpc.httpUrl)) === 2,
      20_000,
      'peers',
    );
    const bPeers = (await result(b.rpc.httpUrl, 'admin_peers')) as {
      enode: string;
      network: { remoteAddress: string };
    }[];
    expect(bPeers.some((p) => p.enode.startsWith(info.enode.slice(0, 40)))).toBe(true);

    const topic = '0x0a0b0c0d';
    const keys = await Promise.all(
      [a, c].map((n) => result(n.rpc.httpUrl, 'shh_generateSymKeyFromPassword', ['rlpx bridge'])),
    );
    const [filterA, filterC] = await Promise.all(
      [a, c].map((n, i) =>
        result(n.rpc.httpUrl, 'shh_newMessageFilter', [{ symKeyID: keys[i], topics: [topic] }]),
      ),
    );
    const post = (url: string, key: unknown, text: string) =>
      result(url, 'shh_post', [
        {
          symKeyID: key,
          topic,
          payload: `0x${Buffer.from(text).toString('hex')}`,
          ttl: 60,
          powTarget: 0.02,
          powTime: 2,
        },
      ]);
    const received = async (url: string, filter: unknown) =>
      ((await result(url, 'shh_getFilterMessages', [filter])) as { payload: string }[]).map((m) =>
        Buffer.from(m.payload.slice(2), 'hex').toString(),
      );
    await post(a.rpc.httpUrl, keys[0], 'from a over rlpx');
    // A node's own filters get what it posts too, as geth's do: look for the other's message.
    const atC: string[] = [];
    await eventually(
      async () => {
        atC.push(...(await received(c.rpc.httpUrl, filterC)));
        return atC.includes('from a over rlpx');
      },
      20_000,
      'a → c',
    );
    await post(c.rpc.httpUrl, keys[1], 'from c over noise');
    const atA: string[] = [];
    await eventually(
      async () => {
        atA.push(...(await received(a.rpc.httpUrl, filterA)));
        return atA.includes('from c over noise');
      },
      20_000,
      'c → a',
    );
    expect(atA.filter((m) => m === 'from c over noise')).toHaveLength(1);
  });

  it('admin_addPeer takes an enode URL', async () => {
    const a = await testNode({ rlpx: '127.0.0.1:0', rpcApi: ['shh', 'web3', 'net', 'admin'] });
    nodes.push(a);
    const b = await testNode({ rpcApi: ['shh', 'web3', 'net', 'admin'] });
    nodes.push(b);
    const { enode } = (await result(a.rpc.httpUrl, 'admin_nodeInfo')) as { enode: string };
    expect(await result(b.rpc.httpUrl, 'admin_addPeer', [enode])).toBe(true);
    await eventually(async () => (await peers(a.rpc.httpUrl)) === 1, 20_000, 'the RLPx peer');
    // Removed by its enode URL, it stays removed: no redial brings it back.
    expect(await result(b.rpc.httpUrl, 'admin_removePeer', [enode])).toBe(true);
    await eventually(async () => (await peers(a.rpc.httpUrl)) === 0, 20_000, 'the peer removed');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await peers(b.rpc.httpUrl)).toBe(0);
    expect(await call(b.rpc.httpUrl, 'admin_addPeer', ['enode://nope@1.2.3.4:5'])).toMatchObject({
      error: { code: -32000 },
    });
  });
});
