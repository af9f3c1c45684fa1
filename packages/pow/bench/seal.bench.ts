/**
 * PoW seal loop (SPEC §4.4): nonces hashed per second by the scan kernel, one core and on
 * worker threads, against geth v1.8.27's Seal loop on one core (tools/geth-reference case
 * seal-hashrate: Seal to a target, hashes counted exactly as the nonce it stops at + 1).
 */

import { availableParallelism } from 'node:os';
import { compare, geth, measure, section } from '@hush/bench-support';
import { keccak256, keccakReady, powScan, useJsBackend } from '@hush/keccak';
import { createPowWorkerPool, type PowScanPool, sealForTime, sealToTarget } from '../src/index.js';

const GETH_SEAL = geth('seal-hashrate');
const GETH_KECCAK = geth('keccak256-64');

/** Hashes per second of 2-second timed seals (the whole search loop, as sealing runs it). */
async function timedSealRate(
  name: string,
  prefix: Uint8Array,
  pool: PowScanPool | undefined,
  threads: number,
): Promise<void> {
  const round = async () => {
    const started = performance.now();
    const result = await sealForTime(
      { prefix, size: 320, ttl: 50 },
      { workTime: 2, ...(pool ? { pool } : {}) },
    );
    return ((result?.hashes ?? 0) * 1000) / (performance.now() - started);
  };
  await compare(name, round, { unit: ' H/s', reference: GETH_SEAL, runMs: 2000, threads });
}

export async function run(): Promise<void> {
  section('PoW seal loop (hashes/s)');
  const backend = await keccakReady();
  const prefix = keccak256(Uint8Array.of(1, 2, 3));
  const chunk = 1 << 16;
  let start = 0n;
  // A target no nonce reaches: every call scans the whole chunk.
  await measure(
    `scan kernel, 1 thread (${backend})`,
    () => {
      powScan(prefix, start, chunk, 64);
      start += BigInt(chunk);
    },
    { opsPerCall: chunk, unit: ' H/s', reference: GETH_SEAL },
  );
  await measure(
    `  same, against bare Keccak-256 of 64 bytes`,
    () => {
      powScan(prefix, start, chunk, 64);
      start += BigInt(chunk);
    },
    { opsPerCall: chunk, unit: ' H/s', reference: GETH_KECCAK, runs: 1 },
  );

  const workers = availableParallelism();
  const pool = await createPowWorkerPool(workers);
  try {
    await timedSealRate(`timed seal, ${workers} worker threads`, prefix, pool, workers);
    await timedSealRate('timed seal, this thread', prefix, undefined, 1);
    // A whole seal to a 20-bit target, in this thread and on the pool (same nonce by SPEC §4.6).
    let seed = 0;
    const work = () => ({
      prefix: keccak256(Uint8Array.of(seed++ & 0xff, seed >> 8)),
      size: 320,
      ttl: 50,
    });
    const target = 2 ** 20 / 320 / 50;
    await measure(
      'seal to 20 bits, 1 thread (seals/s)',
      () => sealToTarget(work(), target, { workTime: 60 }),
      {
        unit: ' seals/s',
        runMs: 3000,
      },
    );
    await measure(
      `seal to 20 bits, ${workers} workers (seals/s)`,
      () => sealToTarget(work(), target, { workTime: 60, pool }),
      { unit: ' seals/s', runMs: 3000 },
    );
  } finally {
    await pool.close();
  }

  useJsBackend(true);
  try {
    await measure(
      'scan, pure-JS backend (@noble/hashes), 1 thread',
      () => {
        powScan(prefix, start, 4096, 64);
        start += 4096n;
      },
      { opsPerCall: 4096, unit: ' H/s', reference: GETH_SEAL, runs: 1 },
    );
  } finally {
    useJsBackend(false);
  }
}
