/**
 * The DHT-inbox simulation (issue 14 item 7): N real `DhtNode`s (router, connections, holder
 * over a `MemoryStore`, repair) on in-memory authenticated links with latency and loss, one
 * deterministic event-queue clock, seeded randomness for everything (keys, ids, targets,
 * sessions, adversaries, envelopes). Three scenarios:
 *
 * - static: N nodes join; lookups (hops, success), deposits under and at the descriptor's
 *   minimum PoW, fetch latency, forged / stale / replayed requests, then 20 % adversaries;
 * - churn with exponential sessions, and with Weibull sessions (median 2 h both: half the
 *   nodes leave within 2 h): deposits in the first hour by senders who then leave for good,
 *   a signed delete half-way, then fetches by the recipients after `hours`.
 *
 * Every figure is defined in sim/README.md.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  type Contact,
  type Descriptor,
  DhtError,
  envelopeItemId,
  epochOf,
  inboxLocation,
  lookup,
  signDescriptor,
  signedRequestMessage,
  signRequest,
} from '../src/index.js';
import { toHex } from '../src/location.js';
import { EventClock } from './clock.js';
import {
  below,
  bytes,
  exponentialSessions,
  fork,
  percentile,
  prng,
  type Random,
  type Sessions,
  weibullSessions,
} from './random.js';
import { type Member, sealDeposit, secretKey, World } from './world.js';

const HOUR = 3_600_000;

/** What to simulate. */
export interface SimulationOptions {
  readonly nodes: number;
  readonly seed: number;
  /** One-way link latency, ms (default 50). */
  readonly latencyMs?: number;
  /** Per-pair latency spread: latency × (1 ± jitter) (default 0). */
  readonly jitter?: number;
  /** Share of frames lost and retransmitted (default 0.01). */
  readonly loss?: number;
  /** Share of adversarial nodes in the adversary test (default 0.2). */
  readonly adversaries?: number;
  /** Virtual hours between the deposits and the recipients' fetch (default 24). */
  readonly hours?: number;
  /** Lookups measured in the static network (default 200), and with adversaries (per d). */
  readonly lookups?: number;
  /** Deposits per churn scenario (default 1000), over `inboxes` inboxes (default 50). */
  readonly deposits?: number;
  readonly inboxes?: number;
  /** Fetches timed in the static network (default 200). */
  readonly fetches?: number;
  /** Static network: deposits at the minimum PoW (default 100), under it (default 50), rounds of forged requests (default 10). */
  readonly honestDeposits?: number;
  /** A reference PoW to measure one seal at, beside the descriptor's (default 0.2, Whisper's usual; 0: skipped). */
  readonly referencePow?: number;
  readonly underDeposits?: number;
  readonly forgeRounds?: number;
  /** The descriptors' minimum PoW (default 2e-5). */
  readonly minPow?: number;
  /** Median online and offline session (default 2 h). */
  readonly sessionMedianMs?: number;
  /** Weibull shape (default 0.5). */
  readonly weibullShape?: number;
  /** Share of nodes that come back after an offline session as themselves, with their store (default 0.5); the rest are replaced by new nodes. */
  readonly returnShare?: number;
  /** DhtNode repair interval (default 1 h). */
  readonly repairIntervalMs?: number;
  /** Router refresh interval (default 10 min, the router's default). */
  readonly refreshIntervalMs?: number;
  /** Bucket age after which refresh looks it up (default 1 h, the router's default). */
  readonly bucketRefreshMs?: number;
  /** Nodes of the churn scenarios (default 100: see README, wall time). */
  readonly churnNodes?: number;
  /** Router refresh interval and bucket age in the churn scenarios (default 1 h and 6 h: see README). */
  readonly churnRefreshIntervalMs?: number;
  readonly churnBucketRefreshMs?: number;
  /** Which scenarios to run (default all three). */
  readonly scenarios?: readonly ('static' | 'exponential' | 'weibull')[];
  readonly onProgress?: (line: string) => void;
}

/** One figure: its value, goal and anchor. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly goal: string;
  readonly anchor: string;
}

/** What a run measured. */
export interface SimulationReport {
  readonly options: typeof DEFAULTS & {
    readonly nodes: number;
    readonly seed: number;
    readonly scenarios: readonly string[];
  };
  readonly figures: readonly Figure[];
  /** Context lines (counts behind the figures). */
  readonly notes: readonly string[];
}

