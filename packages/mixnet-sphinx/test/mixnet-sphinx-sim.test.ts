/**
 * `pnpm sim mixnet` (sim/simulation.ts; specs/mixnet-sphinx/SPEC.md §13): a seeded run repeats
 * exactly; messages arrive, with the delays the senders drew; cover traffic gives delivered
 * messages a sender anonymity near log2(clients), and more than the same network without it;
 * a mix that fails loses the packets routed through it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attackTrace } from '../sim/attack.js';
import { type MixnetSimOptions, simulateMixnet } from '../sim/simulation.js';

const SMALL: MixnetSimOptions = {
  clients: 10,
  durationMs: 15_000,
  meanDelayMs: 200,
  messageRate: 0.2,
  seed: 3,
};

describe('the mixnet simulation', () => {
  it('repeats a seeded run exactly, and delivers what left in time', async () => {
    const a = await simulateMixnet(SMALL);
    const b = await simulateMixnet(SMALL);
    const stable = (r: typeof a) => ({ ...r, wallMs: 0, unwrapMicrosPerClientSecond: 0 });
    expect(stable(a)).toEqual(stable(b));
    expect(a.messages.sent).toBeGreaterThan(10);
    // Messages still queued when the streams stop never leave; the rest all arrive.
    expect(a.messages.delivered).toBe(a.packets.real);
    // 4 hops that delay, 200 ms each on average.
    expect(a.networkLatency.mean).toBeGreaterThan(400);
    expect(a.networkLatency.mean).toBeLessThan(1600);
    expect(a.loops.returned).toBeGreaterThan(0.9 * a.loops.sent);
  });

  it('gives more sender anonymity with cover traffic than without', async () => {
    const cover = await simulateMixnet(SMALL);
    const bare = await simulateMixnet({ ...SMALL, cover: false });
    expect(cover.entropy.mean).toBeGreaterThan(0.8 * cover.entropy.max);
    expect(bare.entropy.mean).toBeLessThan(cover.entropy.mean);
    expect(bare.packets.cover).toBe(0);
    expect(cover.coverBytesPerClientHour).toBeGreaterThan(0);
  });

  it('loses what goes through a mix that fails', async () => {
    const r = await simulateMixnet({ ...SMALL, failMixAtMs: 5_000 });
    expect(r.failure!.lostAtFailedMix).toBeGreaterThan(0);
    const ratio = (x: { sent: number; delivered: number }) => x.delivered / x.sent;
    expect(ratio(r.failure!.after)).toBeLessThan(ratio(r.failure!.before));
  });

  it('writes what a global observer sees, and the truth, in the documented format (§13.2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-mixnet-trace-'));
    try {
      const r = await simulateMixnet({ ...SMALL, durationMs: 5_000, traceDir: dir });
      const nodes = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8'));
      expect(Object.keys(nodes).sort()).toEqual(['clients', 'gateways', 'mixes', 'params']);
      expect(nodes.clients).toHaveLength(10);
      expect(nodes.mixes.map((l: string[]) => l.length)).toEqual([3, 3, 3]);
      const names = new Set([...nodes.clients, ...nodes.gateways, ...nodes.mixes.flat()]);
      const lines = (file: string) =>
        readFileSync(join(dir, file), 'utf8')
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l));
      const links = lines('links.jsonl');
      expect(links.length).toBeGreaterThan(r.packets.real + r.packets.cover);
      let last = 0;
      for (const l of links) {
        // Exactly what an observer of the link sees, and nothing more.
        expect(Object.keys(l).sort()).toEqual(['bytes', 'from', 't', 'to']);
        expect(names.has(l.from) && names.has(l.to)).toBe(true);
        expect(l.bytes).toBeGreaterThan(0);
        expect(l.t).toBeGreaterThanOrEqual(last);
        last = l.t;
      }
      const truth = lines('truth.jsonl');
      expect(truth).toHaveLength(r.messages.sent);
      for (const m of truth) {
        expect(Object.keys(m).sort()).toEqual(['delivered', 'id', 'recipient', 'sender', 'sent']);
        expect(nodes.clients).toContain(m.sender);
        expect(nodes.clients).toContain(m.recipient);
        expect(m.delivered === null || m.delivered >= m.sent).toBe(true);
      }
      expect(truth.filter((m) => m.delivered !== null)).toHaveLength(r.messages.delivered);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a timing attack on the trace finds senders without cover, and hardly better than chance with it', async () => {
    const score = async (cover: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'hush-mixnet-attack-'));
      try {
        await simulateMixnet({ ...SMALL, clients: 20, cover, traceDir: dir });
        return attackTrace(dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const bare = await score(false);
    const covered = await score(true);
    expect(bare.messages).toBeGreaterThan(20);
    expect(bare.top5).toBeGreaterThan(3 * bare.baselineTop5);
    expect(covered.top5).toBeLessThan(bare.top5);
    expect(covered.entropy).toBeGreaterThan(bare.entropy);
  });
});
