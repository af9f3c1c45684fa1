/**
 * The NAT matrix (issue 13 item 4): for every unordered pair of NAT types, two contact
 * processes behind their NATs connect (WebRTC when ICE gets through, else the relay), run the
 * direct Noise link and exchange a message both ways. Pairs run in parallel, each in its own
 * subnets. Run as root: `pnpm --filter @hush/nat-matrix matrix`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
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
  unsupported,
} from './netns.js';

/** One pair's outcome. */
export interface PairResult {
  readonly a: NatType;
  readonly b: NatType;
  readonly ok: boolean;
  readonly path: 'webrtc' | 'relay' | 'websocket' | undefined;
  readonly firstAttempt: boolean;
  readonly ms: number;
  readonly error?: string;
}

const here = import.meta.dirname;
const children: ChildProcess[] = [];

function start(
  namespace: string,
  script: string,
  args: string[],
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
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: join(here, '..') },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
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
 * Builds the network, runs every pair, tears the network down (also on failure).
 *
 * @throws Error when not root or `ip`/`iptables` are missing, saying which
 */
export async function runMatrix(
  options: { connectTimeoutMs?: number } = {},
): Promise<PairResult[]> {
  const why = unsupported();
  if (why) throw new Error(why);
  cleanup();
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
    const pairs = natPairs();
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
        };
        const env = (role: 'offer' | 'answer', me: number) => ({
          HUSH_CONTACT: JSON.stringify({
            ...common,
            role,
            key: Buffer.from(keys[me]!).toString('hex'),
            peer: pub[1 - me],
          }),
        });
        const answerer = start(answerSite.contact, 'contact.ts', [], env('answer', 1));
        const offerer = start(offerSite.contact, 'contact.ts', [], env('offer', 0));
        const [o, r] = await Promise.all([offerer.firstLine, answerer.firstLine]);
        offerer.child.kill('SIGKILL');
        answerer.child.kill('SIGKILL');
        const ok = o.ok === true && r.ok === true && o.path === r.path;
        return {
          a,
          b,
          ok,
          path: o.path as PairResult['path'],
          firstAttempt: o.attempts === 1,
          ms: Number(o.ms ?? 0),
          ...(ok ? {} : { error: String(o.error ?? r.error ?? `paths ${o.path}/${r.path}`) }),
        };
      }),
    );
  } finally {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    cleanup();
  }
}

/** The table the matrix prints, with libp2p's anchor beside it. */
export function formatTable(results: readonly PairResult[]): string {
  const rows = results.map(
    (r) =>
      `${`${r.a} ↔ ${r.b}`.padEnd(42)} ${(r.ok ? 'connected' : 'FAILED').padEnd(10)} ${(r.path ?? '-').padEnd(7)} ${(r.firstAttempt ? 'yes' : 'no').padEnd(14)} ${(r.ms / 1000).toFixed(1)} s${r.error ? `  ${r.error.slice(0, 120)}` : ''}`,
  );
  const nonSymmetric = results.filter((r) => r.a !== 'symmetric' && r.b !== 'symmetric');
  const direct = results.filter((r) => r.ok && r.path === 'webrtc');
  const punched = nonSymmetric.filter((r) => r.ok && r.path === 'webrtc').length;
  const first = results.filter((r) => r.ok && r.firstAttempt).length;
  const connected = results.filter((r) => r.ok).length;
  return [
    `${'pair (offerer ↔ answerer)'.padEnd(42)} ${'result'.padEnd(10)} ${'path'.padEnd(7)} ${'first attempt'.padEnd(14)} time`,
    ...rows,
    '',
    `connected ${connected}/${results.length}; direct (WebRTC) ${direct.length}, relayed ${results.filter((r) => r.ok && r.path === 'relay').length}`,
    `hole punched: ${punched}/${nonSymmetric.length} non-symmetric pairs (${((100 * punched) / Math.max(1, nonSymmetric.length)).toFixed(0)} %); first-attempt success ${first}/${connected} (${((100 * first) / Math.max(1, connected)).toFixed(1)} %)`,
    'anchor: libp2p DCUtR: ~70 % of non-symmetric pairs hole-punch, 97.6 % of successes on the first attempt',
  ].join('\n');
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const results = await runMatrix();
  console.log(formatTable(results));
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
