/**
 * `pnpm sim gossip --trace` (sim/simulation.ts; specs/mixnet-sphinx/SPEC.md §13.2, §13.3): the
 * trace is in the documented format, with one set of node names in its three files, it
 * observes the run without changing it, and the traffic-analysis attack on it finds the
 * senders of most messages.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackTrace } from '../../mixnet-sphinx/sim/attack.js';
import { type SimulationReport, simulate } from '../sim/simulation.js';

const SMALL = { nodes: 20, degree: 4, messages: 20, seed: 5, lightShare: 0.25 };

describe('the gossip simulation trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-gossip-trace-'));
  let report: SimulationReport;
  beforeAll(async () => {
    report = await simulate({ ...SMALL, traceDir: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lines = (file: string) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l));

  it('writes what a global observer sees, and the truth, in the documented format (§13.2)', () => {
    const nodes = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8'));
    expect(Object.keys(nodes).sort()).toEqual(['clients', 'gateways', 'mixes', 'params']);
    // Every Whisper node is a client; gossip has no gateways and no mixes.
    expect(nodes.clients).toHaveLength(SMALL.nodes);
    expect(new Set(nodes.clients).size).toBe(SMALL.nodes);
    for (const name of nodes.clients) expect(typeof name).toBe('string');
    expect(nodes.gateways).toEqual([]);
    expect(nodes.mixes).toEqual([]);
    expect(nodes.params.kind).toBe('gossip');
    const cycleMs = nodes.params.transmissionCycleMs;
    expect(cycleMs).toBeGreaterThan(0);
    const names = new Set<string>(nodes.clients);

    const links = lines('links.jsonl');
    expect(links.length).toBeGreaterThan(SMALL.messages * SMALL.nodes);
    let last = 0;
    for (const l of links) {
      // Exactly what an observer of the link sees, and nothing more.
      expect(Object.keys(l).sort()).toEqual(['bytes', 'from', 't', 'to']);
      expect(names.has(l.from) && names.has(l.to) && l.from !== l.to).toBe(true);
      expect(Number.isInteger(l.bytes)).toBe(true);
      expect(l.bytes).toBe(nodes.params.envelopeBytes);
      expect(Number.isInteger(l.t) && l.t % cycleMs === 0).toBe(true);
      expect(l.t).toBeGreaterThanOrEqual(last);
      last = l.t;
    }

    const truth = lines('truth.jsonl');
    expect(truth).toHaveLength(SMALL.messages);
    expect(new Set(truth.map((m) => m.id)).size).toBe(SMALL.messages);
    for (const m of truth) {
      expect(Object.keys(m).sort()).toEqual(['delivered', 'id', 'recipient', 'sender', 'sent']);
      expect(typeof m.id).toBe('string');
      expect(names.has(m.sender) && names.has(m.recipient) && m.sender !== m.recipient).toBe(true);
      expect(Number.isInteger(m.sent)).toBe(true);
      // Nothing is lost: every recipient has its message, after its sender sent it on a link.
      expect(Number.isInteger(m.delivered) && m.delivered > m.sent).toBe(true);
      expect(links.some((l) => l.from === m.sender && l.t > m.sent && l.t <= m.delivered)).toBe(
        true,
      );
    }
    expect(report.deliveryRatio).toBe(1);
  });

  it('only observes: the run is the one without a trace', async () => {
    const plain = await simulate(SMALL);
    expect({ ...plain, wallMs: 0 }).toEqual({ ...report, wallMs: 0 });
  });

  it('lets the traffic-analysis attack rank the true sender first for most messages (§13.3)', () => {
    const attack = attackTrace(dir);
    expect(attack.messages).toBe(SMALL.messages);
    expect(attack.top1).toBeGreaterThan(0.5);
    expect(attack.top1).toBeGreaterThan(5 * attack.baselineTop1);
    expect(attack.entropy).toBeLessThan(attack.baselineEntropy / 2);
  });
});
