/**
 * Verdicts and the report the runner prints: one line per case, a line per skipped file or
 * layer, and the closing `N passed, N failed` line that CI reads.
 */

/** The outcome of one vector case. */
export type Verdict = { ok: true } | { ok: false; reason: string };

/** A line of the report. */
export type ReportLine =
  | { kind: 'case'; file: string; index: number; name: string; verdict: Verdict }
  | { kind: 'skip'; file: string; what: string; cases: number };

/** Totals of a run. */
export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

/** Formats one report line. */
export function formatLine(line: ReportLine): string {
  if (line.kind === 'skip') return `skip ${line.file}: ${line.what} (${line.cases} cases)`;
  const label = `${line.file} #${line.index} ${line.name}`;
  return line.verdict.ok ? `ok   ${label}` : `FAIL ${label}: ${line.verdict.reason}`;
}

/** Sums a run's lines. */
export function totals(lines: readonly ReportLine[]): Totals {
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const line of lines) {
    if (line.kind === 'skip') t.skipped += line.cases;
    else if (line.verdict.ok) t.passed++;
    else t.failed++;
  }
  return t;
}

/** The closing line. */
export function formatTotals(t: Totals): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}
