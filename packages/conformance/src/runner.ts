/**
 * Runs every vector file of a directory (the specs/whisper-v6/vectors schema) through the
 * Hush packages: one verdict per case; files it does not recognise are reported as skipped,
 * never silently passed, and a run that checked no case at all is a failure of the caller's
 * (see `checkedNothing`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import { wireClock } from './checks/gossip.js';
import { createHandlers } from './checks/index.js';
import { isNoiseVectorFile, noiseVector } from './checks/noise.js';
import {
  aezVector,
  isAezVectorFile,
  isSphinxCommandsFile,
  isSphinxVectorFile,
  namedSphinxCases,
  sphinxCommandCases,
  sphinxCommandVector,
  sphinxGeometry,
  sphinxVector,
} from './checks/sphinx.js';
import type { CaseHandler, VectorCase } from './checks/types.js';
import type { ReportLine } from './report.js';

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && error.name !== 'Mismatch'
      ? `${error.name} ${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

/**
 * Runs the vector files of `dir`, reporting each line to `onLine` as it is decided.
 *
 * @param dir - a directory of vector files
 * @param onLine - receives each report line
 * @param backend - the crypto backend messages are opened and sealed with
 * @returns every line of the report
 * @throws if `dir` cannot be read
 */
export async function runVectors(
  dir: string,
  onLine: (line: ReportLine) => void = () => {},
  backend: CryptoBackend = defaultBackend,
): Promise<ReportLine[]> {
  const lines: ReportLine[] = [];
  const emit = (line: ReportLine) => {
    lines.push(line);
    onLine(line);
  };
  // Files of subdirectories too (specs/mixnet-sphinx/vectors/primitives), named by their path.
  const entries: { name: string }[] = [];
  const walk = async (relative: string) => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(name);
      else if (entry.isFile()) entries.push({ name });
    }
  };
  await walk('');
  // Noise vector files (the Cacophony format) and Katzenpost's Sphinx and AEZ files are
  // recognised by their content, whatever their name (Cacophony's own is cacophony.txt).
  const noiseFiles: [string, VectorCase[]][] = [];
  const contentFiles: [string, VectorCase[], CaseHandler][] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.endsWith('.md')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(join(dir, entry.name), 'utf8'));
    } catch {
      parsed = undefined;
    }
    if (isNoiseVectorFile(parsed)) noiseFiles.push([entry.name, parsed.vectors]);
    else if (isSphinxVectorFile(parsed))
      contentFiles.push([
        entry.name,
        namedSphinxCases(parsed),
        sphinxVector(sphinxGeometry(parsed)),
      ]);
    else if (isSphinxCommandsFile(parsed))
      contentFiles.push([entry.name, sphinxCommandCases(parsed), sphinxCommandVector]);
    else if (isAezVectorFile(parsed)) contentFiles.push([entry.name, parsed.vectors, aezVector]);
    // Documentation (README.md, PROVENANCE.md) sits beside vectors; anything else that is
    // not JSON is named, so that a wrong folder is seen for what it is.
    else if (!entry.name.endsWith('.json'))
      emit({ kind: 'skip', file: entry.name, what: 'not a vector file', cases: 0 });
  }
  const noiseNames = new Set([...noiseFiles, ...contentFiles].map(([name]) => name));
  const files = entries
    .map((e) => e.name)
    .filter((name) => name.endsWith('.json') && !noiseNames.has(name))
    .sort();
  for (const [file, vectors] of noiseFiles) await runCases(file, vectors, noiseVector, emit);
  for (const [file, cases, handler] of contentFiles) await runCases(file, cases, handler, emit);
  let wireNow = 0;
  try {
    wireNow = wireClock(JSON.parse(await readFile(join(dir, 'wire.json'), 'utf8')).cases ?? []);
  } catch {
    // No (readable) wire.json: nothing needs its clock.
  }
  const handlers = createHandlers(backend, wireNow);
  for (const file of files) {
    let cases: VectorCase[];
    try {
      const parsed = JSON.parse(await readFile(join(dir, file), 'utf8')) as { cases?: unknown };
      if (!Array.isArray(parsed.cases)) throw new Error('no cases array');
      cases = parsed.cases as VectorCase[];
    } catch (error) {
      if (handlers[file]) {
        emit({
          kind: 'case',
          file,
          index: 0,
          name: '(file)',
          verdict: { ok: false, reason: `unreadable: ${describeError(error)}` },
        });
      } else {
        emit({ kind: 'skip', file, what: 'not a vector file', cases: 0 });
      }
      continue;
    }
    const handler = handlers[file];
    if (!handler) {
      emit({
        kind: 'skip',
        file,
        what: 'not a vector file this runner knows',
        cases: cases.length,
      });
      continue;
    }
    await runCases(file, cases, handler, emit);
  }
  return lines;
}

/** Runs each case of a file through its handler, emitting a line per verdict or skip reason. */
async function runCases(
  file: string,
  cases: readonly VectorCase[],
  handler: CaseHandler,
  emit: (line: ReportLine) => void,
): Promise<void> {
  const skipped = new Map<string, number>();
  for (const [index, c] of cases.entries()) {
    const label = c?.name ?? c?.protocol_name;
    const name = typeof label === 'string' ? label : '(unnamed)';
    let outcome: Promise<void> | string;
    try {
      outcome = handler(c ?? {});
    } catch (error) {
      outcome = Promise.reject(error);
    }
    if (typeof outcome === 'string') {
      skipped.set(outcome, (skipped.get(outcome) ?? 0) + 1);
      continue;
    }
    try {
      await outcome;
      emit({ kind: 'case', file, index, name, verdict: { ok: true } });
    } catch (error) {
      emit({
        kind: 'case',
        file,
        index,
        name,
        verdict: { ok: false, reason: describeError(error) },
      });
    }
  }
  for (const [what, count] of skipped) emit({ kind: 'skip', file, what, cases: count });
}

/**
 * Why a run checked nothing, or undefined when it checked at least one case: a folder with no
 * vector file this runner knows must not pass as a folder whose vectors all hold.
 *
 * @param lines - the report of `runVectors`
 * @param known - the vector files the runner recognises
 */
export function checkedNothing(
  lines: readonly ReportLine[],
  known: readonly string[],
): string | undefined {
  if (lines.some((line) => line.kind === 'case')) return undefined;
  const unrecognised = lines.filter((line) => line.kind === 'skip').map((line) => line.file);
  return (
    `no case was checked: the folder holds no vector file this runner knows (${known.join(', ')})` +
    (unrecognised.length > 0
      ? `; not recognised: ${unrecognised.join(', ')}`
      : '; it holds no files')
  );
}

/** The vector files the runner recognises, by name. */
export function knownVectorFiles(): string[] {
  return Object.keys(createHandlers(defaultBackend, 0)).sort();
}
