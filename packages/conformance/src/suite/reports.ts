/**
 * The reports of a suite run: a terminal line per case and the totals line, JUnit XML for CI,
 * and a self-contained HTML page (inline CSS, no external assets) grouped by spec section with
 * expected and actual side by side and a link to each section's heading.
 */
import type { CaseResult, Profile, SuiteTotals } from './model.js';
import { suiteTotals } from './model.js';

/** Formats a value for a report: JSON, strings as they are. */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(absent)';
  try {
    return JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
  } catch {
    return String(value);
  }
}

/**
 * One terminal line: `ok`, `FAIL`, `skip` or `CRASH`, the section, id and title, and why. What
 * the implementation answered is in it with its control characters escaped (`\n` as `\x0a`,
 * ANSI escapes as `\x1b`): a node cannot forge a line of the report or colour the terminal.
 */
export function formatCaseLine(r: CaseResult): string {
  const label = `${r.spec} ${r.section} ${r.id}: ${r.title}`;
  const o = r.outcome;
  switch (o.status) {
    case 'pass':
      // A passing case may say what it found (the node's clock offset): shown, escaped.
      return o.note ? `ok    ${label}: ${terminalSafe(o.note)}` : `ok    ${label}`;
    case 'fail':
      return `FAIL  ${label}: ${terminalSafe(`${o.message}: expected ${show(o.expected)}, got ${show(o.actual)}`)}`;
    case 'skip':
      return `skip  ${label}: ${terminalSafe(o.why)}`;
    case 'crashed':
      return `CRASH ${label}: ${terminalSafe(o.why)}`;
  }
}

/** Control characters as `\xNN`. */
function terminalSafe(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
    /[\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** `N passed, N failed, N skipped, N crashed`. */
export function formatSuiteTotals(t: SuiteTotals): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped, ${t.crashed} crashed`;
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Escapes text for XML and HTML element content, dropping characters XML 1.0 cannot hold. A
 * carriage return is written `&#13;`: a parser turns a literal one (and CR LF) into LF.
 *
 * @throws nothing
 */
export function escapeXml(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML forbids
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c] ?? `&#${c.charCodeAt(0)};`)
  );
}

/**
 * Escapes text for an XML attribute value: as {@link escapeXml}, and newlines and tabs as
 * `&#10;` and `&#9;`, which a parser would otherwise normalise to spaces (XML 1.0 §3.3.3), so
 * that a multi-line message survives as an attribute.
 *
 * @throws nothing
 */
