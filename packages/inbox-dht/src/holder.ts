/**
 * What a holder keeps and the rules it keeps it by (specs/inbox-dht/SPEC.md §5–§7): signed
 * descriptors, each replaced only by a strictly higher seq (BEP 44, with compare-and-swap);
 * deposits admitted only under a held descriptor's limits and PoW, refused when the holder is
 * full rather than evicting anything unexpired, within per-location and per-peer quotas;
 * fetch, delete and restore by requests signed by the inbox key within ±60 s, never twice;
 * a tombstone for every deleted item until its expiry, so that repair cannot bring it back;
 * expiry by the injected clock. Pure logic over a `Store` and a `Clock`: no networking.
 *
 * Keys (L = location, 64 hex; P = sent, 8 hex / envelope hash, 64 hex):
 *   `dht/d/L`             → RLP [descriptor, keep until (unix s)]
 *   `dht/i/L/P`           → RLP [peer, stored at (ms), envelope]
 *   `dht/t/L/P`           → RLP [until (unix s)]        a tombstone
 *   `dht/x/<until>/<key>` → empty                        the expiry index (8 hex seconds)
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import {
  decodeEnvelope,
  type Envelope,
  EnvelopeDecodeError,
  encodeEnvelope,
  envelopeHashAndPow,
  envelopeSize,
} from '@hush/envelope';
import type {
  Clock,
  Counter,
  Gauge,
  InboxItem,
  InboxPage,
  Metrics,
  Store,
  StoreOperation,
} from '@hush/interface';
import { noMetrics } from '@hush/interface';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type Descriptor,
  decodeDescriptor,
  descriptorLocation,
  encodeDescriptor,
  verifyDescriptor,
} from './descriptor.js';
import { DhtError, type DhtErrorCode } from './errors.js';
import { EPOCH_MS, epochBounds, fromHex, LOCATION_LENGTH, toHex } from './location.js';
import {
  decodeRequest,
  ITEM_ID_LENGTH,
  REQUEST_WINDOW_MS,
  type RequestOp,
  requestSigningBytes,
  type SignedRequest,
  verifyRequest,
} from './requests.js';

const DESCRIPTORS = 'dht/d/';
const ITEMS = 'dht/i/';
const TOMBSTONES = 'dht/t/';
const EXPIRY = 'dht/x/';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
/** Keys one fetch reads at most, served or skipped. */
const MAX_SCAN = 10_000;
/** Index entries one prune pass removes at most per batch. */
const PRUNE_BATCH = 512;

/** Why a holder refused something: the label of `hush_dht_holder_refusals_total`. */
export type RefusalReason =
  | 'malformed'
  | 'bad-signature'
  | 'seq'
  | 'cas'
  | 'epoch'
  | 'no-descriptor'
  | 'expired'
  | 'future'
  | 'ttl'
  | 'size'
  | 'pow'
  | 'tombstone'
  | 'full'
  | 'quota-location'
  | 'quota-peer'
  | 'window'
  | 'replay'
  | 'replay-cache'
  | 'closed';

/** What a holder may hold. */
export interface HolderLimits {
  /** Deposits held at most, all locations (default 100,000). */
  readonly maxItems: number;
  /** Whisper size (20 + data) of all deposits held at most (default 256 MiB). */
  readonly maxBytes: number;
  /** Deposits held at most for one location (default 1,000). */
  readonly maxItemsPerLocation: number;
  /** Bytes held at most for one location (default 16 MiB). */
  readonly maxBytesPerLocation: number;
  /** Deposits held at most that came from one peer (default 1,000). */
  readonly maxItemsPerPeer: number;
  /** Descriptors held at most (default 100,000). */
  readonly maxDescriptors: number;
  /**
   * Tombstones per location past which an id it never held gets none (default 4,096); a
   * held item deleted always leaves one.
   */
  readonly maxTombstonesPerLocation: number;
  /** The largest deposit it takes whatever a descriptor says (default 1 MiB). */
  readonly maxSize: number;
  /** The longest TTL it takes whatever a descriptor says, seconds (default 14 days). */
  readonly maxTtl: number;
  /** Signed requests remembered at most against replay (default 100,000). */
  readonly maxReplayEntries: number;
}

/** The default holder limits. */
export const DEFAULT_HOLDER_LIMITS: HolderLimits = {
  maxItems: 100_000,
  maxBytes: 256 * 1024 * 1024,
  maxItemsPerLocation: 1_000,
  maxBytesPerLocation: 16 * 1024 * 1024,
  maxItemsPerPeer: 1_000,
  maxDescriptors: 100_000,
  maxTombstonesPerLocation: 4_096,
  maxSize: 1024 * 1024,
  maxTtl: 14 * 86_400,
  maxReplayEntries: 100_000,
};

