/**
 * The DHT-inbox simulation (sim/, issue 14 item 7) on a small network: the same seed gives
 * the same figures (determinism: keys, ids, targets, latencies, losses, sessions and
 * envelopes all come from the seed), and the figures that can genuinely fail hold: forged,
 * stale and replayed requests refused, under-PoW deposits refused, honest lookups finding
 * the closest node, deposits held and fetched. No timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { type SimulationOptions, type SimulationReport, simulate } from '../sim/simulation.js';

/** Figures that measure this machine rather than the simulated network. */
const MEASURED_HERE = new Set([
  'wall_seconds',
  'heap_per_node_kib',
  'honest_deposit_pow_seconds_mean',
]);

const small: SimulationOptions = {
  nodes: 50,
  seed: 7,
  lookups: 15,
  fetches: 10,
  honestDeposits: 10,
  underDeposits: 10,
  forgeRounds: 3,
  referencePow: 0,
  churnNodes: 24,
  deposits: 16,
  inboxes: 4,
  hours: 2,
  scenarios: ['static', 'exponential'],
};

function deterministic(report: SimulationReport) {
  return {
    figures: report.figures.filter((f) => !MEASURED_HERE.has(f.name)),
    notes: report.notes,
  };
}

const value = (report: SimulationReport, name: string) =>
  report.figures.find((f) => f.name === name)?.value;

describe('the DHT-inbox simulation', () => {
  it('gives the same figures twice for one seed, and the checkable ones hold', async () => {
    const first = await simulate(small);
    const second = await simulate(small);
    expect(deterministic(second)).toEqual(deterministic(first));
    expect(value(first, 'lookup_closest_found_honest')).toBe(1);
    expect(value(first, 'under_pow_deposits_refused')).toBe(1);
    expect(value(first, 'forged_stale_requests_refused')).toBe(1);
    expect(value(first, 'honest_deposits_accepted')).toBe(1);
    expect(value(first, 'fetch_complete')).toBe(1);
    expect(value(first, 'honest_deposit_pow_hashes_mean')).toBeGreaterThan(0);
    expect(value(first, 'retrievable_after_2h_exp')).toBeGreaterThan(0.9);
    expect(value(first, 'deleted_live_copies_exp')).toBe(0);
  }, 120_000);
});
