/**
 * A periodic task that never piles up: a tick asked for while one runs makes one more run
 * after it, however many were asked for. The mixnet's processes run their epoch work so, so
 * that a peer that answers slowly delays that work but never queues it without bound.
 */
import type { Clock, TimerHandle } from '@hush/interface';

/** A coalescing ticker. */
export interface Ticker {
  /** Asks for a run now (or right after the one running). */
  tick(): void;
  /** Stops the interval; resolves once the run in progress ended. */
  stop(): Promise<void>;
}

/**
 * Runs `work` every `everyMs` and whenever `tick()` is called, one run at a time.
 *
 * @param onError - told what a run threw (the ticker goes on)
 */
export function coalescingTicker(
  work: () => Promise<void>,
  everyMs: number,
  clock: Clock,
  onError: (error: unknown) => void,
): Ticker {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = work()
      .catch(onError)
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          tick();
        }
      });
  };
  const timer: TimerHandle = clock.setInterval(tick, everyMs);
  return {
    tick,
    async stop() {
      stopped = true;
      clock.clearInterval(timer);
      while (running) await running;
    },
  };
}
