/**
 * The simulation's virtual time: a {@link Clock} whose timers sit in one binary heap ordered
 * by (due time, creation order), so that the same program fires them in the same order on
 * every run. Nothing moves on its own: {@link EventClock.run} fires timers one due time at a
 * time, letting every promise chain settle (a macrotask turn) between two due times.
 */
import type { Clock, TimerHandle } from '@hush/interface';

interface Timer {
  readonly id: number;
  at: number;
  seq: number;
  readonly every: number | undefined;
  readonly callback: () => void;
}

const turn: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve));

/** A deterministic event-queue clock. */
export class EventClock implements Clock {
  private current: number;
  private readonly heap: Timer[] = [];
  private readonly live = new Map<number, Timer>();
  private nextId = 1;
  private nextSeq = 1;
  /** Timers fired so far. */
  fired = 0;

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, Math.max(1, Math.ceil(ms)));
  }

  clearTimeout(handle: TimerHandle): void {
    this.live.delete((handle as { id: number }).id);
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.live.size;
  }

  private add(callback: () => void, ms: number, every: number | undefined): TimerHandle {
    const timer: Timer = {
      id: this.nextId++,
      // Whole milliseconds (unix ms stay integers), never early.
      at: this.current + Math.max(0, Number.isFinite(ms) ? Math.ceil(ms) : 0),
      seq: this.nextSeq++,
      every,
      callback,
    };
    this.live.set(timer.id, timer);
    this.push(timer);
    return { id: timer.id };
  }

  /** The due time of the next live timer, or undefined. */
  private peek(): Timer | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.live.get(top.id) === top) return top;
      this.pop();
    }
    return undefined;
  }

  /** Fires every timer due at the earliest due time not after `limit`; false if none. */
  private fireNext(limit: number): boolean {
    const first = this.peek();
    if (!first || first.at > limit) return false;
    const at = first.at;
    this.current = Math.max(this.current, at);
    for (;;) {
      const timer = this.peek();
      if (!timer || timer.at !== at) break;
      this.pop();
      if (timer.every === undefined) this.live.delete(timer.id);
      else {
        timer.at += timer.every;
        timer.seq = this.nextSeq++;
        this.push(timer);
      }
      this.fired++;
      timer.callback();
    }
    return true;
  }

  /**
   * Runs the world until `promise` settles, firing timers in order; its value.
   *
   * @throws what the promise throws; Error when nothing is left to fire and it has not settled
   */
  async run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    watched.catch(() => {});
    await turn();
    while (!done) {
      if (!this.fireNext(Number.POSITIVE_INFINITY)) {
        await turn();
        if (!done) throw new Error('EventClock.run: nothing left to fire and not settled');
        break;
      }
      await turn();
    }
    return watched;
  }

  /** Runs the world until virtual time `until` (every timer due by then fired). */
  async runUntil(until: number): Promise<void> {
    await turn();
    while (this.fireNext(until)) await turn();
    this.current = Math.max(this.current, until);
  }

  /** Runs the world for `ms` of virtual time. */
  runFor(ms: number): Promise<void> {
    return this.runUntil(this.current + ms);
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}
