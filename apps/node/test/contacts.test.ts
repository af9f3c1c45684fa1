/**
 * Contacts in the node (issue 13, item 7): the hush_* contact methods against a started node,
 * `hush contacts` on a free data dir and through a running `hush start` process, and bad
 * input on each.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBackend, randomBytes } from '@hush/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HushNode, startNode } from '../src/index.js';
import { call, LOCAL_LISTENERS, localConfig, spawnHush, testNode } from './helpers.js';

/** A fresh secp256k1 public key, 0x04… hex. */
function newKey(): string {
  let key = randomBytes(32);
  while (!defaultBackend.isValidPrivateKey(key)) key = randomBytes(32);
  return `0x${Buffer.from(defaultBackend.publicKeyCreate(key)).toString('hex')}`;
}

/** The peer id of a 0x04… public key. */
const peerIdOf = (publicKey: string) => publicKey.slice(4);

/** A JSON-RPC call's result, or its error thrown with its code. */
async function result(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const answer = (await call(url, method, params)) as {
    result?: unknown;
    error?: { code: number; message: string };
  };
  if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
  return answer.result;
}

/** Runs `hush <args>` to its end. */
async function hush(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawnHush(args, env);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr.on('data', (chunk) => {
    err += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out, err };
}

describe('hush_* contact methods', () => {
  let node: HushNode & { dataDir: string };
  let rpc: string;
  let without: HushNode & { dataDir: string };

  beforeAll(async () => {
    node = await testNode();
    rpc = node.rpc.httpUrl;
    without = await testNode({ rpcApi: ['shh', 'web3', 'net'] });
  });
  afterAll(async () => {
    await node?.stop();
    await without?.stop();
  });

  it('adds, renames, lists and removes contacts, kept in the node’s contact book', async () => {
    expect(await result(rpc, 'hush_listContacts')).toEqual([]);
    const alice = newKey();
    const before = Math.floor(Date.now() / 1000);
    const added = await result(rpc, 'hush_addContact', [alice, 'alice']);
    expect(added).toEqual({
      peerId: peerIdOf(alice),
      publicKey: alice,
      name: 'alice',
      added: expect.any(Number),
      introduced: false,
      introducedAt: null,
    });
    const { added: when } = added as { added: number };
    expect(when).toBeGreaterThanOrEqual(before);
    expect(when).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(node.contacts.book.has(Buffer.from(alice.slice(2), 'hex'))).toBe(true);

    // Again without a name: kept as it was. With a name: renamed, its added time kept.
    expect(await result(rpc, 'hush_addContact', [alice])).toMatchObject({ name: 'alice' });
    expect(await result(rpc, 'hush_addContact', [alice, null])).toMatchObject({ name: 'alice' });
    expect(await result(rpc, 'hush_addContact', [alice, 'Alice A.'])).toMatchObject({
      name: 'Alice A.',
      added: when,
    });
    // A key given bare, as a peer id, or as an enode URL is the same key.
    const bob = newKey();
    expect(await result(rpc, 'hush_addContact', [peerIdOf(bob)])).toMatchObject({
      peerId: peerIdOf(bob),
      publicKey: bob,
      name: '',
    });
    expect(
      await result(rpc, 'hush_addContact', [`enode://${peerIdOf(bob)}@127.0.0.1:30303`, 'bob']),
    ).toMatchObject({ publicKey: bob, name: 'bob' });

    const listed = (await result(rpc, 'hush_listContacts')) as { peerId: string }[];
    expect(listed.map((c) => c.peerId)).toEqual([peerIdOf(alice), peerIdOf(bob)].sort());

    // An introduction the node keeps shows, with when it was made.
    const sent = Math.floor(Date.now() / 1000);
    await node.contacts.book.recordIntroduction(Buffer.from(bob.slice(2), 'hex'), {
      sent,
      staticKey: new Uint8Array(32).fill(7),
      endpoints: ['ws://127.0.0.1:1'],
      signal: new Uint8Array(0),
    });
    expect(await result(rpc, 'hush_listContacts')).toContainEqual(
      expect.objectContaining({ peerId: peerIdOf(bob), introduced: true, introducedAt: sent }),
    );

    // Removed by public key or by peer id; answered with what was removed.
    expect(await result(rpc, 'hush_removeContact', [alice])).toMatchObject({
      peerId: peerIdOf(alice),
      name: 'Alice A.',
    });
    expect(await result(rpc, 'hush_removeContact', [`0x${peerIdOf(bob)}`])).toMatchObject({
      peerId: peerIdOf(bob),
      introduced: true,
    });
    expect(await result(rpc, 'hush_listContacts')).toEqual([]);
    expect(node.contacts.book.has(Buffer.from(alice.slice(2), 'hex'))).toBe(false);
    await expect(result(rpc, 'hush_removeContact', [alice])).rejects.toMatchObject({
      code: -32000,
      message: `no contact has peer id ${peerIdOf(alice)}`,
    });
  });

  it('refuses bad params with invalid params (-32602), naming the argument', async () => {
    const invalid = (index: number, pattern: RegExp) => ({
      code: -32602,
      message: expect.stringMatching(new RegExp(`^invalid argument ${index}: ${pattern.source}`)),
    });
    const add = (...params: unknown[]) => result(rpc, 'hush_addContact', params);
    await expect(add()).rejects.toMatchObject({
      code: -32602,
      message: 'missing value for required argument 0',
    });
    await expect(add(42)).rejects.toMatchObject(invalid(0, /publicKey must be a string/));
    await expect(add('0x1234')).rejects.toMatchObject(invalid(0, /.*not a secp256k1 public key/));
    await expect(add('0xzz')).rejects.toMatchObject(invalid(0, /.*not a secp256k1 public key/));
    await expect(add(newKey().slice(0, -1))).rejects.toMatchObject(invalid(0, /.*not a secp/));
    // 65 bytes with the 04 prefix that are not a point on the curve.
    await expect(add(`0x04${'00'.repeat(64)}`)).rejects.toMatchObject(invalid(0, /.*not a secp/));
    // A compressed key is not what contacts are known by.
    await expect(add(`0x02${'11'.repeat(32)}`)).rejects.toMatchObject(invalid(0, /.*not a secp/));
    await expect(add(newKey(), 7)).rejects.toMatchObject(invalid(1, /name must be a string/));
    await expect(add(newKey(), 'x'.repeat(257))).rejects.toMatchObject(
      invalid(1, /name: at most 256 bytes/),
    );
    await expect(add(newKey(), 'é'.repeat(129))).rejects.toMatchObject(invalid(1, /name/));
    await expect(add(newKey(), 'bell\u0007')).rejects.toMatchObject(
      invalid(1, /name: no control characters/),
    );
    // Its own key is refused as an operation, not as params.
    await expect(add(`0x${node.id}`, 'me')).rejects.toMatchObject({
      code: -32000,
      message: expect.stringMatching(/own key/),
    });
    await expect(result(rpc, 'hush_removeContact', [])).rejects.toMatchObject({ code: -32602 });
    await expect(result(rpc, 'hush_removeContact', [{}])).rejects.toMatchObject(
      invalid(0, /publicKey or peer id must be a string/),
    );
    await expect(result(rpc, 'hush_removeContact', ['alice'])).rejects.toMatchObject(
      invalid(0, /"alice" names no contact/),
    );
    // Nothing was added by any of it.
    expect(await result(rpc, 'hush_listContacts')).toEqual([]);
  });

  it('answers -32601 where --rpc-api leaves the hush module out', async () => {
    await expect(result(without.rpc.httpUrl, 'hush_listContacts')).rejects.toMatchObject({
      code: -32601,
    });
    expect(await result(rpc, 'rpc_modules')).toMatchObject({ hush: '1.0' });
  });

  it('keeps contacts in the data dir across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-contacts-'));
    try {
      const carol = newKey();
      const first = await startNode(localConfig(dataDir));
      await result(first.rpc.httpUrl, 'hush_addContact', [carol, 'carol']);
      await first.stop();
      const second = await startNode(localConfig(dataDir));
      try {
        expect(await result(second.rpc.httpUrl, 'hush_listContacts')).toEqual([
          expect.objectContaining({ publicKey: carol, name: 'carol' }),
        ]);
        expect(second.contacts.book.has(Buffer.from(carol.slice(2), 'hex'))).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('hush contacts', () => {
  it('adds, lists and removes contacts in a data dir no node holds', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-contacts-cli-'));
    const missing = join(dataDir, 'not-yet');
    try {
      // Listing where there is no store yet creates none.
      const empty = await hush(['contacts', 'list', '--data-dir', missing]);
      expect(empty).toMatchObject({ code: 0, out: '[]\n' });
      expect(existsSync(missing)).toBe(false);

      const dave = newKey();
      const add = await hush(['contacts', 'add', dave, '--name', 'dave', '--data-dir', dataDir]);
      expect(add).toMatchObject({ code: 0, out: `added contact ${peerIdOf(dave)} "dave"\n` });
      const rename = await hush([
        'contacts',
        'add',
        dave.slice(2),
        '--data-dir',
        dataDir,
        '--name',
        'Dave',
      ]);
      expect(rename).toMatchObject({ code: 0, out: `updated contact ${peerIdOf(dave)} "Dave"\n` });
      const list = await hush(['contacts', 'list', '--data-dir', dataDir]);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.out)).toEqual([
        {
          peerId: peerIdOf(dave),
          publicKey: dave,
          name: 'Dave',
          added: expect.any(Number),
          introduced: false,
          introducedAt: null,
        },
      ]);
      const remove = await hush(['contacts', 'remove', peerIdOf(dave), '--data-dir', dataDir]);
      expect(remove).toMatchObject({ code: 0, out: `removed contact ${peerIdOf(dave)} "Dave"\n` });
      expect(await hush(['contacts', 'list', '--data-dir', dataDir])).toMatchObject({
        code: 0,
        out: '[]\n',
      });

      // What a node started on the data dir then sees.
      const eve = newKey();
      expect((await hush(['contacts', 'add', eve, '--data-dir', dataDir])).code).toBe(0);
      const node = await startNode(localConfig(dataDir));
      try {
        expect(await result(node.rpc.httpUrl, 'hush_listContacts')).toEqual([
          expect.objectContaining({ publicKey: eve, name: '' }),
        ]);
      } finally {
        await node.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses bad input with a reason and a non-zero status', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-contacts-bad-'));
    try {
      const dir = ['--data-dir', dataDir];
      const usage = /usage: hush contacts list \| add/;
      const cases: [string[], number, RegExp][] = [
        [['contacts', 'add', '0x1234', ...dir], 2, /"0x1234" is not a secp256k1 public key/],
        [['contacts', 'add', `0x04${'00'.repeat(64)}`, ...dir], 2, /not a secp256k1 public key/],
        [['contacts', 'add', newKey(), '--name', 'x'.repeat(300), ...dir], 2, /at most 256/],
        [['contacts', 'add', ...dir], 2, usage],
        [['contacts', 'add', newKey(), newKey(), ...dir], 2, usage],
        [['contacts', 'remove', 'bob', ...dir], 2, /"bob" names no contact/],
        [['contacts', 'remove', newKey(), ...dir], 1, /no contact has peer id [0-9a-f]{128}/],
        [['contacts', 'list', 'extra', ...dir], 2, /contacts list takes no arguments/],
        [['contacts', 'list', '--name', 'x', ...dir], 2, /--name goes with contacts add/],
        [['contacts', 'forget', ...dir], 2, /unknown command "forget"/],
        [['contacts', ...dir], 2, /say list, add or remove/],
        [['status', '--name', 'x', ...dir], 2, /--name goes with contacts add/],
      ];
      for (const [args, code, message] of cases) {
        const run = await hush(args);
        expect([args, run.code, run.err]).toEqual([args, code, expect.stringMatching(message)]);
      }
      // The node's own key.
      const own = await hush(['keygen', ...dir]);
      const self = await hush(['contacts', 'add', own.out.trim(), ...dir]);
      expect(self).toMatchObject({ code: 1, err: expect.stringMatching(/own key/) });
      expect(await hush(['contacts', 'list', ...dir])).toMatchObject({ code: 0, out: '[]\n' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('through the node that holds the data dir', () => {
    let dataDir: string;
    let child: ChildProcessWithoutNullStreams;
    let rpcPort: string;
    let rpc: string;
    const token = 'contacts-token';

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'hush-contacts-node-'));
      child = spawnHush([
        'start',
        '--data-dir',
        dataDir,
        ...LOCAL_LISTENERS,
        '--metrics-port',
        '-1',
        '--log-level',
        'warn',
        '--rpc-token',
        token,
      ]);
      let out = '';
      let err = '';
      child.stderr.on('data', (chunk) => {
        err = (err + chunk).slice(-4000);
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (out.includes(' running')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
      });
      rpc = /rpc\s+(http:\/\/\S+)/.exec(out)![1]!;
      rpcPort = new URL(rpc).port;
    });
    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const at = () => ['--data-dir', dataDir, '--rpc-port', rpcPort];
    const env = () => ({ ...process.env, HUSH_RPC_TOKEN: token });
    const rpcResult = (method: string, params: unknown[] = []) =>
      call(rpc, method, params, { authorization: `Bearer ${token}` }).then(
        (a) => (a as { result?: unknown }).result,
      );

    it('adds, lists and removes through the running node’s hush_* methods', async () => {
      const frank = newKey();
      const add = await hush(['contacts', 'add', frank, '--name', 'frank', ...at()], env());
      expect(add).toMatchObject({ code: 0, out: `added contact ${peerIdOf(frank)} "frank"\n` });
      // The running node knows it at once: it went through the node, not around it.
      expect(await rpcResult('hush_listContacts')).toEqual([
        expect.objectContaining({ publicKey: frank, name: 'frank' }),
      ]);
      const list = await hush(['contacts', 'list', ...at()], env());
      expect(list.code).toBe(0);
      expect(JSON.parse(list.out)).toEqual(await rpcResult('hush_listContacts'));

      const gone = await hush(['contacts', 'remove', peerIdOf(newKey()), ...at()], env());
      expect(gone).toMatchObject({ code: 1, err: expect.stringMatching(/no contact has peer id/) });
      const bad = await hush(['contacts', 'add', '0x04ff', ...at()], env());
      expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/not a secp256k1/) });
      const remove = await hush(['contacts', 'remove', frank, ...at()], env());
      expect(remove).toMatchObject({
        code: 0,
        out: `removed contact ${peerIdOf(frank)} "frank"\n`,
      });
      expect(await rpcResult('hush_listContacts')).toEqual([]);
    });

    it('says what is missing when the node wants a token or does not answer', async () => {
      const noToken = await hush(['contacts', 'list', ...at()]);
      expect(noToken).toMatchObject({
        code: 1,
        err: expect.stringMatching(/in use by a running node.*wants a token: pass --rpc-token/),
      });
      const wrongPort = await hush(['contacts', 'list', '--data-dir', dataDir, '--rpc-port', '1']);
      expect(wrongPort).toMatchObject({
        code: 1,
        err: expect.stringMatching(
          /in use by a running node, and no node answers at http:\/\/127\.0\.0\.1:1\//,
        ),
      });
    });

    it('leaves the contacts added through the node in the data dir once it stops', async () => {
      const grace = newKey();
      expect((await hush(['contacts', 'add', grace, ...at()], env())).code).toBe(0);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const list = await hush(['contacts', 'list', '--data-dir', dataDir]);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ publicKey: grace })]);
    });
  });

  it('says so when the running node does not serve the hush module', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-contacts-nohush-'));
    const node = await startNode(localConfig(dataDir, { rpcApi: ['shh'] }));
    try {
      const port = new URL(node.rpc.httpUrl).port;
      const run = await hush(['contacts', 'list', '--data-dir', dataDir, '--rpc-port', port]);
      expect(run).toMatchObject({
        code: 1,
        err: expect.stringMatching(
          /does not serve the hush module: start it with hush in --rpc-api/,
        ),
      });
    } finally {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
