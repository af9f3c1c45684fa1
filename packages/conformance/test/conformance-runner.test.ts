/**
 * The runner over specs/whisper-v6/vectors gives the same verdicts as the unit tests (every
 * handled case passes), and it can fail: altered expectations and broken files are reported.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobleBackend } from '@hush/crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { emitVectors, formatFloatGo, formatTotals, runVectors, totals } from '../src/index.js';

const vectors = fileURLToPath(new URL('../../../specs/whisper-v6/vectors', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-'));
const HANDLED = 286;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('hush-conformance vectors', () => {
  it('passes every handled case of the specs vectors', async () => {
    const lines = await runVectors(vectors);
    const failures = lines.filter((l) => l.kind === 'case' && !l.verdict.ok);
    expect(failures).toEqual([]);
    const t = totals(lines);
    // Every case but six params.json entries that describe rather than give a value.
    expect(t.passed).toBe(HANDLED);
    expect(t.skipped).toBe(6);
    const skipped = lines.filter((l) => l.kind === 'skip').map((l) => l.file);
    expect(new Set(skipped)).toEqual(new Set(['params.json']));
  });

  it('passes the same cases with the pure-JS backend', async () => {
    const lines = await runVectors(vectors, () => {}, nobleBackend);
    expect(totals(lines)).toMatchObject({ passed: HANDLED, failed: 0 });
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
    expect(formatTotals(totals(lines))).toMatch(new RegExp(`^${HANDLED - 2} passed, 2 failed`));
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
      what: 'not a vector file this runner knows',
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
    expect(out.at(-1)).toMatch(new RegExp(`^${HANDLED} passed, 0 failed, \\d+ skipped$`));
    expect(out.filter((l) => l.startsWith('ok '))).toHaveLength(HANDLED);
    const bad = run(join(scratch, 'altered'));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/FAIL topic-bloom\.json #3/);
    expect(run(join(scratch, 'missing')).status).toBe(2);
  });

  it('fails a folder that holds no vector file it knows, naming what it found', () => {
    const run = (dir: string) =>
      spawnSync(
        process.execPath,
        ['--conditions=@hush/source', '--import', 'tsx', cli, 'vectors', dir],
        { encoding: 'utf8', env: { ...process.env, INIT_CWD: '' } },
      );
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    const none = run(empty);
    expect(none.status).toBe(1);
    expect(none.stdout.trim().split('\n').at(-1)).toBe('0 passed, 0 failed, 0 skipped');
    expect(none.stderr).toMatch(/no case was checked.*holds no files/);
    const strangers = join(scratch, 'strangers');
    mkdirSync(strangers);
    writeFileSync(join(strangers, 'other.json'), JSON.stringify({ cases: [{}] }));
    writeFileSync(join(strangers, 'notes.txt'), 'hello');
    writeFileSync(join(strangers, 'README.md'), '# docs are not named');
    const unknown = run(strangers);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/not recognised: notes\.txt, other\.json$/m);
    expect(unknown.stdout).toMatch(/skip other\.json: not a vector file this runner knows/);
    expect(unknown.stdout).not.toMatch(/README/);
  });
});

describe('hush-conformance emit', () => {
  const out = join(scratch, 'emitted');
  const read = (dir: string, file: string) =>
    JSON.parse(readFileSync(join(dir, file), 'utf8')).cases;

  it("re-emits geth's reproducible cases byte for byte, and the rest so that they pass", async () => {
    const written = await emitVectors(vectors, out);
    expect(written.map((w) => [w.file, w.cases, w.reproduced])).toEqual([
      ['envelope-rlp.json', 32, 32],
      ['message-asym.json', 9, 3],
      ['message-parse.json', 11, 8],
      ['message-sym.json', 19, 19],
      ['seal-pow.json', 11, 10],
      ['symkey-password.json', 4, 4],
    ]);
    for (const file of ['envelope-rlp.json', 'message-sym.json', 'symkey-password.json']) {
      expect(read(out, file)).toEqual(read(vectors, file));
    }
    const original = read(vectors, 'message-asym.json');
    read(out, 'message-asym.json').forEach(
      (c: { ecies: { deterministic: boolean } }, i: number) => {
        if (original[i].ecies.deterministic) expect(c).toEqual(original[i]);
        else expect(c.ecies.deterministic).toBe(true);
      },
    );
    const seals = read(vectors, 'seal-pow.json');
    read(out, 'seal-pow.json').forEach((c: { mode: string; envelope: unknown }, i: number) => {
      if (c.mode !== 'timed') expect(c.envelope).toEqual(seals[i].envelope);
    });
    const parses = read(vectors, 'message-parse.json');
    read(out, 'message-parse.json').forEach((c: { symKey?: string }, i: number) => {
      if (c.symKey) expect(c).toEqual(parses[i]);
    });
    const lines = await runVectors(out);
    expect(totals(lines)).toEqual({ passed: 86, failed: 0, skipped: 0 });
  });
});

describe('Go float formatting of powString', () => {
  it('formats every PoW in the vectors as geth printed it', () => {
    const pairs = new Map<number | null, string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        const o = value as Record<string, unknown>;
        if ('powString' in o && 'pow' in o)
          pairs.set(o.pow as number | null, o.powString as string);
        Object.values(o).forEach(walk);
      }
    };
    for (const file of [
      'envelope-rlp.json',
      'seal-pow.json',
      'message-sym.json',
      'message-asym.json',
      'node-edge.json',
    ]) {
      walk(JSON.parse(readFileSync(join(vectors, file), 'utf8')));
    }
    expect(pairs.size).toBeGreaterThan(50);
    for (const [pow, text] of pairs)
      expect(formatFloatGo(pow ?? Number.POSITIVE_INFINITY)).toBe(text);
    expect(formatFloatGo(1e6)).toBe('1e+06');
    expect(formatFloatGo(123456.5)).toBe('123456.5');
    expect(formatFloatGo(0.0001)).toBe('0.0001');
    expect(formatFloatGo(0.00001)).toBe('1e-05');
    expect(formatFloatGo(1.5e-300)).toBe('1.5e-300');
  });

  it("runs Katzenpost's Sphinx, command and AEZ files by their content, subfolders included", async () => {
    const sphinx = fileURLToPath(new URL('../../../specs/mixnet-sphinx/vectors', import.meta.url));
    const lines = await runVectors(sphinx);
    expect(totals(lines)).toEqual({ passed: 26, failed: 0, skipped: 0 });
    expect(lines).toContainEqual(
      expect.objectContaining({ file: 'primitives/sprp_aez.json', name: 'len_0' }),
    );
    // One bit of one packet changed: that case fails, by its MAC, and the others still pass.
    const cases = JSON.parse(readFileSync(join(sphinx, 'sphinx_vectors.json'), 'utf8')) as {
      Packets: string[];
    }[];
    const p = cases[2]!.Packets[1]!;
    cases[2]!.Packets[1] = `${p.slice(0, 200)}${p[200] === '0' ? '1' : '0'}${p.slice(201)}`;
    const altered = join(scratch, 'sphinx-altered');
    mkdirSync(altered);
    writeFileSync(join(altered, 'packets.json'), JSON.stringify(cases));
    const report = await runVectors(altered);
    expect(totals(report)).toEqual({ passed: 9, failed: 1, skipped: 0 });
  });

  it('runs Noise vector files (the Cacophony format) by their content, each vector reported', async () => {
    const noise = fileURLToPath(new URL('../../../specs/noise/vectors', import.meta.url));
    const lines = await runVectors(noise);
    expect(totals(lines)).toEqual({ passed: 944, failed: 0, skipped: 0 });
    const { vectors } = JSON.parse(readFileSync(join(noise, 'cacophony.txt'), 'utf8')) as {
      vectors: Record<string, unknown>[];
    };
    const altered = join(scratch, 'noise-altered');
    mkdirSync(altered);
    const first = structuredClone(vectors[0]!) as { messages: { ciphertext: string }[] };
    const c = first.messages[1]!.ciphertext;
    first.messages[1]!.ciphertext = `${c.slice(0, -2)}${c.endsWith('00') ? '01' : '00'}`;
    const unknown = { ...vectors[1]!, protocol_name: 'Noise_XX_25519_Twofish_SHA256' };
    writeFileSync(
      join(altered, 'mine.json'),
      JSON.stringify({ vectors: [first, unknown, vectors[2]] }),
    );
    const report = await runVectors(altered);
    expect(totals(report)).toEqual({ passed: 1, failed: 1, skipped: 1 });
    expect(report).toContainEqual(
      expect.objectContaining({
        kind: 'skip',
        what: expect.stringMatching(/unknown Noise protocol/),
      }),
    );
  });
});
