/**
 * The shh-rpc suite against a deliberately broken node: a small JSON-RPC proxy (node:http and
 * ws) in front of a real `hush start` that misbehaves in one chosen way — a wrong result for
 * one method, one slow answer, no answer from some call on, a closed connection. Each run must
 * report exactly the expected fail or crashed outcome, and every other case as the same proxy
 * reports it when it behaves (which is checked to be all passes and skips).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { CaseResult, Status } from '../src/suite/model.js';
import { runRpcSuite } from '../src/suite/run-rpc.js';
import { type HushNode, startHush } from './hush-start.js';

/** What the proxy does with one request instead of passing it on. */
type Misbehaviour =
  | { readonly kind: 'result'; readonly result: unknown }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'silence' }
  | { readonly kind: 'close' };

/** Decides for the `nth` call (from 1) of `method`; undefined passes the request on. */
type Rule = (method: string, nth: number) => Misbehaviour | undefined;

interface Proxy {
  readonly httpUrl: string;
  readonly wsUrl: string;
  close(): Promise<void>;
}

/**
 * A proxy to `node` on one port, HTTP and WebSocket, applying `rule` to every request that is
 * a single JSON-RPC call (batches and bodies that are not JSON pass unchanged).
 */
async function brokenProxy(node: HushNode, rule: Rule): Promise<Proxy> {
  const counts = new Map<string, number>();
  const decide = (body: unknown): Misbehaviour | undefined => {
    const method = (body as { method?: unknown } | null)?.method;
    if (typeof method !== 'string' || Array.isArray(body)) return undefined;
    const nth = (counts.get(method) ?? 0) + 1;
    counts.set(method, nth);
    return rule(method, nth);
  };
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  const withResult = (answer: string, result: unknown) =>
    JSON.stringify({ ...(JSON.parse(answer) as object), result });
  const sockets = new Set<Socket>();

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const action = decide(parse(text));
    if (action?.kind === 'silence') return; // held open until the test ends
    if (action?.kind === 'close') {
      request.socket.destroy();
      return;
    }
    if (action?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, action.ms));
    try {
      const upstream = await fetch(node.httpUrl, {
        method: 'POST',
        headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
        body: text,
      });
      let answer = await upstream.text();
      if (action?.kind === 'result') answer = withResult(answer, action.result);
      response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(answer);
    } catch {
      response.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ server });
  wss.on('connection', (client) => {
    const upstream = new WebSocket(node.rpcUrl, { origin: 'http://localhost' });
    const early: string[] = [];
    const rewrite = new Map<unknown, unknown>();
    upstream.on('open', () => {
      for (const text of early.splice(0)) upstream.send(text);
    });
    upstream.on('message', (data) => {
      let text = String(data);
      const id = (parse(text) as { id?: unknown } | undefined)?.id;
      if (rewrite.has(id)) {
        text = withResult(text, rewrite.get(id));
        rewrite.delete(id);
      }
      if (client.readyState === WebSocket.OPEN) client.send(text);
    });
    const forward = (text: string) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else if (upstream.readyState === WebSocket.CONNECTING) early.push(text);
    };
    client.on('message', (data) => {
      const text = String(data);
      const body = parse(text);
      const action = decide(body);
      if (action?.kind === 'silence') return;
      if (action?.kind === 'close') {
        client.terminate();
        return;
      }
      if (action?.kind === 'result') rewrite.set((body as { id?: unknown }).id, action.result);
      if (action?.kind === 'delay') setTimeout(() => forward(text), action.ms);
      else forward(text);
    });
    client.on('close', () => upstream.terminate());
    upstream.on('close', () => client.terminate());
    upstream.on('error', () => client.terminate());
    client.on('error', () => upstream.terminate());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-broken-'));
let node: HushNode | undefined;
beforeAll(async () => {
  node = await startHush(join(scratch, 'node'));
}, 120_000);
afterAll(async () => {
  await node?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 30_000);

/** The suite through a proxy applying `rule`, over one transport. */
async function runThrough(
  transport: 'http' | 'ws',
  rule: Rule,
  timeoutMs: number,
): Promise<CaseResult[]> {
  const proxy = await brokenProxy(node!, rule);
  try {
    return await runRpcSuite(transport === 'http' ? proxy.httpUrl : proxy.wsUrl, {
      profile: 'hush',
      timeoutMs,
    });
  } finally {
    await proxy.close();
  }
}

const statusById = (results: readonly CaseResult[]) =>
  Object.fromEntries(results.map((r) => [r.id, r.outcome.status])) as Record<string, Status>;

const outcomeOf = (results: readonly CaseResult[], id: string) =>
  results.find((r) => r.id === id)?.outcome;

describe.each(['http', 'ws'] as const)('a broken node over %s', (transport) => {
  let baseline: Record<string, Status> = {};

  it('through a proxy that behaves, every case passes or is skipped (the baseline)', async () => {
    const results = await runThrough(transport, () => undefined, 5000);
    baseline = statusById(results);
    expect(new Set(Object.values(baseline))).toEqual(new Set(['pass', 'skip']));
    expect(baseline['shh-rpc/delete-sym-key']).toBe('pass');
    expect(baseline['shh-rpc/password-key']).toBe('pass');
    expect(baseline['shh-rpc/new-key-pair']).toBe('pass');
  }, 120_000);

  it('a wrong result for one method fails exactly the case that checks it', async () => {
    const results = await runThrough(
      transport,
      (method) => (method === 'shh_deleteSymKey' ? { kind: 'result', result: true } : undefined),
      5000,
    );
    expect(statusById(results)).toEqual({ ...baseline, 'shh-rpc/delete-sym-key': 'fail' });
    expect(outcomeOf(results, 'shh-rpc/delete-sym-key')).toMatchObject({
      message: 'a second shh_deleteSymKey',
      expected: false,
      actual: true,
    });
  }, 120_000);

  it('one slow answer fails its case ("no answer within N ms to <method>") and the run goes on', async () => {
    const results = await runThrough(
      transport,
      (method, nth) =>
        method === 'shh_generateSymKeyFromPassword' && nth === 1
          ? { kind: 'delay', ms: 3500 }
          : undefined,
      3000,
    );
    expect(statusById(results)).toEqual({ ...baseline, 'shh-rpc/password-key': 'fail' });
    expect(outcomeOf(results, 'shh-rpc/password-key')).toMatchObject({
      message: expect.stringMatching(/no answer within 3000 ms to shh_generateSymKeyFromPassword$/),
    });
  }, 180_000);

  it('a node that stops answering mid-run is crashed on that case, the rest skipped', async () => {
    let silent = false;
    const results = await runThrough(
      transport,
      (method) => {
        if (method === 'shh_newKeyPair') silent = true;
        return silent ? { kind: 'silence' } : undefined;
      },
      1500,
    );
    const ids = results.map((r) => r.id);
    const at = ids.indexOf('shh-rpc/new-key-pair');
    expect(at).toBeGreaterThan(0);
    const expected = Object.fromEntries(
      ids.map((id, i) => [id, i < at ? baseline[id] : i === at ? 'crashed' : 'skip']),
    );
    expect(statusById(results)).toEqual(expected);
    expect(outcomeOf(results, 'shh-rpc/new-key-pair')).toMatchObject({
      why: expect.stringMatching(
        /no answer within 1500 ms to shh_newKeyPair; and no answer to the re-probe: .*no answer within 1500 ms to shh_version/,
      ),
    });
    for (const r of results.slice(at + 1))
      expect(r.outcome).toMatchObject({
        why: 'the implementation crashed (shh-rpc/new-key-pair)',
      });
  }, 120_000);

  it(transport === 'ws'
    ? 'a node that closes the WebSocket is crashed on that case, the rest skipped'
    : 'a node that drops the connection under one HTTP call fails that case, and the run goes on', async () => {
    const results = await runThrough(
      transport,
      (method, nth) => (method === 'shh_getPublicKey' && nth === 1 ? { kind: 'close' } : undefined),
      5000,
    );
    const ids = results.map((r) => r.id);
    const at = ids.indexOf('shh-rpc/new-key-pair');
    if (transport === 'http') {
      expect(statusById(results)).toEqual({ ...baseline, 'shh-rpc/new-key-pair': 'fail' });
      expect(outcomeOf(results, 'shh-rpc/new-key-pair')).toMatchObject({
        message: expect.stringMatching(/during shh_getPublicKey/),
      });
    } else {
      const expected = Object.fromEntries(
        ids.map((id, i) => [id, i < at ? baseline[id] : i === at ? 'crashed' : 'skip']),
      );
      expect(statusById(results)).toEqual(expected);
      expect(outcomeOf(results, 'shh-rpc/new-key-pair')).toMatchObject({
        why: expect.stringMatching(/connection closed.*no answer to the re-probe/),
      });
    }
  }, 120_000);
});
