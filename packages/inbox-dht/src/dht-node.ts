/**
 * A DHT node (specs/inbox-dht/SPEC.md §5.2, §6.7): its router, its holder and its
 * connections together. It serves PING/FIND_NODE from the router and the inbox messages
 * from the holder (under the router's per-peer limit), and acts for its user on the network:
 * `publish` stores a descriptor at the r = 20 nodes closest to its location, `deposit` sends
 * an envelope to them, `fetch` and `delete` send one signed request to each and merge what
 * they answer. The node itself is a holder like any other: it counts among the r closest
 * when it is one of them.
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import { type Envelope, envelopePow } from '@hush/envelope';
import {
  type Clock,
  type Connection,
  type InboxItem,
  type InboxPage,
  type Logger,
  type Metrics,
  type PeerId,
  peerIdFromPublicKey,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import {
  type Descriptor,
  descriptorLocation,
  encodeDescriptor,
  verifyDescriptor,
} from './descriptor.js';
import { DhtError, type DhtErrorCode } from './errors.js';
import { FUTURE_ALLOWANCE_S, type Holder } from './holder.js';
import {
  combineServers,
  decodeInboxBody,
  depositMessage,
  getDescriptorMessage,
  holderServer,
  signedRequestMessage,
  storeDescriptorMessage,
} from './inbox-wire.js';
import { equalBytes, inboxKeyFromSecret, LOCATION_LENGTH, toHex } from './location.js';
import { HANDOVER_DELAY_MS, REPAIR_INTERVAL_MS, Repair, type RepairOutcome } from './repair.js';
import {
  type FetchQuery,
  ITEM_ID_LENGTH,
  MAX_REQUEST_IDS,
  requestNonce,
  type SignedRequest,
  signRequest,
} from './requests.js';
import type { Contact } from './routing/contact.js';
import { compareDistance } from './routing/id.js';
import type { LookupResult } from './routing/lookup.js';
import { DhtRouter, type DhtRouterOptions } from './routing/router.js';
import {
  ConnectionRpc,
  type DhtServer,
  type Dialer,
  type RpcConnectionOptions,
  routerServer,
} from './rpc-connection.js';
import { type DhtMessage, INBOX_TYPES } from './wire.js';

/** What a node that holds nothing answers to every inbox request (DhtNodeOptions.holds). */
const refuseInbox: DhtServer = (_from, message) => {
  if (message.type >= INBOX_TYPES.first && message.type <= INBOX_TYPES.last)
    throw new DhtError('refused', 'this node holds no inbox items');
  return undefined;
};

/** How long a lookup's holders serve further operations on its location, by default. */
export const HOLDER_CACHE_MS = 30_000;
/** Locations whose holders are remembered at most. */
const HOLDER_CACHE_ENTRIES = 1_024;

/** Holders an inbox operation reaches: Kademlia's k, the r. */
export const REPLICAS = 20;

/** How a node is made. */
export interface DhtNodeOptions {
  /** The node's 65-byte secp256k1 public key: the identity its links prove. */
  readonly publicKey: Uint8Array;
  /** What it holds for others (and for itself). */
  readonly holder: Holder;
  /** Makes an authenticated `hush-dht/1` connection to a contact. */
  readonly dial: Dialer;
  /** Where others reach it. */
  readonly endpoints?: readonly string[];
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Holders per operation (default 20). */
  readonly replicas?: number;
  /** Routing settings besides those above. */
  readonly router?: Omit<
    DhtRouterOptions,
    'publicKey' | 'rpc' | 'endpoints' | 'clock' | 'metrics' | 'logger'
  >;
  /** Connection settings (timeouts, requests in flight, connections kept). */
  readonly connections?: RpcConnectionOptions & { readonly maxConnections?: number };
  /**
   * Whether it holds items for others (default true). A node that does not is never among
   * the holders it asks, refuses every inbox request as 'refused', and repairs nothing.
   */
  readonly holds?: boolean;
  /** How often a repair pass runs after `start` (default 1 h, §8.1; 0: never on its own). */
  readonly repairIntervalMs?: number;
  /**
   * How long the holders a lookup found serve further operations on the same location
   * (default 30 s; 0: a lookup each time), so that a burst of deposits to one inbox costs
   * one lookup, not one each (§5.2). Forgotten at once when one of them does not answer.
   */
  readonly holderCacheMs?: number;
  /**
   * Random bytes for the nonces of signed requests and the router's refresh targets
   * (default `crypto.getRandomValues`; a simulation passes a seeded source).
   */
  readonly randomBytes?: (length: number) => Uint8Array;
}

