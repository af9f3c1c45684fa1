/**
 * The load the ingest benchmarks send (gossip over WebSockets, RLPx to Hush and to geth):
 * envelopes of 300 bytes of data, PoW 0, distinct across salts. The envelopes are made by the
 * caller's `createEnvelope` (@hush/envelope's), so that the harness depends on no workspace
 * package (@hush/envelope's own bench uses the harness).
 */

/** The fields of one bench envelope, as @hush/envelope's `createEnvelope` takes them. */
export interface BenchEnvelopeFields {
  readonly expiry: number;
  readonly ttl: number;
  readonly topic: Uint8Array;
  readonly data: Uint8Array;
  readonly nonce: bigint;
}

/**
 * `count` envelopes of 300 bytes of data, distinct across salts (the gossip benches' load):
 * expiry `now` + 600, TTL 600, topic 01020304, nonce = index.
 *
 * @example
 * ```ts
 * const envelopes = benchEnvelopes(20_000, peer, now, createEnvelope);
 * ```
 */
export function benchEnvelopes<E>(
  count: number,
  salt: number,
  now: number,
  createEnvelope: (fields: BenchEnvelopeFields) => E,
): E[] {
  return Array.from({ length: count }, (_, i) => {
    const data = new Uint8Array(300);
    new DataView(data.buffer).setUint32(0, i);
    new DataView(data.buffer).setUint32(4, salt);
    return createEnvelope({
      expiry: now + 600,
      ttl: 600,
      topic: Uint8Array.of(1, 2, 3, 4),
      data,
      nonce: BigInt(i),
    });
  });
}
