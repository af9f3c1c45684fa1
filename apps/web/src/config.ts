/**
 * Where the page connects (specs/web/SPEC.md §1): the node that serves the page publishes
 * `/hush-web.json` with its gossip address, its limits and its services. It holds no secret,
 * and the page sends the node nothing but Noise frames.
 */
import { parseDhtAddress } from '@hush/inbox-dht';
import {
  type LoopixAddress,
  type NetworkConfig,
  parseMixnetAddress,
  parseNetworkConfig,
} from '@hush/mixnet-sphinx';
import { WebError } from './errors.js';

/** Whether `text` is a DHT address as the node prints it (`<128 hex>@ws://host:port`). */
function isDhtAddress(text: string): boolean {
  try {
    parseDhtAddress(text);
    return true;
  } catch {
    return false;
  }
}

/** The node's `/hush-web.json`. */
export interface WebConfig {
  readonly version: 1;
  /** `ws://host:port#<64 hex>`: the node's gossip address with its Noise static key. */
  readonly gossip: string;
  /** The node's gossip secp256k1 public key, 0x04… */
  readonly gossipPublicKey: string;
  readonly minPow: number;
  readonly maxMessageSize: number;
  /** `<128 hex>@ws://host:port`, or null without a DHT. */
  readonly dht: string | null;
  /** The node's mailserver, or null when it archives nothing. */
  readonly mailserver: { readonly peer: string; readonly password: string } | null;
  readonly relay: string | null;
  readonly stun: readonly string[];
  /**
   * The node's mixnet (specs/web/SPEC.md §9), or null: the network file (whose authority keys
   * the page checks every directory against) and the exit that injects into gossip. A node
   * older than the field sends none: read as null (the parser always sets it; a hand-made
   * configuration may leave it out).
   */
  readonly mixnet?: WebMixnetConfig | null;
}

/** The mixnet part of the configuration, parsed. */
export interface WebMixnetConfig {
  readonly network: NetworkConfig;
  /** The exit, `<queue id>@<gateway id>`. */
  readonly exit: LoopixAddress;
}

const PUBLIC_KEY = /^0x04[0-9a-fA-F]{128}$/;
/** Bounds that keep a hostile node from making the page grind or allocate without end. */
const MAX_MIN_POW = 1000;
const MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/**
 * Checks a parsed `/hush-web.json`.
 *
 * @throws WebError 'bad-config' naming the first bad field
 */
export function parseWebConfig(value: unknown): WebConfig {
  const c = value as Partial<Record<keyof WebConfig, unknown>> | null;
  const bad = (field: string): never => {
    throw new WebError('bad-config', `the node's /hush-web.json has a bad ${field}`);
  };
  if (c === null || typeof c !== 'object' || c.version !== 1) bad('version');
  if (typeof c!.gossip !== 'string' || !/^wss?:\/\/[^#\s]+#[0-9a-fA-F]{64}$/.test(c!.gossip))
    bad('gossip');
  if (typeof c!.gossipPublicKey !== 'string' || !PUBLIC_KEY.test(c!.gossipPublicKey))
    bad('gossipPublicKey');
  if (typeof c!.minPow !== 'number' || !(c!.minPow >= 0) || !Number.isFinite(c!.minPow))
    bad('minPow');
  if (
    typeof c!.maxMessageSize !== 'number' ||
    !Number.isInteger(c!.maxMessageSize) ||
    c!.maxMessageSize < 1024
  )
    bad('maxMessageSize');
  if (c!.dht !== null && (typeof c!.dht !== 'string' || !isDhtAddress(c!.dht))) bad('dht');
  const m = c!.mailserver as { peer?: unknown; password?: unknown } | null | undefined;
  if (
    m !== null &&
    (typeof m !== 'object' ||
      typeof m?.peer !== 'string' ||
      !PUBLIC_KEY.test(m.peer) ||
      typeof m.password !== 'string')
  )
    bad('mailserver');
  if ((c!.minPow as number) > MAX_MIN_POW) bad('minPow');
  if ((c!.maxMessageSize as number) > MAX_MESSAGE_SIZE) bad('maxMessageSize');
  if (c!.relay !== null && (typeof c!.relay !== 'string' || !/^wss?:\/\/\S+$/.test(c!.relay)))
    bad('relay');
  if (
    !Array.isArray(c!.stun) ||
    c!.stun.length > 16 ||
    !c!.stun.every((s) => typeof s === 'string' && /^(stun|turn)s?:\S+$/.test(s))
  )
    bad('stun');
  const mixnet = parseMixnet(c!.mixnet, bad);
  return { ...(c as WebConfig), mixnet };
}

/**
 * The `mixnet` field: null (or absent), or the network file and the exit's address. The
 * network file's own parser bounds it (1 to 32 authorities, 16 layers of 1,000 mixes, 1,000
 * gateways, epochs of 1 s to a day).
 */
function parseMixnet(value: unknown, bad: (field: string) => never): WebMixnetConfig | null {
  if (value === null || value === undefined) return null;
  const m = value as { network?: unknown; exit?: unknown };
  if (typeof m !== 'object' || typeof m.exit !== 'string') return bad('mixnet');
  try {
    return { network: parseNetworkConfig(m.network), exit: parseMixnetAddress(m.exit) };
  } catch {
    return bad('mixnet');
  }
}

/**
 * Fetches the serving node's configuration.
 *
 * @throws WebError 'bad-config' when it is missing, not JSON or malformed
 */
export async function fetchWebConfig(url = '/hush-web.json'): Promise<WebConfig> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (cause) {
    throw new WebError('bad-config', `cannot fetch ${url}`, { cause });
  }
  if (!response.ok) throw new WebError('bad-config', `${url} answered ${response.status}`);
  let json: unknown;
  try {
    json = await response.json();
  } catch (cause) {
    throw new WebError('bad-config', `${url} is not JSON`, { cause });
  }
  return parseWebConfig(json);
}
