/**
 * The interface between the sealing search (seal.ts) and whatever runs the scan kernel: this
 * thread, worker threads in Node, or Web Workers in browsers.
 */

/** One scan request: nonces [start, start + count), at least `targetBits` trailing zeros. */
export interface ScanRequest {
  readonly prefix: Uint8Array;
  readonly start: bigint;
  readonly count: number;
  readonly targetBits: number;
}

/** Runs scan requests, up to `size` at once. */
export interface PowScanPool {
  /** How many requests the pool runs concurrently. */
  readonly size: number;
  /**
   * Scans a range.
   *
   * @returns the index of the first candidate (nonce − start), or −1
   * @throws PowError with code 'worker-failed' if a worker dies
   */
  scan(request: ScanRequest): Promise<number>;
  /** Stops the pool's workers; pending scans reject. */
  close(): Promise<void>;
}

/**
 * The scan kernel's code for a worker, in plain JavaScript with no imports: it instantiates
 * the Keccak module it is sent, then answers scan requests (see @hush/keccak powScan).
 *
 * @param prefixOffset - where the module reads the PoW prefix
 */
export function workerKernelSource(prefixOffset: number): string {
  return `
let kernel;
function handle(msg, post) {
  if (msg.type === 'init') {
    kernel = new WebAssembly.Instance(msg.module, {}).exports;
    return;
  }
  try {
    new Uint8Array(kernel.memory.buffer).set(msg.prefix, ${prefixOffset});
    let index;
    if (kernel.powScan2) {
      index = kernel.powScan2(msg.start, msg.count + (msg.count & 1), msg.mask);
      if (index >= msg.count) index = -1;
    } else {
      index = kernel.powScan(msg.start, msg.count, msg.mask);
    }
    post({ id: msg.id, index });
  } catch (error) {
    post({ id: msg.id, error: String(error) });
  }
}
`;
}
