/**
 * A gateway's queues (specs/mixnet-sphinx/SPEC.md §11.1): a packet that ends at a gateway is
 * kept, in a `Store`, in the queue of the recipient its recipient command names, until that
 * client fetches it over its link and acknowledges it. Store-and-forward: a client offline for
 * a while loses nothing, up to its queue's bound; beyond it new messages are refused (the mix
 * counts them as `mailbox-full`), never old ones dropped silently.
 */
import type { Clock, Store } from '@hush/interface';
import { systemClock } from '@hush/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NODE_ID_LENGTH, SURB_ID_LENGTH } from './geometry.js';
import type { QueuedMessage } from './link.js';

const PREFIX = 'gateway/queue/';

function queuePrefix(recipient: Uint8Array): string {
  return `${PREFIX}${bytesToHex(recipient)}/`;
}

function seqKey(recipient: Uint8Array, seq: bigint): string {
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
  readonly clock?: Clock;
}

/** The queues of a gateway's clients. */
export class GatewayQueues {
  private readonly store: Store;
  private readonly max: number;
  private readonly clock: Clock;
  private lastSeq = 0n;
  /** Messages waiting per recipient (hex), counted from the store on first use. */
  private readonly counts = new Map<string, number>();

  constructor(store: Store, options: GatewayQueueOptions = {}) {
    this.store = store;
    this.max = options.maxPerRecipient ?? 10_000;
    this.clock = options.clock ?? systemClock;
  }

  private async count(recipient: Uint8Array): Promise<number> {
    const hex = bytesToHex(recipient);
    let n = this.counts.get(hex);
    if (n === undefined) {
      n = 0;
      const prefix = queuePrefix(recipient);
      for await (const _ of this.store.range({ gte: prefix, lt: `${prefix}~` })) n++;
      this.counts.set(hex, n);
    }
    return n;
  }

  /** Sequence numbers grow with time, so they go on growing across restarts. */
  private nextSeq(): bigint {
    const now = BigInt(Math.floor(this.clock.now())) * 1000n;
    this.lastSeq = now > this.lastSeq ? now : this.lastSeq + 1n;
    return this.lastSeq;
  }

  /**
   * Keeps a message for `recipient`.
   *
   * @returns false when the recipient's queue is full (nothing kept)
   * @throws RangeError for a recipient that is not a 32-byte id; what the store throws
   */
  async deposit(recipient: Uint8Array, message: Omit<QueuedMessage, 'seq'>): Promise<boolean> {
    if (recipient.length !== NODE_ID_LENGTH) throw new RangeError('recipient must be 32 bytes');
    const n = await this.count(recipient);
    if (n >= this.max) return false;
    this.counts.set(bytesToHex(recipient), n + 1);
    try {
      await this.store.put(seqKey(recipient, this.nextSeq()), encodeValue(message));
    } catch (error) {
      this.counts.delete(bytesToHex(recipient));
      throw error;
    }
    return true;
  }

  /**
   * Up to `most` of the recipient's messages, oldest first; they stay until acknowledged.
   *
   * @throws what the store throws
   */
  async fetch(recipient: Uint8Array, most: number): Promise<QueuedMessage[]> {
    const prefix = queuePrefix(recipient);
    const out: QueuedMessage[] = [];
    const range = { gte: prefix, lt: `${prefix}~`, limit: most };
    for await (const [key, value] of this.store.range(range)) {
      const seq = BigInt(key.slice(prefix.length));
      const message = decodeValue(seq, value);
      if (message) out.push(message);
    }
    return out;
  }

  /**
   * Deletes the recipient's messages of these sequence numbers (the client has them); an
   * unknown number is ignored.
   *
   * @throws what the store throws
   */
  async acknowledge(recipient: Uint8Array, seqs: readonly bigint[]): Promise<void> {
    const keys = [...new Set(seqs.map((seq) => seqKey(recipient, seq)))];
    const present: string[] = [];
    for (const key of keys) if ((await this.store.get(key)) !== undefined) present.push(key);
    if (present.length === 0) return;
    await this.store.batch(present.map((key) => ({ type: 'del' as const, key })));
    const hex = bytesToHex(recipient);
    const n = this.counts.get(hex);
    if (n !== undefined) this.counts.set(hex, Math.max(0, n - present.length));
  }
}
