/**
 * `pnpm sim mixnet [--clients 100] [--seconds 60] [--delay-ms 500] [--rate 1] [--messages 0.05]
 * [--no-cover] [--fail-at S] [--seed 1] [--trace DIR]`: runs the mixnet simulation (simulation.ts)
 * and prints its figures; with --trace, writes what a global observer sees and the truth to DIR;
 * with --attack, runs the traffic-analysis attack (attack.ts) on gossip (`pnpm sim gossip
 * --trace`, as a child process, with as many nodes as clients and the same seed), on the
 * mixnet without cover and with cover at two rates, and prints its success beside a random
 * guess and the latency.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type AttackReport, attackTrace } from './attack.js';
import { formatReport, simulateMixnet } from './simulation.js';

const USAGE =
  'usage: pnpm sim mixnet [--clients N] [--seconds S] [--delay-ms MS] [--rate R] [--messages R] [--no-cover] [--fail-at S] [--seed N] [--trace DIR] [--attack]';
let parsed: ReturnType<typeof parseArgs>;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      clients: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '60' },
      'delay-ms': { type: 'string', default: '500' },
      rate: { type: 'string', default: '1' },
      messages: { type: 'string', default: '0.05' },
      cover: { type: 'boolean', default: true },
      'fail-at': { type: 'string' },
      seed: { type: 'string', default: '1' },
      trace: { type: 'string' },
      attack: { type: 'boolean', default: false },
    },
    allowNegative: true,
  });
} catch (error) {
  console.error(`sim: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (positionals[0] !== 'mixnet') {
  console.error(USAGE);
  process.exit(2);
}
const number = (name: string, min: number, max: number) => {
  const x = Number(values[name]);
  if (!Number.isFinite(x) || x < min || x > max) {
    console.error(`sim: --${name} must be a number in ${min} … ${max}\n${USAGE}`);
    process.exit(2);
  }
  return x;
};
const rate = number('rate', 0, 100);
if (values.attack) {
  const base = {
    clients: number('clients', 2, 10_000),
    durationMs: number('seconds', 1, 86_400) * 1000,
    meanDelayMs: number('delay-ms', 1, 600_000),
    messageRate: number('messages', 0.0001, 100),
    seed: number('seed', 0, 2 ** 32 - 1),
  };
  const settings = [
    { label: 'mixnet, no cover traffic', cover: false, r: rate },
    { label: `mixnet, Loopix cover ${rate}/s`, cover: true, r: rate },
    { label: `mixnet, Loopix cover ${2 * rate}/s`, cover: true, r: 2 * rate },
  ];
  console.log(
    `traffic analysis by a global observer: ${base.clients} clients, ${base.durationMs / 1000} s, per-hop mean ${base.meanDelayMs} ms (random guess: top-1 ${(100 / (base.clients - 1)).toFixed(1)} %, top-5 ${((500 / (base.clients - 1)) | 0).toFixed(1)} %, entropy ${Math.log2(base.clients - 1).toFixed(2)} bits)`,
  );
  console.log(
    'setting                          top-1     top-5   entropy   latency (mean, in network)',
  );
  const row = (label: string, a: AttackReport, latencyMs: number, detail: string) =>
    console.log(
      `${label.padEnd(30)} ${(100 * a.top1).toFixed(1).padStart(6)} %  ${(100 * a.top5).toFixed(1).padStart(6)} %  ${a.entropy.toFixed(2).padStart(6)} b   ${(latencyMs / 1000).toFixed(2)} s   (${a.messages} messages; ${detail})`,
    );
  // Gossip, one message a transmission cycle (its lightest load), through the repository's
  // own entry point: this package runs no other package's code.
  const gossipDir = mkdtempSync(join(tmpdir(), 'hush-attack-'));
  try {
    const hush = fileURLToPath(new URL('../../../scripts/hush.mjs', import.meta.url));
    const gossip = ['sim', 'gossip', '--nodes', String(base.clients), '--messages', '50'];
    const run = spawnSync(
      process.execPath,
      [hush, ...gossip, '--seed', String(base.seed), '--trace', gossipDir],
      { encoding: 'utf8' },
    );
    // 1 is a run that did not deliver everything: its trace is whole all the same.
    if (run.status !== 0 && run.status !== 1) {
      console.error(`sim: pnpm sim gossip --trace failed\n${run.stdout}${run.stderr}`);
      process.exit(1);
    }
    const delivered = readFileSync(join(gossipDir, 'truth.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { sent: number; delivered: number | null })
      .filter((m) => m.delivered !== null);
    const latency = delivered.reduce((a, m) => a + m.delivered! - m.sent, 0) / delivered.length;
    row(
      'gossip (Whisper today)',
      attackTrace(gossipDir),
      latency,
      'one a transmission cycle, posted to delivered',
    );
  } finally {
    rmSync(gossipDir, { recursive: true, force: true });
  }
  for (const setting of settings) {
    const dir = mkdtempSync(join(tmpdir(), 'hush-attack-'));
    try {
      const r = await simulateMixnet({
        ...base,
        cover: setting.cover,
        lambdaP: setting.r,
        lambdaL: setting.r,
        lambdaD: setting.r,
        traceDir: dir,
      });
      row(
        setting.label,
        attackTrace(dir),
        r.networkLatency.mean,
        `${(r.coverBytesPerClientHour / 1e6).toFixed(1)} MB cover a client per hour`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.exit(0);
}
const report = await simulateMixnet({
  clients: number('clients', 2, 10_000),
  durationMs: number('seconds', 1, 86_400) * 1000,
  meanDelayMs: number('delay-ms', 1, 600_000),
  lambdaP: rate,
  lambdaL: rate,
  lambdaD: rate,
  messageRate: number('messages', 0.0001, 100),
  cover: values.cover as boolean,
  ...(values['fail-at'] !== undefined ? { failMixAtMs: number('fail-at', 0, 86_400) * 1000 } : {}),
  seed: number('seed', 0, 2 ** 32 - 1),
  ...(typeof values.trace === 'string' ? { traceDir: values.trace } : {}),
  onProgress: (line) => console.log(line),
});
console.log(formatReport(report));
