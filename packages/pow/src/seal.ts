/**
 * Sealing: finding a nonce (specs/whisper-v6 SPEC §4.4–§4.6).
 *
 * Target mode returns exactly geth's nonce: the smallest one whose digest has at least the
 * target's trailing zero bits. The search hands out ascending nonce ranges to one or more
 * scanners; a hit in one range is final once every lower range has been scanned, which the
 * search guarantees by always dispatching the lowest unscanned range first and, after a hit,
 * finishing every range below it even past the time limit.
 *
 * Timed mode keeps the nonce with the most trailing zero bits found before the time runs out,
 * as geth does; like geth's, its result depends on speed.
 */
import { keccakBackend, powScan } from '@hush/keccak';
import { PowError } from './errors.js';
import { macrotask } from './macrotask.js';
import type { PowScanPool, ScanRequest } from './scan-pool.js';
import { type PowWork, powBits, targetBits as toTargetBits } from './value.js';

/** Progress of a running seal, reported after each scanned range. */
export interface SealProgress {
  /** Nonces hashed so far. */
  readonly hashes: number;
  /** Most trailing zero bits found so far (0 before any hit). */
  readonly bestBits: number;
  /** Milliseconds since the seal started. */
  readonly elapsedMs: number;
}

/** Options shared by both sealing modes. */
export interface SealOptions {
  /** Time limit in seconds (geth's WorkTime, uint32). 0 fails a target seal at once. */
  readonly workTime: number;
  /** Aborts the search; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called after each scanned range. */
  readonly onProgress?: (progress: SealProgress) => void;
  /** Scans on these workers instead of this thread. */
  readonly pool?: PowScanPool;
  /** Nonces per scanned range (default 65,536 with WebAssembly, 4,096 without). */
  readonly chunkSize?: number;
  /** Clock in milliseconds (default `Date.now`), injectable for tests. */
  readonly now?: () => number;
}

/** A found nonce. */
export interface SealResult {
  readonly nonce: bigint;
  /** Trailing zero bits of the nonce's PoW digest. */
  readonly bits: number;
  /** Nonces hashed, across all scanners. */
  readonly hashes: number;
  readonly elapsedMs: number;
}

interface Range {
  start: bigint;
  end: bigint;
}

const NONCE_LIMIT = 1n << 64n;

function checkOptions(work: PowWork, options: SealOptions): void {
  if (!(work?.prefix instanceof Uint8Array) || work.prefix.length !== 32) {
    throw new TypeError('work.prefix must be a 32-byte Uint8Array');
  }
  const { workTime } = options;
  if (!Number.isInteger(workTime) || workTime < 0 || workTime > 0xffffffff) {
    throw new RangeError(`options.workTime must be a uint32 number of seconds, got ${workTime}`);
  }
  if (options.chunkSize !== undefined) {
    if (
      !Number.isInteger(options.chunkSize) ||
      options.chunkSize < 1 ||
      options.chunkSize > 2 ** 30
    ) {
      throw new RangeError('options.chunkSize must be an integer in [1, 2^30]');
    }
  }
}

function inThreadScanner(): PowScanPool {
  return {
    size: 1,
    async scan(request: ScanRequest) {
      await macrotask();
      return powScan(request.prefix, request.start, request.count, request.targetBits);
    },
    async close() {},
  };
}

/**
 * The shared search. `wanted(best)` gives the bits a scan must look for given the best hit so
 * far; `accept(nonce, bits)` records a verified hit and says whether it settles the search
 * for all higher nonces (target mode).
 */
