/**
 * `hush mix` and `hush directory`: the mixnet's processes (specs/mixnet-sphinx/SPEC.md §9–§11).
 * Both read the network configuration (`--network FILE`, the JSON every authority, mix and
 * client of a network shares) and keep their keys and state in `--data-dir`.
 *
 *   hush mix id --data-dir D          print this mix's identity (for the network file)
 *   hush mix --network F --data-dir D [--listen H:P] [--announce ws://…] [--metrics-port N]
 *            [--workers N]
 *   hush directory key --data-dir D   print this authority's public key (for the network file)
 *   hush directory --network F --data-dir D [--listen H:P]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DirectoryError, type NetworkConfig, parseNetworkConfig } from '@hush/mixnet-sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createLogger } from '../logger.js';
import { PrometheusMetrics, startMetricsServer } from '../metrics.js';
import { openStore } from '../node.js';
import { loadAuthorityKey, startAuthority } from './authority.js';
import { mixIdentity, startMixNode } from './mix-node.js';

export const MIX_USAGE = `usage: hush mix id --data-dir <dir>
       hush mix --network <file> --data-dir <dir> [--listen <host:port>] [--announce <ws://…>]
                [--metrics-host <host>] [--metrics-port <port>] [--workers <n>]
                [--log-level <level>] [--log-format <format>]
       hush directory key --data-dir <dir>
       hush directory --network <file> --data-dir <dir> [--listen <host:port>] [--log-level <level>]

  mix id          print this mix's identity (64-byte public key, hex) for the network file
  mix             run a mix or gateway (the network file says which): hush-mix/1 links on
                  --listen (default 127.0.0.1:30400), metrics on --metrics-port (default off),
                  packets unwrapped on --workers worker threads (default 0: the main thread)
  directory key   print this authority's ed25519 public key (hex) for the network file
  directory       run a directory authority on --listen (default: the host and port of its
                  URL in the network file)`;

const OPTIONS = {
  network: { type: 'string' },
  'data-dir': { type: 'string' },
  listen: { type: 'string' },
  announce: { type: 'string', multiple: true },
  'metrics-host': { type: 'string' },
  'metrics-port': { type: 'string' },
  workers: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function hostPort(value: string, what: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new UsageError(`${what} must be host:port, not "${value}"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function readNetwork(file: string | undefined): NetworkConfig {
  if (!file) throw new UsageError('--network <file> is needed');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return parseNetworkConfig(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(`${file} is not JSON`);
    if (error instanceof DirectoryError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

/** Waits for SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/**
 * Runs `hush mix …` or `hush directory …` (argv after the command's name).
 *
 * @returns the exit status
 */
export async function mixnetCommand(command: 'mix' | 'directory', argv: string[]): Promise<number> {
  try {
    // `--metrics-port -1` is a value, not an option.
    const args = argv.flatMap((arg, i) =>
      /^-\d/.test(arg) && /^--[a-z-]+$/.test(argv[i - 1] ?? '')
        ? []
        : [
            /^--[a-z-]+$/.test(arg) && /^-\d/.test(argv[i + 1] ?? '')
              ? `${arg}=${argv[i + 1]}`
              : arg,
          ],
    );
    const { values, positionals } = parseArgs({
      args,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${MIX_USAGE}\n`);
      return 0;
    }
    const dataDir = values['data-dir'];
    if (!dataDir) throw new UsageError('--data-dir <dir> is needed');
    const sub = positionals.join(' ');
    if (sub === (command === 'mix' ? 'id' : 'key')) {
      const store = await openStore(dataDir);
      try {
        const out =
          command === 'mix'
            ? await mixIdentity(store)
            : Buffer.from(ed25519.getPublicKey(await loadAuthorityKey(store))).toString('hex');
        process.stdout.write(`${out}\n`);
      } finally {
        await store.close();
      }
      return 0;
    }
    if (sub !== '') throw new UsageError(`unknown command "${command} ${sub}"`);
    const network = readNetwork(values.network);
    const logger = createLogger(
      values['log-level'] ?? 'info',
      (values['log-format'] as 'json' | 'pretty' | 'auto' | undefined) ?? 'auto',
    );
    const store = await openStore(dataDir);
    try {
      if (command === 'directory') {
        const secretKey = await loadAuthorityKey(store);
        const mine = network.authorities.find((a) =>
          Buffer.from(a.publicKey).equals(Buffer.from(ed25519.getPublicKey(secretKey))),
        );
        if (!mine)
          throw new UsageError(
            `this authority's key (hush directory key --data-dir ${dataDir}) is not in ${values.network}`,
          );
        const url = new URL(mine.url);
        const listen = values.listen
          ? hostPort(values.listen, '--listen')
          : {
              host: url.hostname.replace(/^\[|\]$/g, ''),
              port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
            };
        const authority = await startAuthority({ network, secretKey, store, ...listen, logger });
        // Listening before it says it runs: whoever reads that may signal at once.
        const signalled = untilSignal();
        process.stdout.write(
          `hush directory ${Buffer.from(authority.publicKey).toString('hex')} running\n  http     ${authority.url}/v1/documents/<epoch>\n  network  ${network.authorities.length} authorities, threshold ${network.threshold}, epochs of ${network.epochMs} ms\n`,
        );
        await signalled;
        await authority.stop();
        return 0;
      }
      const metrics = new PrometheusMetrics();
      const listen = hostPort(values.listen ?? '127.0.0.1:30400', '--listen');
      const workers = Number(values.workers ?? 0);
      if (!/^\d+$/.test(values.workers ?? '0') || workers > 256)
        throw new UsageError('--workers must be a number of worker threads, 0 to 256');
      // Every option checked before the mix starts: it uploads its descriptors at once.
      const announce = values.announce ?? [];
      if (announce.length > 4 || announce.some((e) => !/^wss?:\/\/\S{1,250}$/.test(e)))
        throw new UsageError('--announce takes 1 to 4 ws:// or wss:// addresses');
      const metricsPort = Number(values['metrics-port'] ?? -1);
      if (!Number.isInteger(metricsPort) || metricsPort < -1 || metricsPort > 65535)
        throw new UsageError('--metrics-port must be a port, or -1 for none');
      const node = await startMixNode({
        network,
        store,
        ...listen,
        ...(values.announce ? { announce: values.announce } : {}),
        workers,
        metrics,
        logger,
      });
      let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
      try {
        metricsServer =
          metricsPort >= 0
            ? await startMetricsServer(metrics, {
                host: values['metrics-host'] ?? '127.0.0.1',
                port: metricsPort,
                ready: () => node.ready(),
                security: {
                  vhosts: ['localhost', '127.0.0.1', '::1'],
                  origins: [],
                  token: undefined,
                },
              })
            : undefined;
      } catch (error) {
        // The metrics port refused: the mix stops before its store is closed under it.
        await node.stop();
        throw error;
      }
      // Listening before it says it runs: whoever reads that may signal at once.
      const signalled = untilSignal();
      process.stdout.write(
        `hush mix ${node.id} running\n  role     ${node.role === 'gateway' ? 'gateway' : `mix, layer ${node.layer}`}\n  links    ${node.endpoints.join(', ')} (Noise, hush-mix/1)\n${workers > 0 ? `  unwrap   on ${workers} worker threads\n` : ''}${metricsServer ? `  metrics  ${metricsServer.url}/metrics\n` : ''}`,
      );
      await signalled;
      await metricsServer?.close();
      await node.stop();
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`hush: ${(error as Error).message}\n${MIX_USAGE}\n`);
      return 2;
    }
    process.stderr.write(`hush: ${(error as Error).message}\n`);
    return 1;
  }
}
