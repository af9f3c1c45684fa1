/**
 * The whisper-v6 peer suite (specs/whisper-v6/SPEC.md §6–§7) against a real Hush gossip node
 * over WebSocket and Noise, in-process: every case passes under the `hush` profile, also on a
 * node whose clock is 90 s ahead of this machine's or behind it (the suite measures the
 * node's clock, §6.1, and builds its envelopes on it); a clock two days off fails
 * `clock-offset` and skips what needs it; a node stopped mid-run is reported as crashed,
 * after which the rest is skipped; a node whose first frame is wrong is alive, its cases fail;
 * and a deliberately broken node (a relay in front of a real one that takes any status
 * version and relays expired envelopes) fails exactly the cases of the rules it breaks.
 * Bounded waits, no timing assertions.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from '@hush/crypto';
import { decodeMessagesPacketItems, encodeMessagesPacket } from '@hush/envelope';
import { systemClock } from '@hush/interface';
import {
  createGossipNode,
  decodeStatus,
  encodeStatus,
  type GossipNode,
  MessageCode,
  type ProtocolMessage,
  webSocketTransport,
} from '@hush/transport-gossip';
import { afterEach, describe, expect, it } from 'vitest';
import { peerAlive, peerCases, WHISPER_V6_SECTIONS } from '../src/peer/peer-suite.js';
import { runPeerSuite } from '../src/peer/run-peer.js';
import { type CaseResult, suiteTotals } from '../src/suite/model.js';
import { type Faults, type FaultyRelay, faultyRelay } from './faulty-relay.js';

const nodes: GossipNode[] = [];
const relays: FaultyRelay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  for (const n of nodes.splice(0)) await n.stop();
});

/** A node at `minPow` whose clock is this machine's plus `offsetMs` (§6's `now`). */
async function node(minPow = 0.2, offsetMs = 0): Promise<GossipNode> {
  const key = randomBytes(32);
  const gossip = createGossipNode({
    key,
    transport: webSocketTransport({ privateKey: key, host: '127.0.0.1', port: 0 }),
    minPow,
    ...(offsetMs ? { clock: { ...systemClock, now: () => Date.now() + offsetMs } } : {}),
  });
  nodes.push(gossip);
  await gossip.start();
  return gossip;
}

async function relay(target: GossipNode, faults: Faults): Promise<string> {
  const r = await faultyRelay(target.linkAddresses[0]!, faults);
  relays.push(r);
  return r.address;
}

const HUSH_CASES = peerCases().filter((c) => !c.profiles || c.profiles.includes('hush'));
const byStatus = (results: readonly CaseResult[], status: string) =>
  results.filter((r) => r.outcome.status === status).map((r) => r.id);
const note = (results: readonly CaseResult[], id: string) => {
  const o = results.find((r) => r.id === id)?.outcome;
  return o?.status === 'pass' ? o.note : undefined;
};
/** The offset, seconds, a clock-offset note gives (`… this machine’s +90.2 s (±0.4 s, …)`). */
const measured = (text: string | undefined) => {
  const m = /machine’s ([+−])(\d+\.\d) s/.exec(text ?? '');
  return m ? (m[1] === '−' ? -1 : 1) * Number(m[2]) : Number.NaN;
};

/**
 * The faults of the broken node: the first status a peer sends is taken whatever its version
 * (C3 not checked), and an envelope that expired on the node's clock is not handed to the
 * node but sent straight to every other peer, its sender kept (N3 and N4 not applied).
 */