export function escapeXmlAttribute(text: string): string {
  return escapeXml(text).replace(/[\n\t]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ReportMeta {
  /** What was tested, e.g. the URL. */
  readonly target: string;
  readonly profile?: Profile;
  /** When the run started (ISO 8601). */
  readonly started: string;
}

/** JUnit XML: a testsuite per spec section, a testcase per case. */
export function junitXml(results: readonly CaseResult[], meta: ReportMeta): string {
  const t = suiteTotals(results);
  const bySection = groupBy(results, (r) => `${r.spec} ${r.section}`);
  const suites = [...bySection].map(([name, cases]) => {
    const s = suiteTotals(cases);
    const time = cases.reduce((sum, c) => sum + c.ms, 0) / 1000;
    const body = cases.map((c) => {
      const o = c.outcome;
      const open = `    <testcase classname="${escapeXmlAttribute(name)}" name="${escapeXmlAttribute(`${c.id}: ${c.title}`)}" time="${(c.ms / 1000).toFixed(3)}"`;
      if (o.status === 'pass')
        return o.note
          ? `${open}>\n      <system-out>${escapeXml(o.note)}</system-out>\n    </testcase>`
          : `${open}/>`;
      const inner =
        o.status === 'fail'
          ? `<failure message="${escapeXmlAttribute(o.message)}" type="mismatch">${escapeXml(`expected: ${show(o.expected)}\nactual: ${show(o.actual)}`)}</failure>`
          : o.status === 'skip'
            ? `<skipped message="${escapeXmlAttribute(o.why)}"/>`
            : `<error message="${escapeXmlAttribute(o.why)}" type="crashed">${escapeXml(o.why)}</error>`;
      return `${open}>\n      ${inner}\n    </testcase>`;
    });
    return [
      `  <testsuite name="${escapeXmlAttribute(name)}" tests="${cases.length}" failures="${s.failed}" errors="${s.crashed}" skipped="${s.skipped}" time="${time.toFixed(3)}" timestamp="${escapeXmlAttribute(meta.started)}">`,
      ...body,
      '  </testsuite>',
    ].join('\n');
  });
  const time = results.reduce((sum, c) => sum + c.ms, 0) / 1000;
  const name = `hush-conformance ${meta.target}${meta.profile ? ` --profile ${meta.profile}` : ''}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXmlAttribute(name)}" tests="${results.length}" failures="${t.failed}" errors="${t.crashed}" skipped="${t.skipped}" time="${time.toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k) ?? [];
    list.push(item);
    map.set(k, list);
  }
  return map;
}

/** GitHub's anchor for a Markdown heading's text. */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A spec of the HTML report: its name, its numbered headings, where it is. */
export interface ReportSpec {
  readonly spec: string;
  readonly sections: readonly { section: string; title: string }[];
  /** A URL or a path relative to the HTML file, of the spec file (its headings are anchors). */
  readonly href: string;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin:1.2em 0 .4em}a{color:#0550ae}
.totals span{margin-right:1em;font-weight:600}
table{border-collapse:collapse;width:100%;margin-bottom:.5em;table-layout:fixed}
col.s{width:6em}col.c{width:30%}col.w{width:18%}
td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4}td.v{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all;width:28%}
.pass{color:#116329}.fail{color:#b3261e;font-weight:600}.skip{color:#777}.crashed{color:#b3261e;font-weight:600}.totals .crashed.some,td.crashed{color:#fff;background:#b3261e}
.tally{font-weight:normal;color:#555;font-size:.9em;margin-left:.6em}
.none{color:#999;font-style:italic}`;

/**
 * The HTML report: every section of every spec given (those without a case say so), each with
 * its cases, their status, and expected against actual for a failure.
 */
export function htmlReport(
  results: readonly CaseResult[],
  meta: ReportMeta,
  specs: readonly ReportSpec[],
): string {
  const t = suiteTotals(results);
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>hush-conformance: ${escapeXml(meta.target)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>hush-conformance: ${escapeXml(meta.target)}</h1>`,
    `<p>profile: ${escapeXml(meta.profile ?? '(none: only the cases common to every profile)')} · started ${escapeXml(meta.started)}</p>`,
    `<p class="totals"><span class="pass">${t.passed} passed</span><span class="fail">${t.failed} failed</span><span class="skip">${t.skipped} skipped</span><span class="crashed${t.crashed > 0 ? ' some' : ''}">${t.crashed} crashed</span></p>`,
  ];
  const known = new Set<string>();
  for (const spec of specs) {
    out.push(`<h2 id="${escapeXml(spec.spec)}">${escapeXml(spec.spec)}</h2>`);
    for (const { section, title } of spec.sections) {
      known.add(`${spec.spec} ${section}`);
      const anchor = githubAnchor(`${section} ${title}`);
      const cases = results.filter((r) => r.spec === spec.spec && r.section === section);
      out.push(
        `<h3 id="${escapeXml(`${spec.spec}-${anchor}`)}" data-section="${escapeXml(section)}"><a href="${escapeXml(`${spec.href}#${anchor}`)}">${escapeXml(`${section} ${title}`)}</a>${tally(cases)}</h3>`,
      );
      out.push(cases.length === 0 ? '<p class="none">no case in this run</p>' : caseTable(cases));
    }
  }
  const stray = results.filter((r) => !known.has(`${r.spec} ${r.section}`));
  if (stray.length > 0) out.push('<h2>Cases of sections not listed</h2>', caseTable(stray));
  out.push('</body></html>', '');
  return out.join('\n');
}

function tally(cases: readonly CaseResult[]): string {
  if (cases.length === 0) return '';
  const t = suiteTotals(cases);
  const parts = (['passed', 'failed', 'skipped', 'crashed'] as const)
    .filter((k) => t[k] > 0)
    .map((k) => `${t[k]} ${k}`);
  return `<span class="tally">${parts.join(' · ')}</span>`;
}

function caseTable(cases: readonly CaseResult[]): string {
  const rows = cases.map((c) => {
    const o = c.outcome;
    const status = `<td class="${o.status}">${o.status}</td>`;
    const id = `<td>${escapeXml(c.id)}<br>${escapeXml(c.title)}${c.profiles ? `<br><small>profile ${escapeXml(c.profiles.join(', '))}</small>` : ''}</td>`;
    if (o.status === 'fail')
      return `<tr>${status}${id}<td>${escapeXml(o.message)}</td><td class="v">${escapeXml(show(o.expected))}</td><td class="v">${escapeXml(show(o.actual))}</td></tr>`;
    const why = o.status === 'skip' || o.status === 'crashed' ? o.why : (o.note ?? '');
    return `<tr>${status}${id}<td>${escapeXml(why)}</td><td class="v"></td><td class="v"></td></tr>`;
  });
  return `<table><colgroup><col class="s"><col class="c"><col class="w"><col><col></colgroup><tr><th>status</th><th>case</th><th>why</th><th>expected</th><th>actual</th></tr>\n${rows.join('\n')}\n</table>`;
}
