/**
 * A node's routing (SPEC §2): its id, its table, lookups through it, the self-lookup at start
 * and periodic refresh, and the serving side of PING and FIND_NODE with per-peer rate limits.
 * It knows no transport: it asks through a {@link DhtRpc} and is handed the requests others
 * make, each with the peer id its link authenticated.
 */
import {
  type Clock,
  type Logger,
  type Metrics,
  noMetrics,
  type PeerId,
  peerIdFromPublicKey,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import { DhtError } from '../errors.js';
import { type Contact, contactOf } from './contact.js';
import { idHex, type NodeId, nodeIdOfPublicKey, randomIdAtDistance } from './id.js';
import {
  ALPHA,
  type FindNodeRpc,
  type LookupResult,
  lookup,
  PATHS,
  REQUEST_TIMEOUT_MS,
} from './lookup.js';
import { PeerRateLimiter, type RateLimitOptions } from './rate-limit.js';
import { K, RoutingTable, type RoutingTableOptions } from './table.js';

/** The requests routing sends. */
export interface DhtRpc extends FindNodeRpc {
  /** Checks that `peer` answers. @throws anything when it does not */
  ping(peer: Contact, options: { readonly signal: AbortSignal }): Promise<void>;
}

/** Requests the serving side counts and limits. */
export type RequestKind = 'ping' | 'find-node' | 'inbox';

/** How a node routes. */
export interface DhtRouterOptions {
  /** This node's 65- or 64-byte secp256k1 public key (its identity). */
  readonly publicKey: Uint8Array;
  /** Where others reach it (told in every request it sends). */
  readonly endpoints?: readonly string[];
  readonly rpc: DhtRpc;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Random bytes (refresh targets); default `crypto.getRandomValues`. */
  readonly randomBytes?: (length: number) => Uint8Array;
  readonly k?: number;
  readonly alpha?: number;
  /** Disjoint paths per lookup (default 4). */
  readonly paths?: number;
  /** Per-request timeout (default 2 s). */
  readonly timeoutMs?: number;
  /** How often refresh runs: a self-lookup and stale buckets (default 10 min; 0: never). */
  readonly refreshIntervalMs?: number;
  /** A bucket with no lookup for this long is refreshed (default 1 h). */
  readonly bucketRefreshMs?: number;
  /** Serving-side limits per peer (default 10/s, burst 40, 4,096 peers). */
  readonly rateLimit?: RateLimitOptions;
  /**
   * Serving-side limits per peer for inbox requests, a bucket of their own (default 100/s,
   * burst 1,000, 4,096 peers): each deposit has paid its PoW and each fetch or delete is
   * signed, and one sender's burst of messages to an inbox must not be refused as a flood.
   */
  readonly inboxRateLimit?: RateLimitOptions;
  /** Table settings other than self, clock and ping. */
  readonly table?: Omit<RoutingTableOptions, 'self' | 'clock' | 'ping' | 'k'>;
  /** Told of every contact put in the table for the first time (a node joining near it). */
  readonly onAdded?: (contact: Contact) => void;
}

/** The routing of one DHT node. */
export class DhtRouter {
  readonly id: NodeId;
  readonly peer: PeerId;
  readonly self: Contact;
  readonly table: RoutingTable;
  private readonly rpc: DhtRpc;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly randomBytes: (length: number) => Uint8Array;
  private readonly k: number;
  private readonly alpha: number;
  private readonly paths: number;
  private readonly timeoutMs: number;
  private readonly onAdded: ((contact: Contact) => void) | undefined;
  private readonly refreshIntervalMs: number;
  private readonly bucketRefreshMs: number;
  private readonly limiter: PeerRateLimiter;
  private readonly inboxLimiter: PeerRateLimiter;
  private readonly closing = new AbortController();
  private timer: TimerHandle | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly metric;

  /** @throws RangeError for a public key that is not 64/65 bytes, or a bad setting */
  constructor(options: DhtRouterOptions) {
    this.id = nodeIdOfPublicKey(options.publicKey);
    this.peer = peerIdFromPublicKey(options.publicKey);
    this.self = contactOf(this.peer, options.endpoints ?? []);
    this.rpc = options.rpc;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.randomBytes =
      options.randomBytes ?? ((n) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    this.k = options.k ?? K;
    this.alpha = options.alpha ?? ALPHA;
    this.paths = options.paths ?? PATHS;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.onAdded = options.onAdded;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 10 * 60_000;
    this.bucketRefreshMs = options.bucketRefreshMs ?? 60 * 60_000;
    this.limiter = new PeerRateLimiter(this.clock, options.rateLimit);
    this.inboxLimiter = new PeerRateLimiter(this.clock, {
      perSecond: 100,
      burst: 1_000,
      ...options.inboxRateLimit,
    });
    const metrics = options.metrics ?? noMetrics;
    const size = metrics.gauge({
      name: 'hush_dht_table_contacts',
      help: 'Contacts in the DHT routing table',
    });
    this.metric = {
      size,
      lookups: metrics.counter({ name: 'hush_dht_lookups_total', help: 'DHT lookups run' }),
      queries: metrics.counter({
        name: 'hush_dht_lookup_requests_total',
        help: 'FIND_NODE requests sent by lookups',
      }),
      failures: metrics.counter<'reason'>({
        name: 'hush_dht_lookup_failures_total',
        help: 'FIND_NODE requests that got no answer',
        labelNames: ['reason'],
      }),
      penalties: metrics.counter<'reason'>({
        name: 'hush_dht_lookup_penalties_total',
        help: 'FIND_NODE answers refused: malformed, too many contacts, misrouted',
        labelNames: ['reason'],
      }),
      served: metrics.counter<'type'>({
        name: 'hush_dht_requests_total',
        help: 'DHT requests served',
        labelNames: ['type'],
      }),
      refused: metrics.counter<'type'>({
        name: 'hush_dht_requests_refused_total',
        help: 'DHT requests refused for the per-peer rate limit',
        labelNames: ['type'],
      }),
    };
    this.table = new RoutingTable({
      ...options.table,
      self: this.id,
      clock: this.clock,
      k: this.k,
      ping: (contact) => this.ping(contact),
      onChange: (change, contact) => {
        size.set(this.table.size);
        options.table?.onChange?.(change, contact);
      },
    });
  }

  /** Pings `contact` with the request timeout; true when it answered. */
  async ping(contact: Contact): Promise<boolean> {
    if (this.closing.signal.aborted) return false;
    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(), this.timeoutMs);
    const stop = () => controller.abort();
    this.closing.signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race([
        this.rpc.ping(contact, { signal: controller.signal }),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener('abort', () => reject(new Error('no pong')), {
            once: true,
          }),
        ),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      this.clock.clearTimeout(timer);
      this.closing.signal.removeEventListener('abort', stop);
    }
  }

  /**
   * Looks up the k nodes closest to `target` (SPEC §2.3), updating the table with every node
   * that answers and counting every failure and penalty.
   *
   * @param extraSeeds - nodes to start from besides the table's (bootstrap nodes)
   * @throws DhtError 'closed' when stopped or aborted
   */
  lookup(
    target: NodeId,
    options: {
      readonly paths?: number;
      readonly signal?: AbortSignal;
      readonly extraSeeds?: readonly Contact[];
    } = {},
  ): Promise<LookupResult> {
    if (this.closing.signal.aborted)
      return Promise.reject(new DhtError('closed', 'the router is stopped'));
    this.metric.lookups.inc();
    this.table.touched(target);
    const seeds = [...this.table.closest(target, this.k), ...(options.extraSeeds ?? [])];
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.closing.signal])
      : this.closing.signal;
    return lookup({
      target,
      seeds,
      rpc: this.rpc,
      clock: this.clock,
      self: this.id,
      k: this.k,
      alpha: this.alpha,
      paths: options.paths ?? this.paths,
      timeoutMs: this.timeoutMs,
      signal,
      onResponse: (contact) => {
        this.metric.queries.inc();
        this.see(contact);
      },
      onFailure: (contact, reason) => {
        this.metric.queries.inc();
        this.metric.failures.inc(1, { reason });
        // A node that refused for its rate limit is alive: it stays in the table.
        if (reason !== 'busy') this.table.failed(contact.id);
      },
      onPenalty: (contact, reason) => {
        this.metric.queries.inc();
        this.metric.penalties.inc(1, { reason });
        this.table.failed(contact.id);
      },
    });
  }

  /**
   * Joins: a self-lookup from `bootstrap` (and the table), which fills the nearest buckets,
   * then refresh on a timer (SPEC §2.4).
   *
   * @throws DhtError 'closed' when stopped meanwhile
   */
  async start(bootstrap: readonly Contact[] = []): Promise<LookupResult> {
    const result = await this.lookup(this.id, { extraSeeds: bootstrap });
    if (this.refreshIntervalMs > 0 && !this.timer && !this.closing.signal.aborted)
      this.timer = this.clock.setInterval(() => {
        this.refresh().catch((error: unknown) =>
          this.logger.debug({ error: String(error) }, 'dht refresh failed'),
        );
      }, this.refreshIntervalMs);
    this.logger.debug(
      { id: idHex(this.id).slice(0, 16), contacts: this.table.size, hops: result.hops },
      'dht self-lookup done',
    );
    return result;
  }

  /**
   * A self-lookup, then a lookup of a random id in every bucket with no lookup for
   * `bucketRefreshMs` (SPEC §2.4). One refresh at a time.
   */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      try {
        await this.lookup(this.id);
        for (const distance of this.table.staleBuckets(this.bucketRefreshMs)) {
          if (this.closing.signal.aborted) return;
          await this.lookup(randomIdAtDistance(this.id, distance, this.randomBytes(32)));
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Stops refresh and gives up every lookup and ping in progress. */
  stop(): void {
    if (this.timer) this.clock.clearInterval(this.timer);
    this.timer = undefined;
    this.closing.abort(new DhtError('closed', 'the router is stopped'));
  }

  /**
   * Takes one request of `from` against its rate limit (SPEC §2.5), counting refusals: PING
   * and FIND_NODE share one bucket per peer, inbox requests have their own.
   */
  admit(from: PeerId, kind: RequestKind): boolean {
    if ((kind === 'inbox' ? this.inboxLimiter : this.limiter).take(from)) {
      this.metric.served.inc(1, { type: kind });
      return true;
    }
    this.metric.refused.inc(1, { type: kind });
    return false;
  }

  /**
   * Serves a FIND_NODE of `from` (authenticated by its link): the k contacts closest to
   * `target`, leaving out `from`; `from` itself is recorded in the table.
   *
   * @param endpoints - where `from` says it listens (only dialed, never trusted for its id)
   * @throws DhtError 'quota' past its rate limit
   */
  handleFindNode(from: PeerId, target: NodeId, endpoints: readonly string[] = []): Contact[] {
    if (!this.admit(from, 'find-node'))
      throw new DhtError('quota', `FIND_NODE rate limit of ${from.slice(0, 16)}…`);
    this.heard(from, endpoints);
    return this.table.closest(target, this.k, (contact) => contact.peer === from);
  }

  /**
   * Serves a PING of `from`.
   *
   * @throws DhtError 'quota' past its rate limit
   */
  handlePing(from: PeerId, endpoints: readonly string[] = []): void {
    if (!this.admit(from, 'ping'))
      throw new DhtError('quota', `PING rate limit of ${from.slice(0, 16)}…`);
    this.heard(from, endpoints);
  }

  private see(contact: Contact): void {
    if (this.table.seen(contact) === 'added') this.onAdded?.(contact);
  }

  private heard(from: PeerId, endpoints: readonly string[]): void {
    if (from === this.peer) return;
    try {
      this.see(contactOf(from, endpoints));
    } catch {
      // Endpoints over their limits: the codec refuses them first; nothing to record.
    }
  }

  /** What the router holds. */
  stats(): {
    contacts: number;
    buckets: Record<number, number>;
    evicted: number;
    rateTracked: number;
  } {
    const table = this.table.stats();
    return {
      contacts: table.size,
      buckets: table.buckets,
      evicted: table.evicted,
      rateTracked: this.limiter.tracked,
    };
  }
}
