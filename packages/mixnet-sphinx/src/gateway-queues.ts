/**
 * A gateway's queues (specs/mixnet-sphinx/SPEC.md §11.1): a packet that ends at a gateway is
 * kept, in a `Store`, in the queue of the recipient its recipient command names, until that
 * client fetches it over its link and acknowledges it, or it expires. Store-and-forward: a
 * client offline for a while loses nothing, up to its queue's bound; beyond it new messages
 * are refused (the mix counts them as `mailbox-full`), never old ones dropped silently.
 *
 * Anyone may address packets to any recipient id, so what a gateway holds is bounded twice:
 * per recipient and in all, and messages expire (default a week). The counts are read from
 * the store once, on first use (one scan, which also finds the highest sequence number, so
 * numbers keep growing across restarts and a restart never overwrites a queued message);
 * from then on every change goes through this object, and the checks and counts are
 * synchronous, so overlapping deposits cannot pass a bound.
 */
import type { Clock, Store } from '@hush/interface';
import { systemClock } from '@hush/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NODE_ID_LENGTH, SURB_ID_LENGTH } from './geometry.js';
import type { QueuedMessage } from './link.js';

const PREFIX = 'gateway/queue/';
/** Sequence numbers are deposit time in µs (ms × 1000, plus a counter within the ms). */
const SEQ_PER_MS = 1000n;
/** Most sequence numbers of one acknowledgement taken (a MESSAGES frame holds at most 100). */
const MAX_ACK = 1000;

function queuePrefix(recipient: string): string {
  return `${PREFIX}${recipient}/`;
}

function seqKey(recipient: string, seq: bigint): string {
  return `${queuePrefix(recipient)}${seq.toString().padStart(20, '0')}`;
}

/** Stored value: u8 kind ‖ [SURB id] ‖ payload. */
function encodeValue(message: Omit<QueuedMessage, 'seq'>): Uint8Array {
  const head = message.surbId ? 1 + SURB_ID_LENGTH : 1;
  const out = new Uint8Array(head + message.payload.length);
  out[0] = message.surbId ? 1 : 0;
  if (message.surbId) out.set(message.surbId, 1);
  out.set(message.payload, head);
  return out;
}

function decodeValue(seq: bigint, value: Uint8Array): QueuedMessage | undefined {
  if (value[0] === 0) return { seq, payload: value.slice(1) };
  if (value[0] === 1 && value.length >= 1 + SURB_ID_LENGTH)
    return {
      seq,
      surbId: value.slice(1, 1 + SURB_ID_LENGTH),
      payload: value.slice(1 + SURB_ID_LENGTH),
    };
  return undefined;
}

/** How a gateway keeps its queues. */
export interface GatewayQueueOptions {
  /** Messages one recipient may have waiting (default 10,000). */
  readonly maxPerRecipient?: number;
  /** Messages the gateway holds in all (default 1,000,000). */
  readonly maxTotal?: number;
  /** How long a message waits at most, ms (default 7 days). */
  readonly retentionMs?: number;
  readonly clock?: Clock;
}

/** Why a deposit was refused. */
export type DepositRefusal = 'mailbox-full' | 'gateway-full';

/** The queues of a gateway's clients. */
export class GatewayQueues {
  private readonly store: Store;
  private readonly maxPerRecipient: number;
  private readonly maxTotal: number;
  private readonly retentionMs: number;
  private readonly clock: Clock;
  private lastSeq = 0n;
  private total = 0;
  /** Messages waiting per recipient (hex): authoritative once loaded. */
  private counts: Map<string, number> | undefined;
  private loading: Promise<Map<string, number>> | undefined;
  /** Removals of one recipient's messages run one after another. */
  private readonly acks = new Map<string, Promise<unknown>>();

  constructor(store: Store, options: GatewayQueueOptions = {}) {
    this.store = store;
    this.maxPerRecipient = options.maxPerRecipient ?? 10_000;
    this.maxTotal = options.maxTotal ?? 1_000_000;
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.clock = options.clock ?? systemClock;
  }

