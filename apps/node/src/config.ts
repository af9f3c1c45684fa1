/**
 * The node's configuration: documented defaults, overridden by a JSON config file
 * (`--config`), then by HUSH_* environment variables, then by flags.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDhtEndpoint, parseDhtAddress } from '@hush/inbox-dht';
import { parseEnode } from '@hush/transport-rlpx';
import { RPC_MODULES } from './rpc/node-api.js';
import { redactUrl } from './store/postgres-store.js';

/** Every setting of the node. */
export interface NodeConfig {
  /**
   * Where the node keeps its identity, the peers it dialed and (with persistKeys) its keys:
   * per user by default (`~/.hush`, as geth keeps `~/.ethereum`); `~` is the home directory,
   * and a relative path is the caller's (see `dataDirPath`).
   */
  dataDir: string;
  /** Gossip WebSocket listen address, host:port. */
  listen: string;
  /** Peers to dial at start: ws:// addresses (Noise links) and enode:// URLs (RLPx). */
  bootstrap: string[];
  /**
   * RLPx (devp2p) TCP listen address host:port, for geth and status-go peers (specs/rlpx).
   * Unset: the node dials enode:// peers but accepts none over RLPx.
   */
  rlpx: string | undefined;
  /** The host put in the node's enode URL instead of the --rlpx host (an IP address or name). */
  rlpxAnnounce: string | undefined;
  /**
   * Discovery v4 (specs/rlpx SPEC §10) on UDP at the --rlpx host and port, as geth: finds RLPx
   * peers and dials them into free outbound slots. Needs --rlpx.
   */
  discovery: boolean;
  /** Discovery v4 bootnodes (enode:// URLs), asked for peers but not kept as static peers. */
  bootnodes: string[];
  maxPeers: number;
  minPow: number;
  maxMessageSize: number;
  rpcHost: string;
  rpcPort: number;
  wsPort: number;
  /** Prometheus metrics and health endpoints (0 picks a free port; -1 disables). */
  metricsPort: number;
  /**
   * The browser app (`@hush/web`) and its `/hush-web.json` over HTTP, on the rpcHost
   * (0 picks a free port; -1 disables).
   */
  webPort: number;
  /** Bearer token required on RPC (mandatory when rpcHost is not a loopback address). */
  rpcToken: string | undefined;
  /** Browser origins allowed on RPC (WebSocket and CORS); requests with no Origin pass. */
  rpcOrigins: string[];
  /** Host header values accepted (geth's --rpcvhosts). */
  rpcVhosts: string[];
  /** API modules served on RPC (geth's --rpcapi): shh, shhext, web3, net, hush, admin. */
  rpcApi: string[];
  /** Whether shh_getPrivateKey answers. */
  allowGetPrivateKey: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** auto: readable lines in a terminal, JSON otherwise. */
  logFormat: 'json' | 'pretty' | 'auto';
  light: boolean;
  /** Archive every accepted envelope and answer history requests (a mailserver). */
  mailserver: boolean;
  /** The password whose key requests to this mailserver are encrypted with. */
  mailserverPassword: string;
  /** Seconds the archive keeps envelopes. */
  archiveRetention: number;
  /**
   * Where the mailserver archive is kept: `leveldb` (the node's store in dataDir) or a
   * PostgreSQL database's `postgres://` URL.
   */
  archive: string;
  /** Longest powTime shh_post accepts, seconds. */
  maxPowTime: number;
  /** Keep keys in the store, encrypted with keyPassphrase. */
  persistKeys: boolean;
  /** Passphrase of the stored keys (better given as HUSH_KEY_PASSPHRASE than as a flag). */
  keyPassphrase: string | undefined;
  /** Direct channels with contacts (specs/transport-direct): on unless turned off. */
  direct: boolean;
  /**
   * Port of the direct channels' WebSocket listener, on the --listen host: unset, the gossip
   * port + 1 (30304 by default), or any free port when gossip's is 0; 0: any free port.
   */
  directPort: number | undefined;
  /** ws:// or wss:// addresses advertised to contacts instead of the listener's own. */
  directEndpoint: string[];
  /** Try WebRTC (node-datachannel) when a contact's WebSocket endpoints fail. */
  webrtc: boolean;
  /** STUN servers for WebRTC (`stun:host:port`). */
  stun: string[];
  /** A relay both contacts trust (`ws://host:port/hush-relay/1`), the last resort. */
  relay: string | undefined;
  /** Serve a relay (`/hush-relay/1`) for contacts on this port (0: any, -1: off). */
  relayPort: number;
  /** The DHT inbox (specs/inbox-dht): routing, deposits and fetches; on unless turned off. */
  dht: boolean;
  /**
   * Port of the DHT's WebSocket listener, on the --listen host: unset, the gossip port + 2
   * (30305 by default), or any free port when gossip's is 0; 0: any free port.
   */
  dhtPort: number | undefined;
  /** ws:// or wss:// addresses the node announces on the DHT instead of the listener's own. */
  dhtEndpoint: string[];
  /** DHT nodes to join through, each `<128 hex digits of the public key>@ws://host:port`. */
  dhtBootstrap: string[];
  /** Hold inbox items (descriptors and deposits) for others. */
  inbox: boolean;
  /** Bytes of deposits held for others at most (--inbox). */
  inboxQuota: number;
  /** A mixnet's network file (specs/mixnet-sphinx §10.2): send and receive through it. */
  mixnet: string | undefined;
  /** The gateway to use, its id (64 hex); default: one drawn from the directory and kept. */
  mixnetGateway: string | undefined;
  /**
   * The gateway that keeps the node's queue (64 hex), fetched through SURBs: that gateway never
   * learns where the node is. Unset: the queue is at the gateway the node links to.
   */
  mixnetInbox: string | undefined;
  /** Post envelopes that come from the mixnet to be injected into gossip (an exit). */
  mixnetExit: boolean;
  /** The exit's mixnet address envelopes for gossip go through (`<64 hex>@<64 hex>`). */
  mixnetExitVia: string | undefined;
  /** How shh_post sends an envelope to gossip: `gossip` directly, or `mixnet` through the exit. */
  postVia: 'gossip' | 'mixnet';
}

