/**
 * The mix the throughput bench (mix.bench.ts) measures, as its own process so that it can be
 * pinned to one core: a `MixServer` as `hush mix` runs it (src/mixnet/mix-node.ts) — the
 * `hush-mix/1` links over WebSocket, the replay cache in the app's LevelDB store — keyed and
 * routed from the JSON its parent passes as the first argument, forwarding to the parent's
 * sink; with `workers`, unwrapping on that many worker threads (`--workers`, as mix-node.ts
 * wires it). It prints `ready <address>` once listening, the mix's counters as JSON for each
 * `stats` line on its standard input, and stops when its standard input ends.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { webSocketCarrier } from '@hush/carrier-websocket';
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { MemoryMetrics } from '@hush/interface';
import {
  geometry,
  MIX_LINK_LIMITS,
  type MixDescriptor,
  MixServer,
  mixNodeId,
  ReplayCache,
} from '@hush/mixnet-sphinx';
import { createUnwrapPool } from '@hush/mixnet-sphinx/unwrap-pool';
import { LevelStore } from '../src/index.js';

const config = JSON.parse(process.argv[2]!) as {
  dir: string;
  nodeKey: string;
  mixKey: string;
  linkKey: string;
  sink: { identity: string; endpoint: string };
  hops: number;
  userPayloadLength: number;
  workers?: number;
};
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const store = await LevelStore.open(config.dir);
const metrics = new MemoryMetrics();
const sinkIdentity = bytes(config.sink.identity);
const sink: MixDescriptor = {
  id: mixNodeId(sinkIdentity),
  identity: sinkIdentity,
  publicKey: new Uint8Array(32),
  endpoints: [config.sink.endpoint],
};
const geo = geometry(config.hops, config.userPayloadLength);
const pool = config.workers
  ? await createUnwrapPool({ geometry: geo, workers: config.workers })
  : undefined;
const server = new MixServer({
  role: 'mix',
  geometry: geo,
  identity: secp256k1Identity(bytes(config.nodeKey)),
  verifier: secp256k1Verifier(),
  staticKey: bytes(config.linkKey),
  carrier: webSocketCarrier({ host: '127.0.0.1', port: 0, limits: MIX_LINK_LIMITS }),
  replay: new ReplayCache(store),
  key: { epoch: 1, privateKey: bytes(config.mixKey) },
  lookup: (id) => (Buffer.from(id).equals(sink.id) ? sink : undefined),
  ...(pool ? { unwrapper: pool } : {}),
  metrics,
});
await server.start();
process.stdout.write(`ready ${server.addresses[0]}\n`);
const lines = createInterface({ input: process.stdin });
let elu = performance.eventLoopUtilization();
lines.on('line', () => {
  const since = performance.eventLoopUtilization(elu);
  elu = performance.eventLoopUtilization();
  const counters = Object.fromEntries(
    metrics.names().map((name) => [name, metrics.series(name).reduce((n, s) => n + s.value, 0)]),
  );
  const dropped = Object.fromEntries(
    metrics.series('hush_mix_packets_dropped_total').map((s) => [s.labels.reason, s.value]),
  );
  process.stdout.write(
    `${JSON.stringify({ ...counters, dropped, busy: since.utilization, busyMs: since.active })}\n`,
  );
});
lines.on('close', async () => {
  await server.stop();
  await pool?.stop();
  await store.close();
  process.exit(0);
});