  /** The counts, read from the store on first use. */
  private load(): Promise<Map<string, number>> {
    if (this.counts) return Promise.resolve(this.counts);
    this.loading ??= (async () => {
      const counts = new Map<string, number>();
      let total = 0;
      let last = 0n;
      for await (const [key] of this.store.range({ gte: PREFIX, lt: `${PREFIX}~` })) {
        const [recipient, seq] = key.slice(PREFIX.length).split('/');
        counts.set(recipient!, (counts.get(recipient!) ?? 0) + 1);
        total++;
        const n = BigInt(seq!);
        if (n > last) last = n;
      }
      this.total = total;
      if (last > this.lastSeq) this.lastSeq = last;
      this.counts = counts;
      return counts;
    })();
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Sequence numbers grow with time and past every stored one. */
  private nextSeq(): bigint {
    const now = BigInt(Math.floor(this.clock.now())) * SEQ_PER_MS;
    this.lastSeq = now > this.lastSeq ? now : this.lastSeq + 1n;
    return this.lastSeq;
  }

  private expired(seq: bigint): boolean {
    return Number(seq / SEQ_PER_MS) + this.retentionMs <= this.clock.now();
  }

  /**
   * Keeps a message for `recipient`.
   *
   * @returns true when kept, or why not: the recipient's queue or the gateway is full
   * @throws RangeError for a recipient that is not a 32-byte id; what the store throws
   *   (then nothing is kept)
   */
  async deposit(
    recipient: Uint8Array,
    message: Omit<QueuedMessage, 'seq'>,
  ): Promise<true | DepositRefusal> {
    if (recipient.length !== NODE_ID_LENGTH) throw new RangeError('recipient must be 32 bytes');
    const counts = await this.load();
    const hex = bytesToHex(recipient);
    const n = counts.get(hex) ?? 0;
    if (n >= this.maxPerRecipient) return 'mailbox-full';
    if (this.total >= this.maxTotal) return 'gateway-full';
    // Counted before the write, so a deposit overlapping this one sees it.
    counts.set(hex, n + 1);
    this.total++;
    try {
      await this.store.put(seqKey(hex, this.nextSeq()), encodeValue(message));
    } catch (error) {
      counts.set(hex, Math.max(0, (counts.get(hex) ?? 1) - 1));
      this.total--;
      throw error;
    }
    return true;
  }

  /**
   * Up to `most` of the recipient's messages, oldest first; they stay until acknowledged.
   * Expired ones are deleted, not given.
   *
   * @throws what the store throws
   */
  async fetch(recipient: Uint8Array, most: number): Promise<QueuedMessage[]> {
    const counts = await this.load();
    const hex = bytesToHex(recipient);
    const prefix = queuePrefix(hex);
    const out: QueuedMessage[] = [];
    const stale: string[] = [];
    for await (const [key, value] of this.store.range({ gte: prefix, lt: `${prefix}~` })) {
      const seq = BigInt(key.slice(prefix.length));
      if (this.expired(seq)) {
        stale.push(key);
        continue;
      }
      const message = decodeValue(seq, value);
      if (message) out.push(message);
      if (out.length >= most) break;
    }
    if (stale.length > 0) await this.remove(counts, hex, stale);
    return out;
  }

  /**
   * Runs `work` after every other removal of the recipient's messages: removals (an ACK, an
   * expiry seen by a fetch, a sweep) never count one message twice.
   */
  private locked<T>(hex: string, work: () => Promise<T>): Promise<T> {
    const run = (this.acks.get(hex) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => {});
    this.acks.set(hex, tail);
    void tail.then(() => {
      if (this.acks.get(hex) === tail) this.acks.delete(hex);
    });
    return run;
  }

  /** Deletes those of `keys` still stored, counting only them. */
  private remove(counts: Map<string, number>, hex: string, keys: readonly string[]): Promise<void> {
    return this.locked(hex, async () => {
      const held = await Promise.all(keys.map((key) => this.store.get(key)));
      const present = keys.filter((_, i) => held[i] !== undefined);
      if (present.length === 0) return;
      await this.store.batch(present.map((key) => ({ type: 'del' as const, key })));
      counts.set(hex, Math.max(0, (counts.get(hex) ?? 0) - present.length));
      this.total = Math.max(0, this.total - present.length);
      if (counts.get(hex) === 0) counts.delete(hex);
    });
  }

  /**
   * Deletes the recipient's messages of these sequence numbers (the client has them); an
   * unknown number is ignored, and at most 1,000 are taken at once.
   *
   * @throws what the store throws
   */
  async acknowledge(recipient: Uint8Array, seqs: readonly bigint[]): Promise<void> {
    const hex = bytesToHex(recipient);
    const counts = await this.load();
    const keys = [...new Set(seqs.slice(0, MAX_ACK).map((seq) => seqKey(hex, seq)))];
    await this.remove(counts, hex, keys);
  }

  /**
   * Deletes every expired message (a gateway runs it now and then: once an epoch).
   *
   * @returns how many were deleted
   * @throws what the store throws
   */
  async sweep(): Promise<number> {
    const counts = await this.load();
    const stale = new Map<string, string[]>();
    for await (const [key] of this.store.range({ gte: PREFIX, lt: `${PREFIX}~` })) {
      const [recipient, seq] = key.slice(PREFIX.length).split('/');
      if (!this.expired(BigInt(seq!))) continue;
      const list = stale.get(recipient!) ?? [];
      list.push(key);
      stale.set(recipient!, list);
    }
    let n = 0;
    for (const [hex, keys] of stale) {
      await this.remove(counts, hex, keys);
      n += keys.length;
    }
    return n;
  }
}
