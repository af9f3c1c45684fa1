/**
 * Repair under churn (specs/inbox-dht/SPEC.md §8): a holder keeps what it holds where the
 * network will look for it. Each pass walks the locations whose descriptor it holds; for
 * each, it finds the r nodes closest now, stores the descriptor at them, offers the ids of
 * its live items (OFFER, §8.2) and deposits those a holder lacks, with the envelope's own
 * PoW, so that every admission rule of §5.1 is checked again. An item that most answering
 * holders say was deleted is given up with a tombstone, so that a holder that missed the
 * owner's delete does not bring it back; one this node holds while no longer among the r
 * closest is given up once at least half of them hold it (handed over). A node that joins
 * close to a location is offered its items at once (§8.4).
 */
import type { Envelope } from '@hush/envelope';
import type { Clock, InboxItem, Logger, Metrics, PeerId } from '@hush/interface';
import { noMetrics, silentLogger } from '@hush/interface';
import type { Descriptor } from './descriptor.js';
import { DhtError } from './errors.js';
import type { Holder } from './holder.js';
import {
  decodeInboxBody,
  depositMessage,
  InboxAnswer,
  MAX_OFFER_IDS,
  offerMessage,
  storeDescriptorMessage,
} from './inbox-wire.js';
import { toHex } from './location.js';
import type { Contact } from './routing/contact.js';
import type { DhtMessage } from './wire.js';

/** How often a holder repairs, by default (§8.1): the "at least hourly". */
export const REPAIR_INTERVAL_MS = 3_600_000;
/** How long after the first of a run of joins the joined nodes are offered items (§8.4). */
export const HANDOVER_DELAY_MS = 5_000;

/** What one repair pass (or handover) did. */
export interface RepairOutcome {
  /** Locations walked. */
  readonly locations: number;
  /** Offers sent (one per page of ids per holder). */
  readonly offers: number;
  /** Copies a holder took (deposits it stored). */
  readonly copied: number;
  /** Local copies given up: this node is no longer among the r closest and they hold them. */
  readonly handedOver: number;
  /** Local copies given up with a tombstone: most holders say the owner deleted them. */
  readonly deleted: number;
  /** Requests that failed: unanswered, refused (other than `stale`), or rate-limited. */
  readonly failed: number;
}

/** What repair works with: the node's holder, lookups and requests. */
export interface RepairContext {
  readonly holder: Holder;
  readonly peer: PeerId;
  /** The r closest nodes to a location now, this node among them when it is one. */
  holders(location: Uint8Array): Promise<Contact[]>;
  request(contact: Contact, message: DhtMessage): Promise<DhtMessage>;
  /** Holders per location (r): a handover needs at least half of them holding an item. */
  readonly replicas: number;
  readonly clock: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/**
 * How a location is repaired: `pass` (this node is among the r closest: it gives up only what
 * most holders say was deleted), `handing` (it is not: it also gives up what at least half of
 * them hold), `handover` (to nodes that just joined: it gives up nothing).
 */
type RepairMode = 'pass' | 'handing' | 'handover';

interface Tally {
  offers: number;
  copied: number;
  handedOver: number;
  deleted: number;
  failed: number;
}

function repairMetrics(metrics: Metrics) {
  return {
    passes: metrics.counter({
      name: 'hush_dht_repair_passes_total',
      help: 'Repair passes a DHT node ran (SPEC §8)',
    }),
    copied: metrics.counter({
      name: 'hush_dht_repair_copied_total',
      help: 'Items a repair pass copied to a holder that lacked them',
    }),
    failed: metrics.counter({
      name: 'hush_dht_repair_failures_total',
      help: 'Repair requests that failed (unanswered, refused, rate-limited)',
    }),
  };
}

/** One node's repair: full passes and handovers to joining nodes. */
export class Repair {
  private readonly context: RepairContext;
  private readonly logger: Logger;
  private readonly metric: ReturnType<typeof repairMetrics>;
  private running: Promise<RepairOutcome> | undefined;