const DEFAULTS = {
  latencyMs: 50,
  jitter: 0,
  loss: 0.01,
  adversaries: 0.2,
  hours: 24,
  lookups: 200,
  deposits: 1000,
  inboxes: 10,
  fetches: 200,
  honestDeposits: 100,
  referencePow: 0.2,
  underDeposits: 50,
  forgeRounds: 10,
  minPow: 2e-5,
  sessionMedianMs: 2 * HOUR,
  weibullShape: 0.5,
  returnShare: 0.5,
  repairIntervalMs: HOUR,
  refreshIntervalMs: 10 * 60_000,
  bucketRefreshMs: HOUR,
  churnNodes: 100,
  churnRefreshIntervalMs: HOUR,
  churnBucketRefreshMs: 6 * HOUR,
};

/** The simulation starts 30 min into a UTC day, so that deposits of the first hour share an epoch. */
const START_MS = Date.UTC(2026, 11, 1, 0, 30);
const TTL_S = 3 * 86_400;
const PAYLOAD_BYTES = 64;

function gcAndHeap(): number {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    gc?.();
    gc?.();
  } catch {
    // No gc: the heap as it is.
  }
  return process.memoryUsage().heapUsed;
}

/** An inbox of the simulation: its key, descriptor and location. */
interface SimInbox {
  readonly secret: Uint8Array;
  readonly descriptor: Descriptor;
  readonly location: Uint8Array;
  readonly encryptionKey: Uint8Array;
}

function makeInbox(random: Random, epoch: number, minPow: number): SimInbox {
  const secret = bytes(random, 32);
  const encryptionKey = secp256k1.getPublicKey(secretKey(random), false);
  const descriptor = signDescriptor(
    { epoch, seq: 1n, minPow, maxSize: 64 * 1024, maxTtl: TTL_S, encryptionKey },
    secret,
  );
  return {
    secret,
    descriptor,
    encryptionKey,
    location: inboxLocation(ed25519.getPublicKey(secret), epoch),
  };
}

/** N nodes joined: the first alone, the others from it and a random earlier one, then one refresh each. */
async function build(world: World, nodes: number, random: Random, progress: (s: string) => void) {
  const first = world.newMember(0);
  await world.clock.run(world.join(first, []));
  const WAVE = 20;
  for (let i = 1; i < nodes; i += WAVE) {
    const wave: Promise<void>[] = [];
    for (let j = i; j < Math.min(nodes, i + WAVE); j++) {
      const member = world.newMember(j);
      const other = world.members[below(random, i)]!;
      wave.push(world.join(member, [first.node!.self, other.node!.self]));
    }
    await world.clock.run(Promise.all(wave));
    if ((i - 1) % 200 === 0 && i > 1) progress(`  joined ${i}/${nodes}`);
  }
  for (let i = 0; i < nodes; i += 50) {
    const wave = world.members.slice(i, i + 50).map((m) => m.node!.router.refresh());
    await world.clock.run(Promise.all(wave));
  }
}

function fig(name: string, value: number, unit: string, goal: string, anchor: string): Figure {
  return { name, value, unit, goal, anchor };
}

