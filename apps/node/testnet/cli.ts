/**
 * `pnpm testnet dht [--nodes 20]`: a local testnet of real `hush` processes for the DHT inbox
 * (issue 14, item 6; specs/inbox-dht/SPEC.md §2.4): starts them (testnet.ts), waits until
 * they have formed the DHT, prints each node's DHT address and RPC URLs, and runs until
 * Ctrl-C (SIGINT) or SIGTERM, then stops every node cleanly.
 *
 * `pnpm testnet mixnet [--epoch-ms 600000]`: a mixnet on loopback (issue 16, item 5;
 * mixnet.ts): 3 directory authorities, 3 layers of 3 mixes and a gateway, each its own
 * process; prints the network file, each authority's URL and each mix's links and metrics.
 * With `--whisper`, a second gateway and two `hush` nodes on the mixnet (issue 17): B an exit
 * whose queue is kept at the second gateway and fetched through SURBs, A posting shh_post
 * through B; it prints their RPC URLs and mixnet addresses.
 */
import { parseArgs } from 'node:util';
import { mixNodeId } from '@hush/mixnet-sphinx';
import { type MixnetWhisperNode, startMixnet, startWhisperNode, waitForMixnet } from './mixnet.js';
import { startTestnet, TestnetError, waitForDht } from './testnet.js';

const USAGE = `usage: pnpm testnet dht [--nodes N]   (N hush processes on loopback, default 20)
       pnpm testnet mixnet [--epoch-ms MS] [--whisper]   (3 authorities, 3 × 3 mixes and a gateway; epochs default 10 min;
                                                      --whisper: a second gateway and two hush nodes on the mixnet)`;

/** Runs until SIGINT or SIGTERM. */
function untilStopped(): { stopped: Promise<void>; readonly stopping: boolean } {
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
  return {
    stopped,
    get stopping() {
      return stopping;
    },
  };
}

async function mixnetMain(epochMs: number, whisper: boolean): Promise<number> {
  process.stdout.write(
    `starting 3 authorities, 9 mixes and ${whisper ? 'two gateways' : 'a gateway'}…\n`,
  );
  let mixnet: Awaited<ReturnType<typeof startMixnet>>;
  const nodes: MixnetWhisperNode[] = [];
  try {
    mixnet = await startMixnet({ epochMs, gateways: whisper ? 2 : 1 });
  } catch (error) {
    process.stderr.write(`testnet: ${(error as Error).message}\n`);
    return 1;
  }
  const signal = untilStopped();
  try {
    process.stdout.write(`waiting for the first document (data in ${mixnet.dir})…\n`);
    const document = await Promise.race([waitForMixnet(mixnet), signal.stopped]);
    if (!signal.stopping && document) {
      process.stdout.write(`network  ${mixnet.networkFile}\n`);
      for (const a of mixnet.authorities)
        process.stdout.write(`${a.name.padEnd(12)} ${a.url}   log ${a.process.logFile}\n`);
      for (const m of [...mixnet.mixes, ...mixnet.gateways])
        process.stdout.write(
          `${m.name.padEnd(12)} ${m.links!.join(', ')}   metrics ${m.metricsUrl}/metrics\n`,
        );
      process.stdout.write(
        `epoch ${document.epoch} is published: ${document.layers.flat().length} mixes in ${document.layers.length} layers, ${document.gateways.length} gateway${document.gateways.length === 1 ? '' : 's'}.\n`,
      );
      if (whisper) {
        const gateway = (i: number) =>
          Buffer.from(mixNodeId(mixnet.network.gateways[i]!)).toString('hex');
        const b = await startWhisperNode(mixnet, 'b', [
          '--mixnet-exit',
          '--mixnet-gateway',
          gateway(0),
          '--mixnet-inbox',
          gateway(1),
        ]);
        nodes.push(b);
        const a = await startWhisperNode(mixnet, 'a', [
          '--mixnet-exit-via',
          b.address,
          '--post-via',
          'mixnet',
          '--mixnet-gateway',
          gateway(0),
        ]);
        nodes.push(a);
        process.stdout.write(
          `hush b (exit, queue at gateway 1)  rpc ${b.rpcUrl}  mixnet ${b.address}\nhush a (shh_post through b)       rpc ${a.rpcUrl}  mixnet ${a.address}\n`,
        );
      }
      process.stdout.write('Ctrl-C stops them.\n');
    }
    await signal.stopped;
    return 0;
  } catch (error) {
    process.stderr.write(`testnet: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.stdout.write('stopping…\n');
    await Promise.all(nodes.map((n) => n.process.stop()));
    await mixnet.stop();
    process.stdout.write('stopped\n');
  }
}

async function main(argv: string[]): Promise<number> {
  const options = {
    nodes: { type: 'string' },
    'epoch-ms': { type: 'string' },
    whisper: { type: 'boolean' },
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
  if ((kind !== 'dht' && kind !== 'mixnet') || extra.length > 0) {
    process.stderr.write(`testnet: say which testnet (dht or mixnet)\n${USAGE}\n`);
    return 2;
  }
  if (kind === 'mixnet') {
    const epochMs = Number(parsed.values['epoch-ms'] ?? 600_000);
    if (!Number.isInteger(epochMs) || epochMs < 10_000 || epochMs > 86_400_000) {
      process.stderr.write(
        `testnet: --epoch-ms must be a whole number in 10000 … 86400000\n${USAGE}\n`,
      );
      return 2;
    }
    return mixnetMain(epochMs, parsed.values.whisper === true);
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
  const signal = untilStopped();
  try {
    process.stdout.write(`waiting for the DHT to form (data in ${testnet.dir})…\n`);
    await Promise.race([waitForDht(testnet), signal.stopped]);
    if (!signal.stopping) {
      for (const node of testnet.nodes)
        process.stdout.write(
          `node ${String(node.index).padStart(2)}  rpc ${node.rpcUrl}  ws ${node.wsUrl}\n         dht ${node.dht}\n         log ${node.logFile}\n`,
        );
      process.stdout.write(
        `the DHT has formed: ${testnet.nodes.length} nodes, all holding inboxes. Ctrl-C stops them.\n`,
      );
    }
    await signal.stopped;
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
