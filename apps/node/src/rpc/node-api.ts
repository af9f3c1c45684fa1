/**
 * The methods geth serves beside `shh_` on the same endpoint, with geth's shapes: `web3_`
 * (client version, Keccak-256), `net_` (network id, listening, peer count), `rpc_modules`,
 * and `admin_` (node info, peers, adding and removing peers), which like geth's `--rpcapi`
 * a node serves only when its `--rpc-api` list names the module (admin is off by default).
 */
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { keccak256 } from '@hush/keccak';
import type { GossipNode } from '@hush/transport-gossip';
import { parseEnode } from '@hush/transport-rlpx';
import { type Method, RpcError } from './jsonrpc.js';
import { arg, hexBytes, string, toHex } from './params.js';

/** The API modules a node can serve. */
export const RPC_MODULES = ['shh', 'shhext', 'web3', 'net', 'hush', 'admin'] as const;
export type RpcModule = (typeof RPC_MODULES)[number];

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** geth's client version string, for Hush: name/version/platform/runtime. */
export const CLIENT_VERSION = `Hush/v${version}/${platform()}-${arch()}/node${process.versions.node}`;

/**
 * geth's network id when none is configured. Hush has no chain; clients that ask (web3's
 * `net.getId`) get geth's default rather than an error.
 */
const NETWORK_ID = '1';

/** Host and port of a peer address: a `ws://` URL (dialed), or `host:port` (inbound). */
function endpoint(address: string | undefined): { host: string; port: string } | undefined {
  if (!address) return undefined;
  try {
    if (address.includes('://')) {
      const url = new URL(address);
      return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || '0' };
    }
  } catch {
    return undefined;
  }
  const at = address.lastIndexOf(':');
  if (at <= 0) return undefined;
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: address.slice(at + 1) };
}

/** Whether `address` is an enode URL the RLPx transport dials. */
function isEnode(address: string): boolean {
  try {
    parseEnode(address);
    return true;
  } catch {
    return false;
  }
}

/** An enode URL of a node key (65 bytes, hex) at an address (0.0.0.0:0 when unknown). */
function enodeOf(id: string, address: string | undefined): string {
  const at = endpoint(address) ?? { host: '0.0.0.0', port: '0' };
  return `enode://${id.replace(/^04/, '')}@${at.host}:${at.port}`;
}

/** The web3_, net_, rpc_ and admin_ methods of the enabled modules. */
export function nodeApiMethods(
  gossip: GossipNode,
  modules: readonly RpcModule[],
  /** The discovery v4 UDP port, when discovery runs (admin_nodeInfo's ports.discovery). */
  discoveryPort?: () => number | undefined,
): Record<string, Method> {
  const methods: Record<string, Method> = {};
  if (modules.includes('web3')) {
    methods.web3_clientVersion = () => CLIENT_VERSION;
    methods.web3_sha3 = (params) => toHex(keccak256(hexBytes(arg(params, 0), 0, 'data')));
  }
  if (modules.includes('net')) {
    methods.net_version = () => NETWORK_ID;
    methods.net_listening = () => gossip.addresses.length > 0;
    methods.net_peerCount = () => `0x${gossip.stats().peers.length.toString(16)}`;
  }
  methods.rpc_modules = () => Object.fromEntries(modules.map((m) => [m, '1.0']));
  if (modules.includes('admin')) {
    methods.admin_nodeInfo = () => {
      const address = gossip.addresses.find((a) => !a.startsWith('enode:'));
      // The node's RLPx enode URL when it listens on RLPx (what geth's peers dial), else one
      // made of its key and the gossip listener, as before.
      const rlpxEnode = gossip.addresses.find((a) => a.startsWith('enode:'));
      const url = address ? new URL(address) : undefined;
      const settings = gossip.engine.settings();
      // As geth's: ip, ports and listenAddr describe the listener the enode URL names, the
      // RLPx one when there is one (ports.discovery its UDP port, 0 without discovery).
      const rlpx = rlpxEnode ? parseEnode(rlpxEnode) : undefined;
      const ip = rlpx ? rlpx.host : (url?.hostname.replace(/^\[|\]$/g, '') ?? '');
      const listener = rlpx ? rlpx.port : Number(url?.port ?? 0);
      return {
        id: gossip.id,
        name: CLIENT_VERSION,
        enode: rlpxEnode ?? enodeOf(gossip.id, address),
        ip,
        ports: {
          discovery: rlpx ? (discoveryPort?.() ?? 0) : 0,
          listener,
        },
        listenAddr: rlpx ? `${ip.includes(':') ? `[${ip}]` : ip}:${listener}` : url ? url.host : '',
        listenAddresses: gossip.addresses,
        protocols: {
          shh: {
            version: '6.0',
            maxMessageSize: settings.maxMessageSize,
            minimumPoW: settings.minPow,
          },
        },
      };
    };
    methods.admin_peers = () =>
      gossip.stats().peers.map((peer) => ({
        id: peer.id,
        enode: enodeOf(peer.id, peer.address),
        caps: ['shh/6'],
        network: {
          remoteAddress: peer.address,
          inbound: !peer.outbound,
          trusted: peer.trusted,
        },
        protocols: {
          shh: {
            version: '6.0',
            ready: peer.ready,
            light: peer.lightNode,
            powRequirement: peer.powRequirement,
          },
        },
      }));
    methods.admin_addPeer = (params) => {
      const address = string(arg(params, 0), 0, 'url');
      if (!/^wss?:\/\/[^/]+/.test(address) && !isEnode(address))
        throw new RpcError(
          -32000,
          `invalid peer address ${address}: give ws://host:port or enode://<128 hex>@host:port`,
        );
      gossip.connect(address);
      return true;
    };
    methods.admin_removePeer = (params) => {
      const given = string(arg(params, 0), 0, 'url');
      // A peer named by its enode URL is the peer with that key.
      const key = /^enode:\/\/([0-9a-fA-F]{128})@/.exec(given)?.[1];
      // A peer added by its enode URL is redialed by that URL: forget the URL first, so that
      // closing the connection schedules no redial.
      if (key) gossip.disconnect(given);
      gossip.disconnect(key ? `04${key.toLowerCase()}` : given);
      return true;
    };
  }
  return methods;
}
