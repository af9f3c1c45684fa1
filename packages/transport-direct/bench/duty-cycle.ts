/**
 * Transmissions per delivered message when both contacts are up 10 % of the time: a
 * deterministic simulation on a ManualClock (the DirectNodes' timers, retransmissions and
 * redials all run on it, with a seeded `random`) over in-memory links under the real
 * `hush-direct/1` Noise link (test/direct-harness.ts). Each contact goes up and down on its
 * own random schedule (up periods of mean `upMeanMs`, down periods nine times as long:
 * 10 % duty), and each sends the other one message every `sendEveryMs`, online or not (the
 * outbox accepts it either way). After `horizonMs` both come up until everything is
 * acknowledged.
 */
import { ManualClock } from '@hush/interface';
import { DEFAULT_RETRANSMIT } from '../src/index.js';
import { DirectWorld, makeEnvelope, type Party } from '../test/direct-harness.js';

/** A small seeded generator (mulberry32), so every run simulates the same schedules. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DutyCycleOptions {
  readonly seed: number;
  /** Simulated time before the final drain, ms. */
  readonly horizonMs: number;
  /** Mean up period, ms (down periods: nine times as long). */
  readonly upMeanMs: number;
  readonly duty: number;
  /** Each contact sends the other one message this often, ms. */
  readonly sendEveryMs: number;
}

export interface DutyCycleResult {
  readonly sent: number;
  /** Distinct messages the receivers kept (each once). */
  readonly delivered: number;
  /** Delivered before the horizon (without the final drain). */
  readonly deliveredByHorizon: number;
  /** Messages put on a channel, first sends and retransmissions. */
  readonly transmissions: number;
  readonly acks: number;
  /** Messages received again (a retransmission of something already kept). */
  readonly duplicates: number;
  /** Dials that reached the contact, and dials that failed (it was offline). */
  readonly dials: number;
  readonly failedDials: number;
  /** Channels opened (both sides count the same channel: halved). */
  readonly channels: number;
  /** Share of the horizon both were up. */
  readonly overlap: number;
  /** Episodes of both being up. */
  readonly episodes: number;
  /** Delivery delays (send() to the receiver's envelope event), ms of simulated time. */
  readonly delays: number[];
}

/** Up/down change times of one contact over `horizon`, starting up with probability `duty`. */
function schedule(random: () => number, horizon: number, upMean: number, duty: number) {
  const downMean = (upMean * (1 - duty)) / duty;
  const exp = (mean: number) => -Math.log(1 - random()) * mean;
  let up = random() < duty;
  const changes: { at: number; up: boolean }[] = [{ at: 0, up }];
  let t = 0;
  while (t < horizon) {
    t += exp(up ? upMean : downMean);
    up = !up;
    changes.push({ at: Math.round(t), up });
  }
  return changes;
}

const settle = async (clock: ManualClock) => {
  for (let i = 0; i < 4; i++) {
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
};

/** Runs the simulation. */
export async function dutyCycle(options: DutyCycleOptions): Promise<DutyCycleResult> {
  const { horizonMs, upMeanMs, duty, sendEveryMs } = options;
  const start = 1_800_000_000_000;
  const clock = new ManualClock(start);
  const nodeRandom = seeded(options.seed);
  const scheduleRandom = seeded(options.seed ^ 0x9e3779b9);
  const world = new DirectWorld({
    clock,
    random: nodeRandom,
    // The defaults, not the harness's quick test settings.
    retransmit: DEFAULT_RETRANSMIT,
    reconnect: { baseMs: 500, maxMs: 30_000, jitter: 0.25 },
  });
  const a = await world.party();
  const b = await world.party();
  await world.befriend();
  const parties: Party[] = [a, b];
  const schedules = parties.map(() => schedule(scheduleRandom, horizonMs, upMeanMs, duty));
  const next = [0, 0];
  const sentAt = new Map<string, number>();
  const delays: number[] = [];
  const key = (hash: Uint8Array) => Buffer.from(hash).toString('hex');
  for (const party of parties)
    party.node.onEnvelope(({ hash }) => {
      const at = sentAt.get(key(hash));
      if (at !== undefined) delays.push(clock.now() - at);
    });
  const apply = (index: number, up: boolean) => {
    const party = parties[index]!;
    if (up === party.online) return;
    if (up) world.onlineAgain(party);
    else world.offline(party);
  };
  // Everyone starts offline; the first schedule entries bring some up.
  for (const party of parties) world.offline(party);
  let sent = 0;
  let nextSend = 0;
  let t = 0;
  let overlapMs = 0;
  let episodes = 0;
  let wasBoth = false;
  const send = async () => {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const envelope = makeEnvelope(300);
      const result = await from.node.send(to.identity.peerId, envelope);
      sentAt.set(key(result.hash), clock.now());
      sent++;
    }
  };
  while (t < horizonMs) {
    for (let i = 0; i < parties.length; i++) {
      const changes = schedules[i]!;
      while (next[i]! < changes.length && changes[next[i]!]!.at <= t)
        apply(i, changes[next[i]++]!.up);
    }
    if (t >= nextSend) {
      await send();
      nextSend += sendEveryMs;
    }
    const both = a.online && b.online;
    if (both && !wasBoth) episodes++;
    wasBoth = both;
    await settle(clock);
    const nextChange = Math.min(
      ...schedules.map((changes, i) => changes[next[i]!]?.at ?? Number.POSITIVE_INFINITY),
    );
    const step = Math.max(
      1,
      Math.min(both ? 50 : 5000, nextChange - t, nextSend - t, horizonMs - t),
    );
    if (both) overlapMs += step;
    clock.advance(step);
    t += step;
  }
  await settle(clock);
  const deliveredByHorizon = a.node.inbox.size + b.node.inbox.size;
  // The drain: both up until nothing is pending (at most an hour).
  for (const party of parties) if (!party.online) world.onlineAgain(party);
  for (
    let i = 0;
    i < 72_000 && a.node.pending(b.identity.peerId) + b.node.pending(a.identity.peerId) > 0;
    i++
  ) {
    await settle(clock);
    clock.advance(50);
  }
  await settle(clock);
  const total = (name: string, labels?: Record<string, string>) =>
    parties.reduce((sum, p) => sum + p.metrics.value(name, labels), 0);
  const result: DutyCycleResult = {
    sent,
    delivered: a.node.inbox.size + b.node.inbox.size,
    deliveredByHorizon,
    transmissions: total('hush_direct_transmissions_total'),
    acks: total('hush_direct_acks_sent_total'),
    duplicates: total('hush_direct_received_total', { result: 'duplicate' }),
    dials: a.dials + b.dials,
    failedDials: total('hush_direct_connections_total', { result: 'failed' }),
    channels: total('hush_direct_connections_total', { result: 'opened' }) / 2,
    overlap: overlapMs / horizonMs,
    episodes,
    delays,
  };
  await world.close();
  return result;
}
