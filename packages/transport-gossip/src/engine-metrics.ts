/** The gossip engine's metrics, registered once when an engine is made. */
import type { Counter, Gauge, Metrics } from '@hush/interface';

// Metric labels of the per-envelope counters, made once.
export const FROM_PEER = { source: 'peer' } as const;
export const FROM_LOCAL = { source: 'local' } as const;
export const POOL_FULL = { reason: 'pool-full' } as const;

/** The handles the engine reports through. */
export interface EngineMetrics {
  readonly received: Counter<'source'>;
  readonly duplicate: Counter;
  readonly accepted: Counter;
  readonly dropped: Counter<'reason'>;
  readonly peerErrors: Counter<'code'>;
  readonly poolEnvelopes: Gauge;
}

/** Registers the engine's metrics with `metrics`. */
export function engineMetrics(metrics: Metrics): EngineMetrics {
  return {
    received: metrics.counter({
      name: 'hush_envelopes_received_total',
      help: 'Envelopes received, from peers or posted locally',
      labelNames: ['source'],
    }),
    duplicate: metrics.counter({
      name: 'hush_envelopes_duplicate_total',
      help: 'Envelopes received that were already pooled',
    }),
    accepted: metrics.counter({
      name: 'hush_envelopes_accepted_total',
      help: 'Envelopes accepted into the pool',
    }),
    dropped: metrics.counter({
      name: 'hush_envelopes_dropped_total',
      help: 'Envelopes refused or dropped, by reason',
      labelNames: ['reason'],
    }),
    peerErrors: metrics.counter({
      name: 'hush_peer_errors_total',
      help: 'Peers dropped for a protocol error, by code',
      labelNames: ['code'],
    }),
    poolEnvelopes: metrics.gauge({ name: 'hush_pool_envelopes', help: 'Envelopes in the pool' }),
  };
}
