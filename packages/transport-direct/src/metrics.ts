/**
 * The metrics of direct channels (specs/transport-direct/SPEC.md §7.4), registered with the
 * `Metrics` the node passes in: what was sent and acknowledged, received new or again,
 * refused and why, and how many channels are open and messages pending.
 */
import type { Counter, Gauge, Metrics } from '@hush/interface';

/** The direct-channel metrics, registered once per node. */
export interface DirectMetrics {
  /** Messages put on a connection, retransmissions included. */
  readonly transmissions: Counter;
  readonly acksSent: Counter;
  /** Pending messages the contact acknowledged. */
  readonly acknowledged: Counter;
  /** Messages received, by `result`: new, duplicate, inbox-full. */
  readonly received: Counter<'result'>;
  /** Frames refused, by `reason`: malformed, flood, store. */
  readonly framesRefused: Counter<'reason'>;
  /** Connections, by `result`: opened, refused (not a contact), replaced, failed (dial). */
  readonly connections: Counter<'result'>;
  /** Channels closed, by the link's close `reason` (local, remote, bad-frame, rate-limit, …). */
  readonly closes: Counter<'reason'>;
  readonly open: Gauge;
  readonly pending: Gauge;
}

/** Registers the direct-channel metrics. */
export function directMetrics(metrics: Metrics): DirectMetrics {
  return {
    transmissions: metrics.counter({
      name: 'hush_direct_transmissions_total',
      help: 'Messages sent on direct channels, retransmissions included',
    }),
    acksSent: metrics.counter({
      name: 'hush_direct_acks_sent_total',
      help: 'Acknowledgements sent on direct channels',
    }),
    acknowledged: metrics.counter({
      name: 'hush_direct_acknowledged_total',
      help: 'Pending direct messages the contact acknowledged',
    }),
    received: metrics.counter({
      name: 'hush_direct_received_total',
      help: 'Messages received on direct channels, by result (new, duplicate, inbox-full)',
      labelNames: ['result'],
    }),
    framesRefused: metrics.counter({
      name: 'hush_direct_frames_refused_total',
      help: 'Direct-channel frames refused, by reason (malformed, flood, store)',
      labelNames: ['reason'],
    }),
    connections: metrics.counter({
      name: 'hush_direct_connections_total',
      help: 'Direct-channel connections, by result (opened, refused, replaced, failed)',
      labelNames: ['result'],
    }),
    closes: metrics.counter({
      name: 'hush_direct_channel_closes_total',
      help: 'Direct channels closed, by reason (local, remote, bad-frame, rate-limit, slow-consumer, idle-timeout, …)',
      labelNames: ['reason'],
    }),
    open: metrics.gauge({ name: 'hush_direct_channels_open', help: 'Open direct channels' }),
    pending: metrics.gauge({
      name: 'hush_direct_pending',
      help: 'Messages accepted for contacts and not yet acknowledged',
    }),
  };
}
