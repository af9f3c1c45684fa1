/**
 * `pnpm testnet dht [--nodes 20]`: a local testnet of real `hush` processes for the DHT inbox
 * (issue 14, item 6; specs/inbox-dht/SPEC.md §2.4): starts them (testnet.ts), waits until
 * they have formed the DHT, prints each node's DHT address and RPC URLs, and runs until
 * Ctrl-C (SIGINT) or SIGTERM, then stops every node cleanly.
 */
import { parseArgs } from 'node:util';
import { startTestnet, TestnetError, waitForDht } from './testnet.js';

const USAGE = 'usage: pnpm testnet dht [--nodes N]   (N hush processes on loopback, default 20)';

async function main(argv: string[]): Promise<number> {
  const options = {
    nodes: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`testnet: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [kind, ...extra] = parsed.positionals;
  if (kind !== 'dht' || extra.length > 0) {
    process.stderr.write(`testnet: say which testnet (dht)\n${USAGE}\n`);
    return 2;
  }
  const nodes = parsed.values.nodes === undefined ? 20 : Number(parsed.values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 200) {
    process.stderr.write(`testnet: --nodes must be a whole number in 1 … 200\n${USAGE}\n`);
    return 2;
  }
  process.stdout.write(`starting ${nodes} hush nodes…\n`);
  let testnet: Awaited<ReturnType<typeof startTestnet>>;
  try {
    testnet = await startTestnet({ nodes });
  } catch (error) {
    process.stderr.write(`testnet: ${(error as Error).message}\n`);
    return 1;
  }
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  try {
    process.stdout.write(`waiting for the DHT to form (data in ${testnet.dir})…\n`);
    await Promise.race([waitForDht(testnet), stopped]);
    if (!stopping) {
      for (const node of testnet.nodes)
        process.stdout.write(
          `node ${String(node.index).padStart(2)}  rpc ${node.rpcUrl}  ws ${node.wsUrl}\n         dht ${node.dht}\n         log ${node.logFile}\n`,
        );
      process.stdout.write(
        `the DHT has formed: ${testnet.nodes.length} nodes, all holding inboxes. Ctrl-C stops them.\n`,
      );
    }
    await stopped;
    return 0;
  } catch (error) {
    process.stderr.write(
      `testnet: ${error instanceof TestnetError ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    process.stdout.write('stopping the nodes…\n');
    await testnet.stop();
    process.stdout.write('stopped\n');
  }
}

process.exitCode = await main(process.argv.slice(2));