/** How long before its epoch and after it a descriptor takes deposits, ms (§5.1). */
export const EPOCH_GRACE_MS = 3_600_000;
/** How far past now + TTL a deposit's expiry may lie, seconds (clock skew, §5.1). */
export const FUTURE_ALLOWANCE_S = 60;

/** Options of `Holder.open`. */
export interface HolderOptions {
  readonly clock: Clock;
  readonly metrics?: Metrics;
  readonly limits?: Partial<HolderLimits>;
}

/** One deposit's outcome. */
export interface DepositResult {
  /** 36 bytes: sent ‖ envelope hash. */
  readonly id: Uint8Array;
  /** False when it was already held (nothing changed). */
  readonly stored: boolean;
}

/** What a holder holds now. */
export interface HolderStats {
  readonly descriptors: number;
  readonly items: number;
  readonly bytes: number;
}

interface Usage {
  items: number;
  bytes: number;
  tombstones: number;
}

interface HeldDescriptor {
  readonly descriptor: Descriptor;
  readonly keepUntil: number;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

function positionKey(id: Uint8Array): string {
  const sent = new DataView(id.buffer, id.byteOffset, 4).getUint32(0);
  return `${hex8(sent)}/${toHex(id.subarray(4))}`;
}

function idOf(sent: number, hash: Uint8Array): Uint8Array {
  const id = new Uint8Array(ITEM_ID_LENGTH);
  new DataView(id.buffer).setUint32(0, sent);
  id.set(hash, 4);
  return id;
}

function idOfKey(key: string): Uint8Array {
  // `dht/i/L/SSSSSSSS/H…`
  const rest = key.slice(ITEMS.length + 65);
  return idOf(Number.parseInt(rest.slice(0, 8), 16), fromHex(rest.slice(9)));
}

function sentOf(envelope: Envelope): number {
  return (envelope.expiry - envelope.ttl) >>> 0;
}

interface ItemRecord {
  readonly peer: string;
  readonly storedAt: number;
  readonly envelope: Envelope;
}

function encodeItem(peer: string, storedAt: number, encoded: Uint8Array): Uint8Array {
  return encodeList([encodeBytes(utf8.encode(peer)), encodeUint(storedAt), encodeBytes(encoded)]);
}

function decodeItem(bytes: Uint8Array): ItemRecord {
  const s = new RlpStream(bytes);
  s.list();
  const peer = fromUtf8.decode(s.view());
  const storedAt = s.uintNumber();
  const envelope = decodeEnvelope(s.view());
  return { peer, storedAt, envelope };
}

function decodeUntil(bytes: Uint8Array): number {
  const s = new RlpStream(bytes);
  s.list();
  return s.uintNumber(4);
}

/** The rules of a DHT-inbox holder over a store (§7). */
export class Holder {
  private readonly store: Store;
  private readonly clock: Clock;
  readonly limits: HolderLimits;
  private readonly usage = new Map<string, Usage>();
  private readonly peers = new Map<string, number>();
  private readonly replay = new Map<string, number>();
  private descriptors: number;
  private items = 0;
  private bytes = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly metrics: {
    refusals: Counter<'reason'>;
    deposits: Counter;
    duplicates: Counter;
    descriptors: Counter;
    deleted: Counter;
    relinquished: Counter<'why'>;
    pruned: Counter;
    items: Gauge;
    bytes: Gauge;
  };

  private constructor(store: Store, options: HolderOptions, descriptors: number) {
    this.store = store;
    this.clock = options.clock;
    this.limits = { ...DEFAULT_HOLDER_LIMITS, ...options.limits };
    this.descriptors = descriptors;
    const m = options.metrics ?? noMetrics;
    this.metrics = {
      refusals: m.counter({
        name: 'hush_dht_holder_refusals_total',
        help: 'Descriptors, deposits and requests a DHT-inbox holder refused, by reason',
        labelNames: ['reason'],
      }),
      deposits: m.counter({
        name: 'hush_dht_holder_deposits_total',
        help: 'Deposits a DHT-inbox holder stored',
      }),
      duplicates: m.counter({
        name: 'hush_dht_holder_duplicates_total',
        help: 'Deposits of envelopes a DHT-inbox holder already held',
      }),
      descriptors: m.counter({
        name: 'hush_dht_holder_descriptors_total',
        help: 'Descriptors a DHT-inbox holder stored (new or with a higher seq)',
      }),
      deleted: m.counter({
        name: 'hush_dht_holder_deleted_total',
        help: 'Items a DHT-inbox holder deleted by signed request',
      }),
      relinquished: m.counter({
        name: 'hush_dht_holder_relinquished_total',
        help: 'Items a DHT-inbox holder gave up in repair: handed over to closer holders, or deleted as most holders say',
        labelNames: ['why'],
      }),
      pruned: m.counter({
        name: 'hush_dht_holder_pruned_total',
        help: 'Items, tombstones and descriptors a DHT-inbox holder dropped at expiry',
      }),
      items: m.gauge({ name: 'hush_dht_holder_items', help: 'Deposits a DHT-inbox holder holds' }),
      bytes: m.gauge({
        name: 'hush_dht_holder_bytes',
        help: 'Whisper size of the deposits a DHT-inbox holder holds',
      }),
    };
  }

