/**
 * A traffic-analysis attack on a trace (issue 17, item 6; specs/mixnet-sphinx/SPEC.md §13.3):
 * what a global passive observer can tell from `links.jsonl` and `nodes.json` alone. For each
 * delivered message it is given the recipient and the delivery time (as the recipient's side
 * of a conversation would show), and ranks the candidate senders by timing: every packet a
 * client put into the network at time t adds the density of the network's delay at T − t, the
 * delay being the sum of the per-hop exponential delays (an Erlang of the delaying hops, mean
 * from the public directory) plus the links. The guess is that ranking, normalised into a
 * distribution; the truth file is read only to score it: top-1 and top-5 success, and the
 * entropy of the guess, beside a random guess. A trace with no gateways and no mixes is a
 * flooding network's (`pnpm sim gossip --trace`), and is read by the flooding rule instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How well the attack did on one trace. */
export interface AttackReport {
  readonly messages: number;
  readonly top1: number;
  readonly top5: number;
  /** Mean entropy of the attacker's distribution over senders, bits. */
  readonly entropy: number;
  readonly baselineTop1: number;
  readonly baselineTop5: number;
  readonly baselineEntropy: number;
}

interface Link {
  readonly t: number;
  readonly from: string;
  readonly to: string;
}

/** What nodes.json says (§13.2). */
interface Nodes {
  readonly clients: string[];
  readonly gateways: string[];
  readonly mixes: string[][];
  readonly params: {
    readonly meanDelayMs?: number;
    readonly linkLatencyMs?: number;
    readonly transmissionCycleMs?: number;
  };
}

/** The attacker's score of every client but the recipient, for a message delivered at T. */
type Scorer = (recipient: string, delivered: number) => [string, number][];

/** The Erlang(k, rate) density at x (x > 0), computed in logs. */
function erlangDensity(x: number, k: number, rate: number): number {
  if (!(x > 0)) return 0;
  let logFactorial = 0;
  for (let i = 2; i < k; i++) logFactorial += Math.log(i);
  return Math.exp(k * Math.log(rate) + (k - 1) * Math.log(x) - rate * x - logFactorial);
}

/**
 * A mixnet's scores: every packet a client put into the network at t adds the density of the
 * network's delay at T − t.
 */
function delayScorer(nodes: Nodes, links: readonly Link[]): Scorer {
  const clients = new Set(nodes.clients);
  /** When each client put a packet into the network. */
  const sends = new Map<string, number[]>(nodes.clients.map((c) => [c, []]));
  for (const l of links) if (clients.has(l.from)) sends.get(l.from)!.push(l.t);
  const meanDelayMs = nodes.params.meanDelayMs!;
  // The hops that delay: the sender's gateway and every mix layer; links before each hop.
  const k = nodes.mixes.length + 1;
  const rate = 1 / meanDelayMs;
  const linkDelay = (k + 1) * (nodes.params.linkLatencyMs ?? 0);
  // Packets sent within a generous window before delivery (the density is ~0 beyond).
  const window = linkDelay + 20 * k * meanDelayMs;
  return (recipient, T) => {
    const scores: [string, number][] = [];
    for (const [client, times] of sends) {
      if (client === recipient) continue;
      let score = 0;
      for (let i = times.length - 1; i >= 0 && times[i]! >= T - window; i--)
        score += erlangDensity(T - times[i]! - linkDelay, k, rate);
      scores.push([client, score]);
    }
    return scores;
  };
}

/**
 * A flooding network's scores (no gateways, no mixes: gossip). The observer knows the rule
 * (each transmission cycle a node sends what it learned in the last one to every peer that
 * has not sent it that envelope) and learns the graph from the links; a node that never sends
 * is a leaf (a light client relays nothing). Walking forward one cycle at a time, it predicts
 * the lines of the floods found so far; what is left on every link of a node is that node's
 * own posts, each the origin of a flood. A message delivered at T to R scores each flood
 * whose first arrival at R, one cycle a hop along the shortest path, is T.
 */
