/** Operations: Prometheus metrics and health endpoints on their own port. */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HushNode } from '../src/index.js';
import { call, rawPost, testNode } from './helpers.js';

/** Sends a raw request line to host:port and resolves to the status line of the answer. */
function rawRequest(url: string, requestLine: string, headers = 'Host: localhost\r\n') {
  const { hostname, port } = new URL(url);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`${requestLine}\r\n${headers}Connection: close\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

let node: HushNode;
beforeAll(async () => {
  node = await testNode();
});
afterAll(() => node?.stop());

describe('metrics and health', () => {
  it('reports liveness and readiness', async () => {
    expect((await fetch(`${node.metricsUrl}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${node.metricsUrl}/health`)).json()).toEqual({ status: 'ready' });
    const ready = await fetch(`${node.metricsUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('exposes node, envelope, PoW and RPC metrics', async () => {
    const url = `${node.rpc.httpUrl}/`;
    const key = (await call(url, 'shh_newSymKey')) as { result: string };
    await call(url, 'shh_post', [
      { symKeyID: key.result, topic: '0x01020304', payload: '0x01', powTarget: 0.2, powTime: 5 },
    ]);
    const text = await (await fetch(`${node.metricsUrl}/metrics`)).text();
    for (const name of [
      'hush_peers 0',
      'hush_pool_envelopes 1',
      'hush_envelopes_accepted_total 1',
      'hush_envelopes_received_total{source="local"} 1',
      'hush_pow_seal_duration_seconds_count 1',
      'hush_rpc_request_duration_seconds_count{method="shh_post",outcome="ok"} 1',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
    expect(Number(/^hush_store_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('answers malformed request targets on every listener with a 4xx and keeps running', async () => {
    const listeners = [
      node.metricsUrl!,
      node.rpc.httpUrl,
      node.rpc.wsUrl.replace('ws:', 'http:'),
      node.gossip.addresses[0]!.replace('ws:', 'http:'),
    ];
    for (const url of listeners) {
      for (const line of [
        'GET // HTTP/1.1',
        'GET /\\ HTTP/1.1',
        'GET //[ HTTP/1.1',
        'NOT A REQUEST',
      ]) {
        const status = await rawRequest(url, line);
        expect(status, `${line} to ${url}`).toMatch(/^HTTP\/1\.[01] 4\d\d/);
      }
    }
    expect((await fetch(`${node.metricsUrl}/health/live`)).status).toBe(200);
    expect(await call(`${node.rpc.httpUrl}/`, 'shh_version')).toMatchObject({ result: '6.0' });
  });

  it('follows the RPC Host rules, and takes the token when one is set', async () => {
    expect(
      await rawRequest(node.metricsUrl!, 'GET /metrics HTTP/1.1', 'Host: attacker.example\r\n'),
    ).toMatch(/ 403 /);
    expect(
      await rawRequest(node.metricsUrl!, 'GET /health/live HTTP/1.1', 'Host: LOCALHOST\r\n'),
    ).toMatch(/ 200 /);
    const guarded = await testNode({ rpcToken: 's3cret' });
    try {
      expect((await fetch(`${guarded.metricsUrl}/metrics`)).status).toBe(401);
      const allowed = await fetch(`${guarded.metricsUrl}/metrics`, {
        headers: { authorization: 'Bearer s3cret' },
      });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('hush_peers');
      expect((await fetch(`${guarded.metricsUrl}/health/ready?token=s3cret`)).status).toBe(200);
      expect(await rawPost(`${guarded.metricsUrl}/`, '', { authorization: 'Bearer s3cret' })).toBe(
        405,
      );
    } finally {
      await guarded.stop();
    }
  });
});
