/**
 * A mix's unwrap on worker threads (specs/mixnet-sphinx/SPEC.md §9 "A mix", the §5 step), so
 * that one mix uses several cores: the unwrap (two X25519 and the payload SPRP) is most of a
 * packet's work, the rest (links, replay cache, delays) stays on the mix's thread. Node only:
 * this is the `@hush/mixnet-sphinx/unwrap-pool` entry, never reached from the package's main
 * entry, which stays free of Node built-ins for browsers.
 *
 * Each key is sent to every worker once and named by a small id after; the packets of one
 * turn of the event loop are copied into one buffer per batch and transferred, and the next
 * hop's packets come back transferred. The work in flight is bounded: past `maxInFlight` a
 * packet is refused ('queue-full') at once, never queued. A worker that dies is replaced; the
 * packets it held are refused ('worker-failed'), never left pending.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Logger, silentLogger } from '@hush/interface';
import { SphinxError } from './errors.js';
import type { Geometry } from './geometry.js';
import { type Unwrapper, UnwrapUnavailable } from './mix.js';
import type { Unwrapped } from './unwrap.js';
import type { FromWorker, ToWorker } from './unwrap-pool-protocol.js';

export { type Unwrapper, UnwrapUnavailable, type UnwrapUnavailableCode } from './mix.js';

/** How an unwrap pool is made. */
export interface UnwrapPoolOptions {
  readonly geometry: Geometry;
  /** Worker threads, 1–256. */
  readonly workers: number;
  /** Packets taken and not yet answered, at most (default 1,024 a worker); more are refused. */
  readonly maxInFlight?: number;
  readonly logger?: Logger;
  /**
   * The worker's script (default: this package's). For tests: one that runs it and fails on
   * purpose. From TypeScript sources it runs with tsx and the `@hush/source` condition.
   */
  readonly workerUrl?: URL;
}

/** Packets a batch holds at most: few enough that the workers share a burst. */
const BATCH = 16;
/** Keys the workers hold at most (a mix uses two: this epoch's and, in the grace, the last). */
const MAX_KEYS = 8;
/** A worker that died before it was ready is replaced after this, not in a loop. */
const RESPAWN_BACKOFF_MS = 1000;

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const DEFAULT_WORKER = new URL(
  `./unwrap-pool-worker.${FROM_SOURCE ? 'ts' : 'js'}`,
  import.meta.url,
);

/**
 * How a worker is started. Built code: the worker's own file. From TypeScript sources (tests,
 * `node --conditions=@hush/source --import tsx`): a worker does not take tsx's hooks from
 * its parent, nor from `--import tsx` for its entry file (Node 20), so a small script
 * registers them in the worker first, then imports the worker's file; and the worker resolves
 * the workspace's packages to their sources, as its parent does.
 */
