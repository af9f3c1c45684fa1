/**
 * The discovery v4 wire codec (specs/rlpx SPEC §10.1, go-ethereum v1.8.27
 * `p2p/discover/udp.go`): a datagram is hash(32) ‖ signature(65) ‖ type(1) ‖ RLP body, the
 * hash being keccak256 of everything after it and the signature a recoverable secp256k1 one
 * over keccak256(type ‖ body). The sender is whoever the signature recovers to. Bodies are
 * read as geth's `rlp` package reads its structs: the named fields in order, integers in
 * canonical form and within their width, endpoint and node lists exactly as long as their
 * struct, and any further top-level elements kept raw (EIP-8 forward compatibility).
 */
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import { keccak256 } from '@hush/keccak';
import { encodeBytes, encodeList, encodeUint, ItemKind, itemHeader, readHeader } from '@hush/rlp';
import { RlpxError } from '../errors.js';

/** geth's maximum datagram: it reads into a 1280-byte buffer (and never sends more). */
export const MAX_PACKET_SIZE = 1280;
/** hash(32) ‖ signature(65). */
export const PACKET_HEAD_SIZE = 32 + 65;
/** geth's `expiration`: packets are stamped to expire 20 s after they are sent. */
export const PACKET_EXPIRATION_S = 20;

/** The four packet types of discovery v4. */
export const PacketType = { Ping: 1, Pong: 2, FindNode: 3, Neighbors: 4 } as const;
/** A discovery v4 packet type. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** An endpoint: an IP (4 bytes for IPv4, 16 for IPv6) with its UDP and TCP ports. */
export interface Endpoint {
  readonly ip: Uint8Array;
  readonly udp: number;
  readonly tcp: number;
}

/** A node record of a neighbors packet: an endpoint and the 64-byte public key. */
export interface NodeRecord extends Endpoint {
  readonly id: Uint8Array;
}

/** The fields every body carries last: the expiration and the extra elements after it. */
interface Tail {
  /** Unix seconds after which the packet is refused. */
  readonly expiration: number;
  /** Extra list elements after the known fields, each as its raw RLP (EIP-8). */
  readonly rest?: readonly Uint8Array[];
}

/** ping 0x01: [version, from, to, expiration, ...rest]. */
export interface PingBody extends Tail {
  readonly type: typeof PacketType.Ping;
  /** 4 when sent; geth reads any value and does not check it. */
  readonly version: number;
  readonly from: Endpoint;
  readonly to: Endpoint;
}
/** pong 0x02: [to, ping hash, expiration, ...rest]. */
export interface PongBody extends Tail {
  readonly type: typeof PacketType.Pong;
  /** The ping's UDP envelope address as the answering node saw it. */
  readonly to: Endpoint;
  /** The hash of the ping answered. */
  readonly replyToken: Uint8Array;
}
/** findnode 0x03: [target (64-byte public key), expiration, ...rest]. */
export interface FindNodeBody extends Tail {
  readonly type: typeof PacketType.FindNode;
  readonly target: Uint8Array;
}
/** neighbors 0x04: [[ip, udp, tcp, id]..., expiration, ...rest]. */
export interface NeighborsBody extends Tail {
  readonly type: typeof PacketType.Neighbors;
  readonly nodes: readonly NodeRecord[];
}
/** The body of any discovery v4 packet. */
export type PacketBody = PingBody | PongBody | FindNodeBody | NeighborsBody;

/** A datagram read and verified. */
export interface DecodedPacket {
  readonly body: PacketBody;
  /** The packet's hash (its first 32 bytes): what a pong echoes. */
  readonly hash: Uint8Array;
  /** The sender's public key, 65 bytes uncompressed, recovered from the signature. */
  readonly publicKey: Uint8Array;
  /** keccak256 of the 64-byte key: the sender's node id. */
  readonly nodeId: Uint8Array;
}

