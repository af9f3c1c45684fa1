/**
 * Prometheus metrics (prom-client) and health endpoints on their own port: peers, envelopes
 * received / accepted / dropped by reason, pool size and bytes, PoW sealing time, RPC calls and
 * latency per method, store size on disk, archive writes, and Node's own metrics (event-loop
 * lag among them).
 */
import { readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  type Counter as CounterHandle,
  type Gauge as GaugeHandle,
  type MetricDefinition,
  type Metrics,
  MetricsError,
} from '@hush/interface';
import type { GossipNode } from '@hush/transport-gossip';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { hostAllowed, type RpcSecurity, requestUrl, tokenAllowed } from './rpc/guards.js';

/**
 * Library metrics (the `Metrics` interface every package takes) on a prom-client registry,
 * with Node's own metrics (event-loop lag among them): what each process of the app exposes.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly handles = new Map<
    string,
    {
      kind: 'counter' | 'gauge';
      labels: string;
      handle: CounterHandle<string> | GaugeHandle<string>;
    }
  >();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The handle registered as `definition.name`, or a new one `make` builds on a prom-client
   * metric of that definition.
   *
   * @throws MetricsError 'conflict' when the name is registered as another kind or labels
   */
  private register<Handle extends CounterHandle<string> | GaugeHandle<string>>(
    kind: 'counter' | 'gauge',
    definition: MetricDefinition<string>,
    make: (config: {
      name: string;
      help: string;
      labelNames: string[];
      registers: Registry[];
    }) => Handle,
  ): Handle {
    const labels = (definition.labelNames ?? []).join();
    const known = this.handles.get(definition.name);
    if (known) {
      if (known.kind !== kind || known.labels !== labels)
        throw new MetricsError(
          'conflict',
          `${definition.name} is already registered as a ${known.kind} with labels [${known.labels}]`,
        );
      return known.handle as Handle;
    }
    const handle = make({
      name: definition.name,
      help: definition.help,
      labelNames: [...(definition.labelNames ?? [])],
      registers: [this.registry],
    });
    this.handles.set(definition.name, { kind, labels, handle });
    return handle;
  }

  counter<Label extends string = never>(definition: MetricDefinition<Label>): CounterHandle<Label> {
    return this.register('counter', definition, (config) => {
      const counter = new Counter<string>(config);
      return {
        inc: (value = 1, labelValues = {}) =>
          counter.inc(labelValues as Record<string, string>, value),
      } satisfies CounterHandle<string>;
    });
  }

  gauge<Label extends string = never>(definition: MetricDefinition<Label>): GaugeHandle<Label> {
    return this.register('gauge', definition, (config) => {
      const gauge = new Gauge<string>(config);
      return {
        set: (value, labelValues = {}) => gauge.set(labelValues as Record<string, string>, value),
      } satisfies GaugeHandle<string>;
    });
  }
}

/** The node's metrics: the libraries', the RPC's, PoW sealing, the archive, the store. */
export class NodeMetrics extends PrometheusMetrics {
  readonly rpcLatency = new Histogram({
    name: 'hush_rpc_request_duration_seconds',
    help: 'JSON-RPC call duration by method',
    labelNames: ['method', 'outcome'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly powSeconds = new Histogram({
    name: 'hush_pow_seal_duration_seconds',
    help: 'Time spent sealing posted messages with proof of work',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly sealsRunning = new Gauge({
    name: 'hush_pow_seals_running',
    help: 'Posted messages being sealed now',
    registers: [this.registry],
  });
  readonly archiveWrites: CounterHandle = this.counter({
    name: 'hush_archive_envelopes_total',
    help: 'Envelopes written to the mailserver archive',
  });

  /** The store's size on disk (the files of its directory), read when scraped. */
  watchStore(directory: string): void {
    new Gauge({
      name: 'hush_store_bytes',
      help: 'Bytes of the embedded store on disk',
      registers: [this.registry],
      collect() {
        let bytes = 0;
        try {
          for (const name of readdirSync(directory)) bytes += statSync(join(directory, name)).size;
        } catch {
          // A file compacted away between the listing and its stat: counted next scrape.
        }
        this.set(bytes);
      },
    });
  }

  /** The filters and subscriptions the RPC holds, read when scraped. */
  watchFilters(filters: { readonly size: number }): void {
    new Gauge({
      name: 'hush_filters',
      help: 'Message filters and subscriptions held for RPC clients',
      registers: [this.registry],
      collect() {
        this.set(filters.size);
      },
    });
  }

  /** Gauges read from the node when scraped. */
  watch(gossip: GossipNode): void {
    new Gauge({
      name: 'hush_peers',
      help: 'Connected peers (ready)',
      registers: [this.registry],
      collect() {
        this.set(gossip.stats().peers.filter((p) => p.ready).length);
      },
    });
    new Gauge({
      name: 'hush_pool_bytes',
      help: 'Bytes of pooled envelopes',
      registers: [this.registry],
      collect() {
        this.set(gossip.stats().pool.bytes);
      },
    });
  }
}

/**
 * The metrics and health server. It follows the RPC's rules (`rpc/guards.ts`): the Host
 * header must be an allowed virtual host, and with a token set every request must carry it
 * (Prometheus sends it with `authorization: { credentials: … }`). A request it cannot parse
 * gets a 400, and nothing a request does can throw out of the handler.
 *
 * @throws if the port cannot be bound
 */
export async function startMetricsServer(
  metrics: PrometheusMetrics,
  options: { host: string; port: number; ready: () => boolean; security: RpcSecurity },
): Promise<{ url: string; close(): Promise<void> }> {
  const { security } = options;
  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const url = requestUrl(request.url);
    if (!url) return void response.writeHead(400).end('bad request target\n');
    if (!hostAllowed(request.headers, security))
      return void response.writeHead(403).end('invalid host specified\n');
    if (!tokenAllowed(request.headers, request.url, security))
      return void response.writeHead(401).end('missing or wrong token\n');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    const path = url.pathname;
    if (path === '/metrics') {
      const body = await metrics.registry.metrics();
      response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
    } else if (path === '/health/live') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"live"}');
    } else if (path === '/health/ready' || path === '/health') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: ready ? 'ready' : 'starting' }));
    } else {
      response.writeHead(404).end();
    }
  };
  const server: Server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  // A malformed request line is answered by Node's parser with a 400 and closed.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
