/**
 * The address of a node on the DHT inbox (specs/inbox-dht/SPEC.md §2.1, §3.1): the peer id
 * its `hush-dht/1` links prove (the 64-byte secp256k1 public key, 128 hex digits) and the
 * ws:// or wss:// endpoint it listens on, as `<peer id>@ws://host:port` — what `--dht-bootstrap`
 * takes, what the node prints at start-up and what a page is given to join through.
 */
import type { PeerId } from '@hush/interface';
import { DhtError } from './errors.js';
import { ENDPOINT_LIMITS } from './routing/contact.js';

/** A parsed DHT address. */
export interface DhtAddress {
  /** The 64-byte public key in hex (128 lowercase digits): the peer id. */
  readonly peer: PeerId;
  /** Where it listens: a ws:// or wss:// URL. */
  readonly endpoint: string;
}

/** Longest endpoint a contact may carry. */
const MAX_ENDPOINT_BYTES = ENDPOINT_LIMITS.bytes;

const bad = (message: string) => new DhtError('bad-address', message);

/**
 * Reads `<public key>@ws://host:port`: the public key as 128 hex digits (64 bytes, optionally
 * with the 04 prefix of the uncompressed form or a 0x prefix), the endpoint a ws:// or wss://
 * URL with a host, at most 256 bytes.
 *
 * @throws DhtError 'bad-address' naming what is wrong
 */
export function parseDhtAddress(text: string): DhtAddress {
  if (typeof text !== 'string') throw bad('a DHT address is a string');
  const at = text.indexOf('@');
  if (at < 0)
    throw bad(`"${text}" is not a DHT address (<128 hex digits of the public key>@ws://host:port)`);
  let key = text.slice(0, at).toLowerCase();
  if (key.startsWith('0x')) key = key.slice(2);
  if (key.length === 130 && key.startsWith('04')) key = key.slice(2);
  if (!/^[0-9a-f]{128}$/.test(key))
    throw bad(
      `"${text}": the public key before @ must be 128 hex digits (64 bytes, 04 prefix optional)`,
    );
  const endpoint = text.slice(at + 1);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw bad(`"${text}": "${endpoint}" is not a URL`);
  }
  if ((url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '')
    throw bad(`"${text}": the endpoint must be a ws:// or wss:// URL with a host`);
  if (new TextEncoder().encode(endpoint).length > MAX_ENDPOINT_BYTES)
    throw bad(`"${text}": the endpoint is over ${MAX_ENDPOINT_BYTES} bytes`);
  return { peer: key as PeerId, endpoint };
}

/**
 * The address of a node: `<peer id>@<endpoint>`.
 *
 * @throws DhtError 'bad-address' if the result would not parse (a peer id not 128 hex digits, an
 *   endpoint not ws://)
 */
export function formatDhtAddress(peer: PeerId, endpoint: string): string {
  const text = `${peer}@${endpoint}`;
  parseDhtAddress(text);
  return text;
}

/**
 * Whether `text` is a ws:// or wss:// URL with a host, at most 256 bytes (a `--dht-endpoint`).
 *
 * @throws nothing
 */
export function isDhtEndpoint(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === 'ws:' || url.protocol === 'wss:') &&
      url.hostname !== '' &&
      new TextEncoder().encode(text).length <= MAX_ENDPOINT_BYTES
    );
  } catch {
    return false;
  }
}