  constructor(context: RepairContext) {
    this.context = context;
    this.logger = context.logger ?? silentLogger;
    this.metric = repairMetrics(context.metrics ?? noMetrics);
  }

  /**
   * One full pass over every location whose descriptor the holder keeps; a pass already
   * running is joined, not doubled.
   *
   * @throws what the holder's store throws
   */
  pass(): Promise<RepairOutcome> {
    if (!this.running) {
      this.running = this.walk().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /**
   * Offers the items of every held location to the nodes of `joined` that are among its r
   * closest now (by the routing table: `closest`), without giving anything up (§8.4).
   *
   * @throws what the holder's store throws
   */
  async handover(
    joined: readonly Contact[],
    closest: (location: Uint8Array) => Contact[],
  ): Promise<RepairOutcome> {
    const tally: Tally = { offers: 0, copied: 0, handedOver: 0, deleted: 0, failed: 0 };
    const peers = new Set(joined.map((c) => c.peer));
    let locations = 0;
    let after: Uint8Array | undefined;
    for (;;) {
      const page = await this.context.holder.heldLocations(after);
      if (page.length === 0) break;
      for (const location of page) {
        const near = closest(location).filter((c) => peers.has(c.peer));
        if (near.length === 0) continue;
        locations++;
        await this.location(location, near, 'handover', tally);
      }
      after = page[page.length - 1];
    }
    return { locations, ...tally };
  }

  private async walk(): Promise<RepairOutcome> {
    this.metric.passes.inc();
    const tally: Tally = { offers: 0, copied: 0, handedOver: 0, deleted: 0, failed: 0 };
    let locations = 0;
    let after: Uint8Array | undefined;
    for (;;) {
      const page = await this.context.holder.heldLocations(after);
      if (page.length === 0) break;
      for (const location of page) {
        let holders: Contact[];
        try {
          holders = await this.context.holders(location);
        } catch (error) {
          if (error instanceof DhtError && error.code === 'closed') return { locations, ...tally };
          this.fail(tally);
          continue;
        }
        locations++;
        const peers = holders.filter((c) => c.peer !== this.context.peer);
        const isHolder = peers.length < holders.length;
        // Handing over only after a lookup that found r nodes: a poor lookup (a partition,
        // failures) must not make this node give up copies.
        const mode = isHolder || holders.length < this.context.replicas ? 'pass' : 'handing';
        await this.location(location, peers, mode, tally);
      }
      after = page[page.length - 1];
    }
    this.logger.debug({ locations, ...tally }, 'dht repair pass');
    return { locations, ...tally };
  }

  /**
   * Repairs one location at `peers`: descriptor, offers, deposits; gives up copies as the
   * answers say (`mode`, {@link RepairMode}).
   */
  private async location(
    location: Uint8Array,
    peers: readonly Contact[],
    mode: RepairMode,
    tally: Tally,
  ): Promise<void> {
    const { holder } = this.context;
    const descriptor = await holder.descriptor(location);
    if (!descriptor || peers.length === 0) return;
    const live = await this.storeDescriptor(descriptor, peers, tally);
    if (live.length === 0) return;
    let after: Uint8Array | undefined;
    for (;;) {
      const items = await holder.heldItems(location, after, MAX_OFFER_IDS);
      if (items.length === 0) return;
      await this.offer(location, items, live, mode, tally);
      after = items[items.length - 1]!.id;
      if (items.length < MAX_OFFER_IDS) return;
    }
  }

  /** Stores the descriptor at each peer; those that hold it now (or a newer one) go on. */
  private async storeDescriptor(
    descriptor: Descriptor,
    peers: readonly Contact[],
    tally: Tally,
  ): Promise<Contact[]> {
    const message = storeDescriptorMessage(descriptor);
    const settled = await Promise.allSettled(
      peers.map((peer) => this.context.request(peer, message)),
    );
    const live: Contact[] = [];
    settled.forEach((result, i) => {
      const ok =
        (result.status === 'fulfilled' &&
          decodeInboxBody(result.value).type === InboxAnswer.Stored) ||
        (result.status === 'rejected' &&
          result.reason instanceof DhtError &&
          result.reason.code === 'stale');
      if (ok) live.push(peers[i]!);
      else this.fail(tally);
    });
    return live;
  }

  /** Offers one page of items to the live peers, deposits what they lack, tallies. */
  private async offer(
    location: Uint8Array,
    items: readonly InboxItem<Envelope>[],
    peers: readonly Contact[],
    mode: RepairMode,
    tally: Tally,
  ): Promise<void> {
    const ids = items.map((item) => item.id);
    const message = offerMessage(location, ids);
    const answers = await Promise.allSettled(
      peers.map(async (peer) => {
        tally.offers++;
        const body = decodeInboxBody(await this.context.request(peer, message));
        if (body.type !== 0x1d) throw new DhtError('malformed', 'not OFFERED');
        return body;
      }),
    );
    const offered = new Set(ids.map(toHex));
    const wantedBy = new Map<string, Contact[]>();
    const deletedBy = new Map<string, number>();
    let answered = 0;
    answers.forEach((result, i) => {
      if (result.status === 'rejected') {
        this.fail(tally);
        return;
      }
      answered++;
      // Each peer counts once per id, whatever its answer repeats; deleted wins over wanted.
      const deleted = new Set(result.value.deleted.map(toHex).filter((key) => offered.has(key)));
      const wanted = new Set(
        result.value.wanted.map(toHex).filter((key) => offered.has(key) && !deleted.has(key)),
      );
      for (const key of deleted) deletedBy.set(key, (deletedBy.get(key) ?? 0) + 1);
      for (const key of wanted) {
        const list = wantedBy.get(key) ?? [];
        list.push(peers[i]!);
        wantedBy.set(key, list);
      }
    });
    if (answered === 0) return;
    const gone: Uint8Array[] = [];
    const handed: Uint8Array[] = [];
    // A peer that refused a deposit as rate-limited gets no more in this pass.
    const throttled = new Set<PeerId>();
    for (const item of items) {
      const key = toHex(item.id);
      const deleted = deletedBy.get(key) ?? 0;
      // More than half of the live holders, not of those that answered (when the others are
      // silent, one liar is no majority), and at least half of r. A handover gives nothing
      // up (§8.4).
      if (
        mode !== 'handover' &&
        deleted * 2 > peers.length &&
        deleted >= Math.ceil(this.context.replicas / 2)
      ) {
        gone.push(item.id);
        continue;
      }
      const lacking = wantedBy.get(key) ?? [];
      let holding = answered - lacking.length - deleted;
      const deposit = depositMessage(location, item.envelope);
      const results = await Promise.allSettled(
        lacking
          .filter((peer) => !throttled.has(peer.peer))
          .map(async (peer) => {
            try {
              const body = decodeInboxBody(await this.context.request(peer, deposit));
              if (body.type !== 0x17) throw new DhtError('malformed', 'not DEPOSITED');
            } catch (error) {
              if (error instanceof DhtError && error.code === 'quota') throttled.add(peer.peer);
              throw error;
            }
          }),
      );
      for (const result of results) {
        if (result.status === 'fulfilled') {
          holding++;
          tally.copied++;
          this.metric.copied.inc();
        } else this.fail(tally);
      }
      if (
        mode === 'handing' &&
        holding * 2 >= peers.length &&
        holding >= Math.ceil(this.context.replicas / 2)
      )
        handed.push(item.id);
    }
    if (gone.length)
      tally.deleted += await this.context.holder.relinquish(location, gone, { tombstone: true });
    if (handed.length)
      tally.handedOver += await this.context.holder.relinquish(location, handed, {
        tombstone: false,
      });
  }

  private fail(tally: Tally): void {
    tally.failed++;
    this.metric.failed.inc();
  }
}
