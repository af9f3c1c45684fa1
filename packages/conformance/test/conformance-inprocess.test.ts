/**
 * The in-process suite (`hush-conformance inprocess`, adapter `in-process`) over the repo's
 * specs/: every section a case names is a numbered heading of its spec; the whole suite passes
 * with both crypto backends (0 failed, 0 crashed), with a case per vector of whisper-v6, noise
 * and mixnet-sphinx; a vector folder with one expected value altered fails exactly that case,
 * with expected and actual; the command writes JUnit and HTML, and the HTML report opens in
 * Chromium showing every section of every spec (a screenshot is written to the test's temp
 * folder).
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nobleBackend } from '@hush/crypto';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@hush/test-support/browser';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CaseResult,
  formatCaseLine,
  IN_PROCESS_SPECS,
  inProcessCases,
  runInProcessSuite,
  suiteTotals,
} from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SPECS = join(ROOT, 'specs');
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-inprocess-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Cases per spec: every vector (whisper-v6 also its 6 descriptive params skipped), and the API cases. */
const EXPECTED = {
  'whisper-v6': { passed: 286, skipped: 6 },
  noise: { passed: 944 + 17, skipped: 0 },
  'mixnet-sphinx': { passed: 26, skipped: 0 },
  'inbox-dht': { passed: 133, skipped: 0 },
  'transport-direct': { passed: 86, skipped: 0 },
} as const;
const TOTAL = Object.values(EXPECTED).reduce((sum, e) => sum + e.passed, 0);

function bySpec(results: readonly CaseResult[]) {
  const out: Record<string, { passed: number; skipped: number }> = {};
  for (const r of results) {
    const t = out[r.spec] ?? { passed: 0, skipped: 0 };
    out[r.spec] = t;
    if (r.outcome.status === 'pass') t.passed++;
    if (r.outcome.status === 'skip') t.skipped++;
  }
  return out;
}

/** Runs the CLI to its end: its exit code and output. */
function conformance(
  args: readonly string[],
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@hush/source', '--import', 'tsx', cli, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, INIT_CWD: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

/** The numbered headings of a SPEC.md, written `§N.M` (mixnet-sphinx numbers them without §). */
function headings(spec: string): { section: string; title: string }[] {
  const text = readFileSync(join(SPECS, spec, 'SPEC.md'), 'utf8');
  return [...text.matchAll(/^#{2,4} §?(\d+(?:\.\d+)*)\.? (.+)$/gm)].map((m) => ({
    section: `§${m[1]}`,
    title: m[2]!,
  }));
}

