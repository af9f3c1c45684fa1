/**
 * The shh_* JSON-RPC as geth v1.8.27 shapes it, over HTTP and WebSocket, and the RPC's
 * protections: virtual hosts, browser origins, tokens, bad parameters, batches.
 */

import { connect } from 'node:net';
import { hostname } from 'node:os';
import { symKeyFromPassword } from '@hush/message';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { HushNode } from '../src/index.js';
import { PasswordKeyDeriver } from '../src/rpc/password-keys.js';
import { call, eventually, rawPost, testNode } from './helpers.js';

let node: HushNode;
let url: string;
beforeAll(async () => {
  node = await testNode();
  url = `${node.rpc.httpUrl}/`;
});
afterAll(() => node?.stop());

const result = async (method: string, params: unknown[] = []) => {
  const response = (await call(url, method, params)) as { result?: unknown; error?: unknown };
  if (response.error) throw new Error(JSON.stringify(response.error));
  return response.result;
};

describe('shh_* over HTTP', () => {
  it('answers version and info as geth', async () => {
    expect(await result('shh_version')).toBe('6.0');
    expect(await result('shh_info')).toEqual({
      memory: 0,
      messages: 0,
      minPow: 0.2,
      maxMessageSize: 1048576,
    });
    expect(await result('shh_setMinPoW', [0.3])).toBe(true);
    expect(await result('shh_setMaxMessageSize', [2048])).toBe(true);
    expect(await result('shh_info')).toMatchObject({ minPow: 0.3, maxMessageSize: 2048 });
    await result('shh_setMinPoW', [0.2]);
    await result('shh_setMaxMessageSize', [1048576]);
  });

  it('manages symmetric keys and key pairs with geth ids', async () => {
    const sym = (await result('shh_newSymKey')) as string;
    expect(sym).toMatch(/^[0-9a-f]{64}$/);
    expect(await result('shh_hasSymKey', [sym])).toBe(true);
    expect(await result('shh_getSymKey', [sym])).toMatch(/^0x[0-9a-f]{64}$/);
    const fromPassword = (await result('shh_generateSymKeyFromPassword', [''])) as string;
    expect(await result('shh_getSymKey', [fromPassword])).toBe(
      '0xffe46925eca10a1c333a2f37eaea7cafbb7fa5f1f8e097010f93d73ae7fb7e67',
    );
    expect(await result('shh_deleteSymKey', [sym])).toBe(true);
    expect(await result('shh_hasSymKey', [sym])).toBe(false);
    const pair = (await result('shh_newKeyPair')) as string;
    expect(await result('shh_getPublicKey', [pair])).toMatch(/^0x04[0-9a-f]{128}$/);
    const imported = (await result('shh_addPrivateKey', [
      '0x4646464646464646464646464646464646464646464646464646464646464646',
    ])) as string;
    expect(await result('shh_getPrivateKey', [imported])).toBe(
      '0x4646464646464646464646464646464646464646464646464646464646464646',
    );
    expect(await result('shh_deleteKeyPair', [pair])).toBe(true);
    expect(await call(url, 'shh_deleteKeyPair', [pair])).toMatchObject({ error: { code: -32000 } });
  });

  it('posts, and delivers through a polling filter with geth message fields', async () => {
    const sym = (await result('shh_generateSymKeyFromPassword', ['shared'])) as string;
    const signer = (await result('shh_newKeyPair')) as string;
    const filter = (await result('shh_newMessageFilter', [
      { symKeyID: sym, topics: ['0xdeadbeef'] },
    ])) as string;
    const hash = await result('shh_post', [
      {
        symKeyID: sym,
        sig: signer,
        ttl: 30,
        topic: '0xdeadbeef',
        payload: '0x68656c6c6f',
        powTarget: 0.2,
        powTime: 5,
      },
    ]);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    let messages: Record<string, unknown>[] = [];
    await eventually(async () => {
      messages = [
        ...messages,
        ...((await result('shh_getFilterMessages', [filter])) as Record<string, unknown>[]),
      ];
      return messages.length > 0;
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      ttl: 30,
      topic: '0xdeadbeef',
      payload: '0x68656c6c6f',
      hash,
      sig: await result('shh_getPublicKey', [signer]),
    });
    expect(Object.keys(messages[0]!).sort()).toEqual([
      'hash',
      'padding',
      'payload',
      'pow',
      'sig',
      'timestamp',
      'topic',
      'ttl',
    ]);
    expect(await result('shh_deleteMessageFilter', [filter])).toBe(true);
    expect(await call(url, 'shh_getFilterMessages', [filter])).toMatchObject({
      error: { message: 'filter not found' },
    });
    // An unknown (or already deleted) filter id is refused as geth refuses it.
    expect(await call(url, 'shh_deleteMessageFilter', [filter])).toMatchObject({
      error: { code: -32000, message: 'Unsubscribe: Invalid ID' },
    });
  });

  it('echoes an unknown method name back at most 64 characters long', async () => {
    const response = (await call(url, `shh_${'x'.repeat(100_000)}`)) as {
      error: { message: string };
    };
    expect(response.error.message.length).toBeLessThan(150);
    expect(response.error.message).toMatch(/^the method shh_x{60}…/);
  });

  it('refuses bad input with JSON-RPC errors that name the parameter, never a crash', async () => {
    expect(await call(url, 'shh_post', [{ topic: '0x01' }])).toMatchObject({
      error: { code: -32602 },
    });
    expect(
      await call(url, 'shh_post', [{ symKeyID: 'nope', topic: '0x01020304', powTarget: 1 }]),
    ).toMatchObject({
      error: { message: 'non-existent key ID' },
    });
    expect(await call(url, 'shh_post', [{}])).toMatchObject({
      error: { message: 'specify either a symmetric or an asymmetric key' },
    });
    expect(await call(url, 'shh_addSymKey', ['abcd'])).toMatchObject({
      error: { code: -32602, message: expect.stringMatching(/0x prefix/) },
    });
    expect(await call(url, 'shh_setMinPoW', ['high'])).toMatchObject({ error: { code: -32602 } });
    expect(await call(url, 'shh_hasKeyPair', [])).toMatchObject({ error: { code: -32602 } });
    expect(await call(url, 'shh_nope')).toMatchObject({ error: { code: -32601 } });
    const sym = (await result('shh_newSymKey')) as string;
    expect(
      await call(url, 'shh_post', [
        { symKeyID: sym, topic: '0x01020304', powTarget: 0.01, powTime: 1 },
      ]),
    ).toMatchObject({
      error: { message: 'message rejected, PoW too low' },
    });
    const raw = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":',
    });
    expect(await raw.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('bounds memory against hostile clients: huge bodies and batches, thousands of filters, unknown ids', async () => {
    const huge = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'shh_post',
        params: [{ payload: `0x${'00'.repeat(3 << 20)}` }],
      }),
    });
    expect(huge.status).toBe(413);
    const batch = Array.from({ length: 101 }, (_, id) => ({
      jsonrpc: '2.0',
      id,
      method: 'shh_version',
      params: [],
    }));
    const tooMany = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    expect(await tooMany.json()).toMatchObject({ error: { code: -32600 } });
    const sym = (await result('shh_newSymKey')) as string;
    const make = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'shh_newMessageFilter',
      params: [{ symKeyID: sym }],
    });
    const answers: { result?: string; error?: { message: string } }[] = [];
    for (let round = 0; round < 11; round++) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Array.from({ length: 100 }, (_, i) => make(round * 100 + i))),
      });
      answers.push(...((await response.json()) as typeof answers));
    }
    const made = answers.filter((a) => a.result);
    // One client (this HTTP address) holds at most its quota of the 1,000 filters.
    expect(made.length).toBe(250);
    expect(answers.filter((a) => a.error).length).toBe(1100 - made.length);
    expect(answers.find((a) => a.error)!.error!.message).toMatch(
      /this client holds 250 filters and subscriptions, the most one client may \(250\)/,
    );
    await Promise.all(made.map((a) => call(url, 'shh_deleteMessageFilter', [a.result])));
    expect(await call(url, 'shh_getFilterMessages', ['00'.repeat(32)])).toMatchObject({
      error: { message: 'filter not found' },
    });
    expect(await call(url, 'shh_deleteKey', [])).toMatchObject({ error: { code: -32601 } });
    expect(
      await call(url, 'shh_newMessageFilter', [{ symKeyID: sym, topics: 'abc' }]),
    ).toMatchObject({
      error: { code: -32602, message: expect.stringMatching(/topics/) },
    });
    const manyTopics = Array.from(
      { length: 1001 },
      (_, i) => `0x${i.toString(16).padStart(8, '0')}`,
    );
    expect(
      await call(url, 'shh_newMessageFilter', [{ symKeyID: sym, topics: manyTopics }]),
    ).toMatchObject({
      error: { code: -32602 },
    });
  });

  it('answers batches', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'shh_version', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'shh_nope', params: [] },
      ]),
    });
    expect(await response.json()).toEqual([
      { jsonrpc: '2.0', id: 1, result: '6.0' },
      {
        jsonrpc: '2.0',
        id: 2,
        error: { code: -32601, message: 'the method shh_nope does not exist/is not available' },
      },
    ]);
  });
});

