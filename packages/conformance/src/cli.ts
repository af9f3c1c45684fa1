#!/usr/bin/env node
/**
 * hush-conformance: runs Whisper v6 vector files against Hush, or re-emits them with Hush; runs
 * every spec of specs/ in-process; runs the RPC, peer and mailserver suites against a node.
 *
 *   hush-conformance vectors DIR [--quiet] [--backend native|noble]
 *   hush-conformance inprocess [SPECS_DIR] [--junit FILE] [--html FILE] [--only TEXT]... [--quiet] [--backend native|noble]
 *   hush-conformance emit DIR --out OUT [--backend native|noble]
 *   hush-conformance rpc URL [--profile hush|geth-1.8.27] [--junit FILE] [--html FILE] [--quiet]
 *   hush-conformance peer ADDRESS [--profile hush|geth-1.8.27] [--junit FILE] [--html FILE] [--quiet]
 *   hush-conformance mailserver ADDRESS [--rpc URL] [--password P] [--profile hush] [--junit FILE] [--html FILE] [--quiet]
 *
 * Exit status 0 only when at least one case ran and none failed (nor crashed); 1 on failures,
 * crashes or when nothing ran; 2 for a usage error.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type CryptoBackend, defaultBackend, nobleBackend } from '@hush/crypto';
import { emitVectors } from './emit.js';
import { IN_PROCESS_SPECS } from './inprocess/sections.js';
import { VECTOR_SPECS } from './inprocess/vector-suite.js';
import { MAILSERVER_SPECS, runMailserverSuite } from './peer/run-mailserver.js';
import { PEER_SPECS, runPeerSuite } from './peer/run-peer.js';
import { formatLine, formatTotals, totals } from './report.js';
import { checkedNothing, knownVectorFiles, runVectors } from './runner.js';
import { type CaseResult, PROFILES, type Profile, suiteTotals } from './suite/model.js';
import {
  formatCaseLine,
  formatSuiteTotals,
  htmlReport,
  junitXml,
  type ReportMeta,
  type ReportSpec,
} from './suite/reports.js';
import { RPC_SPECS, runRpcSuite } from './suite/run-rpc.js';

const usage = `usage: hush-conformance vectors DIR [--quiet] [--backend native|noble]
       hush-conformance inprocess [SPECS_DIR] [--junit FILE] [--html FILE] [--only TEXT]...
                            [--quiet] [--backend native|noble]
       hush-conformance emit DIR --out OUT [--backend native|noble]
       hush-conformance rpc URL [--profile hush|geth-1.8.27] [--junit FILE] [--html FILE]
                            [--quiet] [--timeout MS] [--only TEXT]... [--origin ORIGIN]
       hush-conformance peer ADDRESS [--profile hush|geth-1.8.27] [--junit FILE] [--html FILE]
                            [--quiet] [--timeout MS] [--only TEXT]...
       hush-conformance mailserver ADDRESS [--rpc URL] [--password P] [--profile hush]
                            [--junit FILE] [--html FILE] [--quiet] [--timeout MS] [--only TEXT]...

  vectors DIR     run every vector file in DIR (specs/whisper-v6/vectors schema): a line per
                  case, then "N passed, N failed, N skipped"; fails when DIR holds no
                  vector file it knows, naming the files it did not recognise
  inprocess [SPECS_DIR]  run every spec of SPECS_DIR (default: the repo's specs/) against the
                  Hush packages in this process: the vector files of whisper-v6, noise and
                  mixnet-sphinx (a case per vector) and the cases of noise, inbox-dht and
                  transport-direct written against their public APIs, each by spec
                  section: a line per case, then "N passed, N failed, N skipped, N crashed"
  emit DIR        re-seal every reproducible case of DIR with Hush and write files of the
                  same schema to OUT
  rpc URL         run the JSON-RPC suites (specs/shh-rpc) against the node at URL
                  (http://… or ws://…; subscriptions need ws://): a line per case, then
                  "N passed, N failed, N skipped, N crashed"
  peer ADDRESS    run the peer suite (specs/whisper-v6 §6–§7: handshake, message loop,
                  relaying) as raw Whisper peers of the node at ADDRESS: its Noise peer
                  address ws://host:port#<64 hex> as hush start prints it, or its enode://
                  URL (RLPx: geth, or hush start --rlpx); the node's clock is measured
  mailserver ADDRESS  run the mailserver suite (specs/mailserver: requests, windows, bloom,
                  pages and cursors, refusals) as raw peers of the history-serving node at
                  ADDRESS (as peer); --rpc URL is the same node's JSON-RPC (for shh_post),
                  --password its mailserver password (default status-offline-inbox)
  --profile       also run the cases of a profile: where implementations knowingly differ
                  (specs/shh-rpc/SPEC.md §8); without it only the common cases run
  --junit FILE    write a JUnit XML report
  --html FILE     write a self-contained HTML report, by spec section
  --timeout MS    longest wait for one answer (default 10000): no answer is a crash
  --origin        the Origin of the WebSocket handshake (default http://localhost, as
                  geth's Go client; "" for none)
  --only TEXT     run only the cases whose id contains TEXT (repeatable)
  --quiet         print only failures, skips, crashes and the totals
  --backend       crypto backend: native (Node default) or noble (pure JS, as in browsers)`;

class UsageError extends Error {}

/** The options each command takes (beyond --help). */
const SUITE_OPTIONS = ['quiet', 'profile', 'junit', 'html', 'timeout', 'only'];
const OPTIONS_OF = {
  vectors: ['quiet', 'backend'],
  inprocess: ['quiet', 'junit', 'html', 'only', 'backend'],
  emit: ['out', 'backend'],
  rpc: [...SUITE_OPTIONS, 'origin'],
  peer: SUITE_OPTIONS,
  mailserver: [...SUITE_OPTIONS, 'rpc', 'password'],
} as const satisfies Record<string, readonly string[]>;