/** Why a datagram was dropped before its body was looked at. */
export type PacketFault =
  | 'oversize'
  | 'too-small'
  | 'bad-hash'
  | 'bad-signature'
  | 'unknown-type'
  | 'bad-rlp';

const MAX_UINT64 = (1n << 64n) - 1n;

function endpointItem(e: Endpoint): Uint8Array {
  return encodeList([encodeBytes(e.ip), encodeUint(e.udp), encodeUint(e.tcp)]);
}

function checkPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new RangeError(`${name} must be an integer in 0 … 65535`);
}

function bodyItems(body: PacketBody): Uint8Array[] {
  switch (body.type) {
    case PacketType.Ping:
      for (const [n, e] of [
        ['from', body.from],
        ['to', body.to],
      ] as const) {
        checkPort(`${n}.udp`, e.udp);
        checkPort(`${n}.tcp`, e.tcp);
      }
      return [
        encodeUint(body.version),
        endpointItem(body.from),
        endpointItem(body.to),
        encodeUint(body.expiration),
      ];
    case PacketType.Pong:
      checkPort('to.udp', body.to.udp);
      checkPort('to.tcp', body.to.tcp);
      return [endpointItem(body.to), encodeBytes(body.replyToken), encodeUint(body.expiration)];
    case PacketType.FindNode:
      if (body.target.length !== 64) throw new RangeError('target must be 64 bytes');
      return [encodeBytes(body.target), encodeUint(body.expiration)];
    case PacketType.Neighbors:
      return [
        encodeList(
          body.nodes.map((n) => {
            if (n.id.length !== 64) throw new RangeError('a neighbor id must be 64 bytes');
            checkPort('udp', n.udp);
            checkPort('tcp', n.tcp);
            return encodeList([
              encodeBytes(n.ip),
              encodeUint(n.udp),
              encodeUint(n.tcp),
              encodeBytes(n.id),
            ]);
          }),
        ),
        encodeUint(body.expiration),
      ];
    default:
      throw new RangeError('unknown packet type');
  }
}

/** The RLP of a body (without the type byte), extra elements appended raw. */
export function encodeBody(body: PacketBody): Uint8Array {
  if (!Number.isSafeInteger(body.expiration) || body.expiration < 0)
    throw new RangeError('expiration must be a non-negative safe integer');
  return encodeList([...bodyItems(body), ...(body.rest ?? [])]);
}

/**
 * Encodes and signs a discovery v4 packet as geth's `encodePacket` does.
 *
 * @returns the datagram and its hash (the token a pong must echo)
 * @throws RangeError for a body field out of range, or a packet over 1280 bytes
 * @throws TypeError if `privateKey` is not a valid secp256k1 key
 */
export function encodePacket(
  body: PacketBody,
  privateKey: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): { packet: Uint8Array; hash: Uint8Array } {
  if (!backend.isValidPrivateKey(privateKey))
    throw new TypeError('privateKey must be a valid secp256k1 private key');
  const rlp = encodeBody(body);
  const packet = new Uint8Array(PACKET_HEAD_SIZE + 1 + rlp.length);
  if (packet.length > MAX_PACKET_SIZE)
    throw new RangeError(`a discovery packet of ${packet.length} bytes is over 1280`);
  packet[PACKET_HEAD_SIZE] = body.type;
  packet.set(rlp, PACKET_HEAD_SIZE + 1);
  const signature = backend.signRecoverable(
    keccak256(packet.subarray(PACKET_HEAD_SIZE)),
    privateKey,
  );
  packet.set(signature, 32);
  const hash = keccak256(packet.subarray(32));
  packet.set(hash, 0);
  return { packet, hash };
}

/** One RLP item: where its content is, and its whole encoding. */
interface Item {
  readonly list: boolean;
  readonly start: number;
  readonly end: number;
  readonly rawStart: number;
}

class BodyError extends Error {}

