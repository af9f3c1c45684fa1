/**
 * `hush`: the reference node's command line.
 *
 *   hush [start]        run a node (the default command)
 *   hush keygen         create (or show) the node identity in --data-dir
 *   hush status         ask a running node (over its JSON-RPC) how it is
 *   hush config print   print the effective configuration
 *   hush contacts …     add, list and remove contacts: in --data-dir when it is free, through
 *                       the running node's JSON-RPC when the node holds it
 *   hush mix …          run a mix or gateway of a Sphinx mixnet (mixnet/cli.ts)
 *   hush directory …    run a directory authority of a mixnet (mixnet/cli.ts)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultBackend } from '@hush/crypto';
import { MemoryStore, peerIdFromPublicKey, StoreError } from '@hush/interface';
import {
  booleanWord,
  ConfigError,
  type NodeConfig,
  printableConfig,
  resolveConfig,
  SETTINGS,
  settingsHelp,
} from './config.js';
import {
  ContactError,
  type ContactJson,
  checkContactName,
  NodeContacts,
  parseContactKey,
  parseContactRef,
} from './contacts.js';
import { createLogger } from './logger.js';
import { mixnetCommand } from './mixnet/cli.js';
import { loadNodeKey, openStore, startNode } from './node.js';
import { RpcError } from './rpc/jsonrpc.js';
import { WEB_BUILD_COMMAND } from './web.js';

export const USAGE = `usage: hush [command] [options]

commands:
  start          run a node: gossip over WebSocket, JSON-RPC (shh_*) over HTTP and WebSocket (the default)
  keygen         create the node identity in --data-dir (or show the existing one)
  status         ask the running node at --rpc-host:--rpc-port for its state
  config print   print the effective configuration (flags > HUSH_* environment > --config file > defaults)
  contacts list  print the contacts of direct channels (JSON)
  contacts add <public key> [--name <name>]
                 add a contact (or rename one): its secp256k1 public key, 0x04 and 128 hex digits
  contacts remove <public key or peer id>
                 remove a contact
                 (contacts are kept in --data-dir; while a node runs there, through its RPC at
                 --rpc-host:--rpc-port, with --rpc-token if it has one)
  mix …          run a mix or gateway of a Sphinx mixnet (hush mix --help)
  directory …    run a directory authority of a mixnet (hush directory --help)

options:
  --config <file>              JSON file of settings (keys as below, camelCase or flag names) [HUSH_CONFIG]
  --name <name>                contacts add: the contact's name (at most 256 bytes)
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
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: true }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    name: { type: 'string' },
  };
  // A list option may be given more than once (`--dht-bootstrap A --dht-bootstrap B`).
  for (const s of SETTINGS)
    options[s.flag] =
      s.kind === 'boolean'
        ? { type: 'boolean' }
        : s.kind === 'list'
          ? { type: 'string', multiple: true }
          : { type: 'string' };
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

/** The URL of the node's JSON-RPC over HTTP, as configured. */
function rpcUrl(config: NodeConfig): string {
  return `http://${config.rpcHost.includes(':') ? `[${config.rpcHost}]` : config.rpcHost}:${config.rpcPort}/`;
}

/**
 * Calls one method of the node at the configured RPC address.
 *
 * @throws RpcError for a JSON-RPC error answer; Error when no node answers, or it refuses the
 *   token or Host
 */
async function rpcCall(config: NodeConfig, method: string, params: unknown[] = []) {
  const url = rpcUrl(config);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(config.rpcToken ? { authorization: `Bearer ${config.rpcToken}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  if (response.status === 401)
    throw new Error('the node wants a token: pass --rpc-token (or set HUSH_RPC_TOKEN)');
  if (response.status === 403)
    throw new Error(`the node refused this Host (${new URL(url).hostname}): see --rpc-vhosts`);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const answer = (await response.json()) as {
    result?: unknown;
    error?: { code: number; message: string };
  };
  if (answer.error) throw new RpcError(answer.error.code, answer.error.message);
  return answer.result;
}

/** What `hush contacts` does, in the data dir or through the running node. */
interface ContactsApi {
  add(publicKey: string, name: string | undefined): Promise<ContactJson>;
  list(): Promise<ContactJson[]>;
  remove(publicKeyOrPeerId: string): Promise<ContactJson>;
}

/** The contacts through the running node's hush_* methods. */
function contactsOverRpc(config: NodeConfig): ContactsApi {
  const call = async (method: string, params: unknown[]) => {
    try {
      return await rpcCall(config, method, params);
    } catch (error) {
      if (error instanceof RpcError) {
        if (error.code === -32601)
          throw new Error(
            `the node at ${rpcUrl(config)} does not serve the hush module: start it with hush in --rpc-api`,
          );
        throw error;
      }
      throw new Error(
        `${config.dataDir} is in use by a running node, and no node answers at ${rpcUrl(config)}: ${(error as Error).message} (give the node's --rpc-host and --rpc-port, and --rpc-token if it has one)`,
      );
    }
  };
  return {
    add: async (key, name) =>
      (await call('hush_addContact', name === undefined ? [key] : [key, name])) as ContactJson,
    list: async () => (await call('hush_listContacts', [])) as ContactJson[],
    remove: async (ref) => (await call('hush_removeContact', [ref])) as ContactJson,
  };
}

/**
 * Runs `op` on the contacts in the data dir, opened directly when it is free and through the
 * running node's RPC when a node holds it. Without a store in the data dir, only `add`
 * (`create`) makes one; the others see no contacts.
 */
