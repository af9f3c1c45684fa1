#!/usr/bin/env node
/**
 * hush-conformance: runs Whisper v6 vector files against Hush.
 *
 *   hush-conformance vectors DIR     one line per case, then `N passed, N failed`
 *
 * Exit status 0 only when no case failed; 2 for a usage error.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatLine, formatTotals, totals } from './report.js';
import { runVectors } from './runner.js';

const usage = `usage: hush-conformance vectors DIR [--quiet]

  vectors DIR   run every vector file in DIR (specs/whisper-v6/vectors schema)
  --quiet       print only failures, skips and the totals`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [command, dir] = positionals;
  if (command !== 'vectors' || !dir || positionals.length > 2) {
    console.error(usage);
    return 2;
  }
  const base = process.env.INIT_CWD ?? process.cwd();
  const lines = await runVectors(resolve(base, dir), (line) => {
    if (!values.quiet || line.kind === 'skip' || !line.verdict.ok) console.log(formatLine(line));
  });
  const t = totals(lines);
  console.log(formatTotals(t));
  return t.failed === 0 ? 0 : 1;
}

// A reader that stops early (`| head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`hush-conformance: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
