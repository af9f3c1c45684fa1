/**
 * `pnpm sim gossip [--nodes 200] [--degree 6] [--messages 1000] [--seed 1] [--light 0.2]
 * [--websocket]`: runs the gossip simulation and prints its figures.
 */
import { parseArgs } from 'node:util';
import { formatReport, simulate } from './simulation.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: 'string', default: '200' },
    degree: { type: 'string', default: '6' },
    messages: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    light: { type: 'string', default: '0.2' },
    websocket: { type: 'boolean', default: false },
  },
});
if (positionals[0] !== 'gossip') {
  console.error(
    'usage: pnpm sim gossip [--nodes N] [--degree D] [--messages M] [--seed S] [--light SHARE] [--websocket]',
  );
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
  onProgress: (line) => console.log(line),
});
console.log(formatReport(report));
process.exit(report.deliveryRatio === 1 ? 0 : 1);
