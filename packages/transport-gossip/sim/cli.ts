/**
 * `pnpm sim gossip [--nodes 200] [--degree 6] [--messages 1000] [--seed 1] [--light 0.2]
 * [--websocket] [--trace DIR]`: runs the gossip simulation and prints its figures; with
 * --trace (memory transport only), also writes what a global observer sees and the truth to
 * DIR (issue 17, item 5; specs/mixnet-sphinx/SPEC.md §13.2).
 */
import { parseArgs } from 'node:util';
import { formatReport, simulate } from './simulation.js';

const USAGE =
  'usage: pnpm sim gossip [--nodes N] [--degree D] [--messages M] [--seed S] [--light SHARE] [--websocket] [--trace DIR]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: 'string', default: '200' },
    degree: { type: 'string', default: '6' },
    messages: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    light: { type: 'string', default: '0.2' },
    websocket: { type: 'boolean', default: false },
    trace: { type: 'string' },
  },
});
if (positionals[0] !== 'gossip' || (values.trace !== undefined && values.websocket)) {
  console.error(USAGE);
  process.exit(2);
}
const websocket = values.websocket;
const report = await simulate({
  nodes: Number(values.nodes),
  degree: Number(values.degree),
  messages: Number(values.messages),
  seed: Number(values.seed),
  lightShare: Number(values.light),
  transport: websocket ? 'websocket' : 'memory',
  ...(values.trace !== undefined ? { traceDir: values.trace } : {}),
  onProgress: (line) => console.log(line),
});
console.log(formatReport(report));
process.exit(report.deliveryRatio === 1 ? 0 : 1);
