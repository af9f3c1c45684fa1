/**
 * Lookups on a network of ~500 real routers in memory (SPEC §2.3): exact k closest with hop
 * counts in an honest network; with 20 % adversarial nodes that drop or misroute, d = 4
 * disjoint paths against plain Kademlia (d = 1). Virtual time only.
 */
import { describe, expect, it } from 'vitest';
import {
  type Contact,
  type DhtHandler,
  idHex,
  type LookupResult,
  lookup,
  type NodeId,
} from '../src/index.js';
import { buildNetwork, byDistance, bytesFrom, percentile } from './inbox-dht-routing-support.js';

const NODES = 500;
const K = 20;

describe('lookups over 500 routers in memory', () => {
  it('find the true k closest in an honest network; hops p50/p90 printed', async () => {
    const net = await buildNetwork(NODES, 14);
    const everyone = net.routers.map((r) => r.self);
    const hops: number[] = [];
    let exact = 0;
    let overlap = 0;
    const LOOKUPS = 100;
    for (let i = 0; i < LOOKUPS; i++) {
      const from = net.routers[Math.floor(net.random() * NODES)]!;
      const target = bytesFrom(net.random, 32);
      const result = await net.run(from.lookup(target));
      const truth = byDistance(
        target,
        everyone.filter((c) => c.peer !== from.peer),
      ).slice(0, K);
      const found = new Set(result.closest.map((c) => c.peer));
      const common = truth.filter((c) => found.has(c.peer)).length;
      overlap += common;
      if (common === K) exact++;
      hops.push(result.hops);
    }
    hops.sort((a, b) => a - b);
    const sizes = net.routers.map((r) => r.table.size).sort((a, b) => a - b);
    console.log(
      `honest ${NODES} nodes, ${LOOKUPS} lookups: exact k closest ${exact}/${LOOKUPS}, ` +
        `mean overlap ${(overlap / LOOKUPS).toFixed(2)}/${K}, hops p50 ${percentile(hops, 50)} ` +
        `p90 ${percentile(hops, 90)} max ${hops.at(-1)}; table size p50 ${percentile(sizes, 50)} ` +
        `max ${sizes.at(-1)}; ${net.network.messages} messages`,
    );
    expect(exact).toBe(LOOKUPS);
    expect(percentile(hops, 90)).toBeLessThanOrEqual(6);
  });

  it('with 20 % adversarial nodes (drop or misroute), d = 4 succeeds at least as often as d = 1', async () => {
    const net = await buildNetwork(NODES, 15);
    // Every fifth node turns adversarial after joining: half drop every request, half answer
    // with the k adversaries closest to the target (colluding to capture the lookup).
    const adversaries = net.routers.filter((_, i) => i % 5 === 4);
    const bad = new Set(adversaries.map((r) => r.peer));
    const badContacts = adversaries.map((r) => r.self);
    adversaries.forEach((router, i) => {
      const handler: DhtHandler =
        i % 2 === 0
          ? { findNode: () => undefined, ping: () => false }
          : {
              findNode: (_from, target) => byDistance(target, badContacts).slice(0, K),
              ping: () => true,
            };
      net.network.attach(router.peer, handler);
    });
    const honest = net.routers.filter((r) => !bad.has(r.peer));
    const honestContacts = honest.map((r) => r.self);
    const LOOKUPS = 80;
    const tally = {
      1: { success: 0, overlap: 0, hops: [] as number[] },
      4: { success: 0, overlap: 0, hops: [] as number[] },
    };
    for (let i = 0; i < LOOKUPS; i++) {
      const from = honest[Math.floor(net.random() * honest.length)]!;
      const target = bytesFrom(net.random, 32);
      const truth = byDistance(
        target,
        honestContacts.filter((c) => c.peer !== from.peer),
      ).slice(0, K);
      for (const paths of [1, 4] as const) {
        // The bare lookup, so that neither run changes the tables the other starts from.
        const result: LookupResult = await net.run(
          lookup({
            target,
            seeds: from.table.closest(target, K),
            rpc: net.network.rpc(from.peer, from.self.endpoints),
            clock: net.clock,
            self: from.id,
            paths,
          }),
        );
        const found = new Set(result.closest.map((c: Contact) => c.peer));
        const t = tally[paths];
        if (found.has(truth[0]!.peer)) t.success++;
        t.overlap += truth.filter((c) => found.has(c.peer)).length;
        t.hops.push(result.hops);
      }
    }
    const line = (paths: 1 | 4) => {
      const t = tally[paths];
      t.hops.sort((a, b) => a - b);
      return (
        `d = ${paths}: success ${((100 * t.success) / LOOKUPS).toFixed(1)} % ` +
        `(closest honest node found), mean overlap with the true k closest honest ` +
        `${(t.overlap / LOOKUPS).toFixed(2)}/${K}, hops p50 ${percentile(t.hops, 50)} p90 ${percentile(t.hops, 90)}`
      );
    };
    console.log(
      `20 % adversarial (${bad.size} of ${NODES}, half drop, half misroute):\n  ${line(1)}\n  ${line(4)}`,
    );
    expect(tally[4].success).toBeGreaterThanOrEqual(tally[1].success);
    expect(tally[4].success / LOOKUPS).toBeGreaterThanOrEqual(0.9);
  });
});

/** Keeps `idHex`/`NodeId` in use for debugging prints. */
export function show(id: NodeId): string {
  return idHex(id).slice(0, 8);
}
