/**
 * Causal order for whoever asks (specs/transport-direct/SPEC.md §7.5): messages are handed
 * out as they arrive, and a message may name parents it follows; `CausalOrder` holds a
 * message back until each of its parents has been released, or until it has waited
 * `maxWaitMs` for a parent that may never come.
 */
import type { Clock, TimerHandle } from '@hush/interface';
import { systemClock } from '@hush/interface';
import { hex } from './hex.js';

/** What `CausalOrder` orders: anything with an id and parent ids. */
export interface CausalItem {
  readonly hash: Uint8Array;
  readonly parents: readonly Uint8Array[];
}

/** Options of a causal order. */
export interface CausalOrderOptions {
  /** Longest wait for a missing parent, ms (default 30,000); then the message goes out anyway. */
  readonly maxWaitMs?: number;
  /** Messages held at most (default 10,000); past it the oldest held goes out. */
  readonly maxHeld?: number;
  /** Ids remembered as released, for parents that arrive later (default 100,000). */
  readonly maxReleased?: number;
  readonly clock?: Clock;
}

interface Held<T> {
  readonly item: T;
  readonly waiting: Set<string>;
  readonly timer: TimerHandle;
}

/**
 * Releases items in an order where every parent comes before its children.
 *
 * @example
 * ```ts
 * const order = new CausalOrder<ReceivedMessage>((message) => show(message));
 * direct.onEnvelope(...); // or each page of the inbox
 * order.push(message);
 * ```
 */
export class CausalOrder<T extends CausalItem> {
  private readonly release: (item: T) => void;
  private readonly maxWaitMs: number;
  private readonly maxHeld: number;
  private readonly maxReleased: number;
  private readonly clock: Clock;
  private readonly released = new Set<string>();
  private readonly held = new Map<string, Held<T>>();
  /** Held items by each parent they wait for. */
  private readonly children = new Map<string, Set<string>>();

  /** @throws RangeError for a bad limit */
  constructor(release: (item: T) => void, options: CausalOrderOptions = {}) {
    this.release = release;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.maxHeld = options.maxHeld ?? 10_000;
    this.maxReleased = options.maxReleased ?? 100_000;
    this.clock = options.clock ?? systemClock;
    for (const [name, value] of [
      ['maxWaitMs', this.maxWaitMs],
      ['maxHeld', this.maxHeld],
      ['maxReleased', this.maxReleased],
    ] as const)
      if (!Number.isInteger(value) || value < 0)
        throw new RangeError(`${name}: a non-negative integer`);
  }

  /** How many items wait for a parent. */
  get waiting(): number {
    return this.held.size;
  }

  /** Takes an item: released now when its parents have been, else held. A repeat is ignored. */
  push(item: T): void {
    const id = hex(item.hash);
    if (this.released.has(id) || this.held.has(id)) return;
    const waiting = new Set<string>();
    for (const parent of item.parents) {
      const parentId = hex(parent);
      if (parentId !== id && !this.released.has(parentId)) waiting.add(parentId);
    }
    if (waiting.size === 0) {
      this.emit(id, item);
      return;
    }
    if (this.held.size >= this.maxHeld) this.force(this.held.keys().next().value!);
    const timer = this.clock.setTimeout(() => this.force(id), this.maxWaitMs);
    this.held.set(id, { item, waiting, timer });
    for (const parent of waiting) {
      let set = this.children.get(parent);
      if (!set) {
        set = new Set();
        this.children.set(parent, set);
      }
      set.add(id);
    }
  }

  /** Releases everything held, in an order that respects what has arrived. */
  flush(): void {
    for (const id of [...this.held.keys()]) this.force(id);
  }

  private force(id: string): void {
    const held = this.held.get(id);
    if (!held) return;
    this.unhold(id, held);
    this.emit(id, held.item);
  }

  private unhold(id: string, held: Held<T>): void {
    this.clock.clearTimeout(held.timer);
    this.held.delete(id);
    for (const parent of held.waiting) {
      const set = this.children.get(parent);
      set?.delete(id);
      if (set?.size === 0) this.children.delete(parent);
    }
  }

  private emit(first: string, firstItem: T): void {
    const queue: [string, T][] = [[first, firstItem]];
    while (queue.length) {
      const [id, item] = queue.shift()!;
      this.remember(id);
      this.release(item);
      const waiting = this.children.get(id);
      if (!waiting) continue;
      this.children.delete(id);
      for (const child of waiting) {
        const held = this.held.get(child);
        if (!held) continue;
        held.waiting.delete(id);
        if (held.waiting.size === 0) {
          this.unhold(child, held);
          queue.push([child, held.item]);
        }
      }
    }
  }

  private remember(id: string): void {
    this.released.add(id);
    if (this.released.size > this.maxReleased)
      this.released.delete(this.released.values().next().value!);
  }
}
