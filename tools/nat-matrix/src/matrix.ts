/**
 * The NAT matrix (issue 13 item 4): for every unordered pair of NAT types, two contact
 * processes behind their NATs connect (WebRTC when ICE gets through, else the relay), run the
 * direct Noise link and exchange a message both ways. Pairs run in parallel, each in its own
 * subnets. Run as root: `pnpm --filter @hush/nat-matrix matrix`.
 *
 * Environment: HUSH_NAT_PAIRS picks pairs (`full-cone:symmetric*3,port-restricted:port-restricted`:
 * offerer type, answerer type, times), HUSH_NAT_LOG=<folder> writes each contact's log there
 * (the connector's decisions and libdatachannel's log at HUSH_NAT_LOG_LEVEL, default Info).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes, secp256k1Identity } from '@hush/crypto';
import {
  buildInternet,
  buildSite,
  cleanup,
  INTERNET,
  NAT_TYPES,
  type NatType,
  type Site,
  unsupported,
} from './netns.js';

/** One pair's outcome. */
export interface PairResult {
  readonly a: NatType;
  readonly b: NatType;
  readonly ok: boolean;
  readonly path: 'webrtc' | 'relay' | 'websocket' | undefined;
  /** WebRTC offers the dialer made (0 when it never tried). */
  readonly webrtcAttempts: number;
  /** Direct, and by the first WebRTC offer (what DCUtR's "first attempt" counts). */
  readonly firstAttempt: boolean;
  /** The dialer's connect time, from its first offer to a channel, ms. */
  readonly ms: number;
  readonly error?: string;
}

/** What a matrix run may be told. */
export interface MatrixOptions {
  /** The pairs to run (default every unordered pair of NAT types, `natPairs()`). */
  readonly pairs?: readonly (readonly [NatType, NatType])[];
  /** Each WebRTC attempt's connect timeout (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** WebRTC attempts before the relay (default 2: one retry after a fast failure). */
  readonly webrtcAttempts?: number;
  /** A folder for the contacts' logs (default none). */
  readonly logDir?: string;
}

const here = import.meta.dirname;
const children: ChildProcess[] = [];

function start(
  namespace: string,
  script: string,
  args: string[],
  logFile?: string,
  env: Record<string, string> = {},
) {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      process.execPath,
      '--conditions=@hush/source',
      '--import',
      'tsx',
      join(here, script),
      ...args,
    ],
    {
      env: { ...process.env, ...env, ...(logFile ? { HUSH_NAT_LOG: logFile } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(here, '..'),
    },
  );
  children.push(child);
  let stderr = '';
  const log = logFile ? createWriteStream(logFile) : undefined;
  child.stderr!.on('data', (d: Buffer) => {
    log?.write(d);
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const firstLine = new Promise<Record<string, unknown>>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not ours.
      }
    });
    child.on('exit', (code) =>
      resolve({ ok: false, error: `exited ${code}: ${stderr.slice(-800)}` }),
    );
  });
  return { child, firstLine };
}

/** Every unordered pair of NAT types, the same type twice included: 10. */
export function natPairs(): [NatType, NatType][] {
  const out: [NatType, NatType][] = [];
  for (let i = 0; i < NAT_TYPES.length; i++)
    for (let j = i; j < NAT_TYPES.length; j++) out.push([NAT_TYPES[i]!, NAT_TYPES[j]!]);
  return out;
}

/**
 * Pairs from `a:b*n,c:d` (offerer type, answerer type, times).
 *
 * @throws RangeError naming an unknown NAT type or a bad count
 */
export function parsePairs(spec: string): [NatType, NatType][] {
  return spec.split(',').flatMap((item) => {
    const [pair, times = '1'] = item.trim().split('*');
    const [a, b] = (pair ?? '').split(':') as [NatType, NatType];
    for (const type of [a, b])
      if (!NAT_TYPES.includes(type)) throw new RangeError(`unknown NAT type: ${type}`);
    const n = Number(times);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`bad count: ${times}`);
    return Array.from({ length: n }, (): [NatType, NatType] => [a, b]);
  });
}

/**
 * Builds the network, runs every pair, tears the network down (also on failure).
 *
 * @throws Error when not root or `ip`/`iptables` are missing, saying which
 */