function workerStart(url: URL): { script: string | URL; eval: boolean; execArgv?: string[] } {
  if (!FROM_SOURCE && !url.pathname.endsWith('.ts')) return { script: url, eval: false };
  // tsx's ESM API (its `import` export; require.resolve would give the CommonJS one).
  const tsxApi = new URL(
    'dist/esm/api/index.mjs',
    pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json')),
  ).href;
  // A failure to load rejects unhandled: the worker's 'error' event, with the cause.
  const script = `import(${JSON.stringify(tsxApi)})
  .then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  const argv = process.execArgv;
  const hasCondition = argv.some(
    (arg, i) =>
      /^(--conditions|-C)=@hush\/source$/.test(arg) ||
      (arg === '@hush/source' && (argv[i - 1] === '--conditions' || argv[i - 1] === '-C')),
  );
  // Without execArgv a worker inherits this process's.
  return hasCondition
    ? { script, eval: true }
    : { script, eval: true, execArgv: [...argv, '--conditions=@hush/source'] };
}

interface Request {
  resolve(step: Unwrapped): void;
  reject(error: unknown): void;
}

interface Chunk {
  readonly buffer: Uint8Array;
  readonly keys: number[];
  readonly requests: Request[];
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  exited: boolean;
  /** Batches sent and not answered, by batch id. */
  readonly batches: Map<number, Request[]>;
  /** Packets in those batches. */
  packets: number;
}

/**
 * Unwraps packets on worker threads: an {@link Unwrapper} for `MixOptions.unwrapper`. Made by
 * {@link createUnwrapPool}; its owner stops it after the mix.
 *
 * @example
 * ```ts
 * const pool = await createUnwrapPool({ geometry: geo, workers: 2 });
 * const mix = new Mix({ geometry: geo, key, replay, forward, deliver, unwrapper: pool });
 * // …
 * mix.stop();
 * await pool.stop();
 * ```
 */
export class UnwrapPool implements Unwrapper {
  private readonly options: UnwrapPoolOptions;
  private readonly logger: Logger;
  private readonly maxInFlight: number;
  private readonly slots: Slot[] = [];
  private readonly keys = new Map<string, { id: number; key: Uint8Array; used: number }>();
  private readonly respawns = new Set<ReturnType<typeof setTimeout>>();
  private open: Chunk | undefined;
  /** Batches held while no worker is ready (a replacement loading); bounded by maxInFlight. */
  private readonly waiting: Chunk[] = [];
  private flushQueued = false;
  private inFlight = 0;
  private nextKey = 0;
  private nextBatch = 0;
  private uses = 0;
  private stopped = false;

  /** @internal use {@link createUnwrapPool} */
  constructor(options: UnwrapPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > 256)
      throw new RangeError('workers must be an integer in [1, 256]');
    const maxInFlight = options.maxInFlight ?? 1024 * options.workers;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
      throw new RangeError('maxInFlight must be a positive integer');
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.maxInFlight = maxInFlight;
  }

  /** Worker threads running now (0 once stopped). */
  get threads(): number {
    return this.slots.length;
  }

  /** The thread ids of the workers running now. */
  get threadIds(): readonly number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  /** Packets taken and not yet answered. */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * Starts the workers and waits until each has loaded.
   *
   * @internal use {@link createUnwrapPool}
   * @throws Error when a worker fails to start
   */
  async start(): Promise<void> {
    const starting = Array.from({ length: this.options.workers }, () => this.spawn());
    try {
      await Promise.all(starting);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * Unwraps one hop of a packet on a worker, as `unwrapPacket` with AEZ does in this thread:
   * the same hop, byte for byte, or the same refusal.
   *
   * @returns the hop, when a worker has done it
   * @throws SphinxError (as a rejection) with `unwrapPacket`'s codes; UnwrapUnavailable
   *   'queue-full' when `maxInFlight` packets are in flight or the pool is stopped,
   *   'worker-failed' when the worker holding it died
   */
  unwrap(privateKey: Uint8Array, packet: Uint8Array): Promise<Unwrapped> {
    const length = this.options.geometry.packetLength;
    // Refused here as unwrapPacket refuses it first: a batch holds packets of one length.
    if (!(packet instanceof Uint8Array) || packet.length !== length)
      return Promise.reject(
        new SphinxError('truncated', `a packet is ${length} bytes, not ${packet?.length}`),
      );
    if (this.stopped || this.inFlight >= this.maxInFlight)
      return Promise.reject(
        new UnwrapUnavailable(
          'queue-full',
          this.stopped ? 'the unwrap pool is stopped' : 'the unwrap pool is full',
        ),
      );
    const keyId = this.keyId(privateKey);
    let chunk = this.open;
    if (!chunk) {
      chunk = { buffer: new Uint8Array(BATCH * length), keys: [], requests: [] };
      this.open = chunk;
    }
    // Copied now, as the in-thread unwrap reads it now: the caller may reuse its buffer.
    chunk.buffer.set(packet, chunk.keys.length * length);
    chunk.keys.push(keyId);
    this.inFlight++;
    const { requests } = chunk;
    const result = new Promise<Unwrapped>((resolve, reject) => requests.push({ resolve, reject }));
    if (chunk.keys.length === BATCH) this.flush();
    else if (!this.flushQueued) {
      // The rest of this turn's packets (a frame's worth) join the same batch.
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
    return result;
  }

  /**
   * Stops: packets in flight are refused ('queue-full'), the workers are terminated.
   * Resolves once every worker thread has exited.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.respawns) clearTimeout(timer);
    this.respawns.clear();
    const refusal = () => new UnwrapUnavailable('queue-full', 'the unwrap pool stopped');
    if (this.open) this.fail(this.open.requests, refusal);
    this.open = undefined;
    for (const chunk of this.waiting.splice(0)) this.fail(chunk.requests, refusal);
    const exits = this.slots.map((slot) => {
      for (const requests of slot.batches.values()) this.fail(requests, refusal);
      slot.batches.clear();
      slot.packets = 0;
      return new Promise<void>((resolve) => {
        if (slot.exited) resolve();
        else {
          slot.worker.once('exit', () => resolve());
          void slot.worker.terminate();
        }
      });
    });
    await Promise.all(exits);
  }

  /** The id the workers know a key by, sending it to them the first time. */
  private keyId(privateKey: Uint8Array): number {
    // By value: a caller may pass equal keys in new buffers, or change a buffer's bytes.
    const hex = Buffer.from(
      privateKey.buffer,
      privateKey.byteOffset,
      privateKey.byteLength,
    ).toString('hex');
    const known = this.keys.get(hex);
    if (known) {
      known.used = ++this.uses;
      return known.id;
    }
    if (this.keys.size >= MAX_KEYS) {
      // The batch being filled may name it: sent first, it is unwrapped before the key goes.
      this.flush();
      // Not one that a batch waiting for a worker names (that worker is sent the keys then).
      const held = new Set(this.waiting.flatMap((chunk) => chunk.keys));
      let oldest: [string, { id: number; used: number }] | undefined;
      for (const entry of this.keys)
        if (!held.has(entry[1].id) && (!oldest || entry[1].used < oldest[1].used)) oldest = entry;
      if (oldest) {
        const [gone, { id }] = oldest;
        this.keys.delete(gone);
        for (const slot of this.slots) if (slot.ready) this.post(slot, { type: 'forget', id });
      }
    }
    const entry = { id: ++this.nextKey, key: privateKey.slice(), used: ++this.uses };
    this.keys.set(hex, entry);
    // A worker not yet ready is sent every key when it is.
    for (const slot of this.slots)
      if (slot.ready) this.post(slot, { type: 'key', id: entry.id, key: entry.key });
    return entry.id;
  }

  /** Sends the batch being filled to the ready worker with the fewest packets in flight. */
  private flush(): void {
    const chunk = this.open;
    if (!chunk) return;
    this.open = undefined;
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.ready && (!slot || s.packets < slot.packets)) slot = s;
    if (slot) this.send(slot, chunk);
    else if (this.slots.length > 0) this.waiting.push(chunk);
    // Every worker died and the replacements wait out their backoff.
    else
      this.fail(chunk.requests, () => new UnwrapUnavailable('worker-failed', 'no unwrap worker'));
  }

  private send(slot: Slot, chunk: Chunk): void {
    const batch = ++this.nextBatch;
    slot.batches.set(batch, chunk.requests);
    // A busy worker keeps the process alive until it answers; an idle one does not.
    if (slot.packets === 0) slot.worker.ref();
    slot.packets += chunk.requests.length;
    const message: ToWorker = {
      type: 'batch',
      batch,
      keys: chunk.keys,
      packets: chunk.buffer.buffer as ArrayBuffer,
    };
    slot.worker.postMessage(message, [message.packets]);
  }

  private post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  /** Refuses requests, which are no longer in flight. */
  private fail(requests: readonly Request[], error: () => unknown): void {
    this.inFlight -= requests.length;
    for (const request of requests) request.reject(error());
  }

  /** Starts a worker; resolves once it has loaded, rejects if it dies before. */
  private spawn(): Promise<void> {
    const start = workerStart(this.options.workerUrl ?? DEFAULT_WORKER);
    const worker = new Worker(start.script, {
      eval: start.eval,
      workerData: {
        hops: this.options.geometry.hops,
        userPayloadLength: this.options.geometry.userPayloadLength,
      },
      ...(start.execArgv ? { execArgv: start.execArgv } : {}),
    });
    const slot: Slot = { worker, ready: false, exited: false, batches: new Map(), packets: 0 };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      let failure: unknown;
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          // Sent nothing before now: a worker's script may listen before it can unwrap.
          slot.ready = true;
          for (const { id, key } of this.keys.values()) this.post(slot, { type: 'key', id, key });
          for (const chunk of this.waiting.splice(0)) this.send(slot, chunk);
          if (slot.packets === 0) worker.unref();
          resolve();
        } else this.answer(slot, message.batch, message.results);
      });
      worker.on('error', (error) => {
        failure = error;
        this.logger.warn(
          { thread: worker.threadId, reason: String(error) },
          'unwrap pool: worker failed',
        );
      });
      worker.on('exit', (code) => {
        slot.exited = true;
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots.splice(index, 1);
        for (const requests of slot.batches.values())
          this.fail(
            requests,
            () => new UnwrapUnavailable('worker-failed', `unwrap worker exited (code ${code})`),
          );
        slot.batches.clear();
        slot.packets = 0;
        if (!slot.ready) {
          reject(failure ?? new Error(`unwrap worker exited before it was ready (code ${code})`));
          // What waited for it is refused, not held for a worker that may never load.
          if (!this.slots.some((s) => s.ready))
            for (const chunk of this.waiting.splice(0))
              this.fail(
                chunk.requests,
                () => new UnwrapUnavailable('worker-failed', 'no unwrap worker could start'),
              );
        }
        if (this.stopped) return;
        this.logger.warn({ thread: worker.threadId, code }, 'unwrap pool: worker exited, replaced');
        const respawn = () => {
          this.spawn().catch(() => {
            // Its exit handler replaces it again, after the backoff.
          });
        };
        if (slot.ready) respawn();
        else {
          const timer = setTimeout(() => {
            this.respawns.delete(timer);
            respawn();
          }, RESPAWN_BACKOFF_MS);
          timer.unref();
          this.respawns.add(timer);
        }
      });
    });
  }

  /** Settles a batch's requests with the worker's answers. */
  private answer(
    slot: Slot,
    batch: number,
    results: Extract<FromWorker, { type: 'done' }>['results'],
  ): void {
    const requests = slot.batches.get(batch);
    if (!requests) return;
    slot.batches.delete(batch);
    slot.packets -= requests.length;
    this.inFlight -= requests.length;
    if (slot.packets === 0) slot.worker.unref();
    for (let i = 0; i < requests.length; i++) {
      const result = results[i];
      const request = requests[i]!;
      if (result && 'ok' in result) request.resolve(result.ok);
      else if (result?.name === 'SphinxError')
        request.reject(new SphinxError(result.code, result.message));
      else request.reject(new Error(result?.message ?? 'unwrap worker gave no answer'));
    }
  }
}

/**
 * Starts an unwrap pool of `workers` threads, each loaded before it resolves. An idle pool
 * does not keep the process alive; stop it when done.
 *
 * @example
 * ```ts
 * const pool = await createUnwrapPool({ geometry: geometry(5, 2048), workers: 2 });
 * ```
 * @throws RangeError when `workers` is not an integer in [1, 256] or `maxInFlight` is not
 *   positive; Error when a worker fails to start
 */
export async function createUnwrapPool(options: UnwrapPoolOptions): Promise<UnwrapPool> {
  const pool = new UnwrapPool(options);
  await pool.start();
  return pool;
}
