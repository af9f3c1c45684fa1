/**
 * Runs every vector file of a directory (the specs/whisper-v6/vectors schema) through the
 * Hush packages: one verdict per case; files and layers Hush does not handle yet are reported
 * as skipped, never silently passed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import { wireClock } from './checks/gossip.js';
import { createHandlers } from './checks/index.js';
import type { VectorCase } from './checks/types.js';
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
  const files = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
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
      emit({ kind: 'skip', file, what: 'file not handled yet', cases: cases.length });
      continue;
    }
    const skipped = new Map<string, number>();
    for (const [index, c] of cases.entries()) {
      const name = typeof c?.name === 'string' ? c.name : '(unnamed)';
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
  return lines;
}