  /**
   * Opens the holder kept in `store`, counting what it holds.
   *
   * @throws what the store throws
   */
  static async open(store: Store, options: HolderOptions): Promise<Holder> {
    let descriptors = 0;
    for await (const _ of store.range({ gte: DESCRIPTORS, lt: `${DESCRIPTORS}\uffff` }))
      descriptors++;
    const holder = new Holder(store, options, descriptors);
    for await (const [key, value] of store.range({ gte: ITEMS, lt: `${ITEMS}\uffff` })) {
      let record: ItemRecord;
      try {
        record = decodeItem(value);
      } catch {
        continue;
      }
      holder.count(key.slice(ITEMS.length, ITEMS.length + 64), record, 1);
    }
    for await (const [key] of store.range({ gte: TOMBSTONES, lt: `${TOMBSTONES}\uffff` })) {
      const usage = holder.usageOf(key.slice(TOMBSTONES.length, TOMBSTONES.length + 64));
      usage.tombstones++;
    }
    return holder;
  }

  /** What it holds now (expired entries count until pruned). */
  get stats(): HolderStats {
    return { descriptors: this.descriptors, items: this.items, bytes: this.bytes };
  }

  private nowS(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private refuse(code: DhtErrorCode, reason: RefusalReason, message: string): DhtError {
    this.metrics.refusals.inc(1, { reason });
    return new DhtError(code, message);
  }

  private usageOf(location: string): Usage {
    let usage = this.usage.get(location);
    if (!usage) {
      usage = { items: 0, bytes: 0, tombstones: 0 };
      this.usage.set(location, usage);
    }
    return usage;
  }

  private untomb(location: string, n: number): void {
    const usage = this.usage.get(location);
    if (!usage) return;
    usage.tombstones = Math.max(0, usage.tombstones - n);
    if (usage.items === 0 && usage.tombstones === 0) this.usage.delete(location);
  }

  private count(location: string, record: ItemRecord, sign: 1 | -1): void {
    const size = envelopeSize(record.envelope);
    const usage = this.usageOf(location);
    usage.items += sign;
    usage.bytes += sign * size;
    if (usage.items === 0 && usage.tombstones === 0) this.usage.delete(location);
    const peer = (this.peers.get(record.peer) ?? 0) + sign;
    if (peer > 0) this.peers.set(record.peer, peer);
    else this.peers.delete(record.peer);
    this.items += sign;
    this.bytes += sign * size;
    this.metrics.items.set(this.items);
    this.metrics.bytes.set(this.bytes);
  }

  private async held(locationHex: string): Promise<HeldDescriptor | undefined> {
    const bytes = await this.store.get(`${DESCRIPTORS}${locationHex}`);
    if (!bytes) return undefined;
    const s = new RlpStream(bytes);
    s.list();
    const descriptor = decodeDescriptor(s.string());
    return { descriptor, keepUntil: s.uintNumber(4) };
  }

  /**
   * The descriptor held at `location`, if any (also one past its keep-until not yet pruned).
   *
   * @throws what the store throws
   */
  async descriptor(location: Uint8Array): Promise<Descriptor | undefined> {
    if (!(location instanceof Uint8Array) || location.length !== LOCATION_LENGTH) return undefined;
    return (await this.held(toHex(location)))?.descriptor;
  }

  /** The TTL a deposit under `descriptor` may have here. */
  private maxTtlOf(descriptor: Descriptor): number {
    return Math.min(descriptor.maxTtl, this.limits.maxTtl);
  }

  /**
   * Stores a descriptor (§7.1): signed, for an epoch from the day before it begins to an
   * hour after it ends, and with a seq strictly above the one held; with `cas`, only when
   * the held seq is `cas` (ignored when none is held, as BEP 44 says).
   *
   * @throws DhtError 'malformed', 'bad-signature', 'refused' (epoch), 'stale' (seq or cas),
   *   'full' (descriptor quota); what the store throws
   */
  async put(descriptor: Descriptor | Uint8Array, options: { cas?: bigint } = {}): Promise<void> {
    let d: Descriptor;
    try {
      d = descriptor instanceof Uint8Array ? decodeDescriptor(descriptor) : descriptor;
      verifyDescriptor(d);
    } catch (error) {
      if (error instanceof DhtError)
        throw this.refuse(error.code, error.code as RefusalReason, error.message);
      throw this.refuse('malformed', 'malformed', `descriptor: ${(error as Error).message}`);
    }
    const now = this.clock.now();
    const { start, end } = epochBounds(d.epoch);
    if (now < start - EPOCH_MS || now > end + EPOCH_GRACE_MS)
      throw this.refuse('refused', 'epoch', `descriptor: epoch ${d.epoch} is not near now`);
    const locationHex = toHex(descriptorLocation(d));
    const key = `${DESCRIPTORS}${locationHex}`;
    return this.serial(async () => {
      const held = await this.held(locationHex);
      if (held) {
        if (options.cas !== undefined && options.cas !== held.descriptor.seq)
          throw this.refuse(
            'stale',
            'cas',
            `descriptor: cas ${options.cas} is not the held seq ${held.descriptor.seq}`,
          );
        if (d.seq <= held.descriptor.seq)
          throw this.refuse(
            'stale',
            'seq',
            `descriptor: seq ${d.seq} is not above the held ${held.descriptor.seq}`,
          );
      } else if (this.descriptors >= this.limits.maxDescriptors) {
        throw this.refuse('full', 'full', `the holder holds ${this.descriptors} descriptors`);
      }
      const keepUntil = Math.max(
        held?.keepUntil ?? 0,
        Math.ceil((end + EPOCH_GRACE_MS) / 1000) + this.maxTtlOf(d) + FUTURE_ALLOWANCE_S,
      );
      const operations: StoreOperation[] = [];
      if (held) operations.push({ type: 'del', key: `${EXPIRY}${hex8(held.keepUntil)}/${key}` });
      operations.push(
        {
          type: 'put',
          key,
          value: encodeList([encodeBytes(encodeDescriptor(d)), encodeUint(keepUntil)]),
        },
        { type: 'put', key: `${EXPIRY}${hex8(keepUntil)}/${key}`, value: new Uint8Array(0) },
      );
      await this.store.batch(operations);
      if (!held) this.descriptors++;
      this.metrics.descriptors.inc();
    });
  }

  /**
   * Takes a deposit for `location` (§5.1): a descriptor must be held there and be in its
   * deposit window; the envelope unexpired, its TTL and size within the descriptor's caps
   * (and the holder's), its Whisper PoW at least the descriptor's minimum, not deleted
   * (tombstoned); within the holder's room and the location's and the peer's quotas. One
   * already held changes nothing.
   *
   * @param peer - who it came from (per-peer quota); '' for the node itself
   * @throws DhtError 'malformed', 'refused', 'full' or 'quota'; what the store throws
   */
  async deposit(
    location: Uint8Array,
    envelope: Envelope | Uint8Array,
    options: { peer: string },
  ): Promise<DepositResult> {
    if (!(location instanceof Uint8Array) || location.length !== LOCATION_LENGTH)
      throw this.refuse('malformed', 'malformed', `a location is ${LOCATION_LENGTH} bytes`);
    let e: Envelope;
    let encoded: Uint8Array;
    try {
      if (envelope instanceof Uint8Array) {
        e = decodeEnvelope(envelope);
        encoded = envelope.slice();
      } else {
        e = envelope;
        encoded = encodeEnvelope(envelope);
      }
    } catch (error) {
      if (
        error instanceof EnvelopeDecodeError ||
        error instanceof RangeError ||
        error instanceof TypeError
      )
        throw this.refuse('malformed', 'malformed', `envelope: ${error.message}`);
      throw error;
    }
    const locationHex = toHex(location);
    return this.serial(async () => {
      const held = await this.held(locationHex);
      if (!held)
        throw this.refuse('refused', 'no-descriptor', 'no descriptor is held at the location');
      const d = held.descriptor;
      const now = this.clock.now();
      const nowS = Math.floor(now / 1000);
      const { start, end } = epochBounds(d.epoch);
      if (now < start - EPOCH_GRACE_MS || now > end + EPOCH_GRACE_MS)
        throw this.refuse('refused', 'epoch', `the epoch ${d.epoch} takes no deposits now`);
      if (e.expiry < nowS) throw this.refuse('refused', 'expired', 'the envelope has expired');
      const maxTtl = this.maxTtlOf(d);
      if (e.ttl > maxTtl)
        throw this.refuse('refused', 'ttl', `ttl ${e.ttl} s is over the ${maxTtl} s cap`);
      if (e.expiry > nowS + maxTtl + FUTURE_ALLOWANCE_S)
        throw this.refuse('refused', 'future', 'the envelope expires too far in the future');
      const size = envelopeSize(e);
      const maxSize = Math.min(d.maxSize, this.limits.maxSize);
      if (size > maxSize)
        throw this.refuse('refused', 'size', `size ${size} is over the ${maxSize} cap`);
      const { hash, pow } = envelopeHashAndPow(e, 0, encoded);
      if (!(pow >= d.minPow))
        throw this.refuse('refused', 'pow', `PoW ${pow} is below the minimum ${d.minPow}`);
      const id = idOf(sentOf(e), hash);
      const position = positionKey(id);
      const key = `${ITEMS}${locationHex}/${position}`;
      if ((await this.store.get(key)) !== undefined) {
        this.metrics.duplicates.inc();
        return { id, stored: false };
      }
      const tomb = await this.store.get(`${TOMBSTONES}${locationHex}/${position}`);
      if (tomb && decodeUntil(tomb) >= nowS)
        throw this.refuse('refused', 'tombstone', 'the envelope was deleted from this inbox');
      if (this.overQuota(locationHex, options.peer, size)) await this.pruneNow();
      this.checkQuota(locationHex, options.peer, size);
      const record: ItemRecord = { peer: options.peer, storedAt: now, envelope: e };
      const operations: StoreOperation[] = [
        { type: 'put', key, value: encodeItem(options.peer, now, encoded) },
        { type: 'put', key: `${EXPIRY}${hex8(e.expiry)}/${key}`, value: new Uint8Array(0) },
      ];
      if (tomb) operations.push({ type: 'del', key: `${TOMBSTONES}${locationHex}/${position}` });
      await this.store.batch(operations);
      if (tomb) this.untomb(locationHex, 1);
      this.count(locationHex, record, 1);
      this.metrics.deposits.inc();
      return { id, stored: true };
    });
  }

  private overQuota(locationHex: string, peer: string, size: number): boolean {
    const usage = this.usage.get(locationHex);
    const l = this.limits;
    return (
      this.items + 1 > l.maxItems ||
      this.bytes + size > l.maxBytes ||
      (usage?.items ?? 0) + 1 > l.maxItemsPerLocation ||
      (usage?.bytes ?? 0) + size > l.maxBytesPerLocation ||
      (this.peers.get(peer) ?? 0) + 1 > l.maxItemsPerPeer
    );
  }

  private checkQuota(locationHex: string, peer: string, size: number): void {
    const usage = this.usage.get(locationHex);
    const l = this.limits;
    if (this.items + 1 > l.maxItems || this.bytes + size > l.maxBytes)
      throw this.refuse(
        'full',
        'full',
        `the holder holds ${this.items} items, ${this.bytes} bytes`,
      );
    if (
      (usage?.items ?? 0) + 1 > l.maxItemsPerLocation ||
      (usage?.bytes ?? 0) + size > l.maxBytesPerLocation
    )
      throw this.refuse('quota', 'quota-location', 'the location holds as much as it may');
    if ((this.peers.get(peer) ?? 0) + 1 > l.maxItemsPerPeer)
      throw this.refuse('quota', 'quota-peer', 'the peer has deposited as much as it may');
  }

  /**
   * Checks a signed request (§6.2): its timestamp within ±60 s of the clock, a descriptor
   * held at its location, the signature of that descriptor's inbox key, never seen before.
   */
  private async authorize(
    request: SignedRequest | Uint8Array,
    op: RequestOp,
  ): Promise<{ request: SignedRequest; descriptor: Descriptor; locationHex: string }> {
    let r: SignedRequest;
    try {
      r = request instanceof Uint8Array ? decodeRequest(request) : request;
      if (r.op !== op) throw new DhtError('malformed', `request: not a ${op} request`);
      requestSigningBytes(r);
    } catch (error) {
      if (error instanceof DhtError) throw this.refuse(error.code, 'malformed', error.message);
      throw error;
    }
    const now = this.clock.now();
    if (Math.abs(r.timestamp - now) > REQUEST_WINDOW_MS)
      throw this.refuse('bad-signature', 'window', 'request: the timestamp is outside ±60 s');
    const locationHex = toHex(r.location);
    const held = await this.held(locationHex);
    if (!held)
      throw this.refuse('refused', 'no-descriptor', 'no descriptor is held at the location');
    try {
      verifyRequest(r, held.descriptor.inboxKey);
    } catch (error) {
      if (error instanceof DhtError) throw this.refuse(error.code, 'bad-signature', error.message);
      throw error;
    }
    for (const [digest, until] of this.replay) if (until < now) this.replay.delete(digest);
    const digest = toHex(sha256(requestSigningBytes(r)));
    if (this.replay.has(digest))
      throw this.refuse('bad-signature', 'replay', 'request: already served');
    if (this.replay.size >= this.limits.maxReplayEntries)
      throw this.refuse('quota', 'replay-cache', 'request: too many requests in the window');
    this.replay.set(digest, r.timestamp + REQUEST_WINDOW_MS);
    return { request: r, descriptor: held.descriptor, locationHex };
  }

  /**
   * Serves a signed fetch (§6.3): one page of the location's unexpired items, oldest first
   * (creation time, then hash), from the cursor on; the cursor of the page is the id of its
   * last item read when more may follow, empty otherwise.
   *
   * @throws DhtError 'malformed', 'bad-signature', 'refused' (no descriptor), 'quota'
   *   (replay cache); what the store throws
   */
  async fetch(request: SignedRequest | Uint8Array): Promise<InboxPage<Envelope>> {
    const { request: r, locationHex } = await this.authorize(request, 'fetch');
    if (r.op !== 'fetch') throw new DhtError('malformed', 'not a fetch');
    const q = r.query;
    const base = `${ITEMS}${locationHex}/`;
    const nowS = this.nowS();
    if (q.to < q.from) return { items: [], cursor: new Uint8Array(0) };
    let gte = `${base}${hex8(q.from)}`;
    if (q.cursor.length) {
      const after = `${base}${positionKey(q.cursor)}\u0000`;
      if (after > gte) gte = after;
    }
    const lt = q.to >= 0xffffffff ? `${base}\uffff` : `${base}${hex8(q.to + 1)}`;
    const wanted = topicTest(q.topics, q.bloom);
    const items: InboxItem<Envelope>[] = [];
    let scanned = 0;
    let last: string | undefined;
    let more = false;
    for await (const [key, value] of this.store.range({ gte, lt })) {
      if (items.length === q.limit || scanned === MAX_SCAN) {
        more = true;
        break;
      }
      scanned++;
      last = key;
      let record: ItemRecord;
      try {
        record = decodeItem(value);
      } catch {
        continue;
      }
      if (record.envelope.expiry < nowS || !wanted(record.envelope.topic)) continue;
      items.push({ id: idOfKey(key), envelope: record.envelope });
    }
    return { items, cursor: more && last ? idOfKey(last) : new Uint8Array(0) };
  }

  /**
   * Serves a signed delete (§6.4): removes the items named, leaving a tombstone for each
   * until its expiry; an id not held gets a tombstone until the latest expiry an envelope
   * created then could have here (within a per-location bound). Returns how many were held.
   *
   * @throws as `fetch`
   */
  async delete(request: SignedRequest | Uint8Array): Promise<number> {
    return (await this.deleteItems(request)).length;
  }

  /**
   * Serves a signed delete as {@link delete} does, returning the ids of the items it held and
   * removed (what a DELETED answer lists, §3.4).
   *
   * @throws as `fetch`
   */
  async deleteItems(request: SignedRequest | Uint8Array): Promise<Uint8Array[]> {
    const { request: r, descriptor, locationHex } = await this.authorize(request, 'delete');
    if (r.op === 'fetch') throw new DhtError('malformed', 'not a delete');
    return this.serial(async () => {
      const nowS = this.nowS();
      const operations: StoreOperation[] = [];
      const removed: ItemRecord[] = [];
      const removedIds: Uint8Array[] = [];
      let tombs = 0;
      const usage = this.usage.get(locationHex);
      const positions = new Set(r.ids.map(positionKey));
      for (const position of positions) {
        const key = `${ITEMS}${locationHex}/${position}`;
        const tombKey = `${TOMBSTONES}${locationHex}/${position}`;
        const value = await this.store.get(key);
        let until: number;
        if (value !== undefined) {
          operations.push({ type: 'del', key });
          let record: ItemRecord;
          try {
            record = decodeItem(value);
          } catch {
            continue;
          }
          removed.push(record);
          removedIds.push(idOfKey(key));
          until = record.envelope.expiry;
          operations.push({ type: 'del', key: `${EXPIRY}${hex8(until)}/${key}` });
        } else {
          // An id never held (or not yet): tombstoned within the location's bound, until the
          // latest expiry an envelope created then may have here.
          if ((usage?.tombstones ?? 0) + tombs >= this.limits.maxTombstonesPerLocation) continue;
          until = Number.parseInt(position.slice(0, 8), 16) + this.maxTtlOf(descriptor);
        }
        if (until < nowS || (await this.store.get(tombKey)) !== undefined) continue;
        tombs++;
        operations.push(
          { type: 'put', key: tombKey, value: encodeList([encodeUint(until)]) },
          { type: 'put', key: `${EXPIRY}${hex8(until)}/${tombKey}`, value: new Uint8Array(0) },
        );
      }
      if (operations.length) await this.store.batch(operations);
      for (const record of removed) this.count(locationHex, record, -1);
      if (tombs) this.usageOf(locationHex).tombstones += tombs;
      this.metrics.deleted.inc(removed.length);
      return removedIds;
    });
  }

  /**
   * Serves a signed restore (§6.5): lifts the tombstones of the ids named, so that the inbox
   * owner may deposit those envelopes again. Returns how many tombstones it lifted.
   *
   * @throws as `fetch`
   */
  async restore(request: SignedRequest | Uint8Array): Promise<number> {
    const { request: r, locationHex } = await this.authorize(request, 'restore');
    if (r.op === 'fetch') throw new DhtError('malformed', 'not a restore');
    return this.serial(async () => {
      const operations: StoreOperation[] = [];
      for (const position of new Set(r.ids.map(positionKey))) {
        const key = `${TOMBSTONES}${locationHex}/${position}`;
        const value = await this.store.get(key);
        if (value === undefined) continue;
        operations.push({ type: 'del', key });
        try {
          operations.push({ type: 'del', key: `${EXPIRY}${hex8(decodeUntil(value))}/${key}` });
        } catch {}
      }
      if (operations.length) await this.store.batch(operations);
      const lifted = operations.filter((op) => op.key.startsWith(TOMBSTONES)).length;
      this.untomb(locationHex, lifted);
      return lifted;
    });
  }

  /**
   * The locations whose descriptor it holds, in key order, after `after` (a location), at
   * most `limit` of them: what a repair pass walks (§8.1).
   *
   * @throws what the store throws
   */
  async heldLocations(after?: Uint8Array, limit = 256): Promise<Uint8Array[]> {
    const gte = after ? `${DESCRIPTORS}${toHex(after)}\u0000` : DESCRIPTORS;
    const locations: Uint8Array[] = [];
    for await (const [key] of this.store.range({ gte, lt: `${DESCRIPTORS}\uffff`, limit }))
      locations.push(fromHex(key.slice(DESCRIPTORS.length)));
    return locations;
  }

  /**
   * The unexpired items held at `location` after the id `after`, oldest first, at most
   * `limit`: what a repair pass offers (§8.2).
   *
   * @throws what the store throws
   */
  async heldItems(
    location: Uint8Array,
    after?: Uint8Array,
    limit = 256,
  ): Promise<InboxItem<Envelope>[]> {
    if (location.length !== LOCATION_LENGTH) return [];
    const base = `${ITEMS}${toHex(location)}/`;
    const gte = after ? `${base}${positionKey(after)}\u0000` : base;
    const nowS = this.nowS();
    const items: InboxItem<Envelope>[] = [];
    for await (const [key, value] of this.store.range({ gte, lt: `${base}\uffff` })) {
      if (items.length === limit) break;
      let record: ItemRecord;
      try {
        record = decodeItem(value);
      } catch {
        continue;
      }
      if (record.envelope.expiry >= nowS)
        items.push({ id: idOfKey(key), envelope: record.envelope });
    }
    return items;
  }

  /**
   * Answers a repair's offer (§8.2): of the ids offered for `location`, those it lacks
   * (wanted) and those it holds a live tombstone for (deleted); held ones are in neither.
   *
   * @throws DhtError 'malformed' for a location not 32 bytes or ids not 36 bytes; what the
   *   store throws
   */
  async offered(
    location: Uint8Array,
    ids: readonly Uint8Array[],
  ): Promise<{ wanted: Uint8Array[]; deleted: Uint8Array[] }> {
    if (location.length !== LOCATION_LENGTH || ids.some((id) => id.length !== ITEM_ID_LENGTH))
      throw this.refuse('malformed', 'malformed', 'offer: a 32-byte location and 36-byte ids');
    const locationHex = toHex(location);
    const nowS = this.nowS();
    const wanted: Uint8Array[] = [];
    const deleted: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const position = positionKey(id);
      if (seen.has(position)) continue;
      seen.add(position);
      if ((await this.store.get(`${ITEMS}${locationHex}/${position}`)) !== undefined) continue;
      const tomb = await this.store.get(`${TOMBSTONES}${locationHex}/${position}`);
      if (tomb && decodeUntil(tomb) >= nowS) deleted.push(id.slice());
      else wanted.push(id.slice());
    }
    return { wanted, deleted };
  }