/** What the holders of one operation did. */
export interface ReplicaOutcome {
  /** The holders asked (the r closest known, the node itself among them when it is). */
  readonly holders: readonly Contact[];
  /** Holders that accepted. */
  readonly accepted: number;
  /** Holders that refused, by their `DhtError` code. */
  readonly refused: Partial<Record<DhtErrorCode, number>>;
  /** Holders that did not answer (unreachable, timed out, closed). */
  readonly failed: number;
}

/** A fetch over the holders: their pages merged. */
export interface FetchOutcome extends ReplicaOutcome {
  /** Items of every page, each once, oldest first; cursor as one holder's page's. */
  readonly page: InboxPage<Envelope>;
}

/** A delete over the holders. */
export interface DeleteOutcome extends ReplicaOutcome {
  /** Items removed, summed over the holders. */
  readonly deleted: number;
  /** The ids some holder removed, each once. */
  readonly removed: readonly Uint8Array[];
}

/** A restore over the holders. */
export interface RestoreOutcome extends ReplicaOutcome {
  /** Tombstones lifted, summed over the holders. */
  readonly restored: number;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** One node of the DHT inbox on the network. */
export class DhtNode {
  readonly router: DhtRouter;
  readonly rpc: ConnectionRpc;
  readonly holder: Holder;
  readonly peer: PeerId;
  /** Whether it holds items for others. */
  readonly holds: boolean;
  private readonly clock: Clock;
  private readonly replicas: number;
  private readonly repairer: Repair;
  private readonly repairIntervalMs: number;
  private repairTimer: TimerHandle | undefined;
  private handoverTimer: TimerHandle | undefined;
  private readonly joined = new Map<PeerId, Contact>();
  private readonly holderCache = new Map<string, { at: number; holders: Contact[] }>();
  private readonly holderCacheMs: number;
  private readonly random: ((length: number) => Uint8Array) | undefined;
  private started = false;
  private stopped = false;

