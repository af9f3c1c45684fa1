/**
 * The whisper-v6 peer suite (specs/whisper-v6/SPEC.md §6–§7) against a real Hush gossip node
 * over WebSocket and Noise, in-process: every case passes under the `hush` profile, and a node
 * stopped mid-run is reported as crashed, after which the rest is skipped. Bounded waits, no
 * timing assertions.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from '@hush/crypto';
import { createGossipNode, type GossipNode, webSocketTransport } from '@hush/transport-gossip';
import { afterEach, describe, expect, it } from 'vitest';
import { peerCases, WHISPER_V6_SECTIONS } from '../src/peer/peer-suite.js';
import { runPeerSuite } from '../src/peer/run-peer.js';
import { type CaseResult, suiteTotals } from '../src/suite/model.js';

const nodes: GossipNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});

async function node(minPow = 0.2): Promise<GossipNode> {
  const key = randomBytes(32);
  const gossip = createGossipNode({
    key,
    transport: webSocketTransport({ privateKey: key, host: '127.0.0.1', port: 0 }),
    minPow,
  });
  nodes.push(gossip);
  await gossip.start();
  return gossip;
}

const failures = (results: readonly CaseResult[]) =>
  results.filter((r) => r.outcome.status !== 'pass' && r.outcome.status !== 'skip');

describe('the whisper-v6 peer suite against a Hush gossip node', () => {
  it('passes every case under the hush profile', { timeout: 180_000 }, async () => {
    const gossip = await node();
    const results = await runPeerSuite(gossip.linkAddresses[0]!, { profile: 'hush' });
    expect(failures(results)).toEqual([]);
    const totals = suiteTotals(results);
    expect(totals.failed).toBe(0);
    expect(totals.crashed).toBe(0);
    expect(totals.passed).toBeGreaterThan(40);
    // What is skipped against a full node at 0.2: the light-node and above-0.2 cases.
    expect(results.filter((r) => r.outcome.status === 'skip').map((r) => r.id)).toEqual([
      'whisper-v6/peer/low-pow-above-default@hush',
      'whisper-v6/peer/light-node-does-not-forward@hush',
    ]);
  });

  it('runs the minimum-PoW cases against a node configured at 1', { timeout: 60_000 }, async () => {
    const gossip = await node(1);
    const results = await runPeerSuite(gossip.linkAddresses[0]!, {
      profile: 'hush',
      only: ['low-pow', 'valid-then-invalid', 'relay', 'node-status-first'],
    });
    expect(failures(results)).toEqual([]);
    expect(results.filter((r) => r.outcome.status === 'pass').map((r) => r.id)).toContain(
      'whisper-v6/peer/low-pow-above-default@hush',
    );
  });

  it('reports a node stopped mid-run as crashed and skips the rest', {
    timeout: 60_000,
  }, async () => {
    const gossip = await node();
    const seen: CaseResult[] = [];
    const results = await runPeerSuite(gossip.linkAddresses[0]!, {
      profile: 'hush',
      timeoutMs: 3000,
      onResult: (r) => {
        seen.push(r);
        if (seen.length === 3) void gossip.stop();
      },
    });
    const statuses = results.map((r) => r.outcome.status);
    expect(statuses.slice(0, 3)).toEqual(['pass', 'pass', 'pass']);
    expect(statuses[3]).toBe('crashed');
    expect(new Set(statuses.slice(4))).toEqual(new Set(['skip']));
    expect(results.length).toBe(
      peerCases().filter((c) => !c.profiles || c.profiles.includes('hush')).length,
    );
  });

  it('names every numbered heading of the SPEC, and only sections it has', () => {
    const spec = readFileSync(
      new URL('../../../specs/whisper-v6/SPEC.md', import.meta.url),
      'utf8',
    );
    const headings = [...spec.matchAll(/^#{2,4} (§[\d.]+) (.+)$/gm)].map((m) => ({
      section: m[1],
      title: m[2],
    }));
    expect(WHISPER_V6_SECTIONS).toEqual(headings);
    const sections = new Set(headings.map((h) => h.section));
    for (const c of peerCases()) expect(sections.has(c.section), c.id).toBe(true);
  });
});
