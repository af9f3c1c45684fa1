/** The page the browser test drives: @hush/pow sealing in this thread and on Web Workers. */
import { keccakReady } from '@hush/keccak';
import { createPowWorkerPool, sealToTarget } from '../../src/index.js';

interface SealRequest {
  prefix: number[];
  size: number;
  ttl: number;
  target: number;
}

const api = {
  backend: () => keccakReady(),
  async seal(requests: SealRequest[], workers: number): Promise<string[]> {
    const pool = workers > 0 ? await createPowWorkerPool(workers) : undefined;
    try {
      const nonces: string[] = [];
      for (const r of requests) {
        const work = { prefix: Uint8Array.from(r.prefix), size: r.size, ttl: r.ttl };
        const result = await sealToTarget(work, r.target, {
          workTime: 60,
          chunkSize: 4096,
          ...(pool ? { pool } : {}),
        });
        nonces.push(result.nonce.toString());
      }
      return nonces;
    } finally {
      await pool?.close();
    }
  },
};

Object.assign(globalThis, { hushPow: api, hushReady: true });