  constructor(options: DhtNodeOptions) {
    this.holder = options.holder;
    this.clock = options.clock ?? systemClock;
    this.replicas = options.replicas ?? REPLICAS;
    this.holds = options.holds ?? true;
    this.repairIntervalMs = options.repairIntervalMs ?? REPAIR_INTERVAL_MS;
    this.holderCacheMs = options.holderCacheMs ?? HOLDER_CACHE_MS;
    this.random = options.randomBytes;
    if (!(this.repairIntervalMs >= 0)) throw new RangeError('repairIntervalMs: 0 or more');
    const shared = {
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    };
    this.rpc = new ConnectionRpc({
      ...options.connections,
      ...shared,
      dial: options.dial,
      endpoints: options.endpoints ?? [],
      localPeer: peerIdFromPublicKey(options.publicKey),
    });
    this.router = new DhtRouter({
      ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}),
      ...options.router,
      ...shared,
      ...(options.logger ? { logger: options.logger } : {}),
      publicKey: options.publicKey,
      rpc: this.rpc,
      endpoints: options.endpoints ?? [],
      onAdded: (contact) => {
        options.router?.onAdded?.(contact);
        this.nodeJoined(contact);
      },
    });
    this.peer = this.router.peer;
    const admit = (from: PeerId) => this.router.admit(from, 'inbox');
    this.rpc.setServer(
      combineServers(
        routerServer(this.router),
        this.holds ? holderServer(this.holder, { admit }) : refuseInbox,
      ),
    );
    this.repairer = new Repair({
      holder: this.holder,
      peer: this.peer,
      holders: (location) => this.holders(location),
      request: (contact, message) => this.rpc.request(contact, message),
      replicas: this.replicas,
      clock: this.clock,
      ...shared,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** This node as a contact. */
  get self(): Contact {
    return this.router.self;
  }

  /** Takes an authenticated inbound `hush-dht/1` connection. @throws DhtError 'closed' */
  accept(connection: Connection): void {
    this.rpc.add(connection);
  }

  /**
   * Joins from `bootstrap` (SPEC §2.4), then repairs what its holder kept from before (a
   * node back from a restart) and every `repairIntervalMs` after (§8.1).
   */
  async start(bootstrap: readonly Contact[] = []): Promise<LookupResult> {
    const joined = await this.router.start(bootstrap);
    if (this.holds && !this.started && !this.stopped) {
      this.started = true;
      this.repairInBackground();
      if (this.repairIntervalMs > 0)
        this.repairTimer = this.clock.setInterval(
          () => this.repairInBackground(),
          this.repairIntervalMs,
        );
    }
    return joined;
  }

  /**
   * One repair pass now (§8): every location whose descriptor the holder keeps, at the r
   * nodes closest to it now. A pass already running is joined.
   *
   * @throws what the holder's store throws
   */
  repair(): Promise<RepairOutcome> {
    return this.repairer.pass();
  }

  private repairInBackground(): void {
    this.repairer.pass().catch(() => undefined);
  }

  /** A node new to the table: after a short delay, offered what it is now close to (§8.4). */
  private nodeJoined(contact: Contact): void {
    if (!this.holds || !this.started || this.stopped || this.holder.stats.descriptors === 0) return;
    this.joined.set(contact.peer, contact);
    if (this.handoverTimer) return;
    this.handoverTimer = this.clock.setTimeout(() => {
      this.handoverTimer = undefined;
      const joined = [...this.joined.values()];
      this.joined.clear();
      this.repairer
        .handover(joined, (location) =>
          // The r closest this node knows of, itself among them: a joiner beyond them is not
          // offered anything even when this node is the closest.
          [this.self, ...this.router.table.closest(location, this.replicas)]
            .sort((a, b) => compareDistance(location, a.id, b.id))
            .slice(0, this.replicas),
        )
        .catch(() => undefined);
    }, HANDOVER_DELAY_MS);
  }

  /** Stops routing, repair and every connection (the holder stays open: it is the caller's). */
  stop(): void {
    this.stopped = true;
    if (this.repairTimer) this.clock.clearInterval(this.repairTimer);
    if (this.handoverTimer) this.clock.clearTimeout(this.handoverTimer);
    this.repairTimer = this.handoverTimer = undefined;
    this.joined.clear();
    this.router.stop();
    this.rpc.close();
  }

  /**
   * The r nodes closest to `location` that answer a lookup, this node among them when it
   * is one of the r closest.
   *
   * @throws DhtError 'closed' when stopped
   */
  async holders(
    location: Uint8Array,
    signal?: AbortSignal,
    options: { maxAgeMs?: number } = {},
  ): Promise<Contact[]> {
    if (location.length !== LOCATION_LENGTH) throw new RangeError('location: 32 bytes');
    const key = toHex(location);
    const maxAgeMs = options.maxAgeMs ?? 0;
    const cached = this.holderCache.get(key);
    if (cached && maxAgeMs > 0 && this.clock.now() - cached.at <= maxAgeMs) return cached.holders;
    const result = await this.router.lookup(location, signal ? { signal } : {});
    const others = result.closest.filter((c) => c.peer !== this.peer);
    const holders = (this.holds ? [this.self, ...others] : others)
      .sort((a, b) => compareDistance(location, a.id, b.id))
      .slice(0, this.replicas);
    this.holderCache.delete(key);
    this.holderCache.set(key, { at: this.clock.now(), holders });
    if (this.holderCache.size > HOLDER_CACHE_ENTRIES)
      this.holderCache.delete(this.holderCache.keys().next().value!);
    return holders;
  }

  /** The holders of `location` for an operation: those of a recent lookup, else a lookup. */
  private recentHolders(location: Uint8Array): Promise<Contact[]> {
    return this.holders(location, undefined, { maxAgeMs: this.holderCacheMs });
  }

  /** Forgets the holders found for `location` when one of them did not answer. */
  private checkHolders(location: Uint8Array, outcome: ReplicaOutcome): void {
    if (outcome.failed > 0) this.holderCache.delete(toHex(location));
  }

  /**
   * Asks every holder: `local` for this node, `message` for the others; `accept` reads an
   * answer (throws to count it refused).
   */
  private async each<T>(
    location: Uint8Array,
    holders: readonly Contact[],
    local: () => Promise<T>,
    message: DhtMessage,
    read: (answer: DhtMessage) => T,
  ): Promise<{ outcome: ReplicaOutcome; values: T[] }> {
    const settled = await Promise.allSettled(
      holders.map((holder) =>
        holder.peer === this.peer
          ? local()
          : this.rpc.request(holder, message).then((answer) => read(answer)),
      ),
    );
    const refused: Partial<Record<DhtErrorCode, number>> = {};
    const values: T[] = [];
    let failed = 0;
    for (const result of settled) {
      if (result.status === 'fulfilled') values.push(result.value);
      else if (result.reason instanceof DhtError && result.reason.code !== 'closed')
        refused[result.reason.code] = (refused[result.reason.code] ?? 0) + 1;
      else failed++;
    }
    const outcome = { holders, accepted: values.length, refused, failed };
    this.checkHolders(location, outcome);
    return { outcome, values };
  }

  /**
   * Stores a signed descriptor at the r nodes closest to its location (SPEC §4.5).
   *
   * @param cas - store only over this seq (where one is held)
   * @throws DhtError 'closed' when stopped
   */
  async publish(descriptor: Descriptor, options: { cas?: bigint } = {}): Promise<ReplicaOutcome> {
    const location = descriptorLocation(descriptor);
    const holders = await this.recentHolders(location);
    const cas = options.cas === undefined ? {} : { cas: options.cas };
    const { outcome } = await this.each(
      location,
      holders,
      () => this.holder.put(descriptor, cas),
      storeDescriptorMessage(descriptor, options.cas),
      (answer) => {
        if (decodeInboxBody(answer).type !== 0x15) throw new DhtError('malformed', 'not STORED');
      },
    );
    return outcome;
  }

  /**
   * Deposits a sealed envelope at the r nodes closest to `location` (SPEC §5.2): `accepted`
   * counts the holders that hold it now (newly or already).
   *
   * @param options.holders - the holders to send it to, as {@link holders} gave them (default:
   *   a lookup now), so that many deposits to one inbox share one lookup
   *
   * @throws DhtError 'closed' when stopped; RangeError for a location not 32 bytes
   */
  async deposit(
    location: Uint8Array,
    envelope: Envelope | Uint8Array,
    options: { holders?: readonly Contact[] } = {},
  ): Promise<ReplicaOutcome> {
    const holders = options.holders ?? (await this.recentHolders(location));
    const { outcome } = await this.each(
      location,
      holders,
      async () => {
        await this.holder.deposit(location, envelope, { peer: this.peer });
      },
      depositMessage(location, envelope),
      (answer) => {
        if (decodeInboxBody(answer).type !== 0x17) throw new DhtError('malformed', 'not DEPOSITED');
      },
    );
    return outcome;
  }

  /**
   * Fetches one page of the inbox at `location` from its r closest holders (SPEC §6.7): one
   * request signed by the inbox key, sent to each; the pages merged, each item once, oldest
   * first. Where a holder's page was cut, the merged page ends at its cursor, so that the
   * next fetch (from that cursor) misses nothing.
   *
   * @param secretKey - the inbox key's 32-byte ed25519 secret key
   * @throws DhtError 'closed' when stopped, 'malformed' for a bad query
   */
  async fetch(
    secretKey: Uint8Array,
    location: Uint8Array,
    query: Partial<FetchQuery> = {},
  ): Promise<FetchOutcome> {
    const full: FetchQuery = {
      from: 0,
      to: 0xffffffff,
      topics: [],
      bloom: new Uint8Array(0),
      limit: 100,
      cursor: new Uint8Array(0),
      ...query,
    };
    const request = signRequest(
      {
        op: 'fetch',
        location,
        timestamp: this.clock.now(),
        nonce: requestNonce(this.random),
        query: full,
      },
      secretKey,
    );
    const holders = await this.recentHolders(location);
    // The descriptor's minimum PoW is asked for beside the FETCH, not before it.
    const [minPow, fetched] = await Promise.all([
      this.minPowAt(location, inboxKeyFromSecret(secretKey).publicKey, holders),
      this.each(
        location,
        holders,
        () => this.holder.fetch(request),
        signedRequestMessage(request),
        (answer) => {
          const body = decodeInboxBody(answer);
          if (body.type !== 0x18) throw new DhtError('malformed', 'not PAGE');
          return body.page;
        },
      ),
    ]);
    // A page with an item no honest holder could serve is the holder's refusal, so that one
    // holder's junk cannot fill the merged page and its cursor (§6.7).
    const inQuery = queryTest(full, Math.floor(this.clock.now() / 1000));
    const values: InboxPage<Envelope>[] = [];
    for (const page of fetched.values) {
      // A cursor must move on from the query's; an item outside the query is a holder's lie.
      const stalls =
        page.cursor.length > 0 &&
        full.cursor.length > 0 &&
        compareBytes(page.cursor, full.cursor) <= 0;
      if (stalls || !page.items.every(inQuery)) continue;
      // Items under the descriptor's minimum PoW are dropped one by one: junk that cost its
      // holder nothing, or deposits made before the owner raised the minimum.
      const items = page.items.filter((item) => envelopePow(item.envelope) >= minPow);
      values.push(items.length === page.items.length ? page : { items, cursor: page.cursor });
    }
    const junk = fetched.values.length - values.length;
    const outcome: ReplicaOutcome = junk
      ? {
          ...fetched.outcome,
          accepted: values.length,
          refused: {
            ...fetched.outcome.refused,
            malformed: (fetched.outcome.refused.malformed ?? 0) + junk,
          },
        }
      : fetched.outcome;
    return { ...outcome, page: mergePages(values, full.limit) };
  }

  /**
   * The descriptor at `location` (SPEC §4.5): of those this node holds and the holders answer
   * GET_DESCRIPTOR with, the highest seq that verifies and is for that location (and, given
   * `inboxKey`, signed by it); undefined when there is none.
   *
   * @param options.holders - the holders to ask (default: a lookup now)
   * @throws DhtError 'closed' when stopped; RangeError for a location not 32 bytes
   */
  async descriptor(
    location: Uint8Array,
    options: { holders?: readonly Contact[]; inboxKey?: Uint8Array } = {},
  ): Promise<Descriptor | undefined> {
    const valid = (d: Descriptor | undefined): d is Descriptor => {
      if (!d || (options.inboxKey && !equalBytes(d.inboxKey, options.inboxKey))) return false;
      try {
        verifyDescriptor(d);
        return equalBytes(descriptorLocation(d), location);
      } catch {
        return false;
      }
    };
    const holders = options.holders ?? (await this.recentHolders(location));
    const { values } = await this.each(
      location,
      holders,
      () => this.holder.descriptor(location),
      getDescriptorMessage(location),
      (answer) => {
        const body = decodeInboxBody(answer);
        if (body.type !== 0x16) throw new DhtError('malformed', 'not DESCRIPTOR');
        return body.descriptor;
      },
    );
    // Highest seq first, each distinct descriptor (by its encoding) verified once: the
    // holders mostly answer the same one, and an ed25519 verification is the cost here.
    const tried = new Set<string>();
    const bySeq = values
      .filter((d): d is Descriptor => d !== undefined)
      .sort((a, b) => (a.seq < b.seq ? 1 : a.seq > b.seq ? -1 : 0));
    for (const d of bySeq) {
      const encoded = toHex(encodeDescriptor(d));
      if (tried.has(encoded)) continue;
      tried.add(encoded);
      if (valid(d)) return d;
    }
    return undefined;
  }

  /**
   * The minimum PoW of the owner's descriptor at `location`: the one this node holds, else
   * what {@link descriptor} finds at the holders (0 when none is known).
   */
  private async minPowAt(
    location: Uint8Array,
    inboxKey: Uint8Array,
    holders: readonly Contact[],
  ): Promise<number> {
    const local = await this.holder.descriptor(location);
    if (local && equalBytes(local.inboxKey, inboxKey)) {
      try {
        verifyDescriptor(local);
        return local.minPow;
      } catch {}
    }
    return (await this.descriptor(location, { holders, inboxKey }))?.minPow ?? 0;
  }

  /**
   * Deletes items of the inbox at `location` at its r closest holders (SPEC §6.7), each
   * leaving tombstones.
   *
   * @param ids - 36-byte item ids, at most 256
   * @param options.holders - the holders to ask, as {@link holders} gave them (default: a
   *   lookup now)
   * @throws DhtError 'closed' when stopped, 'malformed' for bad ids
   */
  async delete(
    secretKey: Uint8Array,
    location: Uint8Array,
    ids: readonly Uint8Array[],
    options: { holders?: readonly Contact[] } = {},
  ): Promise<DeleteOutcome> {
    const { outcome, values } = await this.byIds('delete', secretKey, location, ids, options);
    const removed = new Map<string, Uint8Array>();
    let deleted = 0;
    for (const list of values as Uint8Array[][]) {
      deleted += list.length;
      for (const id of list) removed.set(toHex(id), id);
    }
    return { ...outcome, deleted, removed: [...removed.values()] };
  }

  /**
   * Lifts the tombstones of items of the inbox at `location` at its r closest holders
   * (SPEC §6.5): one RESTORE signed by the inbox key, sent to each, so that the owner may
   * deposit those envelopes again.
   *
   * @param ids - 36-byte item ids, at most 256
   * @throws DhtError 'closed' when stopped, 'malformed' for bad ids
   */
  async restore(
    secretKey: Uint8Array,
    location: Uint8Array,
    ids: readonly Uint8Array[],
  ): Promise<RestoreOutcome> {
    const { outcome, values } = await this.byIds('restore', secretKey, location, ids);
    return { ...outcome, restored: (values as number[]).reduce((a, b) => a + b, 0) };
  }

  /**
   * One signed delete or restore sent to each holder; what each that served it answered (the
   * ids it removed, or the count of tombstones it lifted).
   */
  private async byIds(
    op: 'delete' | 'restore',
    secretKey: Uint8Array,
    location: Uint8Array,
    ids: readonly Uint8Array[],
    options: { holders?: readonly Contact[] } = {},
  ): Promise<{ outcome: ReplicaOutcome; values: (Uint8Array[] | number)[] }> {
    if (
      ids.length === 0 ||
      ids.length > MAX_REQUEST_IDS ||
      ids.some((id) => id.length !== ITEM_ID_LENGTH)
    )
      throw new DhtError('malformed', `ids: 1 to ${MAX_REQUEST_IDS} of ${ITEM_ID_LENGTH} bytes`);
    const request: SignedRequest = signRequest(
      { op, location, timestamp: this.clock.now(), nonce: requestNonce(this.random), ids },
      secretKey,
    );
    const holders = options.holders ?? (await this.recentHolders(location));
    const answer = op === 'delete' ? 0x19 : 0x1b;
    return this.each<Uint8Array[] | number>(
      location,
      holders,
      () => (op === 'delete' ? this.holder.deleteItems(request) : this.holder.restore(request)),
      signedRequestMessage(request),
      (message) => {
        const body = decodeInboxBody(message);
        if (body.type !== answer)
          throw new DhtError('malformed', op === 'delete' ? 'not DELETED' : 'not RESTORED');
        return body.type === 0x19 ? [...body.ids] : body.count;
      },
    );
  }
}

/**
 * What an honest holder may put in a page of `query` (§6.3, §6.7): created within [from,
 * to], after the cursor, unexpired (with a minute's allowance for the holder's clock),
 * matching the topics or bloom.
 */
function queryTest(query: FetchQuery, nowS: number): (item: InboxItem<Envelope>) => boolean {
  const topics = new Set(query.topics.map(toHex));
  return (item) => {
    const e = item.envelope;
    const sent = (e.expiry - e.ttl) >>> 0;
    if (sent < query.from || sent > query.to) return false;
    if (query.cursor.length && compareBytes(item.id, query.cursor) <= 0) return false;
    if (e.expiry + FUTURE_ALLOWANCE_S < nowS) return false;
    if (topics.size > 0) return topics.has(toHex(e.topic));
    return query.bloom.length === 0 || bloomFilterMatch(query.bloom, topicToBloom(e.topic));
  };
}

/**
 * Pages of several holders as one: each item once (by id), oldest first, at most `limit`;
 * the page ends at the earliest cursor of a cut page (beyond it some holder was not read).
 */
export function mergePages(
  pages: readonly InboxPage<Envelope>[],
  limit: number,
): InboxPage<Envelope> {
  const byId = new Map<string, InboxItem<Envelope>>();
  let cutAt: Uint8Array | undefined;
  for (const page of pages) {
    for (const item of page.items) byId.set(toHex(item.id), item);
    if (page.cursor.length && (!cutAt || compareBytes(page.cursor, cutAt) < 0)) cutAt = page.cursor;
  }
  let items = [...byId.values()].sort((a, b) => compareBytes(a.id, b.id));
  if (cutAt) {
    const end = cutAt;
    items = items.filter((item) => compareBytes(item.id, end) <= 0);
  }
  if (items.length > limit) {
    items = items.slice(0, limit);
    return { items, cursor: items[items.length - 1]!.id };
  }
  return { items, cursor: cutAt ?? new Uint8Array(0) };
}