/** The documented defaults (README "Configuration"). */
export const DEFAULT_CONFIG: NodeConfig = {
  dataDir: '~/.hush',
  listen: '127.0.0.1:30303',
  bootstrap: [],
  rlpx: undefined,
  rlpxAnnounce: undefined,
  discovery: false,
  bootnodes: [],
  maxPeers: 25,
  minPow: 0.2,
  maxMessageSize: 1024 * 1024,
  rpcHost: '127.0.0.1',
  rpcPort: 8545,
  wsPort: 8546,
  metricsPort: 6060,
  webPort: 8547,
  rpcToken: undefined,
  rpcOrigins: [],
  rpcVhosts: ['localhost', '127.0.0.1', '::1'],
  rpcApi: ['shh', 'shhext', 'web3', 'net', 'hush'],
  allowGetPrivateKey: true,
  logLevel: 'info',
  logFormat: 'auto',
  light: false,
  maxPowTime: 60,
  persistKeys: false,
  keyPassphrase: undefined,
  mailserver: false,
  mailserverPassword: 'status-offline-inbox',
  archiveRetention: 30 * 24 * 3600,
  archive: 'leveldb',
  direct: true,
  directPort: undefined,
  directEndpoint: [],
  webrtc: true,
  stun: [],
  relay: undefined,
  relayPort: -1,
  dht: true,
  dhtPort: undefined,
  dhtEndpoint: [],
  dhtBootstrap: [],
  inbox: false,
  inboxQuota: 256 * 1024 * 1024,
  mixnet: undefined,
  mixnetGateway: undefined,
  mixnetInbox: undefined,
  mixnetExit: false,
  mixnetExitVia: undefined,
  postVia: 'gossip',
};

/** A setting's name, its flag and environment variable, and how to read text into it. */
interface Setting {
  key: keyof NodeConfig;
  flag: string;
  kind: 'string' | 'number' | 'boolean' | 'list';
  help: string;
  /** Never printed: `hush config print` shows "(set)". */
  secret?: true;
  /** What --help says the default is, when the value alone would not say it. */
  shownDefault?: string;
}

