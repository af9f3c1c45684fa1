/**
 * The methods geth serves beside shh_: web3_, net_, rpc_modules, and admin_ only where the
 * --rpc-api list names it, with geth's shapes.
 */
import { keccak256 } from '@hush/keccak';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/index.js';
import { call, eventually, testNode } from './helpers.js';

let plain: Awaited<ReturnType<typeof testNode>>;
let admin: Awaited<ReturnType<typeof testNode>>;
beforeAll(async () => {
  plain = await testNode();
  admin = await testNode({ rpcApi: ['shh', 'web3', 'net', 'admin'] });
});
afterAll(async () => {
  await plain?.stop();
  await admin?.stop();
});

const result = async (node: typeof plain, method: string, params: unknown[] = []) => {
  const answer = (await call(`${node.rpc.httpUrl}/`, method, params)) as {
    result?: unknown;
    error?: { code: number; message: string };
  };
  if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
  return answer.result;
};

describe("geth's web3_, net_, rpc_ and admin_ methods", () => {
  it('answers web3_ and net_ by default, as geth shapes them', async () => {
    expect(await result(plain, 'web3_clientVersion')).toMatch(
      /^Hush\/v\d+\.\d+\.\d+\/\w+-\w+\/node\d+/,
    );
    expect(await result(plain, 'web3_sha3', ['0x68656c6c6f'])).toBe(
      `0x${Buffer.from(keccak256(Buffer.from('hello'))).toString('hex')}`,
    );
    expect(await result(plain, 'net_version')).toBe('1');
    expect(await result(plain, 'net_listening')).toBe(true);
    expect(await result(plain, 'net_peerCount')).toBe('0x0');
    expect(await result(plain, 'rpc_modules')).toEqual({
      shh: '1.0',
      shhext: '1.0',
      web3: '1.0',
      net: '1.0',
      hush: '1.0',
    });
  });

  it('serves admin_ only when --rpc-api names it', async () => {
    await expect(result(plain, 'admin_nodeInfo')).rejects.toMatchObject({ code: -32601 });
    await expect(result(admin, 'shhext_requestMessages', [{}])).rejects.toMatchObject({
      code: -32601,
    });
    expect(() => resolveConfig({ 'rpc-api': 'shh,eth' }, {})).toThrow(/unknown module "eth"/);
  });

  it('reports node info, adds and removes peers', async () => {
    const info = (await result(admin, 'admin_nodeInfo')) as Record<string, unknown>;
    expect(info).toMatchObject({
      id: admin.id,
      enode: expect.stringMatching(
        new RegExp(`^enode://${admin.id.slice(2)}@127\\.0\\.0\\.1:\\d+$`),
      ),
      protocols: { shh: { version: '6.0', maxMessageSize: 1048576, minimumPoW: 0.2 } },
    });
    expect(await result(admin, 'admin_addPeer', [plain.gossip.addresses[0]])).toBe(true);
    await eventually(
      async () => (await result(admin, 'net_peerCount')) === '0x1',
      20_000,
      'a peer',
    );
    const peers = (await result(admin, 'admin_peers')) as { id: string; caps: string[] }[];
    expect(peers).toMatchObject([{ id: plain.id, caps: ['shh/6'], network: { inbound: false } }]);
    const plainPort = new URL(plain.gossip.addresses[0]!).port;
    expect((peers[0] as unknown as { enode: string }).enode).toBe(
      `enode://${plain.id.slice(2)}@127.0.0.1:${plainPort}`,
    );
    await expect(result(admin, 'admin_addPeer', ['enode://nonsense'])).rejects.toThrow(
      /invalid peer address/,
    );
    expect(await result(admin, 'admin_removePeer', [plain.gossip.addresses[0]])).toBe(true);
    await eventually(
      async () => (await result(admin, 'net_peerCount')) === '0x0',
      20_000,
      'no peer',
    );
  });
});