export async function runMatrix(options: MatrixOptions = {}): Promise<PairResult[]> {
  const why = unsupported();
  if (why) throw new Error(why);
  cleanup();
  const logDir = options.logDir;
  if (logDir) mkdirSync(logDir, { recursive: true });
  try {
    buildInternet();
    const infra = start(INTERNET, 'infra.ts', ['0.0.0.0', '100.64.0.1']);
    const ready = (await infra.firstLine) as {
      gossip: string;
      relay: string;
      stun: string;
      error?: string;
    };
    if (!ready.gossip) throw new Error(`the internet's services did not start: ${ready.error}`);
    const pairs = options.pairs ?? natPairs();
    return await Promise.all(
      pairs.map(async ([a, b], i): Promise<PairResult> => {
        const offerSite = buildSite(2 * i + 1, a);
        const answerSite = buildSite(2 * i + 2, b);
        const keys = [randomBytes(32), randomBytes(32)];
        const pub = keys.map((k) => Buffer.from(secp256k1Identity(k).publicKey).toString('hex'));
        const common = {
          gossip: ready.gossip,
          relay: ready.relay,
          stun: ready.stun,
          connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
          webrtcAttempts: options.webrtcAttempts ?? 2,
        };
        const contact = (site: Site, role: 'offer' | 'answer', me: number) =>
          start(
            site.contact,
            'contact.ts',
            [],
            logDir ? join(logDir, `${i}-${a}-${b}-${role}.log`) : undefined,
            {
              HUSH_CONTACT: JSON.stringify({
                ...common,
                role,
                key: Buffer.from(keys[me]!).toString('hex'),
                peer: pub[1 - me],
              }),
            },
          );
        const answerer = contact(answerSite, 'answer', 1);
        const offerer = contact(offerSite, 'offer', 0);
        const [o, r] = await Promise.all([offerer.firstLine, answerer.firstLine]);
        offerer.child.kill('SIGKILL');
        answerer.child.kill('SIGKILL');
        const ok = o.ok === true && r.ok === true && o.path === r.path;
        const path = o.path as PairResult['path'];
        const webrtcAttempts = Number(o.webrtcAttempts ?? 0);
        return {
          a,
          b,
          ok,
          path,
          webrtcAttempts,
          firstAttempt: ok && path === 'webrtc' && webrtcAttempts === 1,
          ms: Number(o.connectMs ?? 0),
          ...(ok ? {} : { error: String(o.error ?? r.error ?? `paths ${o.path}/${r.path}`) }),
        };
      }),
    );
  } finally {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    cleanup();
  }
}

const percent = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(0)} %`;

/** The table the matrix prints, with libp2p's anchor beside it. */
export function formatTable(results: readonly PairResult[]): string {
  const rows = results.map((r) =>
    [
      `${r.a} ↔ ${r.b}`.padEnd(42),
      (r.ok ? 'connected' : 'FAILED').padEnd(10),
      (r.path ?? '-').padEnd(7),
      String(r.webrtcAttempts).padEnd(13),
      (r.path === 'webrtc' ? (r.firstAttempt ? 'yes' : 'no') : '-').padEnd(14),
      `${(r.ms / 1000).toFixed(1)} s${r.error ? `  ${r.error.slice(0, 160)}` : ''}`,
    ].join(' '),
  );
  const nonSymmetric = results.filter((r) => r.a !== 'symmetric' && r.b !== 'symmetric');
  const direct = results.filter((r) => r.ok && r.path === 'webrtc');
  const relayed = results.filter((r) => r.ok && r.path === 'relay');
  const punched = nonSymmetric.filter((r) => r.ok && r.path === 'webrtc').length;
  const first = direct.filter((r) => r.firstAttempt).length;
  const connected = results.filter((r) => r.ok).length;
  return [
    [
      'pair (offerer ↔ answerer)'.padEnd(42),
      'result'.padEnd(10),
      'path'.padEnd(7),
      'webrtc offers'.padEnd(13),
      'first attempt'.padEnd(14),
      'connect',
    ].join(' '),
    ...rows,
    '',
    `connected ${connected}/${results.length}; direct (WebRTC) ${direct.length}, relayed ${relayed.length}`,
    `hole punched: ${punched}/${nonSymmetric.length} non-symmetric pairs (${percent(punched, nonSymmetric.length)}), ${direct.length}/${results.length} of all pairs; direct on the first offer: ${first}/${direct.length} (${percent(first, direct.length)})`,
    'anchor: libp2p DCUtR: ~70 % of non-symmetric pairs hole-punch, 97.6 % of successes on the first attempt',
  ].join('\n');
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const spec = process.env.HUSH_NAT_PAIRS;
  const logDir = process.env.HUSH_NAT_LOG;
  const results = await runMatrix({
    ...(spec ? { pairs: parsePairs(spec) } : {}),
    ...(logDir ? { logDir } : {}),
  });
  console.log(formatTable(results));
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