/** The settings an operator can give, in --help order. */
export const SETTINGS: readonly Setting[] = [
  {
    key: 'dataDir',
    flag: 'data-dir',
    kind: 'string',
    help: 'directory for the node identity, peers and keys (~ is home)',
  },
  {
    key: 'listen',
    flag: 'listen',
    kind: 'string',
    help: 'gossip WebSocket listen address host:port',
  },
  {
    key: 'bootstrap',
    flag: 'bootstrap',
    kind: 'list',
    help: 'comma-separated peers to dial: ws:// (ws://host:port#<noise key> dials with IK) or enode:// (RLPx, geth)',
  },
  {
    key: 'rlpx',
    flag: 'rlpx',
    kind: 'string',
    help: 'RLPx (devp2p) TCP listen address host:port, for geth peers; unset: enode:// peers are only dialed',
  },
  {
    key: 'rlpxAnnounce',
    flag: 'rlpx-announce',
    kind: 'string',
    help: "host put in the node's enode URL instead of the --rlpx host",
  },
  {
    key: 'discovery',
    flag: 'discovery',
    kind: 'boolean',
    help: 'discovery v4 on UDP at the --rlpx address, as geth: find RLPx peers and dial them',
  },
  {
    key: 'bootnodes',
    flag: 'bootnodes',
    kind: 'list',
    help: 'comma-separated enode:// discovery v4 bootnodes (asked for peers; enode:// --bootstrap peers are asked too)',
  },
  { key: 'maxPeers', flag: 'max-peers', kind: 'number', help: 'most peer connections' },
  { key: 'minPow', flag: 'min-pow', kind: 'number', help: 'minimum PoW of accepted envelopes' },
  {
    key: 'maxMessageSize',
    flag: 'max-message-size',
    kind: 'number',
    help: 'largest accepted envelope, bytes',
  },
  {
    key: 'rpcHost',
    flag: 'rpc-host',
    kind: 'string',
    help: 'JSON-RPC interface (loopback by default)',
  },
  { key: 'rpcPort', flag: 'rpc-port', kind: 'number', help: 'JSON-RPC over HTTP port' },
  { key: 'wsPort', flag: 'ws-port', kind: 'number', help: 'JSON-RPC over WebSocket port' },
  {
    key: 'metricsPort',
    flag: 'metrics-port',
    kind: 'number',
    help: 'Prometheus /metrics and /health port (-1: off)',
  },
  {
    key: 'webPort',
    flag: 'web-port',
    kind: 'number',
    help: 'browser app and its /hush-web.json over HTTP, on the --rpc-host (0: any, -1: off)',
  },
  {
    key: 'rpcToken',
    flag: 'rpc-token',
    kind: 'string',
    help: 'bearer token required on RPC (needed off loopback)',
    secret: true,
  },
  {
    key: 'rpcOrigins',
    flag: 'rpc-origins',
    kind: 'list',
    help: 'comma-separated browser origins allowed on RPC',
  },
  {
    key: 'rpcVhosts',
    flag: 'rpc-vhosts',
    kind: 'list',
    help: 'comma-separated Host header values accepted',
  },
  {
    key: 'rpcApi',
    flag: 'rpc-api',
    kind: 'list',
    help: 'API modules served on RPC: shh, shhext, web3, net, hush, admin',
  },
  {
    key: 'allowGetPrivateKey',
    flag: 'allow-get-private-key',
    kind: 'boolean',
    help: 'let shh_getPrivateKey answer',
  },
  { key: 'logLevel', flag: 'log-level', kind: 'string', help: 'debug, info, warn or error' },
  {
    key: 'logFormat',
    flag: 'log-format',
    kind: 'string',
    help: 'json, pretty, or auto (pretty in a terminal)',
  },
  { key: 'light', flag: 'light', kind: 'boolean', help: 'run as a light client (relays nothing)' },
  {
    key: 'mailserver',
    flag: 'mailserver',
    kind: 'boolean',
    help: 'archive envelopes and serve history requests',
  },
  {
    key: 'mailserverPassword',
    flag: 'mailserver-password',
    kind: 'string',
    help: 'password of the mailserver request key',
    secret: true,
  },
  {
    key: 'archiveRetention',
    flag: 'archive-retention',
    kind: 'number',
    help: 'seconds the archive keeps envelopes',
  },
  {
    key: 'archive',
    flag: 'archive',
    kind: 'string',
    help: 'mailserver archive: leveldb, or a postgres:// URL',
  },
  {
    key: 'maxPowTime',
    flag: 'max-pow-time',
    kind: 'number',
    help: 'longest powTime shh_post accepts, seconds',
  },
  {
    key: 'persistKeys',
    flag: 'persist-keys',
    kind: 'boolean',
    help: 'keep keys in the store, encrypted',
  },
  {
    key: 'keyPassphrase',
    flag: 'key-passphrase',
    kind: 'string',
    help: 'passphrase of the stored keys',
    secret: true,
  },
  {
    key: 'direct',
    flag: 'direct',
    kind: 'boolean',
    help: 'direct channels with contacts (--no-direct: none)',
  },
  {
    key: 'directPort',
    flag: 'direct-port',
    kind: 'number',
    help: 'direct channel WebSocket port, on the --listen host (0: any)',
    shownDefault: 'the --listen port + 1, any when that is 0',
  },
  {
    key: 'directEndpoint',
    flag: 'direct-endpoint',
    kind: 'list',
    help: "comma-separated ws:// addresses contacts are told to dial instead of the listener's",
  },
  {
    key: 'webrtc',
    flag: 'webrtc',
    kind: 'boolean',
    help: "try WebRTC when a contact's WebSocket endpoints fail",
  },
  {
    key: 'stun',
    flag: 'stun',
    kind: 'list',
    help: 'comma-separated STUN servers for WebRTC (stun:host:port)',
  },
  {
    key: 'relay',
    flag: 'relay',
    kind: 'string',
    help: 'relay both contacts trust, ws://host:port/hush-relay/1 (the last resort)',
  },
  {
    key: 'relayPort',
    flag: 'relay-port',
    kind: 'number',
    help: 'serve a relay for contacts on this port, path /hush-relay/1 (0: any, -1: off)',
  },
  {
    key: 'dht',
    flag: 'dht',
    kind: 'boolean',
    help: 'the DHT inbox: deposit to and fetch from inboxes (--no-dht: none)',
  },
  {
    key: 'dhtPort',
    flag: 'dht-port',
    kind: 'number',
    help: 'DHT WebSocket port, on the --listen host (0: any)',
    shownDefault: 'the --listen port + 2, any when that is 0',
  },
  {
    key: 'dhtEndpoint',
    flag: 'dht-endpoint',
    kind: 'list',
    help: "comma-separated ws:// addresses announced on the DHT instead of the listener's",
  },
  {
    key: 'dhtBootstrap',
    flag: 'dht-bootstrap',
    kind: 'list',
    help: 'DHT nodes to join through, <public key hex>@ws://host:port (repeatable)',
  },
  {
    key: 'inbox',
    flag: 'inbox',
    kind: 'boolean',
    help: 'hold inbox items for others on the DHT (quota: --inbox-quota)',
  },
  {
    key: 'inboxQuota',
    flag: 'inbox-quota',
    kind: 'number',
    help: 'bytes of deposits held for others at most, with --inbox',
  },
  {
    key: 'mixnet',
    flag: 'mixnet',
    kind: 'string',
    help: "a mixnet's network file: send and receive envelopes through it (Loopix cover on)",
  },
  {
    key: 'mixnetGateway',
    flag: 'mixnet-gateway',
    kind: 'string',
    help: 'the mixnet gateway to use, its id (64 hex)',
    shownDefault: 'one drawn from the directory and kept',
  },
  {
    key: 'mixnetInbox',
    flag: 'mixnet-inbox',
    kind: 'string',
    help: 'a gateway id (64 hex) that keeps the queue, fetched through SURBs, never linked to',
    shownDefault: 'the queue at --mixnet-gateway',
  },
  {
    key: 'mixnetExit',
    flag: 'mixnet-exit',
    kind: 'boolean',
    help: 'post envelopes sent to this node for gossip into gossip (a mixnet exit)',
  },
  {
    key: 'mixnetExitVia',
    flag: 'mixnet-exit-via',
    kind: 'string',
    help: "an exit's mixnet address <64 hex>@<64 hex>: envelopes for gossip go through it",
  },
  {
    key: 'postVia',
    flag: 'post-via',
    kind: 'string',
    help: 'how shh_post sends to gossip: gossip, or mixnet (through --mixnet-exit-via)',
  },
];