function children(bytes: Uint8Array, item: Item): Item[] {
  const h = itemHeader();
  const out: Item[] = [];
  let pos = item.start;
  while (pos < item.end) {
    readHeader(bytes, pos, item.end, h);
    if (h.kind === ItemKind.String && h.size === 1 && bytes[h.start]! < 0x80)
      throw new BodyError('a byte below 0x80 must stand alone');
    out.push({
      list: h.kind === ItemKind.List,
      start: h.start,
      end: h.start + h.size,
      rawStart: pos,
    });
    // Nested lists are checked for canonical sizes too, as geth's stream does when it reads them.
    if (h.kind === ItemKind.List) children(bytes, out[out.length - 1]!);
    pos = h.end;
  }
  return out;
}

function string(bytes: Uint8Array, item: Item | undefined, what: string): Uint8Array {
  if (!item) throw new BodyError(`${what}: too few elements`);
  if (item.list) throw new BodyError(`${what}: expected a string`);
  return bytes.slice(item.start, item.end);
}

function uint(bytes: Uint8Array, item: Item | undefined, bits: number, what: string): number {
  const raw = string(bytes, item, what);
  if (raw.length > bits / 8) throw new BodyError(`${what}: over ${bits} bits`);
  // geth's ErrCanonInt: no leading zero byte, and zero is the empty string.
  if (raw.length > 0 && raw[0] === 0) throw new BodyError(`${what}: non-canonical integer`);
  let value = 0n;
  for (const b of raw) value = (value << 8n) | BigInt(b);
  if (value > MAX_UINT64) throw new BodyError(`${what}: over 64 bits`);
  // Past 2^53 the value is only compared (an expiration far in the future), never re-sent.
  return Number(value);
}

function list(item: Item | undefined, what: string): Item {
  if (!item) throw new BodyError(`${what}: too few elements`);
  if (!item.list) throw new BodyError(`${what}: expected a list`);
  return item;
}

function exact(bytes: Uint8Array, item: Item, n: number, what: string): Item[] {
  const items = children(bytes, item);
  if (items.length < n) throw new BodyError(`${what}: too few elements`);
  if (items.length > n) throw new BodyError(`${what}: too many elements`);
  return items;
}

function endpoint(bytes: Uint8Array, item: Item | undefined, what: string): Endpoint {
  const [ip, udp, tcp] = exact(bytes, list(item, what), 3, what);
  return {
    ip: string(bytes, ip, `${what}.ip`),
    udp: uint(bytes, udp, 16, `${what}.udp`),
    tcp: uint(bytes, tcp, 16, `${what}.tcp`),
  };
}

function fixed(bytes: Uint8Array, item: Item | undefined, n: number, what: string): Uint8Array {
  const raw = string(bytes, item, what);
  if (raw.length !== n) throw new BodyError(`${what}: must be ${n} bytes`);
  return raw;
}

function rest(bytes: Uint8Array, items: Item[], from: number): Uint8Array[] {
  return items.slice(from).map((i) => bytes.slice(i.rawStart, i.end));
}

/**
 * Reads a body (the bytes after the type byte) of the given type. Bytes after the body's
 * list are ignored, as geth's `rlp.Stream` leaves them unread.
 *
 * @throws RlpxError 'bad-packet' for a body geth would not decode
 */