/** Runs the simulation. */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const o: Resolved = {
    ...DEFAULTS,
    ...stripUndefined(options),
    nodes: options.nodes,
    seed: options.seed,
  };
  const scenarios = options.scenarios ?? ['static', 'exponential', 'weibull'];
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const wall = () => ((performance.now() - started) / 1000).toFixed(0);
  const root = prng(o.seed);
  const figures: Figure[] = [];
  const notes: string[] = [];
  const epoch = epochOf(START_MS);

  const newWorld = (random: Random, refresh = o.refreshIntervalMs, bucket = o.bucketRefreshMs) =>
    new World({
      clock: new EventClock(START_MS),
      random,
      latencyMs: o.latencyMs,
      jitter: o.jitter,
      loss: o.loss,
      repairIntervalMs: o.repairIntervalMs,
      refreshIntervalMs: refresh,
      bucketRefreshMs: bucket,
    });

  const staticRandom = fork(root);
  const churnRandoms = { exponential: fork(root), weibull: fork(root) };

  if (scenarios.includes('static')) {
    const random = staticRandom;
    const heapBefore = gcAndHeap();
    const world = newWorld(fork(random));
    const t0 = performance.now();
    await build(world, o.nodes, fork(random), progress);
    const heapAfter = gcAndHeap();
    const heapPerNode = (heapAfter - heapBefore) / o.nodes;
    progress(
      `static: ${o.nodes} nodes joined in ${((performance.now() - t0) / 1000).toFixed(1)} s wall`,
    );
    const tables = world.members.map((m) => m.node!.router.table.size).sort((a, b) => a - b);
    notes.push(
      `static network: ${o.nodes} nodes, table size p50 ${percentile(tables, 50)} (min ${tables[0]}, max ${tables.at(-1)})`,
    );

    // Lookups: hops and the true closest node.
    const lookupRandom = fork(random);
    const hops: number[] = [];
    const lookupMs: number[] = [];
    const lookupQueried: number[] = [];
    let found = 0;
    for (let i = 0; i < o.lookups; i++) {
      const from = world.pick(lookupRandom);
      const target = bytes(lookupRandom, 32);
      const t = world.clock.now();
      const result = await world.clock.run(from.node!.router.lookup(target));
      lookupMs.push(world.clock.now() - t);
      lookupQueried.push(result.queried);
      const truth = world.honestClosest(target, 1, from.peer);
      if (result.closest[0]?.peer === truth[0]?.peer) found++;
      hops.push(result.hops);
    }
    hops.sort((a, b) => a - b);
    lookupMs.sort((a, b) => a - b);
    lookupQueried.sort((a, b) => a - b);
    notes.push(
      `static lookups: virtual time p50 ${percentile(lookupMs, 50)} ms, p90 ${percentile(lookupMs, 90)} ms; nodes asked p50 ${percentile(lookupQueried, 50)}, p90 ${percentile(lookupQueried, 90)}`,
    );
    figures.push(
      fig(
        'lookup_hops_p50',
        percentile(hops, 50),
        'hops',
        '≤ 4',
        'IPFS DHT measured 4 (~15k servers)',
      ),
      fig(
        'lookup_hops_p90',
        percentile(hops, 90),
        'hops',
        '≤ 6',
        'IPFS DHT measured 6 (~15k servers)',
      ),
      fig(
        'lookup_closest_found_honest',
        found / o.lookups,
        'share',
        '= 1',
        'Kademlia: an honest network finds the closest node',
      ),
    );
    progress(
      `static: ${o.lookups} lookups, hops p50 ${percentile(hops, 50)} p90 ${percentile(hops, 90)}`,
    );

    progress(`static: lookups done, ${wall()} s wall`);
    // Inboxes with their descriptors.
    const inboxRandom = fork(random);
    const inboxes: SimInbox[] = [];
    for (let i = 0; i < 10; i++) {
      const inbox = makeInbox(inboxRandom, epoch, o.minPow);
      await world.clock.run(world.pick(inboxRandom).node!.publish(inbox.descriptor));
      inboxes.push(inbox);
    }

    // Deposits under the minimum PoW, then at it.
    const depositRandom = fork(random);
    let underTotal = 0;
    let underRefusedEverywhere = 0;
    let underHolderAccepted = 0;
    let underHolderAnswered = 0;
    for (let i = 0; i < o.underDeposits; i++) {
      const inbox = inboxes[i % inboxes.length]!;
      const sealed = await sealDeposit(depositRandom, {
        encryptionKey: inbox.encryptionKey,
        sentS: Math.floor(world.clock.now() / 1000),
        ttl: TTL_S,
        minPow: o.minPow,
        payloadBytes: PAYLOAD_BYTES,
        under: true,
      });
      const outcome = await world.clock.run(
        world.pick(depositRandom).node!.deposit(inbox.location, sealed.envelope),
      );
      underTotal++;
      if (outcome.accepted === 0) underRefusedEverywhere++;
      underHolderAccepted += outcome.accepted;
      underHolderAnswered += outcome.accepted + sum(outcome.refused);
    }
    const hashes: number[] = [];
    const powMs: number[] = [];
    const depositedIds = new Map<SimInbox, Uint8Array[]>();
    let honestAccepted = 0;
    const HONEST = o.honestDeposits;
    for (let i = 0; i < HONEST; i++) {
      const inbox = inboxes[i % inboxes.length]!;
      const sealed = await sealDeposit(depositRandom, {
        encryptionKey: inbox.encryptionKey,
        sentS: Math.floor(world.clock.now() / 1000),
        ttl: TTL_S,
        minPow: o.minPow,
        payloadBytes: PAYLOAD_BYTES,
      });
      hashes.push(sealed.hashes);
      powMs.push(sealed.powMs);
      const outcome = await world.clock.run(
        world.pick(depositRandom).node!.deposit(inbox.location, sealed.envelope),
      );
      if (outcome.accepted > 0) {
        honestAccepted++;
        const ids = depositedIds.get(inbox) ?? [];
        ids.push(envelopeItemId(sealed.envelope));
        depositedIds.set(inbox, ids);
      }
    }
    hashes.sort((a, b) => a - b);
    powMs.sort((a, b) => a - b);
    figures.push(
      fig(
        'under_pow_deposits_refused',
        underRefusedEverywhere / underTotal,
        'share',
        '= 1',
        'SPEC §5.1 rule 8: every holder checks the descriptor minPow',
      ),
      fig(
        'honest_deposit_pow_hashes_mean',
        Math.round(hashes.reduce((a, b) => a + b, 0) / hashes.length),
        'hashes',
        'measured',
        `descriptor minPow ${o.minPow}, size ${20 + PAYLOAD_BYTES + 113} B, ttl ${TTL_S} s; Whisper 2^ceil(log2(minPow·size·ttl)) expected`,
      ),
      fig(
        'honest_deposit_pow_seconds_mean',
        powMs.reduce((a, b) => a + b, 0) / powMs.length / 1000,
        's',
        'measured',
        'sealEnvelope of @hush/envelope (target mode), on this machine',
      ),
      fig(
        'honest_deposits_accepted',
        honestAccepted / HONEST,
        'share',
        '= 1',
        'SPEC §5.2: at least one holder holds it',
      ),
    );
    if (o.referencePow > 0) {
      const reference = await sealDeposit(fork(depositRandom), {
        encryptionKey: inboxes[0]!.encryptionKey,
        sentS: Math.floor(world.clock.now() / 1000),
        ttl: TTL_S,
        minPow: o.referencePow,
        payloadBytes: PAYLOAD_BYTES,
      });
      figures.push(
        fig(
          'reference_pow_hashes',
          reference.hashes,
          'hashes',
          'measured',
          `one envelope of the same shape sealed to PoW ${o.referencePow} (Whisper's usual minimum)`,
        ),
        fig(
          'reference_pow_seconds',
          reference.powMs / 1000,
          's',
          'measured',
          'its sealEnvelope wall time, on this machine',
        ),
      );
    }
    notes.push(
      `under-PoW deposits: ${underRefusedEverywhere}/${underTotal} refused by every holder; holders accepting one: ${underHolderAccepted} of ${underHolderAnswered} answers`,
    );

    progress(`static: deposits done, ${wall()} s wall`);
    // Fetch latency: the owner, from a random node, one page (lookup included).
    const fetchRandom = fork(random);
    const latencies: number[] = [];
    let complete = 0;
    for (let i = 0; i < o.fetches; i++) {
      const inbox = inboxes[below(fetchRandom, inboxes.length)]!;
      const node = world.pick(fetchRandom).node!;
      const t = world.clock.now();
      const outcome = await world.clock.run(
        node.fetch(inbox.secret, inbox.location, { limit: 1000 }),
      );
      latencies.push(world.clock.now() - t);
      const got = new Set(outcome.page.items.map((item) => toHex(item.id)));
      if ((depositedIds.get(inbox) ?? []).every((id) => got.has(toHex(id)))) complete++;
    }
    latencies.sort((a, b) => a - b);
    figures.push(
      fig(
        'fetch_latency_p50_ms',
        percentile(latencies, 50),
        'ms',
        '≤ 500',
        `${o.latencyMs} ms links, ${o.loss * 100} % loss; lookup + r = 20 holders`,
      ),
      fig('fetch_latency_p99_ms', percentile(latencies, 99), 'ms', '≤ 2000', 'as p50'),
      fig(
        'fetch_complete',
        complete / o.fetches,
        'share',
        '= 1',
        'every deposited item in the page',
      ),
    );

    progress(`static: fetches done, ${wall()} s wall`);
    // Forged, stale and replayed fetch and delete.
    const forgeRandom = fork(random);
    const counts = { answered: 0, refused: 0 };
    const tally = (accepted: number, refused: number) => {
      counts.answered += accepted + refused;
      counts.refused += refused;
    };
    for (let i = 0; i < o.forgeRounds; i++) {
      const inbox = inboxes[i % inboxes.length]!;
      const member = world.pick(forgeRandom);
      const node = member.node!;
      const wrong = bytes(forgeRandom, 32);
      const someId = (depositedIds.get(inbox) ?? [bytes(forgeRandom, 36)])[0]!;
      const forgedFetch = await world.clock.run(node.fetch(wrong, inbox.location));
      tally(forgedFetch.accepted, sum(forgedFetch.refused));
      const forgedDelete = await world.clock.run(node.delete(wrong, inbox.location, [someId]));
      tally(forgedDelete.accepted, sum(forgedDelete.refused));
      const holders = (await world.clock.run(node.holders(inbox.location))).filter(
        (h) => h.peer !== node.peer,
      );
      const stale = world.clock.now() - 5 * 60_000;
      const query = {
        from: 0,
        to: 0xffffffff,
        topics: [],
        bloom: new Uint8Array(0),
        limit: 10,
        cursor: new Uint8Array(0),
      };
      const staleFetch = signRequest(
        {
          op: 'fetch',
          location: inbox.location,
          timestamp: stale,
          nonce: bytes(forgeRandom, 16),
          query,
        },
        inbox.secret,
      );
      const staleDelete = signRequest(
        {
          op: 'delete',
          location: inbox.location,
          timestamp: stale,
          nonce: bytes(forgeRandom, 16),
          ids: [someId],
        },
        inbox.secret,
      );
      for (const request of [staleFetch, staleDelete]) {
        const r = await world.clock.run(ask(node, holders, signedRequestMessage(request)));
        tally(r.accepted, r.refused);
      }
      // Replay: a fresh fetch (and a delete of an id nobody holds), served once, then again.
      const now = world.clock.now();
      const fresh = signRequest(
        {
          op: 'fetch',
          location: inbox.location,
          timestamp: now,
          nonce: bytes(forgeRandom, 16),
          query,
        },
        inbox.secret,
      );
      const freshDelete = signRequest(
        {
          op: 'delete',
          location: inbox.location,
          timestamp: now,
          nonce: bytes(forgeRandom, 16),
          ids: [bytes(forgeRandom, 36)],
        },
        inbox.secret,
      );
      for (const request of [fresh, freshDelete]) {
        await world.clock.run(ask(node, holders, signedRequestMessage(request)));
        const again = await world.clock.run(ask(node, holders, signedRequestMessage(request)));
        tally(again.accepted, again.refused);
      }
    }
    figures.push(
      fig(
        'forged_stale_requests_refused',
        counts.answered === 0 ? Number.NaN : counts.refused / counts.answered,
        'share',
        '= 1',
        'SPEC §6.2: signature under the descriptor key, 60 s window, replay cache',
      ),
    );
    notes.push(
      `forged (wrong key), stale (5 min old) and replayed fetch/delete: ${counts.refused} of ${counts.answered} holder answers refused`,
    );

    progress(`static: forged requests done, ${wall()} s wall`);
    // Adversaries: a share of the nodes turns bad after joining.
    const advRandom = fork(random);
    const honestMembers = world.online();
    const badCount = Math.round(o.adversaries * honestMembers.length);
    const shuffled = [...honestMembers];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = below(advRandom, i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    shuffled.slice(0, badCount).forEach((m, i) => {
      m.adversary = i % 2 === 0 ? 'drop' : 'misroute';
    });
    const success = { 4: 0, 1: 0 };
    const coverage = { 4: 0, 1: 0 };
    const advLookups = o.lookups;
    for (let i = 0; i < advLookups; i++) {
      const from = world.pick(advRandom, (m) => !m.adversary);
      const target = bytes(advRandom, 32);
      const truth = world.honestClosest(target, 20, from.peer);
      const truthSet = new Set(truth.map((c) => c.peer));
      for (const d of [4, 1] as const) {
        // The bare lookup from the node's table, so that neither run changes the table the
        // other starts from (as test/inbox-dht-routing-network.test.ts does).
        const node = from.node!;
        const result = await world.clock.run(
          lookup({
            target,
            seeds: node.router.table.closest(target, 20),
            rpc: node.rpc,
            clock: world.clock,
            self: node.router.id,
            paths: d,
          }),
        );
        if (result.closest.some((c) => c.peer === truth[0]?.peer)) success[d]++;
        coverage[d] += result.closest.filter((c) => truthSet.has(c.peer)).length / truth.length;
      }
    }
    for (const m of shuffled) m.adversary = undefined;
    figures.push(
      fig(
        'adversarial_lookup_success_d4',
        success[4] / advLookups,
        'share',
        '≥ 0.9',
        `S/Kademlia d = 4 disjoint paths, ${o.adversaries * 100} % adversaries (half drop, half misroute colluding)`,
      ),
      fig(
        'adversarial_lookup_success_d1',
        success[1] / advLookups,
        'share',
        'beside d = 4',
        'plain Kademlia (d = 1), same lookups',
      ),
    );
    notes.push(
      `adversaries ${badCount}/${honestMembers.length}: mean share of the true 20 closest honest nodes found, d = 4 ${(coverage[4] / advLookups).toFixed(3)}, d = 1 ${(coverage[1] / advLookups).toFixed(3)}`,
    );
    figures.push(
      fig('heap_per_node_kib', heapPerNode / 1024, 'KiB', 'measured', 'heap after joining, over N'),
    );
    notes.push(
      `static links: ${world.links.stats.frames} frames, ${(world.links.stats.bytes / 1e6).toFixed(1)} MB, ${world.links.stats.lost} lost and retransmitted`,
    );
    for (const m of world.online()) world.leave(m);
  }

  for (const model of ['exponential', 'weibull'] as const) {
    if (!scenarios.includes(model)) continue;
    const sessions =
      model === 'exponential'
        ? exponentialSessions(o.sessionMedianMs)
        : weibullSessions(o.sessionMedianMs, o.weibullShape);
    const result = await churn(model, sessions, churnRandoms[model], o, epoch, newWorld, progress);
    figures.push(...result.figures);
    notes.push(...result.notes);
  }

  figures.push(
    fig(
      'wall_seconds',
      (performance.now() - started) / 1000,
      's',
      '≤ 600',
      'the whole run, this machine',
    ),
  );
  return {
    options: { ...DEFAULTS, ...o, scenarios },
    figures,
    notes,
  };
}

