/**
 * A typed event emitter, browser-safe. A listener's exception never breaks the emitter or the
 * other listeners, and is never swallowed: it goes to the emitter's `onListenerError`, which
 * by default rethrows it outside the emit (as EventTarget reports a listener's exception), so
 * the application sees it as an uncaught error.
 */

/** Where listeners' exceptions go. */
export interface EmitterOptions {
  /** Default: rethrown in a microtask, so that the host's uncaught-error handling sees it. */
  readonly onListenerError?: (error: unknown, event: string) => void;
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * Emits events of the map `Events` (event name → value type).
 *
 * @example
 * ```ts
 * class Thing extends Emitter<{ ready: number }> {
 *   start() { this.emit('ready', 1); }
 * }
 * const stop = new Thing().on('ready', (n) => console.log(n));
 * ```
 */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(value: never) => void>>();
  private readonly onListenerError: (error: unknown, event: string) => void;

  constructor(options: EmitterOptions = {}) {
    this.onListenerError = options.onListenerError ?? rethrowLater;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  /** Whether `event` has a listener (so that a hot path need not build its value for no one). */
  protected listening<K extends keyof Events>(event: K): boolean {
    const set = this.listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  /** Calls every listener of `event`; each listener's exception goes to `onListenerError`. */
  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of set) {
      try {
        (listener as (value: Events[K]) => void)(value);
      } catch (error) {
        this.onListenerError(error, String(event));
      }
    }
  }
}