/**
 * A data directory as a path to open: `~` and `~/…` in the home directory, a relative path
 * against `base` (the caller's directory: `INIT_CWD` when npm or pnpm ran the command).
 */
export function dataDirPath(dir: string, base: string = process.cwd()): string {
  if (dir === '~') return homedir();
  if (dir.startsWith('~/')) return join(homedir(), dir.slice(2));
  return resolve(base, dir);
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['yes', true],
  ['1', true],
  ['false', false],
  ['no', false],
  ['0', false],
]);

/** What a word given to a boolean setting means (true, yes, 1 / false, no, 0), if anything. */
export function booleanWord(text: string): boolean | undefined {
  return BOOLEAN_WORDS.get(text);
}

/** A configuration problem, named after the setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function envName(flag: string): string {
  return `HUSH_${flag.replaceAll('-', '_').toUpperCase()}`;
}

function parse(setting: Setting, text: string, source: string): unknown {
  switch (setting.kind) {
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value))
        throw new ConfigError(`${source}: ${setting.flag} must be a number`);
      return value;
    }
    case 'boolean': {
      // An empty value (`HUSH_LIGHT=`) turns a boolean on, as a bare flag does.
      const value = text === '' ? true : booleanWord(text);
      if (value === undefined)
        throw new ConfigError(`${source}: ${setting.flag} must be true or false`);
      return value;
    }
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return text;
  }
}

/** host and port of a host:port or [v6]:port setting already checked to have that shape. */
function hostPort(address: string): [string, number] {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(address);
  return [match?.[1] ?? '', Number(match?.[2])];
}

