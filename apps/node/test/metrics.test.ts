/** Operations: Prometheus metrics and health endpoints on their own port. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HushNode } from '../src/index.js';
import { call, testNode } from './helpers.js';

let node: HushNode;
beforeAll(async () => {
  node = await testNode();
});
afterAll(() => node?.stop());

describe('metrics and health', () => {
  it('reports liveness and readiness', async () => {
    expect((await fetch(`${node.metricsUrl}/health/live`)).status).toBe(200);
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
});
