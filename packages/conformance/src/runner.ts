/**
 * Runs every vector file of a directory (the specs/whisper-v6/vectors schema, and the Noise,
 * Sphinx and AEZ formats of specs/noise and specs/mixnet-sphinx, recognised by content) through
 * the Hush packages: one verdict per case; files it does not recognise are reported as skipped,
 * never silently passed, and a run that checked no case at all is a failure of the caller's
 * (see `checkedNothing`). The file recognition (`readVectorFiles`) and the check of one case
 * (`checkVectorCase`) are shared with the in-process suite (src/inprocess/), which reports the
 * same cases by spec section.
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

/**
 * An error as a report line says it: a Mismatch's message, else the error's name, code and
 * message.
 *
 * @throws nothing
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && error.name !== 'Mismatch'
      ? `${error.name} ${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

/** The vector formats the runner recognises. */
export type VectorFormat =
  /** A file of the specs/whisper-v6/vectors schema, known by its name (`params.json`…). */
  | 'whisper-v6'
  /** Cacophony's Noise vectors (`{"vectors": [{"protocol_name": …}]}`), by content. */
  | 'noise'
  /** Katzenpost's Sphinx packet vectors, by content. */
  | 'sphinx-packets'
  /** Katzenpost's Sphinx routing command vectors, by content. */
  | 'sphinx-commands'
  /** Katzenpost's AEZ primitive vectors (`{"primitive": "sprp_aez"}`), by content. */
  | 'sprp-aez';

/**
 * A file of a vector folder as the runner recognised it: its cases with their handler, a file
 * that should hold vectors but cannot be read, or a file it does not know (with how many
 * cases it seems to hold).
 */
export type VectorFile =
  | {
      readonly kind: 'cases';
      /** Its path in the folder, `/`-separated. */
      readonly file: string;
      readonly format: VectorFormat;
      readonly cases: readonly VectorCase[];
      readonly handler: CaseHandler;
    }
  | { readonly kind: 'unreadable'; readonly file: string; readonly why: string }
  | {
      readonly kind: 'unknown';
      readonly file: string;
      readonly what: string;
      readonly cases: number;
    };

/**
 * Reads and recognises every file of a vector folder (its subfolders too), in the order the
 * runner reports them: files it cannot read as JSON first, then Noise, Sphinx and AEZ files
 * (known by content), then the JSON files by name. Documentation (`*.md`) is left out.
 *
 * @param dir - a directory of vector files
 * @param backend - the crypto backend the Whisper handlers open and seal with
 * @throws if `dir` cannot be read
 */
export async function readVectorFiles(
  dir: string,
  backend: CryptoBackend = defaultBackend,
): Promise<VectorFile[]> {
  const out: VectorFile[] = [];
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
  const contentFiles: VectorFile[] = [];
  const noiseFiles: VectorFile[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.endsWith('.md')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(join(dir, entry.name), 'utf8'));
    } catch {
      parsed = undefined;
    }
    const file = entry.name;
    if (isNoiseVectorFile(parsed))
      noiseFiles.push({
        kind: 'cases',
        file,
        format: 'noise',
        cases: parsed.vectors,
        handler: noiseVector,
      });
    else if (isSphinxVectorFile(parsed))
      contentFiles.push({
        kind: 'cases',
        file,
        format: 'sphinx-packets',
        cases: namedSphinxCases(parsed),
        handler: sphinxVector(sphinxGeometry(parsed)),
      });
    else if (isSphinxCommandsFile(parsed))
      contentFiles.push({
        kind: 'cases',
        file,
        format: 'sphinx-commands',
        cases: sphinxCommandCases(parsed),
        handler: sphinxCommandVector,
      });
    else if (isAezVectorFile(parsed))
      contentFiles.push({
        kind: 'cases',
        file,
        format: 'sprp-aez',
        cases: parsed.vectors,
        handler: aezVector,
      });
    // Documentation (README.md, PROVENANCE.md) sits beside vectors; anything else that is
    // not JSON is named, so that a wrong folder is seen for what it is.
    else if (!entry.name.endsWith('.json'))
      out.push({ kind: 'unknown', file, what: 'not a vector file', cases: 0 });
  }
  out.push(...noiseFiles, ...contentFiles);
  const byContent = new Set([...noiseFiles, ...contentFiles].map(({ file }) => file));
  const files = entries
    .map((e) => e.name)
    .filter((name) => name.endsWith('.json') && !byContent.has(name))
    .sort();
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
      out.push(
        Object.hasOwn(handlers, file)
          ? { kind: 'unreadable', file, why: `unreadable: ${describeError(error)}` }
          : { kind: 'unknown', file, what: 'not a vector file', cases: 0 },
      );
      continue;
    }
    const handler = Object.hasOwn(handlers, file) ? handlers[file] : undefined;
    out.push(
      handler
        ? { kind: 'cases', file, format: 'whisper-v6', cases, handler }
        : {
            kind: 'unknown',
            file,
            what: 'not a vector file this runner knows',
            cases: cases.length,
          },
    );
  }
  return out;
}

/**
 * A vector case's name as reports show it: its `name` (or Noise `protocol_name`).
 *
 * @throws nothing
 */
export function vectorCaseName(c: VectorCase | null | undefined): string {
  const label = c?.name ?? c?.protocol_name;
  return typeof label === 'string' ? label : '(unnamed)';
}

/** What checking one vector case came to. */
export type VectorVerdict =
  | { readonly status: 'pass' }
  | { readonly status: 'skip'; readonly why: string }
  | { readonly status: 'fail'; readonly error: unknown };

/**
 * Checks one case with its handler: a handler that returns a reason skips it, one that
 * throws or rejects fails it (with the error), one that resolves passes it.
 *
 * @throws nothing: every error of the handler is the verdict's
 */
export async function checkVectorCase(
  handler: CaseHandler,
  c: VectorCase | null | undefined,
): Promise<VectorVerdict> {
  let outcome: Promise<void> | string;
  try {
    outcome = handler(c ?? {});
  } catch (error) {
    return { status: 'fail', error };
  }
  if (typeof outcome === 'string') return { status: 'skip', why: outcome };
  try {
    await outcome;
    return { status: 'pass' };
  } catch (error) {
    return { status: 'fail', error };
  }
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
  for (const vectorFile of await readVectorFiles(dir, backend)) {
    if (vectorFile.kind === 'cases')
      await runCases(vectorFile.file, vectorFile.cases, vectorFile.handler, emit);
    else if (vectorFile.kind === 'unreadable')
      emit({
        kind: 'case',
        file: vectorFile.file,
        index: 0,
        name: '(file)',
        verdict: { ok: false, reason: vectorFile.why },
      });
    else
      emit({ kind: 'skip', file: vectorFile.file, what: vectorFile.what, cases: vectorFile.cases });
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
    const name = vectorCaseName(c);
    const verdict = await checkVectorCase(handler, c);
    if (verdict.status === 'skip') skipped.set(verdict.why, (skipped.get(verdict.why) ?? 0) + 1);
    else
      emit({
        kind: 'case',
        file,
        index,
        name,
        verdict:
          verdict.status === 'pass'
            ? { ok: true }
            : { ok: false, reason: describeError(verdict.error) },
      });
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