  /**
   * Gives up its copies of items at `location` (§8.3): handed over to closer holders, or
   * deleted by the owner as most current holders say — then each leaves a tombstone until
   * its expiry, so that this holder refuses it as the others do. Returns how many it held.
   *
   * @throws what the store throws
   */
  async relinquish(
    location: Uint8Array,
    ids: readonly Uint8Array[],
    options: { tombstone: boolean },
  ): Promise<number> {
    if (location.length !== LOCATION_LENGTH) return 0;
    const locationHex = toHex(location);
    return this.serial(async () => {
      const operations: StoreOperation[] = [];
      const removed: ItemRecord[] = [];
      for (const position of new Set(
        ids.filter((id) => id.length === ITEM_ID_LENGTH).map(positionKey),
      )) {
        const key = `${ITEMS}${locationHex}/${position}`;
        const value = await this.store.get(key);
        if (value === undefined) continue;
        let record: ItemRecord;
        try {
          record = decodeItem(value);
        } catch {
          operations.push({ type: 'del', key });
          continue;
        }
        const until = record.envelope.expiry;
        removed.push(record);
        operations.push(
          { type: 'del', key },
          { type: 'del', key: `${EXPIRY}${hex8(until)}/${key}` },
        );
        if (options.tombstone) {
          const tombKey = `${TOMBSTONES}${locationHex}/${position}`;
          operations.push(
            { type: 'put', key: tombKey, value: encodeList([encodeUint(until)]) },
            { type: 'put', key: `${EXPIRY}${hex8(until)}/${tombKey}`, value: new Uint8Array(0) },
          );
        }
      }
      if (operations.length) await this.store.batch(operations);
      for (const record of removed) this.count(locationHex, record, -1);
      if (options.tombstone && removed.length)
        this.usageOf(locationHex).tombstones += removed.length;
      this.metrics.relinquished.inc(removed.length, {
        why: options.tombstone ? 'deleted' : 'handed-over',
      });
      return removed.length;
    });
  }

