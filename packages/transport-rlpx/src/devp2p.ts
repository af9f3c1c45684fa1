/**
 * The devp2p base protocol (specs/rlpx SPEC §5, go-ethereum v1.8.27 `p2p/peer.go`,
 * `p2p/peer_error.go`): the hello (code 0) with its capabilities, disconnect (1) with its
 * reasons, ping (2) and pong (3); sub-protocol codes start at 16, each capability taking its
 * length of codes in the order of its name.
 */
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { RlpxError } from './errors.js';

/** The devp2p version Hush speaks; snappy applies when the other side's is at least 5. */
export const BASE_PROTOCOL_VERSION = 5;
export const SNAPPY_PROTOCOL_VERSION = 5;
/** Codes 0–15 are the base protocol's. */
export const BASE_PROTOCOL_LENGTH = 16;
/** The largest hello geth reads. */
export const MAX_HELLO_BYTES = 2 * 1024;

export const BaseCode = { hello: 0x00, disconnect: 0x01, ping: 0x02, pong: 0x03 } as const;

/** geth's disconnect reasons (§5.4). */
export const DisconnectReason = {
  requested: 0x00,
  networkError: 0x01,
  protocolError: 0x02,
  uselessPeer: 0x03,
  tooManyPeers: 0x04,
  alreadyConnected: 0x05,
  incompatibleVersion: 0x06,
  invalidIdentity: 0x07,
  quitting: 0x08,
  unexpectedIdentity: 0x09,
  self: 0x0a,
  readTimeout: 0x0b,
  subprotocolError: 0x10,
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

const REASON_TEXT: Record<number, string> = {
  0: 'disconnect requested',
  1: 'network error',
  2: 'breach of protocol',
  3: 'useless peer',
  4: 'too many peers',
  5: 'already connected',
  6: 'incompatible p2p protocol version',
  7: 'invalid node identity',
  8: 'client quitting',
  9: 'unexpected identity',
  10: 'connected to self',
  11: 'read timeout',
  16: 'subprotocol error',
};

/** geth's words for a disconnect reason. */
export function disconnectReasonText(reason: number): string {
  return REASON_TEXT[reason] ?? `unknown disconnect reason ${reason}`;
}

/** A capability: a sub-protocol's name and version. */
export interface Capability {
  readonly name: string;
  readonly version: number;
  /** How many message codes it takes (shh v6: 128). Only needed for local capabilities. */
  readonly length?: number;
}

/** The hello message (§5.1). */
export interface Hello {
  readonly version: number;
  /** The client's name, e.g. `Geth/v1.8.27-stable/linux-amd64/go1.19.8`. */
  readonly name: string;
  readonly capabilities: readonly Capability[];
  readonly listenPort: number;
  /** The node's public key, 64 bytes (no 0x04 prefix). */
  readonly id: Uint8Array;
}

const text = new TextEncoder();
const untext = new TextDecoder('utf-8', { fatal: false });

/**
 * The hello's RLP: [version, name, [[cap name, cap version]…], listen port, id].
 *
 * @throws RangeError for an id that is not 64 bytes
 */
export function encodeHello(hello: Hello): Uint8Array {
  if (hello.id.length !== 64) throw new RangeError('hello.id must be 64 bytes');
  return encodeList([
    encodeUint(hello.version),
    encodeBytes(text.encode(hello.name)),
    encodeList(
      hello.capabilities.map((c) =>
        encodeList([encodeBytes(text.encode(c.name)), encodeUint(c.version)]),
      ),
    ),
    encodeUint(hello.listenPort),
    encodeBytes(hello.id),
  ]);
}

/**
 * Reads a hello as geth does: further list elements are ignored (EIP-8), and the id must be
 * 64 bytes, not all zero.
 *
 * @throws RlpxError 'bad-hello'
 */
export function decodeHello(payload: Uint8Array): Hello {
  if (payload.length > MAX_HELLO_BYTES)
    throw new RlpxError('bad-hello', `hello of ${payload.length} bytes: message too big`);
  let hello: Hello;
  try {
    const s = new RlpStream(payload);
    s.list();
    const version = s.uintNumber(6);
    const name = untext.decode(s.view());
    s.list();
    const capabilities: Capability[] = [];
    while (!s.atListEnd()) {
      s.list();
      const capName = untext.decode(s.view());
      const capVersion = s.uintNumber(6);
      s.leave();
      capabilities.push({ name: capName, version: capVersion });
    }
    s.leave();
    const listenPort = s.uintNumber(6);
    const id = s.string();
    s.leave();
    hello = { version, name, capabilities, listenPort, id };
  } catch (error) {
    throw new RlpxError('bad-hello', `hello: ${(error as Error).message}`, { cause: error });
  }
  if (hello.id.length !== 64 || hello.id.every((b) => b === 0))
    throw new RlpxError('bad-hello', 'invalid node identity');
  return hello;
}

/** A disconnect's RLP: [reason]. */
export function encodeDisconnect(reason: DisconnectReason): Uint8Array {
  return encodeList([encodeUint(reason)]);
}

/**
 * A disconnect's reason: [reason] as geth sends it, or a bare integer as some clients do;
 * anything else is "network error", for the connection ends anyway.
 *
 * @throws nothing
 */
export function decodeDisconnect(payload: Uint8Array): number {
  try {
    const s = new RlpStream(payload);
    if (s.nextIsList()) {
      s.list();
      return s.atListEnd() ? DisconnectReason.requested : s.uintNumber(1);
    }
    return s.uintNumber(1);
  } catch {
    return DisconnectReason.networkError;
  }
}

/** Ping and pong carry an empty list. */
export const EMPTY_LIST = Uint8Array.of(0xc0);

/** A capability both sides have, with its code offset (§5.2). */
export interface MatchedCapability extends Capability {
  readonly offset: number;
  readonly length: number;
}

/**
 * geth's matchProtocols: the remote capabilities sorted by name then version, each one this
 * side has gets the next offset from 16; a later version of a name replaces an earlier one.
 *
 * @throws nothing
 */
export function matchCapabilities(
  local: readonly Capability[],
  remote: readonly Capability[],
): MatchedCapability[] {
  const sorted = [...remote].sort((a, b) =>
    a.name === b.name ? a.version - b.version : a.name < b.name ? -1 : 1,
  );
  const matched = new Map<string, MatchedCapability>();
  let offset = BASE_PROTOCOL_LENGTH;
  for (const cap of sorted) {
    const mine = local.find((c) => c.name === cap.name && c.version === cap.version);
    if (!mine) continue;
    const old = matched.get(cap.name);
    if (old) offset -= old.length;
    const length = mine.length ?? 0;
    matched.set(cap.name, { name: cap.name, version: cap.version, offset, length });
    offset += length;
  }
  return [...matched.values()];
}
