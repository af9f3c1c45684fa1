/** A minimal typed event emitter (browser-safe; no Node built-ins). */

export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(value: never) => void>>();

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

  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of set) {
      try {
        (listener as (value: Events[K]) => void)(value);
      } catch {
        // A listener's failure must not break the engine.
      }
    }
  }
}
