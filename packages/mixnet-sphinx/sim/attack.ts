/**
 * A traffic-analysis attack on a trace (issue 17, item 6; specs/mixnet-sphinx/SPEC.md §13.3):
 * what a global passive observer can tell from `links.jsonl` and `nodes.json` alone. For each
 * delivered message it is given the recipient and the delivery time (as the recipient's side
 * of a conversation would show), and ranks the candidate senders by timing: every packet a
 * client put into the network at time t adds the density of the network's delay at T − t, the
 * delay being the sum of the per-hop exponential delays (an Erlang of the delaying hops, mean
 * from the public directory) plus the links. The guess is that ranking, normalised into a
 * distribution; the truth file is read only to score it: top-1 and top-5 success, and the
 * entropy of the guess, beside a random guess.
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

/** The Erlang(k, rate) density at x (x > 0), computed in logs. */
function erlangDensity(x: number, k: number, rate: number): number {
  if (!(x > 0)) return 0;
  let logFactorial = 0;
  for (let i = 2; i < k; i++) logFactorial += Math.log(i);
  return Math.exp(k * Math.log(rate) + (k - 1) * Math.log(x) - rate * x - logFactorial);
}

const readLines = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);

/**
 * Runs the attack on the trace in `dir`.
 *
 * @throws what reading or parsing the files throws
 */
export function attackTrace(dir: string): AttackReport {
  const nodes = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as {
    clients: string[];
    mixes: string[][];
    params: { meanDelayMs: number; linkLatencyMs?: number };
  };
  const links = readLines<Link>(join(dir, 'links.jsonl'));
  const truth = readLines<{ sender: string; recipient: string; delivered: number | null }>(
    join(dir, 'truth.jsonl'),
  );
  const clients = new Set(nodes.clients);
  /** When each client put a packet into the network. */
  const sends = new Map<string, number[]>(nodes.clients.map((c) => [c, []]));
  for (const l of links) if (clients.has(l.from)) sends.get(l.from)!.push(l.t);
  // The hops that delay: the sender's gateway and every mix layer; links before each hop.
  const k = nodes.mixes.length + 1;
  const rate = 1 / nodes.params.meanDelayMs;
  const linkDelay = (k + 1) * (nodes.params.linkLatencyMs ?? 0);
  let top1 = 0;
  let top5 = 0;
  let entropy = 0;
  let n = 0;
  for (const message of truth) {
    if (message.delivered === null) continue;
    const T = message.delivered;
    const scores: [string, number][] = [];
    for (const [client, times] of sends) {
      if (client === message.recipient) continue;
      let score = 0;
      // Packets sent within a generous window before delivery (the density is ~0 beyond).
      const earliest = T - linkDelay - 20 * k * nodes.params.meanDelayMs;
      for (let i = times.length - 1; i >= 0 && times[i]! >= earliest; i--)
        score += erlangDensity(T - times[i]! - linkDelay, k, rate);
      scores.push([client, score]);
    }
    const total = scores.reduce((a, [, s]) => a + s, 0);
    scores.sort((a, b) => b[1] - a[1]);
    n++;
    if (total === 0) {
      // Nothing to go on: the attacker guesses at random.
      top1 += 1 / scores.length;
      top5 += Math.min(1, 5 / scores.length);
      entropy += Math.log2(scores.length);
      continue;
    }
    const rank = scores.findIndex(([c]) => c === message.sender);
    if (rank === 0) top1++;
    if (rank >= 0 && rank < 5) top5++;
    for (const [, s] of scores) if (s > 0) entropy -= (s / total) * Math.log2(s / total);
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
