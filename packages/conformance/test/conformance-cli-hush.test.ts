/**
 * Issue 18's acceptance, as `.ci/run` runs it: `hush-conformance rpc ws://…` and
 * `hush-conformance peer <address>` against one real `hush start` (its printed WebSocket RPC
 * URL and Noise peer address), each exiting 0 with 0 failed and 0 crashed; then both HTML
 * reports opened in Chromium, every section of their specs shown, and a screenshot taken of
 * each. Bounded waits, no timing assertions.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@hush/test-support/browser';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEER_SPECS, RPC_SPECS } from '../src/index.js';
import { type HushNode, ROOT, startHush } from './hush-start.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-cli-'));

let node: HushNode | undefined;
let rpcUrl = '';
let peerAddress = '';

/** Runs the CLI to its end: its exit code and output. */
function conformance(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@hush/source', '--import', 'tsx', cli, ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  node = await startHush(join(scratch, 'node'));
  ({ rpcUrl, peerAddress } = node);
}, 120_000);

afterAll(async () => {
  await node?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe('hush-conformance against hush start, as .ci/run runs it', () => {
  for (const adapter of ['rpc', 'peer', 'peer-rlpx'] as const) {
    it(`${adapter}: exits 0 with 0 failed and 0 crashed, and writes its HTML report`, async () => {
      const html = join(scratch, `${adapter}.html`);
      // peer-rlpx: the same peer suite over RLPx, to the node's enode:// URL (issue 19).
      const target = adapter === 'rpc' ? rpcUrl : adapter === 'peer' ? peerAddress : node!.enode;
      const { code, out } = await conformance([
        adapter === 'rpc' ? 'rpc' : 'peer',
        target,
        '--profile',
        'hush',
        '--quiet',
        '--html',
        html,
        '--junit',
        join(scratch, `${adapter}.xml`),
      ]);
      const totals = /^(\d+) passed, (\d+) failed, (\d+) skipped, (\d+) crashed$/m.exec(out);
      expect(totals, out).not.toBeNull();
      expect({ failed: totals![2], crashed: totals![4] }, out).toEqual({
        failed: '0',
        crashed: '0',
      });
      expect(Number(totals![1])).toBeGreaterThan(40);
      expect(code, out).toBe(0);
      expect(readFileSync(html, 'utf8')).toContain('<h3');
    }, 600_000);
  }

  it('both HTML reports open in Chromium and show every section of their specs', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    });
    try {
      for (const [adapter, specs] of [
        ['rpc', RPC_SPECS],
        ['peer', PEER_SPECS],
      ] as const) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(pathToFileURL(join(scratch, `${adapter}.html`)).href);
        const shown = await page.$$eval('h3[data-section]', (headings) =>
          headings
            .filter((h) => (h as HTMLElement).offsetHeight > 0)
            .map((h) => (h as HTMLElement).dataset.section),
        );
        for (const { sections } of specs)
          for (const { section } of sections)
            expect(shown, `${adapter} ${section}`).toContain(section);
        const shot = join(scratch, `${adapter}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  }, 120_000);
});