/** Sends one inbox message to each holder: served and refused counts (no answer: neither). */
async function ask(
  node: NonNullable<Member['node']>,
  holders: readonly Contact[],
  message: ReturnType<typeof signedRequestMessage>,
): Promise<{ accepted: number; refused: number }> {
  const settled = await Promise.allSettled(holders.map((h) => node.rpc.request(h, message)));
  let accepted = 0;
  let refused = 0;
  for (const r of settled) {
    if (r.status === 'fulfilled') accepted++;
    else if (r.reason instanceof DhtError && r.reason.code !== 'closed') refused++;
  }
  return { accepted, refused };
}

function sum(record: Partial<Record<string, number>>): number {
  return Object.values(record).reduce<number>((a, b) => a + (b ?? 0), 0);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type Resolved = typeof DEFAULTS & { readonly nodes: number; readonly seed: number };

/** One churn scenario. */
async function churn(
  model: 'exponential' | 'weibull',
  sessions: Sessions,
  random: Random,
  o: Resolved,
  epoch: number,
  newWorld: (random: Random, refresh?: number, bucket?: number) => World,
  progress: (line: string) => void,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const world = newWorld(fork(random), o.churnRefreshIntervalMs, o.churnBucketRefreshMs);
  const clock = world.clock;
  const t0 = performance.now();
  await build(world, o.churnNodes, fork(random), progress);
  progress(
    `${model}: ${o.churnNodes} nodes joined in ${((performance.now() - t0) / 1000).toFixed(1)} s wall`,
  );

  // Inboxes, published by random nodes.
  const inboxRandom = fork(random);
  const inboxes: SimInbox[] = [];
  for (let i = 0; i < o.inboxes; i++) {
    const inbox = makeInbox(inboxRandom, epoch, o.minPow);
    await clock.run(world.pick(inboxRandom).node!.publish(inbox.descriptor));
    inboxes.push(inbox);
  }

  // Churn: every slot alternates online and offline sessions.
  const churnRandom = fork(random);
  const background = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const q = p.catch(() => {}).finally(() => background.delete(q));
    background.add(q);
  };
  const start = clock.now();
  const initial = world.members.slice(0, o.churnNodes).map((m) => m.peer);
  const leftAt = new Map<string, number>();
  let stopped = false;
  const online = (member: Member) => {
    clock.setTimeout(() => {
      if (stopped || !member.online) return;
      const same = churnRandom() < o.returnShare;
      leftAt.set(member.peer, clock.now());
      world.leave(member, !same);
      offline(member.slot, same ? member : undefined);
    }, sessions(churnRandom));
  };
  const offline = (slot: number, same: Member | undefined) => {
    clock.setTimeout(() => {
      if (stopped) return;
      const member = same && !same.gone ? same : world.newMember(slot);
      const peers = world.online();
      const bootstrap = [0, 1].map(() => peers[below(churnRandom, peers.length)]!.node!.self);
      track(world.join(member, bootstrap).then(() => online(member)));
    }, sessions(churnRandom));
  };
  for (const member of world.members.slice(0, o.churnNodes)) online(member);

  // Deposits in the first hour, each by a sender that leaves for good right after.
  const depositRandom = fork(random);
  const sealedAll = [];
  for (let i = 0; i < o.deposits; i++) {
    const inbox = inboxes[i % inboxes.length]!;
    const at = start + Math.floor(depositRandom() * HOUR);
    const sealed = await sealDeposit(depositRandom, {
      encryptionKey: inbox.encryptionKey,
      sentS: Math.floor(at / 1000),
      ttl: TTL_S,
      minPow: o.minPow,
      payloadBytes: PAYLOAD_BYTES,
    });
    sealedAll.push({ inbox, at, envelope: sealed.envelope });
  }
  const deposited = new Map<SimInbox, Uint8Array[]>();
  let notAccepted = 0;
  let nextSlot = o.churnNodes;
  for (const d of sealedAll) {
    clock.setTimeout(() => {
      // The sender: a client that joins (holding nothing for others), deposits, and is gone.
      const sender = world.newMember(nextSlot++);
      const peers = world.online();
      const bootstrap = [0, 1].map(() => peers[below(depositRandom, peers.length)]!.node!.self);
      track(
        world
          .join(sender, bootstrap, { holds: false })
          .then(() => sender.node!.deposit(d.inbox.location, d.envelope))
          .then(
            (outcome) => {
              if (outcome.accepted > 0) {
                const ids = deposited.get(d.inbox) ?? [];
                ids.push(envelopeItemId(d.envelope));
                deposited.set(d.inbox, ids);
              } else notAccepted++;
            },
            () => {
              notAccepted++;
            },
          )
          .finally(() => world.leave(sender, true)),
      );
    }, d.at - clock.now());
  }

  const deleteAt = start + Math.floor((o.hours * HOUR) / 2);
  const fetchAt = start + o.hours * HOUR;
  let lastHour = 0;
  const runTo = async (until: number) => {
    while (clock.now() < until) {
      const next = Math.min(until, clock.now() + HOUR);
      await clock.runUntil(next);
      const hour = Math.round((clock.now() - start) / HOUR);
      if (hour !== lastHour) {
        lastHour = hour;
        progress(
          `${model}: hour ${hour}, ${world.online().length} online, ${((performance.now() - t0) / 1000).toFixed(0)} s wall`,
        );
      }
    }
  };
  await runTo(start + 2 * HOUR);
  const leftIn2h =
    initial.filter((p) => (leftAt.get(p) ?? Number.POSITIVE_INFINITY) <= start + 2 * HOUR).length /
    initial.length;
  await runTo(deleteAt);

  // A signed delete: the owners of the first tenth of the inboxes read and delete everything.
  const deleteRandom = fork(random);
  const deletedInboxes = inboxes.slice(0, Math.max(1, Math.floor(inboxes.length / 10)));
  const deletedIds: { inbox: SimInbox; id: Uint8Array }[] = [];
  for (const inbox of deletedInboxes) {
    const owner = world.pick(deleteRandom);
    const page = await clock.run(owner.node!.fetch(inbox.secret, inbox.location, { limit: 1000 }));
    const ids = page.page.items.map((item) => item.id).slice(0, 256);
    if (ids.length === 0) continue;
    await clock.run(owner.node!.delete(inbox.secret, inbox.location, ids));
    for (const id of ids) deletedIds.push({ inbox, id });
  }
  await clock.runFor(o.repairIntervalMs);
  let liveOnline = 0;
  let liveOffline = 0;
  for (const member of world.members.filter((m) => !m.client).concat(offlineMembers(world))) {
    for (const { inbox, id } of deletedIds) {
      if (await member.store.get(itemKey(inbox.location, id))) {
        if (member.online) liveOnline++;
        else liveOffline++;
      }
    }
  }
  await runTo(fetchAt);

  // The recipients, back after `hours`, fetch from a random online node.
  const fetchRandom = fork(random);
  let wanted = 0;
  let got = 0;
  for (const inbox of inboxes) {
    if (deletedInboxes.includes(inbox)) continue;
    const ids = deposited.get(inbox) ?? [];
    wanted += ids.length;
    const owner = world.pick(fetchRandom);
    const found = new Set<string>();
    let cursor: Uint8Array = new Uint8Array(0);
    for (let page = 0; page < 10; page++) {
      const outcome = await clock.run(
        owner.node!.fetch(inbox.secret, inbox.location, { limit: 1000, cursor }),
      );
      for (const item of outcome.page.items) found.add(toHex(item.id));
      cursor = outcome.page.cursor;
      if (cursor.length === 0) break;
    }
    got += ids.filter((id) => found.has(toHex(id))).length;
  }
  // Copies of the deleted items online at the end: stores that came back must not bring them back.
  let liveEnd = 0;
  for (const member of world.online())
    for (const { inbox, id } of deletedIds)
      if (await member.store.get(itemKey(inbox.location, id))) liveEnd++;
  const onlineAtEnd = world.online().length;
  stopped = true;
  for (const m of world.online()) world.leave(m);
  const name = model === 'exponential' ? 'exp' : 'weibull';
  const sessionText =
    model === 'exponential'
      ? `exponential sessions, median ${o.sessionMedianMs / HOUR} h`
      : `Weibull sessions, shape ${o.weibullShape}, median ${o.sessionMedianMs / HOUR} h`;
  return {
    figures: [
      fig(
        `retrievable_after_${o.hours}h_${name}`,
        wanted === 0 ? Number.NaN : got / wanted,
        'share',
        '≥ 0.999',
        `${sessionText}; ${o.churnNodes} nodes; senders gone; repair every ${o.repairIntervalMs / 60_000} min`,
      ),
      fig(
        `deleted_live_copies_${name}`,
        liveOnline,
        'copies',
        '= 0',
        `online holders, one repair interval after a signed delete (${deletedIds.length} items)`,
      ),
    ],
    notes: [
      `${model}: ${(leftIn2h * 100).toFixed(1)} % of the initial nodes left within 2 h; ${wanted} deposits held at deposit time (${notAccepted} held nowhere), ${got} fetched after ${o.hours} h; ${onlineAtEnd} online at the end`,
      `${model}: deleted items one repair interval after the delete, held by offline nodes (back with their stores later): ${liveOffline}; held online at ${o.hours} h: ${liveEnd}; links ${world.links.stats.frames} frames, ${world.links.stats.lost} retransmitted, ${world.links.stats.failedDials} failed dials`,
    ],
  };
}