export function decodeBody(type: number, rlp: Uint8Array): PacketBody {
  try {
    const h = readHeader(rlp, 0, rlp.length, itemHeader());
    if (h.kind !== ItemKind.List) throw new BodyError('the body is not a list');
    const top = children(rlp, { list: true, start: h.start, end: h.start + h.size, rawStart: 0 });
    switch (type) {
      case PacketType.Ping:
        return {
          type,
          version: uint(rlp, top[0], 64, 'version'),
          from: endpoint(rlp, top[1], 'from'),
          to: endpoint(rlp, top[2], 'to'),
          expiration: uint(rlp, top[3], 64, 'expiration'),
          rest: rest(rlp, top, 4),
        };
      case PacketType.Pong:
        return {
          type,
          to: endpoint(rlp, top[0], 'to'),
          replyToken: string(rlp, top[1], 'reply token'),
          expiration: uint(rlp, top[2], 64, 'expiration'),
          rest: rest(rlp, top, 3),
        };
      case PacketType.FindNode:
        return {
          type,
          target: fixed(rlp, top[0], 64, 'target'),
          expiration: uint(rlp, top[1], 64, 'expiration'),
          rest: rest(rlp, top, 2),
        };
      case PacketType.Neighbors: {
        const nodes = children(rlp, list(top[0], 'nodes')).map((n, i) => {
          const [ip, udp, tcp, id] = exact(rlp, list(n, `node ${i}`), 4, `node ${i}`);
          return {
            ip: string(rlp, ip, `node ${i}.ip`),
            udp: uint(rlp, udp, 16, `node ${i}.udp`),
            tcp: uint(rlp, tcp, 16, `node ${i}.tcp`),
            id: fixed(rlp, id, 64, `node ${i}.id`),
          };
        });
        return {
          type,
          nodes,
          expiration: uint(rlp, top[1], 64, 'expiration'),
          rest: rest(rlp, top, 2),
        };
      }
      default:
        throw new BodyError(`unknown type ${type}`);
    }
  } catch (error) {
    throw new RlpxError(
      'bad-packet',
      `discv4 body: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Reads a datagram, or says why it is dropped. Never throws.
 *
 * @internal the service's reader; {@link decodePacket} is the public form
 */
export function readPacket(
  datagram: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): DecodedPacket | { fault: PacketFault; message: string } {
  if (datagram.length > MAX_PACKET_SIZE)
    return { fault: 'oversize', message: `${datagram.length} bytes is over 1280` };
  if (datagram.length < PACKET_HEAD_SIZE + 1)
    return { fault: 'too-small', message: `${datagram.length} bytes` };
  const hash = datagram.slice(0, 32);
  const should = keccak256(datagram.subarray(32));
  let same = true;
  for (let i = 0; i < 32; i++) if (hash[i] !== should[i]) same = false;
  if (!same) return { fault: 'bad-hash', message: 'the hash does not match the packet' };
  const signed = datagram.subarray(PACKET_HEAD_SIZE);
  let publicKey: Uint8Array | null = null;
  try {
    publicKey = backend.recoverPublicKey(
      keccak256(signed),
      datagram.subarray(32, PACKET_HEAD_SIZE),
    );
  } catch {
    publicKey = null;
  }
  if (!publicKey) return { fault: 'bad-signature', message: 'the signature recovers no key' };
  const type = signed[0]!;
  if (type < PacketType.Ping || type > PacketType.Neighbors)
    return { fault: 'unknown-type', message: `unknown type ${type}` };
  try {
    const body = decodeBody(type, signed.subarray(1));
    return { body, hash, publicKey, nodeId: keccak256(publicKey.subarray(1)) };
  } catch (error) {
    return { fault: 'bad-rlp', message: (error as Error).message };
  }
}

/**
 * Reads and verifies a discovery v4 datagram: its hash, the signature (which names the
 * sender) and the body. Expiration is not checked here (the service does it on receipt).
 *
 * @example
 * ```ts
 * const { body, publicKey } = decodePacket(datagram);
 * if (body.type === PacketType.Ping) console.log(body.from);
 * ```
 *
 * @throws RlpxError 'bad-packet' for an oversize, short, mis-hashed, unsigned or
 *   undecodable datagram
 */
export function decodePacket(
  datagram: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): DecodedPacket {
  const read = readPacket(datagram, backend);
  if ('fault' in read) throw new RlpxError('bad-packet', `discv4 ${read.fault}: ${read.message}`);
  return read;
}