function floodScorer(nodes: Nodes, links: readonly Link[]): Scorer {
  const names = nodes.clients;
  const n = names.length;
  const indexOf = new Map(names.map((name, i) => [name, i]));
  const cycleMs = nodes.params.transmissionCycleMs!;
  const linkLatencyMs = nodes.params.linkLatencyMs ?? 0;
  const neighbours = Array.from({ length: n }, () => new Set<number>());
  const relays = new Set<number>();
  /** Lines per (cycle, from, to), seen and predicted. */
  const key = (cycle: number, from: number, to: number) => (cycle * n + from) * n + to;
  const seen = new Map<number, number>();
  let lastCycle = 0;
  for (const l of links) {
    const from = indexOf.get(l.from)!;
    const to = indexOf.get(l.to)!;
    const cycle = Math.round(l.t / cycleMs);
    neighbours[from]!.add(to);
    neighbours[to]!.add(from);
    relays.add(from);
    seen.set(key(cycle, from, to), (seen.get(key(cycle, from, to)) ?? 0) + 1);
    lastCycle = Math.max(lastCycle, cycle);
  }
  /** Hops from a node, through relays only. */
  const hops = new Map<number, Int32Array>();
  const hopsFrom = (origin: number) => {
    let distance = hops.get(origin);
    if (distance) return distance;
    distance = new Int32Array(n).fill(-1);
    distance[origin] = 0;
    const queue = [origin];
    for (let i = 0; i < queue.length; i++) {
      const u = queue[i]!;
      if (!relays.has(u)) continue;
      for (const v of neighbours[u]!)
        if (distance[v] === -1) {
          distance[v] = distance[u]! + 1;
          queue.push(v);
        }
    }
    hops.set(origin, distance);
    return distance;
  };
  const predicted = new Map<number, number>();
  const floods: { origin: number; cycle: number; count: number }[] = [];
  for (let cycle = 0; cycle <= lastCycle; cycle++) {
    for (const origin of relays) {
      let fresh = Number.POSITIVE_INFINITY;
      for (const v of neighbours[origin]!) {
        if (!relays.has(v)) continue;
        const k = key(cycle, origin, v);
        fresh = Math.min(fresh, (seen.get(k) ?? 0) - (predicted.get(k) ?? 0));
      }
      if (!(fresh > 0) || fresh === Number.POSITIVE_INFINITY) continue;
      floods.push({ origin, cycle, count: fresh });
      // A node h hops out sends h cycles later, to its peers as far out or farther.
      const distance = hopsFrom(origin);
      for (const u of relays) {
        const du = distance[u]!;
        if (du < 0) continue;
        for (const v of neighbours[u]!) {
          if (!relays.has(v) || distance[v]! < du) continue;
          const k = key(cycle + du, u, v);
          predicted.set(k, (predicted.get(k) ?? 0) + fresh);
        }
      }
    }
  }
  return (recipient, T) => {
    const r = indexOf.get(recipient)!;
    const score = new Float64Array(n);
    for (const flood of floods) {
      const d = hopsFrom(flood.origin)[r]!;
      // Unreached, or the recipient's own post.
      if (d < 1) continue;
      const arrival = (flood.cycle + d - 1) * cycleMs + linkLatencyMs;
      if (Math.abs(arrival - T) < cycleMs / 2) score[flood.origin]! += flood.count;
    }
    return names.flatMap((name, i): [string, number][] => (i === r ? [] : [[name, score[i]!]]));
  };
}

const readLines = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);

/**
 * Runs the attack on the trace in `dir`: a mixnet's by delay densities, a flooding network's
 * (nodes.json with no gateways and no mixes) by the floods it finds.
 *
 * @throws what reading or parsing the files throws
 */
export function attackTrace(dir: string): AttackReport {
  const nodes = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as Nodes;
  const links = readLines<Link>(join(dir, 'links.jsonl'));
  const truth = readLines<{ sender: string; recipient: string; delivered: number | null }>(
    join(dir, 'truth.jsonl'),
  );
  const scorer =
    nodes.gateways.length === 0 && nodes.mixes.length === 0
      ? floodScorer(nodes, links)
      : delayScorer(nodes, links);
  let top1 = 0;
  let top5 = 0;
  let entropy = 0;
  let n = 0;
  for (const message of truth) {
    if (message.delivered === null) continue;
    const scores = scorer(message.recipient, message.delivered);
    const total = scores.reduce((a, [, s]) => a + s, 0);
    n++;
    // Ties are broken at random: the sender is in the top k with the chance of that draw (all
    // tied at 0 when there is nothing to go on: a random guess).
    const mine = scores.find(([c]) => c === message.sender)?.[1] ?? 0;
    const above = scores.filter(([, s]) => s > mine).length;
    const level = scores.filter(([, s]) => s === mine).length;
    const chance = (k: number) => Math.min(1, Math.max(0, (k - above) / level));
    top1 += chance(1);
    top5 += chance(5);
    if (total === 0) entropy += Math.log2(scores.length);
    else for (const [, s] of scores) if (s > 0) entropy -= (s / total) * Math.log2(s / total);
  }
  const candidates = nodes.clients.length - 1;
  return {
    messages: n,
    top1: n ? top1 / n : 0,
    top5: n ? top5 / n : 0,
    entropy: n ? entropy / n : 0,
    baselineTop1: 1 / candidates,
    baselineTop5: Math.min(1, 5 / candidates),
    baselineEntropy: Math.log2(candidates),
  };
}
