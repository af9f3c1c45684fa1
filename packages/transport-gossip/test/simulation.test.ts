/**
 * The network simulation (SPEC §7.8): every interested node receives every envelope with no
 * loss configured, light nodes receive only what their bloom admits, and a seed fixes the
 * outcome.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../sim/simulation.js';

describe('gossip simulation', () => {
  it('delivers everything, deterministically for a seed', async () => {
    const options = { nodes: 40, degree: 4, messages: 60, seed: 7, lightShare: 0.25 };
    const first = await simulate(options);
    expect(first.deliveryRatio).toBe(1);
    expect(first.latencyCycles.max).toBeLessThan(12);
    expect(first.light.count).toBe(10);
    expect(first.light.saved).toBeGreaterThan(0.5);
    const second = await simulate(options);
    expect({ ...second, wallMs: 0 }).toEqual({ ...first, wallMs: 0 });
    const other = await simulate({ ...options, seed: 8 });
    expect(other.deliveryRatio).toBe(1);
    expect(other.edges === first.edges && other.bytesPerNode === first.bytesPerNode).toBe(false);
  });
});