async function withContacts<T>(
  config: NodeConfig,
  create: boolean,
  op: (contacts: ContactsApi) => Promise<T>,
): Promise<T> {
  // Listing or removing does not create a store where there is none: it has no contacts.
  if (!create && !existsSync(join(config.dataDir, 'db')))
    return op(await NodeContacts.open(new MemoryStore()));
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(config.dataDir);
  } catch (error) {
    if (error instanceof StoreError && error.code === 'locked') return op(contactsOverRpc(config));
    throw error;
  }
  try {
    const nodeKey = await store.get('node/key');
    const contacts = await NodeContacts.open(store, {
      ...(nodeKey && defaultBackend.isValidPrivateKey(nodeKey)
        ? { self: defaultBackend.publicKeyCreate(nodeKey) }
        : {}),
    });
    return await op(contacts);
  } finally {
    await store.close();
  }
}

const CONTACTS_USAGE =
  'usage: hush contacts list | add <public key> [--name <name>] | remove <public key or peer id>';

/** `hush contacts add|list|remove`; resolves to the exit status. */
async function contactsCommand(
  config: NodeConfig,
  args: readonly string[],
  name: string | undefined,
): Promise<number> {
  const [action, target, ...extra] = args;
  const usage = (message: string) => {
    process.stderr.write(`hush: ${message}
${CONTACTS_USAGE}
`);
    return 2;
  };
  if (action === undefined) return usage('contacts: say list, add or remove');
  if (!['list', 'add', 'remove'].includes(action))
    return usage(`contacts: unknown command "${action}"`);
  if (name !== undefined && action !== 'add') return usage('--name goes with contacts add');
  if (action === 'list' ? target !== undefined : target === undefined || extra.length > 0)
    return usage(
      action === 'list'
        ? 'contacts list takes no arguments'
        : `contacts ${action} takes one ${action === 'add' ? 'public key' : 'public key or peer id'}`,
    );
  const label = (c: ContactJson) => (c.name ? `${c.peerId} "${c.name}"` : c.peerId);
  try {
    // Input is checked here, whichever way the contacts are reached.
    if (action === 'add') {
      const peerId = peerIdFromPublicKey(parseContactKey(target!));
      if (name !== undefined) checkContactName(name);
      const [known, contact] = await withContacts(config, true, async (contacts) => {
        const before = (await contacts.list()).some((c) => c.peerId === peerId);
        return [before, await contacts.add(target!, name)] as const;
      });
      process.stdout.write(`${known ? 'updated' : 'added'} contact ${label(contact)}
`);
    } else if (action === 'remove') {
      parseContactRef(target!);
      const contact = await withContacts(config, false, (contacts) => contacts.remove(target!));
      process.stdout.write(`removed contact ${label(contact)}
`);
    } else {
      const list = await withContacts(config, false, (contacts) => contacts.list());
      process.stdout.write(`${JSON.stringify(list, null, 2)}
`);
    }
    return 0;
  } catch (error) {
    const bad =
      (error instanceof ContactError &&
        (error.code === 'invalid-key' || error.code === 'invalid-name')) ||
      (error instanceof RpcError && error.code === -32602);
    process.stderr.write(`hush: ${(error as Error).message}
`);
    return bad ? 2 : 1;
  }
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  // The mixnet's processes have their own options (mixnet/cli.ts).
  if (argv[0] === 'mix' || argv[0] === 'directory') return mixnetCommand(argv[0], argv.slice(1));
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
    // A repeated list option is one comma-separated list.
    const flags: Record<string, string | boolean | undefined> = {};
    for (const [name, value] of Object.entries(values))
      flags[name] = Array.isArray(value) ? value.join(',') : value;
    config = resolveConfig(flags);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`hush: ${error.message}\n`);
    return 2;
  }
  if (positionals[0] === 'contacts')
    return contactsCommand(config, positionals.slice(1), values.name as string | undefined);
  if (values.name !== undefined) {
    process.stderr.write(`hush: --name goes with contacts add\n${USAGE}\n`);
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
      const url = rpcUrl(config);
      const call = async (method: string) => {
        try {
          return await rpcCall(config, method);
        } catch (error) {
          if (error instanceof RpcError) throw new Error(`${method}: ${error.message}`);
          throw error;
        }
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
      const direct = node.direct
        ? `  direct   ${node.direct.endpoints.join(', ')} (Noise, hush-direct/1)\n${node.direct.relayUrl ? `  relay    ${node.direct.relayUrl}\n` : ''}`
        : '';
      const dht = node.dht
        ? `  dht      ${node.dht.address} (Noise, hush-dht/1${node.dht.holding ? ', holding inboxes' : ''})\n`
        : '';
      const mixnet = node.mixnet
        ? `  mixnet   ${node.mixnet.address} (Loopix, cover on${config.mixnetExit ? ', an exit' : ''}${config.postVia === 'mixnet' ? ', shh_post through the exit' : ''})\n`
        : '';
      const web = node.web
        ? `  web      ${node.web.url} (the browser app${node.web.built ? '' : `: not built, run ${WEB_BUILD_COMMAND}`})\n`
        : '';
      const links = node.gossip.linkAddresses.filter((a) => !a.startsWith('enode:'));
      const enodes = node.gossip.linkAddresses.filter((a) => a.startsWith('enode:'));
      const rlpx =
        enodes.length > 0
          ? `  rlpx     ${enodes.join(', ')} (RLPx, devp2p: geth's peers${node.discovery ? `; discovery v4 on UDP port ${node.discovery.port}` : ''})\n`
          : '';
      process.stdout.write(
        `hush node ${node.id} running\n  gossip   ${links.join(', ')} (Noise, hush-gossip/2)\n${rlpx}${direct}${dht}${mixnet}  rpc      ${node.rpc.httpUrl}\n  ws       ${node.rpc.wsUrl}\n${web}`,
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
