/**
 * `enode://` URLs (specs/rlpx SPEC §7): `enode://<128 hex of the public key>@<host>:<port>`,
 * with an optional `?discport=<udp port>`, as geth v1.8.27 prints and parses them (its
 * `p2p/enode/urlv4.go`). Hosts are IP addresses or, in Hush, DNS names resolved at dial time.
 */
import { defaultBackend } from '@hush/crypto';
import { RlpxError } from './errors.js';

/** A parsed enode URL. */
export interface Enode {
  /** The node's public key, 65 bytes uncompressed. */
  readonly publicKey: Uint8Array;
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
  /** The UDP discovery port, when it differs from `port`. */
  readonly discoveryPort?: number;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Parses an `enode://` URL.
 *
 * @example
 * ```ts
 * const { publicKey, host, port } = parseEnode('enode://a979…@127.0.0.1:30303');
 * ```
 *
 * @throws RlpxError 'bad-enode'
 */
export function parseEnode(url: string): Enode {
  const match =
    /^enode:\/\/([0-9a-fA-F]{128})@(\[[0-9a-fA-F:.]+\]|[^:/?#@\s[\]]+):(\d{1,5})(?:\?discport=(\d{1,5}))?$/.exec(
      url,
    );
  if (!match) throw new RlpxError('bad-enode', `not an enode URL: ${url.slice(0, 200)}`);
  const [, id, rawHost, port, discport] = match;
  const tcp = Number(port);
  if (tcp < 1 || tcp > 65535) throw new RlpxError('bad-enode', `bad port in ${url}`);
  const publicKey = new Uint8Array(65);
  publicKey[0] = 4;
  for (let i = 0; i < 64; i++) publicKey[i + 1] = Number.parseInt(id!.slice(2 * i, 2 * i + 2), 16);
  // As geth's ParseV4: the key must be a point of the curve, or every dial fails later.
  if (!defaultBackend.isValidPublicKey(publicKey))
    throw new RlpxError('bad-enode', `the key of ${url.slice(0, 200)} is not a secp256k1 point`);
  const host = rawHost!.startsWith('[') ? rawHost!.slice(1, -1) : rawHost!;
  const udp = discport === undefined ? undefined : Number(discport);
  // geth prints discport=0 for a node without discovery.
  if (udp !== undefined && udp > 65535) throw new RlpxError('bad-enode', `bad discport in ${url}`);
  return {
    publicKey,
    host,
    port: tcp,
    ...(udp !== undefined && udp !== tcp ? { discoveryPort: udp } : {}),
  };
}

/**
 * Formats an enode URL.
 *
 * @throws RangeError for a key that is not 64 or 65 bytes, or a port out of range
 */
export function formatEnode(enode: Enode): string {
  const key = enode.publicKey.length === 65 ? enode.publicKey.subarray(1) : enode.publicKey;
  if (key.length !== 64) throw new RangeError('publicKey must be 64 or 65 bytes');
  if (!Number.isInteger(enode.port) || enode.port < 1 || enode.port > 65535)
    throw new RangeError('port must be in 1 … 65535');
  const host = enode.host.includes(':') ? `[${enode.host}]` : enode.host;
  const disc =
    enode.discoveryPort !== undefined && enode.discoveryPort !== enode.port
      ? `?discport=${enode.discoveryPort}`
      : '';
  return `enode://${hex(key)}@${host}:${enode.port}${disc}`;
}
