/**
 * `pnpm sim mixnet [--clients 100] [--seconds 60] [--delay-ms 500] [--rate 1] [--messages 0.05]
 * [--no-cover] [--fail-at S] [--seed 1] [--trace DIR]`: runs the mixnet simulation (simulation.ts)
 * and prints its figures; with --trace, writes what a global observer sees and the truth to DIR.
 */
import { parseArgs } from 'node:util';
import { formatReport, simulateMixnet } from './simulation.js';

const USAGE =
  'usage: pnpm sim mixnet [--clients N] [--seconds S] [--delay-ms MS] [--rate R] [--messages R] [--no-cover] [--fail-at S] [--seed N] [--trace DIR]';
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