function validate(config: NodeConfig): NodeConfig {
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new ConfigError(message);
  };
  check(
    Number.isInteger(config.maxPeers) && config.maxPeers >= 0,
    'max-peers must be a non-negative integer',
  );
  check(config.minPow >= 0, 'min-pow must be ≥ 0');
  for (const module of config.rpcApi)
    check(
      (RPC_MODULES as readonly string[]).includes(module),
      `rpc-api: unknown module "${module}" (modules: ${RPC_MODULES.join(', ')})`,
    );
  check(
    Number.isInteger(config.maxPowTime) && config.maxPowTime >= 1,
    'max-pow-time must be a whole number of seconds, at least 1',
  );
  // A light node marks envelopes from peers as p2p and would archive only its own posts.
  check(!(config.light && config.mailserver), 'light and mailserver cannot be combined');
  check(
    config.archive === 'leveldb' || /^postgres(?:ql)?:\/\/./i.test(config.archive),
    'archive must be leveldb or a postgres:// URL',
  );
  check(config.archive === 'leveldb' || config.mailserver, 'archive is set but mailserver is not');
  check(
    Number.isInteger(config.maxMessageSize) &&
      config.maxMessageSize >= 1 &&
      config.maxMessageSize <= 10 * 1024 * 1024,
    'max-message-size must be in [1, 10 MiB]',
  );
  for (const port of [config.rpcPort, config.wsPort])
    check(Number.isInteger(port) && port >= 0 && port < 65536, 'ports must be in [0, 65535]');
  check(
    Number.isInteger(config.metricsPort) && config.metricsPort >= -1 && config.metricsPort < 65536,
    'metrics-port must be in [0, 65535], or -1 for off',
  );
  check(
    Number.isInteger(config.webPort) && config.webPort >= -1 && config.webPort < 65536,
    'web-port must be in [0, 65535], or -1 for off',
  );
  const listenPort = Number(/:(\d+)$/.exec(config.listen)?.[1]);
  check(listenPort >= 0 && listenPort < 65536, 'listen port must be in [0, 65535]');
  check(
    ['debug', 'info', 'warn', 'error'].includes(config.logLevel),
    'log-level must be debug, info, warn or error',
  );
  check(
    ['json', 'pretty', 'auto'].includes(config.logFormat),
    'log-format must be json, pretty or auto',
  );
  check(/^[^:]+:\d+$|^\[.+\]:\d+$/.test(config.listen), 'listen must be host:port');
  if (config.rlpx !== undefined) {
    check(
      /^[^:]+:\d+$|^\[.+\]:\d+$/.test(config.rlpx) &&
        Number(/:(\d+)$/.exec(config.rlpx)?.[1]) < 65536,
      'rlpx must be host:port, the port in [0, 65535]',
    );
    // Both listen on TCP: one port of one address can serve only one of them.
    const [rlpxHost, rlpxPort] = hostPort(config.rlpx);
    const [listenHost, listenPort] = hostPort(config.listen);
    const wildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '';
    check(
      rlpxPort === 0 ||
        rlpxPort !== listenPort ||
        (rlpxHost !== listenHost && !wildcard(rlpxHost) && !wildcard(listenHost)),
      `rlpx ${config.rlpx} and listen ${config.listen} are the same TCP port: give one of them another port`,
    );
  }
  if (config.rlpxAnnounce !== undefined) {
    check(
      config.rlpx !== undefined,
      'rlpx-announce names the host of the --rlpx listener: give --rlpx too',
    );
    // What parseEnode takes as a host: an IP address or a DNS name, no port, no brackets.
    check(
      isIP(config.rlpxAnnounce) !== 0 ||
        /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(
          config.rlpxAnnounce,
        ),
      `rlpx-announce "${config.rlpxAnnounce}" is not a host: give an IP address or a DNS name, without a port`,
    );
  }
  check(
    !config.discovery || config.rlpx !== undefined,
    'discovery runs on UDP at the --rlpx address: give --rlpx too',
  );
  if (config.discovery && config.rlpx !== undefined) {
    // Discovery packets carry IP addresses, not names (SPEC §10.1).
    check(
      isIP(hostPort(config.rlpx)[0]) !== 0,
      `discovery binds UDP at the --rlpx host: give --rlpx an IP address, not "${hostPort(config.rlpx)[0]}"`,
    );
    check(
      config.rlpxAnnounce === undefined || isIP(config.rlpxAnnounce) !== 0,
      'with --discovery, rlpx-announce must be an IP address: discovery packets carry no names',
    );
  }
  for (const node of config.bootnodes) {
    let enode = true;
    try {
      parseEnode(node);
    } catch {
      enode = false;
    }
    check(
      enode,
      `bootnodes: "${node}" is not an enode URL (enode://<128 hex of a secp256k1 key>@host:port)`,
    );
  }
  check(
    config.bootnodes.length === 0 || config.discovery,
    'bootnodes are discovery v4 bootnodes: give --discovery too',
  );
  for (const peer of config.bootstrap) {
    if (peer.startsWith('enode:')) {
      let enode = true;
      try {
        parseEnode(peer);
      } catch {
        enode = false;
      }
      check(
        enode,
        `bootstrap: "${peer}" is not a peer address (an enode URL is enode://<128 hex of a secp256k1 key>@host:port)`,
      );
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(peer);
    } catch {
      url = undefined;
    }
    check(
      url !== undefined &&
        (url.protocol === 'ws:' || url.protocol === 'wss:') &&
        url.hostname !== '' &&
        (url.hash === '' || /^#[0-9a-fA-F]{64}$/.test(url.hash)),
      `bootstrap: "${peer}" is not a peer address (ws://host:port or wss://host:port, optionally #<64 hex digits of the peer's Noise static key>)`,
    );
  }
  // Without a passphrase the keys could not be encrypted, and keeping them in memory instead
  // would lose them at the next restart without a word.
  check(
    !config.persistKeys || !!config.keyPassphrase,
    'persist-keys needs the passphrase that encrypts the keys: set HUSH_KEY_PASSPHRASE (or pass --key-passphrase)',
  );
  check(
    config.directPort === undefined ||
      (Number.isInteger(config.directPort) && config.directPort >= 0 && config.directPort < 65536),
    'direct-port must be in [0, 65535]',
  );
  check(
    Number.isInteger(config.relayPort) && config.relayPort >= -1 && config.relayPort < 65536,
    'relay-port must be in [0, 65535], or -1 for off',
  );
  const wsUrl = (text: string) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '';
    } catch {
      return false;
    }
  };
  for (const endpoint of config.directEndpoint)
    check(
      wsUrl(endpoint) && Buffer.byteLength(endpoint) <= 256,
      `direct-endpoint: "${endpoint}" is not a ws:// or wss:// address (at most 256 bytes)`,
    );
  check(config.directEndpoint.length <= 8, 'direct-endpoint: at most 8 addresses');
  check(
    config.relay === undefined || wsUrl(config.relay),
    `relay: "${config.relay}" is not a ws:// or wss:// URL`,
  );
  for (const server of config.stun)
    check(/^stuns?:[^\s]+$/.test(server), `stun: "${server}" is not a stun:host:port URL`);
  check(
    config.dhtPort === undefined ||
      (Number.isInteger(config.dhtPort) && config.dhtPort >= 0 && config.dhtPort < 65536),
    'dht-port must be in [0, 65535]',
  );
  for (const endpoint of config.dhtEndpoint)
    check(
      isDhtEndpoint(endpoint),
      `dht-endpoint: "${endpoint}" is not a ws:// or wss:// address (at most 256 bytes)`,
    );
  check(config.dhtEndpoint.length <= 4, 'dht-endpoint: at most 4 addresses');
  for (const address of config.dhtBootstrap) {
    try {
      parseDhtAddress(address);
    } catch (error) {
      throw new ConfigError(`dht-bootstrap: ${(error as Error).message}`);
    }
  }
  check(
    Number.isInteger(config.inboxQuota) &&
      config.inboxQuota >= 0 &&
      config.inboxQuota <= Number.MAX_SAFE_INTEGER,
    'inbox-quota must be a whole number of bytes, at least 0',
  );
  check(config.dht || !config.inbox, 'inbox needs the DHT: drop --no-dht');
  check(
    config.mixnetGateway === undefined || /^[0-9a-f]{64}$/.test(config.mixnetGateway),
    'mixnet-gateway must be a gateway id: 64 lowercase hex digits',
  );
  check(
    config.mixnetInbox === undefined || /^[0-9a-f]{64}$/.test(config.mixnetInbox),
    'mixnet-inbox must be a gateway id: 64 lowercase hex digits',
  );
  check(
    config.mixnetExitVia === undefined || /^[0-9a-f]{64}@[0-9a-f]{64}$/.test(config.mixnetExitVia),
    'mixnet-exit-via must be a mixnet address: <64 hex>@<64 hex>',
  );
  check(
    config.postVia === 'gossip' || config.postVia === 'mixnet',
    'post-via must be gossip or mixnet',
  );
  check(
    config.mixnet !== undefined ||
      (!config.mixnetExit &&
        config.mixnetExitVia === undefined &&
        config.mixnetGateway === undefined &&
        config.mixnetInbox === undefined &&
        config.postVia === 'gossip'),
    'mixnet-exit, mixnet-exit-via, mixnet-gateway, mixnet-inbox and post-via mixnet need --mixnet <network file>',
  );
  check(
    config.postVia === 'gossip' || config.mixnetExitVia !== undefined,
    'post-via mixnet needs --mixnet-exit-via <exit address>',
  );
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.rpcHost);
  check(
    loopback || !!config.rpcToken,
    'rpc-token is required when rpc-host is not a loopback address',
  );
  return config;
}