/** The longest --timeout: ten minutes (a timer cannot hold more than 2³¹ − 1 ms anyway). */
const MAX_TIMEOUT_MS = 600_000;

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
      profile: { type: 'string' },
      junit: { type: 'string' },
      html: { type: 'string' },
      timeout: { type: 'string' },
      only: { type: 'string', multiple: true },
      origin: { type: 'string' },
      rpc: { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [command, dir] = positionals;
  const base = process.env.INIT_CWD || process.cwd();
  // An option a command does not take is a usage error, not silently ignored.
  const allowed = OPTIONS_OF[command as keyof typeof OPTIONS_OF];
  if (allowed)
    for (const [name, value] of Object.entries(values))
      if (value !== undefined && name !== 'help' && !(name === 'quiet' && value === false))
        if (!(allowed as readonly string[]).includes(name))
          throw new UsageError(`${command} takes no --${name}`);
  if (command === 'rpc' && dir && positionals.length === 2) {
    return suiteCommand('rpc', dir, base, values);
  }
  if (command === 'peer' && dir && positionals.length === 2) {
    return suiteCommand('peer', dir, base, values);
  }
  if (command === 'mailserver' && dir && positionals.length === 2) {
    return suiteCommand('mailserver', dir, base, values);
  }
  const backend = chooseBackend(values.backend);
  if (command === 'inprocess' && positionals.length <= 2) {
    return inProcessCommand(dir, base, backend, values);
  }
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

/** The repo's specs/ folder, when the package runs from its checkout. */
function specsFolder(): string | undefined {
  const folder = fileURLToPath(new URL('../../../specs/', import.meta.url));
  return existsSync(folder) ? folder : undefined;
}

/**
 * `rpc URL`, `peer ADDRESS` and `mailserver ADDRESS`: a suite's run, its terminal lines, JUnit
 * and HTML reports.
 */
async function suiteCommand(
  adapter: 'rpc' | 'peer' | 'mailserver',
  url: string,
  base: string,
  values: {
    profile?: string | undefined;
    junit?: string | undefined;
    html?: string | undefined;
    timeout?: string | undefined;
    only?: string[] | undefined;
    origin?: string | undefined;
    rpc?: string | undefined;
    password?: string | undefined;
    quiet?: boolean | undefined;
  },
): Promise<number> {
  const profile = values.profile as Profile | undefined;
  if (profile !== undefined && !PROFILES.includes(profile))
    throw new UsageError(`unknown profile ${profile} (${PROFILES.join(', ')})`);
  // The mailserver suite has Hush's profile only (specs/mailserver §8.1 names Status's ways).
  if (adapter === 'mailserver' && profile !== undefined && profile !== 'hush')
    throw new UsageError(`mailserver has no profile ${profile} (only hush)`);
  if (
    adapter !== 'rpc' &&
    !/^wss?:\/\/[^#\s]+#[0-9a-fA-F]{64}$/.test(url) &&
    !/^enode:\/\/[0-9a-fA-F]{128}@[^\s@]+:\d+(\?discport=\d+)?$/.test(url)
  )
    throw new UsageError(
      `${adapter} takes a peer address ws://host:port#<64 hex digits of its Noise static key> or an enode://<128 hex>@host:port URL (RLPx), not ${url}`,
    );
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (
    timeoutMs !== undefined &&
    !(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)
  )
    throw new UsageError(`--timeout takes a whole number of milliseconds in 1 … ${MAX_TIMEOUT_MS}`);
  try {
    new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (adapter !== 'rpc' && values.origin !== undefined)
    throw new UsageError('--origin is for rpc over ws://');
  if (adapter !== 'mailserver' && (values.rpc !== undefined || values.password !== undefined))
    throw new UsageError('--rpc and --password are for mailserver');
  if (values.rpc !== undefined) {
    try {
      new URL(values.rpc);
    } catch {
      throw new UsageError(`not a URL: ${values.rpc}`);
    }
  }
  const started = new Date().toISOString();
  const common = {
    ...(profile ? { profile } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(values.only ? { only: values.only } : {}),
    onResult: (r: Parameters<typeof formatCaseLine>[0]) => {
      if (!values.quiet || r.outcome.status !== 'pass') console.log(formatCaseLine(r));
    },
  };
  const results =
    adapter === 'rpc'
      ? await runRpcSuite(url, {
          ...common,
          ...(values.origin !== undefined ? { origin: values.origin } : {}),
        })
      : adapter === 'peer'
        ? await runPeerSuite(url, common)
        : await runMailserverSuite(url, values.rpc, {
            ...common,
            ...(values.password !== undefined ? { password: values.password } : {}),
          });
  const meta = { target: url, ...(profile ? { profile } : {}), started };
  const suiteSpecs =
    adapter === 'rpc' ? RPC_SPECS : adapter === 'peer' ? PEER_SPECS : MAILSERVER_SPECS;
  return finishSuite(results, meta, suiteSpecs, specsFolder(), base, values);
}

/**
 * The end of a suite command: the totals line, the JUnit and HTML reports asked for, and the
 * exit status (0 only when at least one case ran and none failed or crashed). The HTML links
 * each section to `specs/<spec>/SPEC.md`, relative to the HTML file when `specs` is known.
 */
function finishSuite(
  results: readonly CaseResult[],
  meta: ReportMeta,
  suiteSpecs: readonly { spec: string; sections: ReportSpec['sections'] }[],
  specs: string | undefined,
  base: string,
  values: { junit?: string | undefined; html?: string | undefined },
): number {
  const t = suiteTotals(results);
  console.log(formatSuiteTotals(t));
  if (values.junit) {
    const file = resolve(base, values.junit);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, junitXml(results, meta));
  }
  if (values.html) {
    const file = resolve(base, values.html);
    mkdirSync(dirname(file), { recursive: true });
    const reportSpecs: ReportSpec[] = suiteSpecs.map(({ spec, sections }) => ({
      spec,
      sections,
      href: specs
        ? relative(dirname(file), resolve(specs, spec, 'SPEC.md'))
            .split('\\')
            .join('/')
        : `specs/${spec}/SPEC.md`,
    }));
    writeFileSync(file, htmlReport(results, meta, reportSpecs));
  }
  const ran = t.passed + t.failed + t.crashed;
  return ran > 0 && t.failed === 0 && t.crashed === 0 ? 0 : 1;
}

/**
 * `inprocess [SPECS_DIR]`: the in-process suite over a specs folder (default the repo's),
 * its terminal lines, JUnit and HTML reports. A folder that holds none of the vectors folders
 * is not a specs folder: the run is refused (exit status 1), naming what was looked for.
 */
async function inProcessCommand(
  dir: string | undefined,
  base: string,
  backend: CryptoBackend,
  values: {
    junit?: string | undefined;
    html?: string | undefined;
    only?: string[] | undefined;
    quiet?: boolean | undefined;
  },
): Promise<number> {
  const folder = dir === undefined ? specsFolder() : dir;
  const specs = folder === undefined ? undefined : resolve(base, folder);
  if (specs === undefined)
    throw new UsageError(
      'inprocess: give SPECS_DIR (no specs/ folder beside this package: not run from the repository)',
    );
  if (!existsSync(specs)) throw new UsageError(`inprocess: no folder ${specs}`);
  // Loaded here: the other commands need none of the packages the in-process cases drive.
  const { runInProcessSuite, vectorFoldersIn } = await import('./inprocess/run-inprocess.js');
  if (vectorFoldersIn(specs).length === 0) {
    console.error(
      `hush-conformance: ${dir ?? specs}: not a specs folder: it holds none of ${VECTOR_SPECS.map((spec) => join(spec, 'vectors')).join(', ')}`,
    );
    return 1;
  }
  const started = new Date().toISOString();
  const results = await runInProcessSuite(specs, {
    backend,
    ...(values.only ? { only: values.only } : {}),
    onResult: (r) => {
      if (!values.quiet || r.outcome.status !== 'pass') console.log(formatCaseLine(r));
    },
  });
  const meta = { target: `in-process ${specs} (backend ${backend.name})`, started };
  return finishSuite(results, meta, IN_PROCESS_SPECS, specs, base, values);
}

// A reader that stops early (`| head`) is not an error of ours: printing stops, the run goes
// on, its reports are written and its exit status is the run's.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') return;
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
