/**
 * `hush`: the reference node's command line.
 *
 *   hush [start]        run a node (the default command)
 *   hush keygen         create (or show) the node identity in --data-dir
 *   hush status         ask a running node (over its JSON-RPC) how it is
 *   hush config print   print the effective configuration
 */
import { parseArgs } from 'node:util';
import { defaultBackend } from '@hush/crypto';
import {
  booleanWord,
  ConfigError,
  printableConfig,
  resolveConfig,
  SETTINGS,
  settingsHelp,
} from './config.js';
import { createLogger } from './logger.js';
import { loadNodeKey, openStore, startNode } from './node.js';

export const USAGE = `usage: hush [command] [options]

commands:
  start          run a node: gossip over WebSocket, JSON-RPC (shh_*) over HTTP and WebSocket (the default)
  keygen         create the node identity in --data-dir (or show the existing one)
  status         ask the running node at --rpc-host:--rpc-port for its state
  config print   print the effective configuration (flags > HUSH_* environment > --config file > defaults)

options:
  --config <file>              JSON file of settings (keys as below, camelCase or flag names) [HUSH_CONFIG]
${settingsHelp()}
  -h, --help                   show this text

Boolean options take --flag, --no-flag, --flag=false or --flag false.`;

/**
 * Parses the command line. A value that starts with a dash (`--metrics-port -1`) is the value
 * of the option before it, not an option: `util.parseArgs` would call it ambiguous, so such
 * pairs are joined into `--flag=value` first. Boolean options take `--flag`, `--no-flag`,
 * `--flag=false` and `--flag false`.
 *
 * @throws ConfigError for a boolean option given a value that is not true or false
 */
export function parse(argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const s of SETTINGS) options[s.flag] = { type: s.kind === 'boolean' ? 'boolean' : 'string' };
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = /^--([^=]+)$/.exec(arg)?.[1];
    const next = argv[i + 1];
    const type = name ? options[name]?.type : undefined;
    const assigned = /^--([^=]+)=(.*)$/.exec(arg);
    if (type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`--${name}=${next}`);
      i++;
    } else if (type === 'boolean' && next !== undefined && booleanWord(next) !== undefined) {
      // `--allow-get-private-key false`, as the README writes it: no command is a boolean word.
      args.push(booleanWord(next) ? arg : `--no-${name}`);
      i++;
    } else if (assigned && options[assigned[1]!]?.type === 'boolean') {
      const value = booleanWord(assigned[2]!);
      if (value === undefined)
        throw new ConfigError(`--${assigned[1]} takes true or false, not "${assigned[2]}"`);
      args.push(value ? `--${assigned[1]}` : `--no-${assigned[1]}`);
    } else {
      args.push(arg);
    }
  }
  return parseArgs({ args, options, allowPositionals: true, strict: true, allowNegative: true });
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`hush: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig(values as Record<string, string | boolean | undefined>);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`hush: ${error.message}\n`);
    return 2;
  }
  // As geth: with no command, run a node.
  const command = positionals.length === 0 ? 'start' : positionals.join(' ');
  switch (command) {
    case 'config print':
      process.stdout.write(`${JSON.stringify(printableConfig(config), null, 2)}\n`);
      return 0;
    case 'keygen': {
      const store = await openStore(config.dataDir);
      try {
        const key = await loadNodeKey(store);
        process.stdout.write(
          `${Buffer.from(defaultBackend.publicKeyCreate(key)).toString('hex')}\n`,
        );
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'status': {
      const url = `http://${config.rpcHost.includes(':') ? `[${config.rpcHost}]` : config.rpcHost}:${config.rpcPort}/`;
      const call = async (method: string) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(config.rpcToken ? { authorization: `Bearer ${config.rpcToken}` } : {}),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
        });
        if (response.status === 401)
          throw new Error('the node wants a token: pass --rpc-token (or set HUSH_RPC_TOKEN)');
        if (response.status === 403)
          throw new Error(
            `the node refused this Host (${new URL(url).hostname}): see --rpc-vhosts`,
          );
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const answer = (await response.json()) as { result?: unknown; error?: { message: string } };
        if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
        return answer.result;
      };
      try {
        const [version, info, peers] = await Promise.all([
          call('shh_version'),
          call('shh_info'),
          call('net_peerCount').then(
            (count) => Number.parseInt(String(count), 16),
            () => undefined,
          ),
        ]);
        // The node id is admin information: shown when the node serves the admin module.
        const nodeInfo = (await call('admin_nodeInfo').catch(() => undefined)) as
          | { id: string; enode: string }
          | undefined;
        process.stdout.write(
          `${JSON.stringify(
            {
              rpc: url,
              ...(nodeInfo ? { id: nodeInfo.id, enode: nodeInfo.enode } : {}),
              version,
              peers,
              ...(info as object),
            },
            null,
            2,
          )}\n`,
        );
        return 0;
      } catch (error) {
        process.stderr.write(`hush: no node answers at ${url}: ${(error as Error).message}\n`);
        return 1;
      }
    }
    case 'start': {
      const logger = createLogger(config.logLevel, config.logFormat);
      const node = await startNode(config, logger);
      process.stdout.write(
        `hush node ${node.id} running\n  gossip   ${node.gossip.linkAddresses.join(', ')} (Noise, hush-gossip/2)\n  rpc      ${node.rpc.httpUrl}\n  ws       ${node.rpc.wsUrl}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await node.stop();
      return 0;
    }
    default:
      process.stderr.write(`hush: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}