async function search(
  work: PowWork,
  options: SealOptions,
  mode: 'target' | 'timed',
  target: number,
): Promise<SealResult | undefined> {
  const now = options.now ?? Date.now;
  const started = now();
  const deadline = started + options.workTime * 1000;
  const scanner = options.pool ?? inThreadScanner();
  const chunk = BigInt(options.chunkSize ?? (keccakBackend() === 'js' ? 4096 : 65536));
  const pending: Range[] = [];
  let nextStart = 0n;
  let best: { nonce: bigint; bits: number } | undefined;
  let hashes = 0;
  let failure: unknown;

  const settled = () => mode === 'target' && best !== undefined;

  const takeRange = (): Range | undefined => {
    if (failure !== undefined) return undefined;
    if (options.signal?.aborted) {
      failure = options.signal.reason;
      return undefined;
    }
    if (settled()) {
      // Only ranges below the hit matter now, and they must be finished whatever the time.
      const lower = pending[0];
      if (lower && lower.start < best!.nonce) return pending.shift();
      return undefined;
    }
    if (now() >= deadline) return undefined;
    if (pending.length > 0) return pending.shift();
    if (nextStart >= NONCE_LIMIT) return undefined;
    const end = nextStart + chunk < NONCE_LIMIT ? nextStart + chunk : NONCE_LIMIT;
    const range = { start: nextStart, end };
    nextStart = end;
    return range;
  };

  const requeue = (range: Range) => {
    if (range.start >= range.end) return;
    let i = 0;
    while (i < pending.length && pending[i]!.start < range.start) i++;
    pending.splice(i, 0, range);
  };

  const record = (nonce: bigint, bits: number) => {
    if (mode === 'target') {
      if (bits >= target && (!best || nonce < best.nonce)) best = { nonce, bits };
    } else if (!best || bits > best.bits || (bits === best.bits && nonce < best.nonce)) {
      best = { nonce, bits };
    }
  };

  const lane = async () => {
    for (let range = takeRange(); range; range = takeRange()) {
      const wanted = mode === 'target' ? target : (best?.bits ?? 0) + 1;
      const count = Number(range.end - range.start);
      let index: number;
      try {
        index = await scanner.scan({
          prefix: work.prefix,
          start: range.start,
          count,
          targetBits: wanted,
        });
      } catch (error) {
        failure ??= error;
        return;
      }
      if (index < 0) {
        hashes += count;
      } else {
        const nonce = range.start + BigInt(index);
        hashes += index + 1;
        // The kernel tests at most 64 bits; the exact count settles larger targets.
        record(nonce, powBits(work.prefix, nonce));
        requeue({ start: nonce + 1n, end: range.end });
      }
      options.onProgress?.({ hashes, bestBits: best?.bits ?? 0, elapsedMs: now() - started });
    }
  };

  if (options.workTime > 0) {
    await Promise.all(Array.from({ length: scanner.size }, lane));
  }
  if (failure !== undefined) throw failure;
  const elapsedMs = now() - started;
  return best && { nonce: best.nonce, bits: best.bits, hashes, elapsedMs };
}

/**
 * Seals to a PoW target (SPEC §4.4): returns the smallest nonce whose PoW reaches `target`,
 * the nonce geth finds, however many scanners search.
 *
 * @param work - prefix, size and TTL of the envelope
 * @param target - the PoW to reach (> 0)
 * @param options - time limit, abort signal, progress callback, worker pool
 * @returns the nonce and how it was found
 * @throws PowError with code 'pow-unreachable' if the time limit passes first (at once when
 *   workTime is 0), or 'worker-failed' if a worker dies
 * @throws the signal's reason when aborted
 * @throws TypeError / RangeError for bad arguments
 */
export async function sealToTarget(
  work: PowWork,
  target: number,
  options: SealOptions,
): Promise<SealResult> {
  checkOptions(work, options);
  const bits = toTargetBits(target, work.size, work.ttl);
  const result = await search(work, options, 'target', bits);
  if (!result) {
    throw new PowError(
      'pow-unreachable',
      `failed to reach the PoW target, specified pow time (${options.workTime} seconds) was insufficient`,
    );
  }
  return result;
}

/**
 * Seals for a time budget (SPEC §4.5): searches for `workTime` seconds and returns the nonce
 * with the most trailing zero bits. The caller has already added `workTime` to the envelope's
 * expiry, as geth does before hashing.
 *
 * @param work - prefix, size and TTL of the envelope (with the adjusted expiry)
 * @param options - time limit, abort signal, progress callback, worker pool
 * @returns the best nonce, or undefined when no nonce with at least one zero bit was found
 *   (geth then leaves the nonce unchanged)
 * @throws PowError with code 'worker-failed' if a worker dies
 * @throws the signal's reason when aborted
 * @throws TypeError / RangeError for bad arguments
 */
export async function sealForTime(
  work: PowWork,
  options: SealOptions,
): Promise<SealResult | undefined> {
  checkOptions(work, options);
  return search(work, options, 'timed', 0);
}
