/**
 * `pnpm sim dht [--nodes 1000] [--seed 1] [--json] [--adversaries 0.2] [--latency 50]
 * [--loss 0.01] [--hours 24] …`: runs the DHT-inbox simulation and prints its figures, one
 * line each with its goal and anchor; with `--json`, the same figures as one JSON object on
 * the last line of stdout. Figures are defined in sim/README.md.
 */
import { parseArgs } from 'node:util';
import { formatReport, reportJson, type SimulationOptions, simulate } from './simulation.js';

const usage =
  'usage: pnpm sim dht [--nodes N] [--seed S] [--json] [--adversaries SHARE] [--latency MS] [--jitter SHARE] [--loss SHARE] [--hours H] [--lookups N] [--deposits N] [--inboxes N] [--fetches N] [--honest-deposits N] [--under-deposits N] [--forge-rounds N] [--reference-pow P] [--min-pow P] [--median-hours H] [--weibull-shape K] [--return-share SHARE] [--repair-minutes M] [--refresh-minutes M] [--bucket-refresh-minutes M] [--churn-nodes N] [--churn-refresh-minutes M] [--churn-bucket-refresh-minutes M] [--scenarios static,exponential,weibull]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    adversaries: { type: 'string' },
    latency: { type: 'string' },
    jitter: { type: 'string' },
    loss: { type: 'string' },
    hours: { type: 'string' },
    lookups: { type: 'string' },
    deposits: { type: 'string' },
    inboxes: { type: 'string' },
    fetches: { type: 'string' },
    'honest-deposits': { type: 'string' },
    'under-deposits': { type: 'string' },
    'forge-rounds': { type: 'string' },
    'reference-pow': { type: 'string' },
    'min-pow': { type: 'string' },
    'median-hours': { type: 'string' },
    'weibull-shape': { type: 'string' },
    'return-share': { type: 'string' },
    'repair-minutes': { type: 'string' },
    'refresh-minutes': { type: 'string' },
    'bucket-refresh-minutes': { type: 'string' },
    'churn-nodes': { type: 'string' },
    'churn-refresh-minutes': { type: 'string' },
    'churn-bucket-refresh-minutes': { type: 'string' },
    scenarios: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (positionals[0] !== 'dht' || values.help) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
const num = (text: string | undefined, scale = 1) =>
  text === undefined ? undefined : Number(text) * scale;
const options: SimulationOptions = {
  nodes: Number(values.nodes),
  seed: Number(values.seed),
  adversaries: num(values.adversaries),
  latencyMs: num(values.latency),
  jitter: num(values.jitter),
  loss: num(values.loss),
  hours: num(values.hours),
  lookups: num(values.lookups),
  deposits: num(values.deposits),
  inboxes: num(values.inboxes),
  fetches: num(values.fetches),
  honestDeposits: num(values['honest-deposits']),
  underDeposits: num(values['under-deposits']),
  forgeRounds: num(values['forge-rounds']),
  referencePow: num(values['reference-pow']),
  minPow: num(values['min-pow']),
  sessionMedianMs: num(values['median-hours'], 3_600_000),
  weibullShape: num(values['weibull-shape']),
  returnShare: num(values['return-share']),
  repairIntervalMs: num(values['repair-minutes'], 60_000),
  refreshIntervalMs: num(values['refresh-minutes'], 60_000),
  bucketRefreshMs: num(values['bucket-refresh-minutes'], 60_000),
  churnNodes: num(values['churn-nodes']),
  churnRefreshIntervalMs: num(values['churn-refresh-minutes'], 60_000),
  churnBucketRefreshMs: num(values['churn-bucket-refresh-minutes'], 60_000),
  ...(values.scenarios
    ? { scenarios: values.scenarios.split(',') as SimulationOptions['scenarios'] }
    : {}),
  onProgress: (line) => console.error(line),
} as SimulationOptions;
for (const [key, value] of Object.entries(options))
  if (typeof value === 'number' && !Number.isFinite(value)) {
    console.error(`--${key}: not a number\n${usage}`);
    process.exit(2);
  }
const report = await simulate(options);
console.log(formatReport(report));
if (values.json) console.log(reportJson(report));
process.exit(0);
