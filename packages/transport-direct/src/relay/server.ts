/**
 * The relay (specs/transport-direct/SPEC.md §6): pairs the two clients that present the same
 * random rendezvous token and pipes their messages both ways untouched. It sees only opaque
 * Noise frames (sizes and timing); the token, chosen by the offerer and sent to the contact
 * inside the encrypted signal, links no keys. Carrier-agnostic: any `RawChannel` can be handed
 * to `accept` (`serveRelay` hands it WebSocket connections).
 */
import {
  type Clock,
  type Logger,
  type Metrics,
  noMetrics,
  type RawChannel,
  silentLogger,
  systemClock,
} from '@hush/interface';
import { RateLimiter } from '@hush/noise';
import { hex } from '../hex.js';
import { decodeJoin, encodePaired, encodeRefused, type RelayRefusal } from './protocol.js';

/** Limits and collaborators of a relay. */
export interface RelayOptions {
  /** Time from a client's connection to its pairing (default 30 s). */
  readonly joinTimeoutMs?: number;
  /** Clients connected and not yet paired, at most (default 1024). */
  readonly maxWaiting?: number;
  /** Pairs at most (default 1024). */
  readonly maxPairs?: number;
  /** Largest message relayed, bytes (default 1 MiB + 64 KiB, a Noise frame and room). */
  readonly maxFrameBytes?: number;
  /** Bytes per second each client may send on average, with a burst of 4 s (default 4 MiB). */
  readonly maxBytesPerSecond?: number;
  /** Messages per second each client may send on average, with a burst of 4 s (default 500). */
  readonly maxFramesPerSecond?: number;
  /** A client whose unsent backlog passes this is dropped with its peer (default 16 MiB). */
  readonly maxBacklogBytes?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Why the relay ended a client: a refusal before pairing, or a limit after. */
export type RelayDrop = RelayRefusal | 'frame-too-large' | 'rate-limit' | 'slow-consumer';

interface Client {
  readonly channel: RawChannel;
  token?: string;
  peer?: Client;
  timer?: ReturnType<Clock['setTimeout']>;
  closed: boolean;
  readonly bytes: RateLimiter;
  readonly frames: RateLimiter;
}

const BURST_SECONDS = 4;

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name}: must be a positive integer`);
  return value;
}

/**
 * A relay for direct channels.
 *
 * @example
 * ```ts
 * const relay = new RelayServer({ metrics });
 * const served = await serveRelay(relay, { host: '0.0.0.0', port: 8443 });
 * // served.url: ws://0.0.0.0:8443/hush-relay/1
 * ```
 */
export class RelayServer {
  private readonly joinTimeoutMs: number;
  private readonly maxWaiting: number;
  private readonly maxPairs: number;
  /** The largest message relayed, bytes. */
  readonly maxFrameBytes: number;
  private readonly maxBytesPerSecond: number;
  private readonly maxFramesPerSecond: number;
  private readonly maxBacklogBytes: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly unpaired = new Set<Client>();
  private readonly waiting = new Map<string, Client>();
  private readonly paired = new Map<string, [Client, Client]>();
  private closing = false;
  private readonly metrics;

  /** @throws RangeError naming a limit that is not a positive integer */
  constructor(options: RelayOptions = {}) {
    this.joinTimeoutMs = positive('joinTimeoutMs', options.joinTimeoutMs ?? 30_000);
    this.maxWaiting = positive('maxWaiting', options.maxWaiting ?? 1024);
    this.maxPairs = positive('maxPairs', options.maxPairs ?? 1024);
    this.maxFrameBytes = positive('maxFrameBytes', options.maxFrameBytes ?? 1024 * 1024 + 65_536);
    this.maxBytesPerSecond = positive(
      'maxBytesPerSecond',
      options.maxBytesPerSecond ?? 4 * 1024 * 1024,
    );
    this.maxFramesPerSecond = positive('maxFramesPerSecond', options.maxFramesPerSecond ?? 500);
    this.maxBacklogBytes = positive('maxBacklogBytes', options.maxBacklogBytes ?? 16 * 1024 * 1024);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    const metrics = options.metrics ?? noMetrics;
    this.metrics = {
      pairsTotal: metrics.counter({
        name: 'hush_relay_pairs_total',
        help: 'Pairs of direct-channel clients the relay joined',
      }),
      pairs: metrics.gauge({ name: 'hush_relay_pairs', help: 'Pairs being relayed now' }),
      waiting: metrics.gauge({
        name: 'hush_relay_waiting',
        help: 'Relay clients connected and not yet paired',
      }),
      bytes: metrics.counter({ name: 'hush_relay_bytes_total', help: 'Bytes relayed' }),
      frames: metrics.counter({ name: 'hush_relay_frames_total', help: 'Messages relayed' }),
      refusals: metrics.counter<'reason'>({
        name: 'hush_relay_refusals_total',
        help: 'Relay clients refused or dropped, by reason',
        labelNames: ['reason'],
      }),
    };
  }

  /** Pairs being relayed. */
  get pairCount(): number {
    return this.paired.size;
  }

  /** Clients connected and not yet paired. */
  get waitingCount(): number {
    return this.unpaired.size;
  }

  /** Takes one client's connection: it must join, then it is paired or refused. */
  accept(channel: RawChannel): void {
    const client: Client = {
      channel,
      closed: false,
      bytes: new RateLimiter(this.maxBytesPerSecond, this.clock.now(), BURST_SECONDS),
      frames: new RateLimiter(this.maxFramesPerSecond, this.clock.now(), BURST_SECONDS),
    };
    channel.onClose((detail) => this.gone(client, detail));
    if (this.closing) {
      this.refuse(client, 'closing');
      return;
    }
    if (this.unpaired.size >= this.maxWaiting) {
      this.refuse(client, 'busy');
      return;
    }
    this.unpaired.add(client);
    this.gauges();
    client.timer = this.clock.setTimeout(
      () => this.refuse(client, 'join-timeout'),
      this.joinTimeoutMs,
    );
    channel.onMessage((message) => this.receive(client, message));
  }

  /** Ends every client and refuses new ones. */
  close(): void {
    this.closing = true;
    for (const client of [...this.unpaired]) this.refuse(client, 'closing');
    for (const [a] of [...this.paired.values()]) this.drop(a, 'closing');
  }

  private gauges(): void {
    this.metrics.pairs.set(this.paired.size);
    this.metrics.waiting.set(this.unpaired.size);
  }

  private receive(client: Client, message: Uint8Array): void {
    if (client.closed) return;
    if (message.length > this.maxFrameBytes) {
      this.drop(client, 'frame-too-large');
      return;
    }
    if (!this.allowed(client, message.length)) {
      this.drop(client, 'rate-limit');
      return;
    }
    if (client.peer) {
      if (client.peer.closed) return;
      if (client.peer.channel.bufferedAmount() > this.maxBacklogBytes) {
        this.drop(client.peer, 'slow-consumer');
        return;
      }
      client.peer.channel.send(message);
      this.metrics.bytes.inc(message.length);
      this.metrics.frames.inc();
      return;
    }
    if (client.token !== undefined) {
      this.refuse(client, 'early-frame');
      return;
    }
    const token = decodeJoin(message);
    if (!token) {
      this.refuse(client, 'malformed-join');
      return;
    }
    const key = hex(token);
    if (this.paired.has(key)) {
      this.refuse(client, 'token-in-use');
      return;
    }
    const other = this.waiting.get(key);
    if (!other) {
      client.token = key;
      this.waiting.set(key, client);
      return;
    }
    if (this.paired.size >= this.maxPairs) {
      this.refuse(client, 'full');
      return;
    }
    this.waiting.delete(key);
    client.token = key;
    for (const side of [client, other]) {
      this.unpaired.delete(side);
      if (side.timer !== undefined) this.clock.clearTimeout(side.timer);
    }
    client.peer = other;
    other.peer = client;
    this.paired.set(key, [other, client]);
    this.metrics.pairsTotal.inc();
    this.gauges();
    other.channel.send(encodePaired());
    client.channel.send(encodePaired());
    this.logger.debug({ pairs: this.paired.size }, 'relay paired two clients');
  }

  /** Token buckets per client, bytes and messages (the Noise link's own limiter). */
  private allowed(client: Client, bytes: number): boolean {
    const now = this.clock.now();
    return client.bytes.take(bytes, now) && client.frames.take(1, now);
  }

  private refuse(client: Client, reason: RelayRefusal): void {
    if (client.closed) return;
    this.metrics.refusals.inc(1, { reason });
    this.logger.debug({ reason, remote: client.channel.remoteAddress }, 'relay refused a client');
    try {
      client.channel.send(encodeRefused(reason));
    } catch {
      // Closing anyway.
    }
    this.end(client);
  }

  /** Ends a client and, when it is paired, its peer. */
  private drop(client: Client, reason: RelayDrop): void {
    if (client.closed) return;
    this.metrics.refusals.inc(1, { reason });
    this.logger.debug({ reason, remote: client.channel.remoteAddress }, 'relay dropped a client');
    const peer = client.peer;
    this.end(client);
    if (peer) this.end(peer);
  }

  private end(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    this.forget(client);
    client.channel.close();
  }

  private gone(client: Client, detail?: string): void {
    // The carrier refused an oversize message itself (a WebSocket's 1009).
    if (detail === 'frame-too-large' && !client.closed)
      this.metrics.refusals.inc(1, { reason: 'frame-too-large' });
    const peer = client.peer;
    if (!client.closed) {
      client.closed = true;
      this.forget(client);
    }
    if (peer && !peer.closed) this.end(peer);
  }

  private forget(client: Client): void {
    if (client.timer !== undefined) this.clock.clearTimeout(client.timer);
    this.unpaired.delete(client);
    if (client.token !== undefined) {
      if (this.waiting.get(client.token) === client) this.waiting.delete(client.token);
      const pair = this.paired.get(client.token);
      if (pair?.includes(client)) this.paired.delete(client.token);
    }
    this.gauges();
  }
}
