#!/usr/bin/env node
/**
 * hush-conformance: runs Whisper v6 vector files against Hush, or re-emits them with Hush.
 *
 *   hush-conformance vectors DIR [--quiet] [--backend native|noble]
 *   hush-conformance emit DIR --out OUT [--backend native|noble]
 *
 * Exit status 0 only when at least one case ran and none failed; 1 on failures or when the
 * folder held no vector file the runner knows; 2 for a usage error.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CryptoBackend, defaultBackend, nobleBackend } from '@hush/crypto';
import { emitVectors } from './emit.js';
import { formatLine, formatTotals, totals } from './report.js';
import { checkedNothing, knownVectorFiles, runVectors } from './runner.js';

const usage = `usage: hush-conformance vectors DIR [--quiet] [--backend native|noble]
       hush-conformance emit DIR --out OUT [--backend native|noble]

  vectors DIR     run every vector file in DIR (specs/whisper-v6/vectors schema): a line per
                  case, then "N passed, N failed, N skipped"; fails when DIR holds no
                  vector file it knows, naming the files it did not recognise
  emit DIR        re-seal every reproducible case of DIR with Hush and write files of the
                  same schema to OUT
  --quiet         print only failures, skips and the totals
  --backend       crypto backend: native (Node default) or noble (pure JS, as in browsers)`;

class UsageError extends Error {}

function chooseBackend(name: string | undefined): CryptoBackend {
  if (name === undefined || name === 'native') return defaultBackend;
  if (name === 'noble') return nobleBackend;
  throw new UsageError(`unknown backend ${name}`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quiet: { type: 'boolean', default: false },
      out: { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [command, dir] = positionals;
  const base = process.env.INIT_CWD || process.cwd();
  const backend = chooseBackend(values.backend);
  if (command === 'vectors' && dir && positionals.length === 2) {
    const lines = await runVectors(
      resolve(base, dir),
      (line) => {
        if (!values.quiet || line.kind === 'skip' || !line.verdict.ok)
          console.log(formatLine(line));
      },
      backend,
    );
    const t = totals(lines);
    console.log(formatTotals(t));
    const nothing = checkedNothing(lines, knownVectorFiles());
    if (nothing) {
      console.error(`hush-conformance: ${dir}: ${nothing}`);
      return 1;
    }
    return t.failed === 0 ? 0 : 1;
  }
  if (command === 'emit' && dir && positionals.length === 2 && values.out) {
    const out = resolve(base, values.out);
    await emitVectors(resolve(base, dir), out, {
      backend,
      onFile: (f) =>
        console.log(
          `wrote ${f.file}: ${f.cases} cases, ${f.reproduced} with the recorded randomness`,
        ),
    });
    console.log(`re-emitted vectors are in ${out}`);
    return 0;
  }
  throw new UsageError('bad arguments');
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
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`hush-conformance: ${(error as Error).message}\n${usage}`);
    } else {
      console.error(`hush-conformance: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exitCode = 2;
  },
);