/**
 * The effective configuration.
 *
 * @param flags - values from the command line, by flag name
 * @param env - the environment (HUSH_* variables are read)
 * @throws ConfigError naming the bad setting
 */
export function resolveConfig(
  flags: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined> = process.env,
): NodeConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const file = (flags.config as string | undefined) ?? env.HUSH_CONFIG;
  if (file) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`config file ${file}: ${(error as Error).message}`);
    }
    for (const [name, value] of Object.entries(parsed)) {
      const setting = SETTINGS.find((s) => s.key === name || s.flag === name);
      if (!setting) throw new ConfigError(`config file ${file}: unknown setting ${name}`);
      config[setting.key] =
        typeof value === 'string' && setting.kind !== 'string'
          ? parse(setting, value, file)
          : value;
    }
  }
  for (const setting of SETTINGS) {
    const fromEnv = env[envName(setting.flag)];
    if (fromEnv !== undefined) config[setting.key] = parse(setting, fromEnv, envName(setting.flag));
  }
  for (const setting of SETTINGS) {
    const fromFlag = flags[setting.flag];
    if (fromFlag === undefined) continue;
    config[setting.key] =
      typeof fromFlag === 'boolean' ? fromFlag : parse(setting, fromFlag, `--${setting.flag}`);
  }
  const resolved = validate(config as unknown as NodeConfig);
  resolved.dataDir = dataDirPath(resolved.dataDir, env.INIT_CWD || process.cwd());
  return resolved;
}

/**
 * The configuration as `hush config print` shows it: every secret as "(set)", the archive's
 * URL without its password.
 */
export function printableConfig(config: NodeConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const setting of SETTINGS)
    if (setting.secret && shown[setting.key] !== undefined) shown[setting.key] = '(set)';
  shown.archive = redactUrl(config.archive);
  return shown;
}

/** The --help text of the settings. */
export function settingsHelp(): string {
  return SETTINGS.map((s) => {
    const def = DEFAULT_CONFIG[s.key];
    const shown = s.shownDefault
      ? s.shownDefault
      : Array.isArray(def)
        ? def.join(',') || '(none)'
        : def === undefined
          ? '(none)'
          : String(def);
    return `  --${s.flag.padEnd(24)} ${s.help} [${envName(s.flag)}, default ${shown}]`;
  }).join('\n');
}