describe('the in-process suite', () => {
  it('lists every numbered heading of each spec, and names only those in its cases', async () => {
    expect(IN_PROCESS_SPECS.map((s) => s.spec)).toEqual(Object.keys(EXPECTED));
    for (const { spec, sections } of IN_PROCESS_SPECS)
      expect([spec, sections]).toEqual([spec, headings(spec)]);
    const known = new Set(
      IN_PROCESS_SPECS.flatMap(({ spec, sections }) => sections.map((s) => `${spec} ${s.section}`)),
    );
    const cases = await inProcessCases(SPECS);
    const stray = cases
      .filter((c) => !known.has(`${c.spec} ${c.section}`))
      .map((c) => `${c.id} ${c.section}`);
    expect(stray).toEqual([]);
    expect(new Set(cases.map((c) => c.adapter))).toEqual(new Set(['in-process']));
    // The vectors are spread over the sections their checks are about, not one per file.
    const sectionsOf = (spec: string) =>
      new Set(cases.filter((c) => c.spec === spec).map((c) => c.section));
    expect([...sectionsOf('whisper-v6')].sort()).toEqual(
      [
        '§1.3',
        '§2.2',
        '§2.3',
        '§2.4',
        '§2.5',
        '§3.2',
        '§3.3',
        '§4.4',
        '§4.5',
        '§5.2',
        '§5.3',
        '§5.4',
        '§5.5',
        '§5.6',
        '§5.7',
        '§5.8',
        '§6.1',
        '§6.3',
        '§7.5',
      ].sort(),
    );
    expect([...sectionsOf('mixnet-sphinx')].sort()).toEqual(['§3', '§4', '§5', '§7']);
  });

  it('passes with the pure-JS backend: a case per vector, 0 failed, 0 crashed', async () => {
    const results = await runInProcessSuite(SPECS, { backend: nobleBackend });
    const bad = results.filter(
      (r) => r.outcome.status === 'fail' || r.outcome.status === 'crashed',
    );
    expect(bad.map(formatCaseLine)).toEqual([]);
    expect(bySpec(results)).toEqual(EXPECTED);
    expect(suiteTotals(results)).toEqual({ passed: TOTAL, failed: 0, skipped: 6, crashed: 0 });
  }, 300_000);

  it('fails exactly the case whose expected value was altered, with expected and actual', async () => {
    const specs = join(scratch, 'altered-specs');
    cpSync(join(SPECS, 'whisper-v6', 'vectors'), join(specs, 'whisper-v6', 'vectors'), {
      recursive: true,
    });
    const file = join(specs, 'whisper-v6', 'vectors', 'topic-bloom.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    const bloom = data.cases[3].bloom as string;
    data.cases[3].bloom = `0x${'00'.repeat(64)}`;
    writeFileSync(file, JSON.stringify(data));
    const results = await runInProcessSuite(specs);
    const failed = results.filter(
      (r) => r.outcome.status !== 'pass' && r.outcome.status !== 'skip',
    );
    expect(failed.map((r) => r.id)).toEqual(['whisper-v6/topic-bloom.json#3']);
    expect(failed[0]).toMatchObject({
      spec: 'whisper-v6',
      section: '§2.2',
      outcome: {
        status: 'fail',
        message: 'bloom',
        expected: `0x${'00'.repeat(64)}`,
        actual: bloom,
      },
    });
    expect(formatCaseLine(failed[0]!)).toContain(
      `bloom: expected 0x${'00'.repeat(64)}, got ${bloom}`,
    );
    // The folders left out are said to be missing, each a skipped case.
    const missing = results.filter(
      (r) => r.id === 'noise/vectors' || r.id === 'mixnet-sphinx/vectors',
    );
    expect(missing.map((r) => r.outcome.status)).toEqual(['skip', 'skip']);
  }, 120_000);

  it('runs as a command with the native backend: a line per case, 0 failed, JUnit and HTML by section', async () => {
    const html = join(scratch, 'report', 'inprocess.html');
    const junit = join(scratch, 'report', 'inprocess.xml');
    const { code, out, err } = await conformance(['inprocess', '--html', html, '--junit', junit]);
    expect(code, err).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines.at(-1)).toBe(`${TOTAL} passed, 0 failed, 6 skipped, 0 crashed`);
    expect(lines.filter((l) => l.startsWith('ok '))).toHaveLength(TOTAL);
    expect(lines).toContain(
      'ok    whisper-v6 §2.2 whisper-v6/topic-bloom.json#3: ' +
        JSON.parse(readFileSync(join(SPECS, 'whisper-v6/vectors/topic-bloom.json'), 'utf8'))
          .cases[3].name,
    );
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`<testsuites name="hush-conformance in-process ${SPECS}`);
    expect(xml).toMatch(new RegExp(`tests="${TOTAL + 6}" failures="0" errors="0" skipped="6"`));
    expect(xml).toContain('<testsuite name="inbox-dht §5.1"');
    expect(xml).toContain('<testsuite name="mixnet-sphinx §7"');
    const page = readFileSync(html, 'utf8');
    for (const { spec } of IN_PROCESS_SPECS) expect(page).toContain(`<h2 id="${spec}">`);
    const sections = IN_PROCESS_SPECS.reduce((sum, s) => sum + s.sections.length, 0);
    expect(page.match(/<h3 id=/g)).toHaveLength(sections);
    expect(page).not.toContain('Cases of sections not listed');
    // Each section heading links to its spec, relative to the report.
    expect(page).toContain('href="../../');
  }, 300_000);

  it('refuses what is not a specs folder, and options it does not take', async () => {
    const empty = join(scratch, 'not-specs');
    mkdirSync(empty, { recursive: true });
    const none = await conformance(['inprocess', empty]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      /not a specs folder: it holds none of whisper-v6\/vectors, noise\/vectors, mixnet-sphinx\/vectors/,
    );
    expect((await conformance(['inprocess', join(scratch, 'missing')])).code).toBe(2);
    const profile = await conformance(['inprocess', '--profile', 'hush']);
    expect(profile.code).toBe(2);
    expect(profile.err).toMatch(/inprocess takes no --profile/);
    const altered = await conformance([
      'inprocess',
      join(scratch, 'altered-specs'),
      '--quiet',
      '--only',
      'topic-bloom',
    ]);
    expect(altered.code).toBe(1);
    expect(altered.out).toMatch(
      /^FAIL {2}whisper-v6 §2\.2 whisper-v6\/topic-bloom\.json#3: .*: bloom: expected 0x0{128}, got 0x/m,
    );
    expect(altered.out.trim().split('\n').at(-1)).toBe('29 passed, 1 failed, 0 skipped, 0 crashed');
  }, 120_000);

  it('its HTML report opens in Chromium and shows every section of every spec', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(join(scratch, 'report', 'inprocess.html')).href);
      // Each section heading with the spec of the h2 above it, if it is shown.
      const shown = await page.$$eval('h3[data-section]', (all) =>
        all
          .filter((h) => (h as HTMLElement).offsetHeight > 0)
          .map((h) => {
            let spec = h.previousElementSibling;
            while (spec && spec.tagName !== 'H2') spec = spec.previousElementSibling;
            return `${spec?.id} ${(h as HTMLElement).dataset.section}`;
          }),
      );
      for (const { spec, sections } of IN_PROCESS_SPECS)
        for (const { section } of sections)
          expect(shown, `${spec} ${section}`).toContain(`${spec} ${section}`);
      const totals = await page.textContent('.totals');
      expect(totals).toContain(`${TOTAL} passed`);
      const shot = join(scratch, 'inprocess.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