describe("Go's encodings of absent values, read as geth reads them", () => {
  const raw = async (body: object) =>
    (await (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()) as { result?: unknown; error?: { code: number; message: string } };

  it('takes omitted and null params as no arguments', async () => {
    expect(await raw({ jsonrpc: '2.0', id: 1, method: 'shh_version' })).toMatchObject({
      result: '6.0',
    });
    expect(
      await raw({ jsonrpc: '2.0', id: 2, method: 'shh_newSymKey', params: null }),
    ).toMatchObject({
      result: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(await raw({ jsonrpc: '2.0', id: 3, method: 'shh_version', params: {} })).toMatchObject({
      error: { code: -32602 },
    });
    // A method that needs an argument still says which one is missing.
    expect(await raw({ jsonrpc: '2.0', id: 4, method: 'shh_hasSymKey' })).toMatchObject({
      error: { code: -32602, message: 'missing value for required argument 0' },
    });
  });

  it("reads Go's zero values in Criteria and NewMessage as absent, and ignores unknown fields", async () => {
    const key = (await result('shh_newSymKey')) as string;
    const filter = await result('shh_newMessageFilter', [
      {
        symKeyID: key,
        privateKeyID: '',
        sig: '0x',
        minPow: 0,
        topics: ['0x0a0b0c0d'],
        allowP2P: false,
        somethingNew: 1,
      },
    ]);
    await result('shh_post', [
      {
        symKeyID: key,
        pubKey: '0x',
        sig: '',
        ttl: 0,
        topic: '0x0a0b0c0d',
        payload: '0x0102',
        padding: '0x',
        powTime: 2,
        powTarget: 0.2,
        targetPeer: '',
        extra: 'ignored',
      },
    ]);
    const messages: { payload: string; ttl: number; sig?: string }[] = [];
    await eventually(async () => {
      messages.push(...((await result('shh_getFilterMessages', [filter])) as typeof messages));
      return messages.length > 0;
    });
    expect(messages[0]).toMatchObject({ payload: '0x0102', ttl: 50 });
    expect(messages[0]!.sig).toBeUndefined();
    // null is absent too (Go's nil slices and pointers).
    const nulls = await result('shh_newMessageFilter', [
      { symKeyID: key, privateKeyID: null, sig: null, minPow: null, topics: null, allowP2P: null },
    ]);
    expect(typeof nulls).toBe('string');
  });

  it('still refuses wrong types, naming the field', async () => {
    const key = (await result('shh_newSymKey')) as string;
    for (const [criteria, field] of [
      [{ symKeyID: key, allowP2P: 'yes' }, 'allowP2P'],
      [{ symKeyID: key, minPow: '1' }, 'minPow'],
      [{ symKeyID: key, sig: 42 }, 'sig'],
      [{ symKeyID: 7 }, 'symKeyID'],
    ] as const) {
      const response = await call(url, 'shh_newMessageFilter', [criteria]);
      expect(response).toMatchObject({ error: { code: -32602 } });
      expect((response as { error: { message: string } }).error.message).toContain(field);
    }
    const response = await call(url, 'shh_post', [{ symKeyID: key, ttl: 'long' }]);
    expect((response as { error: { code: number; message: string } }).error).toMatchObject({
      code: -32602,
      message: expect.stringContaining('ttl'),
    });
  });
});

describe('refusals before work', () => {
  it('refuses an envelope over the size limit before sealing it', async () => {
    const seals = async () =>
      Number(
        /^hush_pow_seal_duration_seconds_count (\d+)$/m.exec(
          await (await fetch(`${node.metricsUrl}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    const before = await seals();
    const key = await result('shh_newSymKey');
    const response = await call(url, 'shh_post', [
      {
        symKeyID: key,
        topic: '0x01020304',
        payload: `0x${'ab'.repeat(2 * 1024 * 1024)}`,
        powTarget: 0.2,
        powTime: 40,
      },
    ]);
    expect(response).toMatchObject({
      error: { code: -32000, message: expect.stringMatching(/^huge messages are not allowed/) },
    });
    expect(await seals()).toBe(before);
  });

  it('refuses a direct message to a peer that is not connected before sealing it', async () => {
    const key = await result('shh_newSymKey');
    const stranger = `enode://${'ab'.repeat(64)}@127.0.0.1:30399`;
    // A target no seal reaches within powTime: a refusal after the seal would say so instead.
    expect(
      await call(url, 'shh_post', [
        {
          symKeyID: key,
          topic: '0x01020304',
          payload: '0x01',
          powTarget: 1e9,
          powTime: 30,
          targetPeer: stranger,
        },
      ]),
    ).toMatchObject({ error: { code: -32000, message: 'target peer is not connected' } });
  });
});

describe('filter quotas', () => {
  it('keeps one client from taking every filter slot, and frees subscriptions on close', async () => {
    const sym = (await result('shh_newSymKey')) as string;
    const greedy = new WebSocket(node.rpc.wsUrl);
    await new Promise((resolve) => greedy.once('open', resolve));
    const answers: { id: number; result?: string; error?: { message: string } }[] = [];
    greedy.on('message', (data) => answers.push(JSON.parse(String(data))));
    for (let id = 1; id <= 260; id++)
      greedy.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'shh_subscribe',
          params: ['messages', { symKeyID: sym, topics: ['0x01020304'] }],
        }),
      );
    await eventually(() => answers.length === 260, 20_000, '260 answers');
    expect(answers.filter((a) => a.result)).toHaveLength(250);
    expect(answers.find((a) => a.error)?.error?.message).toMatch(/the most one client may/);
    // Another client is not refused.
    expect(await call(url, 'shh_newMessageFilter', [{ symKeyID: sym }])).toMatchObject({
      result: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const held = async () =>
      Number(
        /^hush_filters (\d+)$/m.exec(await (await fetch(`${node.metricsUrl}/metrics`)).text())?.[1],
      );
    const withGreedy = await held();
    greedy.close();
    // Its 250 subscriptions are released with its connection.
    await eventually(async () => (await held()) === withGreedy - 250, 20_000, 'the release');
  });
});

describe('seals that cannot finish', () => {
  const sealsRunning = async () =>
    Number(
      /^hush_pow_seals_running (\d+)$/m.exec(
        await (await fetch(`${node.metricsUrl}/metrics`)).text(),
      )?.[1],
    );
  const hopeless = (symKeyID: unknown, powTime = 50) => ({
    symKeyID,
    topic: '0x01020304',
    payload: '0x01',
    powTarget: 1e9,
    powTime,
  });

  it('refuses a powTime over --max-pow-time', async () => {
    const key = await result('shh_newSymKey');
    expect(await call(url, 'shh_post', [hopeless(key, 1e9)])).toMatchObject({
      error: { message: expect.stringMatching(/exceeds this node's limit of 60 seconds/) },
    });
  });

  it('stops a seal when its client goes away, and bounds seals per client', async () => {
    const key = await result('shh_newSymKey');
    const socket = new WebSocket(node.rpc.wsUrl);
    await new Promise((resolve) => socket.once('open', resolve));
    const answers: { id: number; error?: { message: string } }[] = [];
    socket.on('message', (data) => answers.push(JSON.parse(String(data))));
    for (const id of [1, 2, 3])
      socket.send(
        JSON.stringify({ jsonrpc: '2.0', id, method: 'shh_post', params: [hopeless(key)] }),
      );
    // Two seals run for this connection; the third is refused at once.
    await eventually(() => answers.some((a) => a.id === 3), 20_000, 'the third answer');
    expect(answers.find((a) => a.id === 3)?.error?.message).toMatch(
      /already has 2 messages being sealed/,
    );
    await eventually(async () => (await sealsRunning()) === 2, 20_000, 'two seals running');
    // Another client is not held back by that bound.
    const other = await call(url, 'shh_post', [
      { symKeyID: key, topic: '0x01020304', payload: '0x02', powTarget: 0.2, powTime: 5 },
    ]);
    expect(other).toMatchObject({ result: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    // The client hangs up: its seals stop instead of running for their 50 s.
    socket.close();
    await eventually(async () => (await sealsRunning()) === 0, 20_000, 'the seals to stop');
  });

  it('stops the seal of an HTTP client that hangs up', async () => {
    const key = await result('shh_newSymKey');
    const abandoned = new AbortController();
    const request = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'shh_post', params: [hopeless(key)] }),
      signal: abandoned.signal,
    }).catch(() => 'hung up');
    await eventually(async () => (await sealsRunning()) === 1, 20_000, 'the seal to start');
    abandoned.abort();
    expect(await request).toBe('hung up');
    await eventually(async () => (await sealsRunning()) === 0, 20_000, 'the seal to stop');
  });
});

describe('password keys off the event loop', () => {
  it("answers other requests while many password keys are derived, with geth's keys", async () => {
    let settled = 0;
    const derivations = Array.from({ length: 50 }, (_, i) =>
      result('shh_generateSymKeyFromPassword', [`password ${i}`]).finally(() => {
        settled++;
      }),
    );
    expect(await result('shh_version')).toBe('6.0');
    // Answered while the derivations run: PBKDF2 no longer holds the event loop.
    expect(settled).toBeLessThan(derivations.length);
    const ids = (await Promise.all(derivations)) as string[];
    const key = await result('shh_getSymKey', [ids[7]]);
    expect(key).toBe(`0x${Buffer.from(symKeyFromPassword('password 7')).toString('hex')}`);
  });

  it('refuses derivations past its queue instead of queueing without end', async () => {
    const deriver = new PasswordKeyDeriver({ concurrency: 1, maxQueued: 2 });
    const waiting = [deriver.derive('a'), deriver.derive('b'), deriver.derive('c')];
    await expect(deriver.derive('d')).rejects.toThrow(/too many password keys/);
    expect((await Promise.all(waiting)).map((k) => k.length)).toEqual([32, 32, 32]);
  });
});

describe('RPC protections', () => {
  it('refuses foreign Host headers and browser origins, and accepts programs without Origin', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'shh_version', params: [] });
    expect(await rawPost(url, body, { host: 'attacker.example' })).toBe(403);
    expect(await rawPost(url, body, { host: 'localhost:8545' })).toBe(200);
    expect(
      await call(url, 'shh_version', [], { origin: 'https://attacker.example' }),
    ).toMatchObject({ status: 403 });
    expect(await call(url, 'shh_version')).toMatchObject({ result: '6.0' });
    const ws = new WebSocket(node.rpc.wsUrl, { headers: { origin: 'https://attacker.example' } });
    const code = await new Promise((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode)),
    );
    expect(code).toBe(403);
  });

  it('admits on WebSocket the origins geth admits when none are configured, and no others', async () => {
    const status = (origin: string, at = node.rpc.wsUrl) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(at, { headers: { origin } });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    // geth's wsHandshakeValidator: http://localhost and http://<this host's name>, any case.
    expect(await status('http://localhost')).toBe(101);
    expect(await status(`http://${hostname().toLowerCase()}`)).toBe(101);
    expect(await status(`HTTP://${hostname().toUpperCase()}`)).toBe(101);
    expect(await status('http://localhost:3000')).toBe(403);
    expect(await status(`https://${hostname()}`)).toBe(403);
    // Plain HTTP has no such default: a browser page needs --rpc-origins.
    expect(await call(url, 'shh_version', [], { origin: 'http://localhost' })).toMatchObject({
      status: 403,
    });
    // A configured list replaces the defaults.
    const listed = await testNode({ rpcOrigins: ['https://app.example'] });
    try {
      expect(await status('http://localhost', listed.rpc.wsUrl)).toBe(403);
      expect(await status('https://APP.example', listed.rpc.wsUrl)).toBe(101);
    } finally {
      await listed.stop();
    }
  });

  it('requires the token when one is set', async () => {
    const guarded = await testNode({ rpcToken: 's3cret', rpcOrigins: ['https://app.example'] });
    try {
      const at = `${guarded.rpc.httpUrl}/`;
      expect(await call(at, 'shh_version')).toMatchObject({ status: 401 });
      expect(await call(at, 'shh_version', [], { authorization: 'Bearer s3cret' })).toMatchObject({
        result: '6.0',
      });
      expect(
        await call(at, 'shh_version', [], {
          authorization: 'Bearer s3cret',
          origin: 'https://app.example',
        }),
      ).toMatchObject({
        result: '6.0',
      });
      // An unparsable request target on the WebSocket port is refused, not fatal.
      const port = new URL(guarded.rpc.wsUrl).port;
      const reply = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write(
            'GET //[ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          ),
        );
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
      expect(reply).toMatch(/^HTTP\/1\.1 401/);
      expect(await call(at, 'shh_version', [], { authorization: 'Bearer s3cret' })).toMatchObject({
        result: '6.0',
      });
    } finally {
      await guarded.stop();
    }
  });
});

describe('shh_subscribe over WebSocket', () => {
  it('answers a request whose id cannot be echoed with an error, and keeps serving', async () => {
    const ws = new WebSocket(node.rpc.wsUrl);
    await new Promise((resolve) => ws.once('open', resolve));
    const inbox: Record<string, unknown>[] = [];
    ws.on('message', (data) => inbox.push(JSON.parse(data.toString())));
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    ws.send(`{"jsonrpc":"2.0","method":"nope","id":${deep}}`);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'shh_version', params: [] }));
    await eventually(() => inbox.length === 2);
    expect(inbox).toContainEqual(
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) }),
    );
    expect(inbox).toContainEqual(expect.objectContaining({ id: 2, result: '6.0' }));
    ws.close();
  });

  it('pushes messages as shh_subscription notifications, and stops after shh_unsubscribe', async () => {
    const ws = new WebSocket(node.rpc.wsUrl);
    await new Promise((resolve) => ws.once('open', resolve));
    const inbox: Record<string, unknown>[] = [];
    ws.on('message', (data) => inbox.push(JSON.parse(data.toString())));
    const send = (id: number, method: string, params: unknown[]) =>
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    send(1, 'shh_newSymKey', []);
    await eventually(() => inbox.some((m) => m.id === 1));
    const sym = inbox.find((m) => m.id === 1)!.result as string;
    send(2, 'shh_subscribe', ['messages', { symKeyID: sym, topics: ['0xabcdef01'] }]);
    await eventually(() => inbox.some((m) => m.id === 2));
    const subscription = inbox.find((m) => m.id === 2)!.result as string;
    expect(subscription).toMatch(/^0x[0-9a-f]{32}$/);
    send(3, 'shh_post', [
      { symKeyID: sym, topic: '0xabcdef01', payload: '0x01', powTarget: 0.2, powTime: 5 },
    ]);
    await eventually(() => inbox.some((m) => m.method === 'shh_subscription'));
    const note = inbox.find((m) => m.method === 'shh_subscription') as {
      params: { subscription: string; result: { payload: string } };
    };
    expect(note.params.subscription).toBe(subscription);
    expect(note.params.result.payload).toBe('0x01');
    send(4, 'shh_unsubscribe', [subscription]);
    await eventually(() => inbox.some((m) => m.id === 4));
    expect(inbox.find((m) => m.id === 4)!.result).toBe(true);
    ws.close();
  });

  it('refuses subscriptions over HTTP', async () => {
    expect(await call(url, 'shh_subscribe', ['messages', {}])).toMatchObject({
      error: { message: 'notifications not supported' },
    });
  });
});
