/**
 * The mailserver suite (specs/mailserver/SPEC.md) against in-process mailservers
 * (`inprocess-mailserver.ts`: @hush/mailserver on a gossip node, as `hush start --mailserver`
 * wires it), for what `hush start` cannot be made to do: a clock 90 s ahead of this machine's
 * or behind it (the suite measures it through W§6.1 and builds its windows on it: 0 failed),
 * or two days off (clock-offset fails, saying why, and the cases that need the clock are
 * skipped); a deliberately broken mailserver (the limit ignored, an envelope repeated across
 * pages, two requests of one peer served at once) fails exactly the cases of those rules; and
 * a node whose first frame is wrong is alive, its cases fail and none crashes. Bounded waits,
 * no timing assertions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mailserverAlive, mailserverCases } from '../src/peer/mailserver-suite.js';
import { runMailserverSuite } from '../src/peer/run-mailserver.js';
import type { CaseResult } from '../src/suite/model.js';
import { type FaultyRelay, faultyRelay } from './faulty-relay.js';
import {
  type InProcessMailserver,
  type InProcessMailserverOptions,
  startInProcessMailserver,
} from './inprocess-mailserver.js';

const servers: InProcessMailserver[] = [];
const relays: FaultyRelay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function mailserver(options: InProcessMailserverOptions = {}): Promise<InProcessMailserver> {
  const server = await startInProcessMailserver(options);
  servers.push(server);
  return server;
}

const byStatus = (results: readonly CaseResult[], status: string) =>
  results.filter((r) => r.outcome.status === status).map((r) => r.id);
const HUSH_CASES = mailserverCases().filter((c) => !c.profiles || c.profiles.includes('hush'));
/** The offset, seconds, a clock-offset note gives (`… this machine’s +90.2 s (±0.4 s, …)`). */
function measured(results: readonly CaseResult[]): number {
  const o = results.find((r) => r.id === 'mailserver/peer/clock-offset')?.outcome;
  const m = /machine’s ([+−])(\d+\.\d) s/.exec(o?.status === 'pass' ? (o.note ?? '') : '');
  return m ? (m[1] === '−' ? -1 : 1) * Number(m[2]) : Number.NaN;
}

describe('the mailserver suite against in-process mailservers', () => {
  for (const offsetMs of [90_000, -90_000])
    it(`passes every case against a mailserver whose clock is ${offsetMs / 1000} s off this machine's`, {
      timeout: 300_000,
    }, async () => {
      const server = await mailserver({ offsetMs });
      const results = await runMailserverSuite(server.address, undefined, { profile: 'hush' });
      expect(
        byStatus(results, 'fail'),
        JSON.stringify(
          results.filter((r) => r.outcome.status === 'fail'),
          null,
          1,
        ),
      ).toEqual([]);
      expect(byStatus(results, 'crashed')).toEqual([]);
      // Without --rpc the local post cannot be made; every other case runs.
      expect(byStatus(results, 'skip')).toEqual(['mailserver/peer/local-post-archived']);
      expect(results.length).toBe(HUSH_CASES.length);
      expect(Math.abs(measured(results) - offsetMs / 1000)).toBeLessThanOrEqual(1.5);
    });

  it('fails clock-offset, saying why, against a mailserver two days ahead, and skips what needs its clock', {
    timeout: 120_000,
  }, async () => {
    const server = await mailserver({ offsetMs: 2 * 86_400_000 });
    const results = await runMailserverSuite(server.address, undefined, {
      profile: 'hush',
      only: ['clock-offset', '/window', 'not-an-envelope'],
    });
    expect(results.map((r) => [r.id, r.outcome.status])).toEqual([
      ['mailserver/peer/clock-offset', 'fail'],
      ['mailserver/peer/window', 'skip'],
      ['mailserver/peer/not-an-envelope', 'pass'],
    ]);
    expect((results[1]!.outcome as { why: string }).why).toContain('clock could not be measured');
  });

  it('a broken mailserver (limit ignored, envelopes repeated across pages, never busy) fails exactly those cases', {
    timeout: 300_000,
  }, async () => {
    const server = await mailserver({
      faults: { ignoreLimit: true, repeatAcrossPages: true, neverBusy: true },
    });
    const results = await runMailserverSuite(server.address, undefined, { profile: 'hush' });
    expect(byStatus(results, 'crashed')).toEqual([]);
    expect(byStatus(results, 'fail')).toEqual([
      'mailserver/peer/limit-caps-page',
      'mailserver/peer/limit-zero-is-1000@hush',
      'mailserver/peer/key-bound@hush',
      'mailserver/peer/cursor-layout',
      'mailserver/peer/cursor-pages-to-end',
      'mailserver/peer/full-last-page-empty-cursor@hush',
      'mailserver/peer/one-request-at-a-time@hush',
      'mailserver/peer/completion-form',
    ]);
  });

  it('a mailserver that only repeats an envelope across pages fails the cases that follow cursors', {
    timeout: 120_000,
  }, async () => {
    const server = await mailserver({ faults: { repeatAcrossPages: true } });
    const results = await runMailserverSuite(server.address, undefined, {
      profile: 'hush',
      only: ['limit', 'cursor', 'key-bound', 'completion-form'],
    });
    expect(byStatus(results, 'crashed')).toEqual([]);
    expect(byStatus(results, 'fail')).toEqual([
      'mailserver/peer/limit-zero-is-1000@hush',
      'mailserver/peer/cursor-pages-to-end',
      'mailserver/peer/full-last-page-empty-cursor@hush',
    ]);
  });

  it('a mailserver whose first frame is wrong is alive: its cases fail, none crashes', {
    timeout: 120_000,
  }, async () => {
    const server = await mailserver();
    const relay = await faultyRelay(server.address, {
      fromNode: (message, session) =>
        session.fromNodeCount === 0 ? [Uint8Array.of(0xff, 0x00, 0x13)] : [message],
    });
    relays.push(relay);
    await expect(
      mailserverAlive({
        address: relay.address,
        password: 'status-offline-inbox',
        timeoutMs: 5000,
      }),
    ).resolves.toBeUndefined();
    const results = await runMailserverSuite(relay.address, undefined, {
      profile: 'hush',
      timeoutMs: 5000,
      only: ['clock-offset', 'not-an-envelope', 'lower-above-upper'],
    });
    expect(results.map((r) => [r.id, r.outcome.status])).toEqual([
      ['mailserver/peer/clock-offset', 'fail'],
      ['mailserver/peer/not-an-envelope', 'fail'],
      ['mailserver/peer/lower-above-upper', 'skip'],
      ['mailserver/peer/lower-above-upper-reason@hush', 'skip'],
    ]);
  });
});