/** Members that left but will come back with their stores (not in the slots any more). */
function offlineMembers(world: World): Member[] {
  const inSlots = new Set(world.members);
  return [...world.byPeer.values()].filter((m) => !inSlots.has(m) && !m.gone);
}

/** The store key of an item (SPEC §7.5). */
function itemKey(location: Uint8Array, id: Uint8Array): string {
  const sent = new DataView(id.buffer, id.byteOffset, 4).getUint32(0);
  return `dht/i/${toHex(location)}/${sent.toString(16).padStart(8, '0')}/${toHex(id.subarray(4))}`;
}

/** The report as the CLI prints it: one line per figure, its goal and anchor beside it. */
export function formatReport(report: SimulationReport): string {
  const lines = [
    `pnpm sim dht --nodes ${report.options.nodes} --seed ${report.options.seed}: ${report.options.latencyMs} ms links, ${report.options.loss * 100} % loss, scenarios ${report.options.scenarios.join(', ')}`,
  ];
  for (const f of report.figures)
    lines.push(
      `${f.name.padEnd(34)} ${format(f.value).padStart(10)} ${f.unit.padEnd(6)} goal ${f.goal.padEnd(13)} anchor: ${f.anchor}`,
    );
  for (const note of report.notes) lines.push(`  · ${note}`);
  return lines.join('\n');
}

function format(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(4);
}

/** The figures as one JSON object, by the names the text uses. */
export function reportJson(report: SimulationReport): string {
  const out: Record<string, number | null> = {};
  for (const f of report.figures) out[f.name] = Number.isFinite(f.value) ? f.value : null;
  return JSON.stringify(out);
}
