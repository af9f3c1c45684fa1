/**
 * The runner over specs/whisper-v6/vectors gives the same verdicts as the unit tests (every
 * handled case passes), and it can fail: altered expectations and broken files are reported.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTotals, runVectors, totals } from '../src/index.js';

const vectors = fileURLToPath(new URL('../../../specs/whisper-v6/vectors', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('hush-conformance vectors', () => {
  it('passes every handled case of the specs vectors', async () => {
    const lines = await runVectors(vectors);
    const failures = lines.filter((l) => l.kind === 'case' && !l.verdict.ok);
    expect(failures).toEqual([]);
    const t = totals(lines);
    // topic-bloom 30, bloom-match 21, envelope-rlp 32, seal-pow 11, rlp-decode 20, params 3.
    expect(t.passed).toBe(117);
    const skippedFiles = lines.filter((l) => l.kind === 'skip').map((l) => `${l.file}: ${l.what}`);
    expect(skippedFiles).toContain("invalid.json: layer 'open' not handled yet");
  });

  it('fails a case whose expectation was altered, and only that case', async () => {
    const dir = join(scratch, 'altered');
    cpSync(vectors, dir, { recursive: true });
    const file = join(dir, 'topic-bloom.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.cases[3].bloom = `0x${'00'.repeat(64)}`;
    writeFileSync(file, JSON.stringify(data));
    const rlpFile = join(dir, 'invalid.json');
    const invalid = JSON.parse(readFileSync(rlpFile, 'utf8'));
    const topicCase = invalid.cases.find((c: { reason: string }) => c.reason === 'topic-type');
    topicCase.reason = 'topic-length';
    writeFileSync(rlpFile, JSON.stringify(invalid));
    const lines = await runVectors(dir);
    const failed = lines.filter((l) => l.kind === 'case' && !l.verdict.ok);
    expect(failed.map((l) => l.kind === 'case' && `${l.file} #${l.index}`)).toEqual([
      expect.stringMatching(/^invalid\.json #\d+$/),
      'topic-bloom.json #3',
    ]);
    expect(formatTotals(totals(lines))).toMatch(/^115 passed, 2 failed/);
  });

  it('reports a broken handled file as a failure and skips unknown files', async () => {
    const dir = join(scratch, 'broken');
    cpSync(vectors, dir, { recursive: true });
    writeFileSync(join(dir, 'envelope-rlp.json'), '{ not json');
    writeFileSync(join(dir, 'something-else.json'), JSON.stringify({ cases: [{}, {}] }));
    const lines = await runVectors(dir);
    expect(lines).toContainEqual(
      expect.objectContaining({
        file: 'envelope-rlp.json',
        verdict: expect.objectContaining({ ok: false }),
      }),
    );
    expect(lines).toContainEqual({
      kind: 'skip',
      file: 'something-else.json',
      what: 'file not handled yet',
      cases: 2,
    });
  });

  it('runs as a command: a line per case, the totals last, exit status by failures', () => {
    const run = (dir: string) =>
      spawnSync(
        process.execPath,
        ['--conditions=@hush/source', '--import', 'tsx', cli, 'vectors', dir],
        {
          encoding: 'utf8',
          env: { ...process.env, INIT_CWD: '' },
        },
      );
    const good = run(vectors);
    expect(good.status).toBe(0);
    const out = good.stdout.trim().split('\n');
    expect(out.at(-1)).toMatch(/^117 passed, 0 failed, \d+ skipped$/);
    expect(out.filter((l) => l.startsWith('ok '))).toHaveLength(117);
    const bad = run(join(scratch, 'altered'));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/FAIL topic-bloom\.json #3/);
    expect(run(join(scratch, 'missing')).status).toBe(2);
  });
});
