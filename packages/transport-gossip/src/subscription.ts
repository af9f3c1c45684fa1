/**
 * Subscriptions to accepted envelopes: an async iterator over a bounded queue. A subscriber
 * that does not keep up loses the oldest envelopes (counted in `dropped`), never the node's
 * memory.
 */
import type { Envelope } from '@hush/envelope';

/** An envelope the node accepted (or a p2p envelope, code 127, from a trusted peer). */
export interface AcceptedEnvelope {
  readonly envelope: Envelope;
  readonly hash: Uint8Array;
  readonly pow: number;
  /** Arrived as a p2p message (code 127), or to a light client (geth's isP2P). */
  readonly p2p: boolean;
  /**
   * Arrived in a p2p message (code 127: a mailserver's history, a peer's direct post), not in
   * gossip. A light client's gossip is `p2p` too, as in geth; this tells the two apart.
   */
  readonly p2pMessage: boolean;
  /** The peer it came from; undefined for local posts. */
  readonly from: string | undefined;
}

/** What a subscriber wants. */
export interface SubscribeOptions {
  /** Topics (4 bytes); empty or absent: every topic. */
  readonly topics?: readonly Uint8Array[];
  /** Minimum PoW. */
  readonly pow?: number;
  /** Whether p2p envelopes are delivered too (default false). */
  readonly p2p?: boolean;
  /** Queue length before the oldest envelope is dropped (default 4096). */
  readonly bufferSize?: number;
  /** Ends the subscription. */
  readonly signal?: AbortSignal;
}

/** An async iterator of accepted envelopes. */
export interface Subscription extends AsyncIterableIterator<AcceptedEnvelope> {
  /** Envelopes dropped because the subscriber fell behind. */
  readonly dropped: number;
  /** Ends the subscription; pending `next()` calls resolve as done. */
  close(): void;
}

export class QueueSubscription implements Subscription {
  private readonly queue: AcceptedEnvelope[] = [];
  private readonly waiting: ((result: IteratorResult<AcceptedEnvelope>) => void)[] = [];
  private closed = false;
  dropped = 0;
  private readonly options: SubscribeOptions;
  private readonly onClose: () => void;

  constructor(options: SubscribeOptions, onClose: () => void) {
    this.options = options;
    this.onClose = onClose;
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
    if (options.signal?.aborted) this.close();
  }

  /** Whether this subscription wants the envelope. */
  wants(accepted: AcceptedEnvelope): boolean {
    if (accepted.p2p && !this.options.p2p) return false;
    if ((this.options.pow ?? 0) > 0 && accepted.pow < this.options.pow!) return false;
    const topics = this.options.topics ?? [];
    if (topics.length === 0) return true;
    const t = accepted.envelope.topic;
    return topics.some((x) => x[0] === t[0] && x[1] === t[1] && x[2] === t[2] && x[3] === t[3]);
  }

  push(accepted: AcceptedEnvelope): void {
    if (this.closed) return;
    const waiter = this.waiting.shift();
    if (waiter) {
      waiter({ value: accepted, done: false });
      return;
    }
    this.queue.push(accepted);
    if (this.queue.length > (this.options.bufferSize ?? 4096)) {
      this.queue.shift();
      this.dropped++;
    }
  }

  next(): Promise<IteratorResult<AcceptedEnvelope>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<AcceptedEnvelope>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    for (const waiter of this.waiting.splice(0)) waiter({ value: undefined, done: true });
    this.onClose();
  }
}
