/**
 * Password keys for `shh_generateSymKeyFromPassword` (specs/whisper-v6 SPEC §5.6: PBKDF2-SHA256
 * of the password, no salt, 65,356 iterations, 32 bytes, as geth derives them), off the event
 * loop: each derivation runs on libuv's thread pool through node:crypto's asynchronous
 * PBKDF2, a few at a time, so that a burst of derivations never stalls the node's other
 * requests. Derivations beyond the queue's bound are refused rather than queued without end.
 */
import { pbkdf2 } from 'node:crypto';
import { PASSWORD_KEY_ITERATIONS } from '@hush/message';

/** Derives password keys with bounded concurrency. */
export class PasswordKeyDeriver {
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private running = 0;
  private readonly queue: (() => void)[] = [];

  /**
   * @param options.concurrency - derivations at once (default 2: libuv's pool has 4 threads,
   *   which file I/O shares)
   * @param options.maxQueued - derivations that may wait for a turn (default 256)
   * @throws RangeError if a bound is not a positive integer
   */
  constructor(options: { concurrency?: number; maxQueued?: number } = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.maxQueued = options.maxQueued ?? 256;
    for (const [name, value] of [
      ['concurrency', this.concurrency],
      ['maxQueued', this.maxQueued],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`options.${name} must be a positive integer`);
    }
  }

  /**
   * The key of `password`, byte for byte `symKeyFromPassword(password)`.
   *
   * @throws RangeError 'busy' (as its message) when more derivations wait than the bound
   */
  async derive(password: string): Promise<Uint8Array> {
    if (this.running >= this.concurrency) {
      if (this.queue.length >= this.maxQueued)
        throw new RangeError('too many password keys are being derived; try again later');
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
    this.running++;
    try {
      return await new Promise<Uint8Array>((resolve, reject) =>
        pbkdf2(
          Buffer.from(password, 'utf8'),
          Buffer.alloc(0),
          PASSWORD_KEY_ITERATIONS,
          32,
          'sha256',
          (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))),
        ),
      );
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}