  /**
   * Whether the item `id` (36 bytes) is tombstoned at `location` now.
   *
   * @throws what the store throws
   */
  async tombstoned(location: Uint8Array, id: Uint8Array): Promise<boolean> {
    if (location.length !== LOCATION_LENGTH || id.length !== ITEM_ID_LENGTH) return false;
    const value = await this.store.get(`${TOMBSTONES}${toHex(location)}/${positionKey(id)}`);
    return value !== undefined && decodeUntil(value) >= this.nowS();
  }

  /**
   * Drops every item, tombstone and descriptor whose time has passed (expiry < now, in unix
   * seconds); returns how many entries it dropped.
   *
   * @throws what the store throws
   */
  prune(): Promise<number> {
    return this.serial(() => this.pruneNow());
  }

  private async pruneNow(): Promise<number> {
    const lt = `${EXPIRY}${hex8(this.nowS())}`;
    let dropped = 0;
    for (;;) {
      const operations: StoreOperation[] = [];
      const removed: [string, ItemRecord][] = [];
      const lifted: string[] = [];
      let descriptors = 0;
      for await (const [indexKey] of this.store.range({ gte: EXPIRY, lt, limit: PRUNE_BATCH })) {
        const key = indexKey.slice(EXPIRY.length + 9);
        operations.push({ type: 'del', key: indexKey });
        const value = await this.store.get(key);
        if (value === undefined) continue;
        operations.push({ type: 'del', key });
        dropped++;
        if (key.startsWith(ITEMS)) {
          try {
            removed.push([key.slice(ITEMS.length, ITEMS.length + 64), decodeItem(value)]);
          } catch {}
        } else if (key.startsWith(DESCRIPTORS)) {
          descriptors++;
        } else if (key.startsWith(TOMBSTONES)) {
          lifted.push(key.slice(TOMBSTONES.length, TOMBSTONES.length + 64));
        }
      }
      if (operations.length === 0) break;
      await this.store.batch(operations);
      for (const [location, record] of removed) this.count(location, record, -1);
      for (const location of lifted) this.untomb(location, 1);
      this.descriptors -= descriptors;
      if (operations.length < PRUNE_BATCH) break;
    }
    this.metrics.pruned.inc(dropped);
    return dropped;
  }

  /**
   * Prunes every `intervalMs` on the holder's clock; returns the stop.
   *
   * @throws RangeError if the interval is not a positive number
   */
  startPruning(intervalMs = 60_000): () => void {
    if (!(intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    const handle = this.clock.setInterval(() => {
      this.prune().catch(() => undefined);
    }, intervalMs);
    return () => this.clock.clearInterval(handle);
  }
}

function topicTest(
  topics: readonly Uint8Array[],
  bloom: Uint8Array,
): (topic: Uint8Array) => boolean {
  if (topics.length > 0) {
    const wanted = new Set(topics.map(toHex));
    return (topic) => wanted.has(toHex(topic));
  }
  if (bloom.length === 0) return () => true;
  return (topic) => bloomFilterMatch(bloom, topicToBloom(topic));
}
