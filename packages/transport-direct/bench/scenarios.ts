/**
 * The direct-channel rounds both benches time, over whatever store they are given: many
 * messages over one open channel, and the flush of an outbox that filled while the contact
 * was offline. apps/node/bench/direct.bench.ts runs them over the node's LevelDB store too.
 */
import type { Envelope } from '@hush/envelope';
import { MemoryStore, type Store } from '@hush/interface';
import {
  allAcknowledged,
  LoopbackContacts,
  median,
  type Party,
  rounds,
  until,
} from './loopback.js';

/** One round of many messages over an open channel. */
export interface ThroughputRound {
  /** Messages from the first send() to the last acknowledgement, per second. */
  readonly rate: number;
  /** Messages the outbox accepted per second (send() resolved). */
  readonly acceptRate: number;
  /** Raw channel bytes (Noise frames, both ways, acknowledgements included) per message. */
  readonly bytesPerMessage: number;
  /** Raw channel messages (WebSocket messages, both ways) per 1,000 messages. */
  readonly framesPer1000: number;
  /** Transmissions per message (above 1: retransmitted before its acknowledgement came). */
  readonly transmissions: number;
}

/**
 * A fresh pair of contacts over stores from `store()`, a channel opened, then every envelope
 * sent at once (send() after send(), none awaited before the next) and timed until the last is
 * acknowledged and the receiver's inbox holds them all.
 */
export async function throughputRound(
  envelopes: readonly Envelope[],
  store: () => Promise<{ store: Store; close(): Promise<void> }>,
): Promise<ThroughputRound> {
  const world = new LoopbackContacts();
  const stores = [await store(), await store()];
  try {
    const a = await world.add(stores[0]!.store);
    const b = await world.add(stores[1]!.store);
    await world.connect(a, b);
    const before = a.wire.snapshot();
    const started = performance.now();
    const sends: Promise<unknown>[] = [];
    for (const envelope of envelopes) sends.push(a.node.send(b.peer, envelope));
    await Promise.all(sends);
    const accepted = performance.now();
    // Once the last send() resolved (its message is pending until acknowledged).
    await allAcknowledged(a.node, b.peer);
    await until(() => b.node.inbox.size === envelopes.length, 'the inbox to hold every message');
    const elapsed = performance.now() - started;
    const after = a.wire.snapshot();
    return {
      rate: (envelopes.length * 1000) / elapsed,
      acceptRate: (envelopes.length * 1000) / (accepted - started),
      bytesPerMessage: (after.bytes - before.bytes) / envelopes.length,
      framesPer1000: ((after.messages - before.messages) * 1000) / envelopes.length,
      transmissions: transmissions(a) / envelopes.length,
    };
  } finally {
    await world.close();
    for (const s of stores) await s.close();
  }
}

/** One message at a time: send(), then wait for its acknowledgement, `count` times. */
export async function oneAtATime(
  envelopes: readonly Envelope[],
): Promise<{ latencies: number[]; bytesPerMessage: number; framesPerMessage: number }> {
  const world = new LoopbackContacts();
  try {
    const a = await world.add();
    const b = await world.add();
    await world.connect(a, b);
    const latencies: number[] = [];
    const before = a.wire.snapshot();
    for (const envelope of envelopes) {
      const started = performance.now();
      await a.node.send(b.peer, envelope);
      await allAcknowledged(a.node, b.peer);
      latencies.push(performance.now() - started);
    }
    const after = a.wire.snapshot();
    return {
      latencies,
      bytesPerMessage: (after.bytes - before.bytes) / envelopes.length,
      framesPerMessage: (after.messages - before.messages) / envelopes.length,
    };
  } finally {
    await world.close();
  }
}

/** One outbox flush. */
export interface FlushRound {
  /** Accepting the messages while the contact is offline, per second. */
  readonly acceptRate: number;
  /** From the contact coming online (it dials) to the last acknowledgement, ms. */
  readonly flushMs: number;
  readonly bytesPerMessage: number;
  readonly transmissions: number;
}

/**
 * `envelopes` accepted for a contact that is offline, then the contact comes online and dials
 * (as a node coming back does: `connect` to its contacts); timed until every message is
 * acknowledged, the dial and the handshake included.
 */
export async function flushRound(
  envelopes: readonly Envelope[],
  store: () => Promise<{ store: Store; close(): Promise<void> }>,
): Promise<FlushRound> {
  const world = new LoopbackContacts();
  const stores = [await store(), await store()];
  try {
    const a = await world.add(stores[0]!.store);
    const b = await world.add(stores[1]!.store);
    b.online = false;
    const acceptStarted = performance.now();
    const sends: Promise<unknown>[] = [];
    for (const envelope of envelopes) sends.push(a.node.send(b.peer, envelope));
    await Promise.all(sends);
    const acceptRate = (envelopes.length * 1000) / (performance.now() - acceptStarted);
    if (a.node.pending(b.peer) !== envelopes.length) throw new Error('not everything is pending');
    const before = a.wire.snapshot();
    const started = performance.now();
    const acked = allAcknowledged(a.node, b.peer);
    b.online = true;
    b.node.connect(a.peer);
    await acked;
    const flushMs = performance.now() - started;
    await until(() => b.node.inbox.size === envelopes.length, 'the inbox to hold every message');
    const after = a.wire.snapshot();
    return {
      acceptRate,
      flushMs,
      bytesPerMessage: (after.bytes - before.bytes) / envelopes.length,
      transmissions: transmissions(a) / envelopes.length,
    };
  } finally {
    await world.close();
    for (const s of stores) await s.close();
  }
}

const transmissions = (party: Party) => party.metrics.value('hush_direct_transmissions_total');

/** Prints the medians of throughput rounds. */
export function printThroughput(results: readonly ThroughputRound[], label: string): void {
  console.log(
    `  ${label}: ${rounds(
      results.map((r) => r.rate / 1000),
      1,
      ' k msg/s',
    )}\n` +
      `    accepted by the outbox (send() resolved) ${median(results.map((r) => r.acceptRate / 1000)).toFixed(1)} k msg/s; ` +
      `${median(results.map((r) => r.bytesPerMessage)).toFixed(1)} B on the wire per message (both ways, acks included), ` +
      `${median(results.map((r) => r.framesPer1000)).toFixed(2)} WebSocket messages per 1,000; ` +
      `transmissions per message ${rounds(
        results.map((r) => r.transmissions),
        2,
      )}`,
  );
}

/** Prints the medians of flush rounds. */
export function printFlush(results: readonly FlushRound[], count: number, label: string): void {
  const ms = results.map((r) => r.flushMs);
  console.log(
    `  ${label}: ${rounds(ms, 0, ' ms')} = ${((count * 1000) / median(ms) / 1000).toFixed(1)} k msg/s\n` +
      `    (dial + IK handshake + flush + ${count.toLocaleString('en')} acknowledgements; accepting them offline: ` +
      `${median(results.map((r) => r.acceptRate / 1000)).toFixed(1)} k msg/s; ${median(results.map((r) => r.bytesPerMessage)).toFixed(1)} B/message on the wire;\n` +
      `    transmissions per message ${rounds(
        results.map((r) => r.transmissions),
        2,
      )})`,
  );
}

/** A MemoryStore for a round. */
export async function memoryStore(): Promise<{ store: Store; close(): Promise<void> }> {
  return { store: new MemoryStore(), close: async () => {} };
}
