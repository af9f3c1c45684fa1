/**
 * The mailserver suite (specs/mailserver/SPEC.md) against a real `hush start --mailserver`:
 * 0 failed, 0 crashed, in the hush profile and without one; its section table is the SPEC's.
 * Bounded waits, no timing assertions.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAILSERVER_SECTIONS, mailserverCases } from '../src/peer/mailserver-suite.js';
import { runMailserverSuite } from '../src/peer/run-mailserver.js';
import { type CaseResult, suiteTotals } from '../src/suite/model.js';
import { type HushNode, ROOT, startHush } from './hush-start.js';

const cli = new URL('../src/cli.ts', import.meta.url).pathname;

const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-mailserver-'));
let node: HushNode | undefined;

beforeAll(async () => {
  node = await startHush(join(scratch, 'node'), ['--mailserver']);
}, 120_000);

afterAll(async () => {
  await node?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

const failures = (results: readonly CaseResult[]) =>
  results.filter((r) => r.outcome.status === 'fail' || r.outcome.status === 'crashed');

describe('the mailserver suite against hush start --mailserver', () => {
  it('names every numbered heading of the SPEC, and only sections it has', () => {
    const spec = readFileSync(
      new URL('../../../specs/mailserver/SPEC.md', import.meta.url),
      'utf8',
    );
    const headings = [...spec.matchAll(/^#{2,4} (§[\d.]+) (.+)$/gm)].map((m) => ({
      section: m[1],
      title: m[2],
    }));
    expect(MAILSERVER_SECTIONS).toEqual(headings);
    const sections = new Set(headings.map((h) => h.section));
    const ids = new Set<string>();
    for (const c of mailserverCases()) {
      expect(sections.has(c.section), c.id).toBe(true);
      expect(ids.has(c.id), c.id).toBe(false);
      ids.add(c.id);
    }
  });

  it('hush profile: 0 failed, 0 crashed, every case run', async () => {
    const results = await runMailserverSuite(node!.peerAddress, node!.rpcUrl, {
      profile: 'hush',
    });
    const totals = suiteTotals(results);
    expect(failures(results), JSON.stringify(failures(results), null, 1)).toEqual([]);
    expect(totals.crashed).toBe(0);
    expect(totals.passed).toBe(mailserverCases().length);
  }, 300_000);

  it('no profile: only the common cases, 0 failed, 0 crashed', async () => {
    const results = await runMailserverSuite(node!.peerAddress, node!.rpcUrl, {
      only: ['/window', 'wrong-key', 'cursor-pages-to-end', 'future-window'],
    });
    expect(results.every((r) => !r.id.includes('@'))).toBe(true);
    expect(failures(results), JSON.stringify(failures(results), null, 1)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('hush-conformance mailserver ADDRESS --rpc URL exits 0 and writes its reports', async () => {
    const html = join(scratch, 'mailserver.html');
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=@hush/source',
          '--import',
          'tsx',
          cli,
          'mailserver',
          node!.peerAddress,
          '--rpc',
          node!.rpcUrl,
          '--password',
          'status-offline-inbox',
          '--quiet',
          '--html',
          html,
          '--junit',
          join(scratch, 'mailserver.xml'),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.stderr.on('data', (chunk) => (text += chunk));
      child.once('exit', (exit) => resolve({ code: exit, out: text }));
    });
    const totals = /^(\d+) passed, (\d+) failed, (\d+) skipped, (\d+) crashed$/m.exec(out);
    expect(totals, out).not.toBeNull();
    expect({ failed: totals![2], crashed: totals![4] }, out).toEqual({ failed: '0', crashed: '0' });
    expect(Number(totals![1]), out).toBe(mailserverCases().filter((c) => !c.profiles).length);
    expect(code, out).toBe(0);
    const report = readFileSync(html, 'utf8');
    for (const { section } of MAILSERVER_SECTIONS) expect(report).toContain(section);
  }, 300_000);
});