const BROKEN: Faults = {
  fromPeer(message, session, all) {
    if (session.fromPeerCount === 0 && message.code === MessageCode.status) {
      try {
        decodeStatus(message.payload);
      } catch (error) {
        if ((error as { code?: string }).code === 'version-mismatch')
          return [
            {
              code: MessageCode.status,
              payload: encodeStatus({ minPow: 0, bloom: null, lightNode: false }),
            },
          ];
      }
      return [message];
    }
    if (message.code !== MessageCode.messages) return [message];
    let items: ReturnType<typeof decodeMessagesPacketItems>;
    try {
      items = decodeMessagesPacketItems(message.payload);
    } catch {
      return [message];
    }
    const now = Math.floor(Date.now() / 1000);
    const expired = items.filter((i) => i.envelope.expiry < now).map((i) => i.envelope);
    if (expired.length === 0) return [message];
    const relayed: ProtocolMessage = {
      code: MessageCode.messages,
      payload: encodeMessagesPacket(expired),
    };
    for (const other of all) if (other !== session) other.toPeer(relayed);
    const rest = items.filter((i) => i.envelope.expiry >= now).map((i) => i.envelope);
    return [{ code: MessageCode.messages, payload: encodeMessagesPacket(rest) }];
  },
};

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

  for (const offsetMs of [90_000, -90_000])
    it(`passes every case against a node whose clock is ${offsetMs / 1000} s off this machine's, and measures it`, {
      timeout: 180_000,
    }, async () => {
      const gossip = await node(0.2, offsetMs);
      const results = await runPeerSuite(gossip.linkAddresses[0]!, { profile: 'hush' });
      expect(failures(results)).toEqual([]);
      expect(suiteTotals(results).passed).toBeGreaterThan(40);
      const offset = measured(note(results, 'whisper-v6/peer/clock-offset'));
      // Within the measurement's second, plus loopback latency.
      expect(Math.abs(offset - offsetMs / 1000)).toBeLessThanOrEqual(1.5);
    });

  it('fails clock-offset, saying why, against a node two days ahead, and skips what needs its clock', {
    timeout: 120_000,
  }, async () => {
    const gossip = await node(0.2, 2 * 86_400_000);
    const results = await runPeerSuite(gossip.linkAddresses[0]!, {
      profile: 'hush',
      only: ['clock-offset', '/relay', 'very-old', 'status-version-5'],
    });
    const offset = results.find((r) => r.id === 'whisper-v6/peer/clock-offset')!.outcome;
    expect(offset).toMatchObject({ status: 'fail' });
    expect((offset as { message: string }).message).toContain('can be placed');
    expect(byStatus(results, 'skip')).toEqual([
      'whisper-v6/peer/relay',
      'whisper-v6/peer/very-old',
    ]);
    for (const r of results.filter((r) => r.outcome.status === 'skip'))
      expect((r.outcome as { why: string }).why).toContain('clock could not be measured');
    expect(byStatus(results, 'pass')).toEqual(['whisper-v6/peer/status-version-5']);
  });

  it('a broken node (any status version taken, expired envelopes relayed) fails exactly those cases', {
    timeout: 240_000,
  }, async () => {
    const gossip = await node();
    const address = await relay(gossip, BROKEN);
    const results = await runPeerSuite(address, { profile: 'hush' });
    expect(byStatus(results, 'crashed')).toEqual([]);
    expect(byStatus(results, 'fail')).toEqual([
      'whisper-v6/peer/status-version-5',
      'whisper-v6/peer/very-old',
      'whisper-v6/peer/expired-recently',
    ]);
    expect(results.length).toBe(HUSH_CASES.length);
  });

  it('a node whose first frame is wrong is alive: its cases fail, none crashes', {
    timeout: 120_000,
  }, async () => {
    const gossip = await node();
    for (const first of [
      { code: MessageCode.status, payload: Uint8Array.of(0xc0) },
      Uint8Array.of(0xff, 0x00, 0x13),
    ]) {
      const address = await relay(gossip, {
        fromNode: (message, session) => (session.fromNodeCount === 0 ? [first] : [message]),
      });
      const context = { address, timeoutMs: 5000 };
      await expect(peerAlive(context)).resolves.toBeUndefined();
      const results = await runPeerSuite(address, {
        profile: 'hush',
        timeoutMs: 5000,
        only: ['node-status-first', 'status-version-5', 'frame-not-rlp', 'clock-offset'],
      });
      expect(results.map((r) => [r.id, r.outcome.status])).toEqual([
        ['whisper-v6/peer/clock-offset', 'fail'],
        ['whisper-v6/peer/node-status-first', 'fail'],
        ['whisper-v6/peer/status-version-5', 'fail'],
        ['whisper-v6/peer/frame-not-rlp', 'fail'],
      ]);
    }
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
    expect(results.length).toBe(HUSH_CASES.length);
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
