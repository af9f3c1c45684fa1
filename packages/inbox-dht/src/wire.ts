/**
 * The messages of `hush-dht/1` (specs/inbox-dht/SPEC.md §3): one RLP list per frame,
 *
 *     [version, type, request id, body]
 *
 * PING/PONG and FIND_NODE/NODES for routing, ERROR for a refusal, and type numbers reserved
 * for the inbox operations (§5–§7), whose bodies this codec carries as raw RLP items for the
 * inbox code to read. Decoding is strict: canonical RLP, this version, known types, every
 * limit, every public key a point of secp256k1, valid UTF-8 endpoints, nothing after the
 * message. A contact travels as its public key, never as an id: the receiver computes the id.
 */
import type { PeerId } from '@hush/interface';
import { peerIdFromPublicKey } from '@hush/interface';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { DhtError, type DhtErrorCode } from './errors.js';
import { type Contact, checkEndpoints, ENDPOINT_LIMITS } from './routing/contact.js';
import { nodeIdOfPublicKey, publicKeyBody } from './routing/id.js';
import { K } from './routing/table.js';

/** The version of the message format. */
export const WIRE_VERSION = 1;

/** Message types (SPEC §3.2). */
export const MessageType = {
  Ping: 0x01,
  Pong: 0x02,
  FindNode: 0x03,
  Nodes: 0x04,
  /** A request refused: [code]. */
  Error: 0x0f,
  /** Reserved for the inbox operations (bodies in SPEC §4–§7); replies take 0x15–0x1f. */
  StoreDescriptor: 0x10,
  GetDescriptor: 0x11,
  Deposit: 0x12,
  Fetch: 0x13,
  Delete: 0x14,
  /** A signed restore (SPEC §3.4, §6.5); answered by 0x1b RESTORED. */
  Restore: 0x1a,
  /** A holder's offer of the items it holds at a location (SPEC §8.2); answered by 0x1d. */
  Offer: 0x1c,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The lowest and highest type number reserved for the inbox operations and their replies. */
export const INBOX_TYPES = { first: 0x10, last: 0x1f } as const;

/** Limits of a message (SPEC §3.3). */
export const WIRE_LIMITS = {
  /** Contacts in one NODES answer (k). */
  contacts: K,
  /** Largest request id. */
  requestId: 0xffff_ffff,
} as const;

/** Refusal codes an ERROR carries, as numbers on the wire. */
const ERROR_CODES: readonly DhtErrorCode[] = [
  'malformed',
  'bad-signature',
  'stale',
  'refused',
  'full',
  'quota',
];

/** A decoded message. */
export type DhtMessage =
  | { readonly type: 0x01; readonly requestId: number; readonly endpoints: readonly string[] }
  | { readonly type: 0x02; readonly requestId: number }
  | {
      readonly type: 0x03;
      readonly requestId: number;
      readonly target: Uint8Array;
      readonly endpoints: readonly string[];
    }
  | { readonly type: 0x04; readonly requestId: number; readonly contacts: readonly Contact[] }
  | { readonly type: 0x0f; readonly requestId: number; readonly code: DhtErrorCode }
  | {
      /** A type in 0x10–0x1f: the inbox code reads the body. */
      readonly type: number;
      readonly requestId: number;
      /** The body: one RLP item, as it came. */
      readonly body: Uint8Array;
    };

/**
 * Encodes a message.
 *
 * @throws RangeError for a type that is not one of §3.2, a request id out of range, a target
 *   that is not 32 bytes, more than 20 contacts, endpoints over their limits, a key that is
 *   not 64/65 bytes, or a reserved type's body that is not one RLP item
 */
export function encodeMessage(message: DhtMessage): Uint8Array {
  const { type, requestId } = message;
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > WIRE_LIMITS.requestId)
    throw new RangeError('requestId: an integer from 0 to 2³² − 1');
  let body: Uint8Array;
  if ('endpoints' in message && type === MessageType.Ping) {
    body = encodeList([encodeEndpoints(message.endpoints)]);
  } else if (type === MessageType.Pong) {
    body = encodeList([]);
  } else if ('target' in message && type === MessageType.FindNode) {
    if (!(message.target instanceof Uint8Array) || message.target.length !== 32)
      throw new RangeError('target: 32 bytes');
    body = encodeList([encodeBytes(message.target), encodeEndpoints(message.endpoints)]);
  } else if ('contacts' in message && type === MessageType.Nodes) {
    if (message.contacts.length > WIRE_LIMITS.contacts)
      throw new RangeError(`contacts: at most ${WIRE_LIMITS.contacts}`);
    body = encodeList(
      message.contacts.map((contact) =>
        encodeList([encodeBytes(publicKeyOfContact(contact)), encodeEndpoints(contact.endpoints)]),
      ),
    );
  } else if ('code' in message && type === MessageType.Error) {
    const code = ERROR_CODES.indexOf(message.code);
    if (code < 0) throw new RangeError(`code: ${message.code} is not an ERROR code`);
    body = encodeList([encodeUint(code + 1)]);
  } else if ('body' in message && type >= INBOX_TYPES.first && type <= INBOX_TYPES.last) {
    body = message.body;
    if (!oneItem(body)) throw new RangeError('body: one RLP item');
  } else {
    throw new RangeError(`type: ${type} with this body is not a message of SPEC §3.2`);
  }
  return encodeList([encodeUint(WIRE_VERSION), encodeUint(type), encodeUint(requestId), body]);
}

function publicKeyOfContact(contact: Contact): Uint8Array {
  return publicKeyBody(hexToBytes(contact.peer));
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function encodeEndpoints(endpoints: readonly string[]): Uint8Array {
  checkEndpoints(endpoints);
  return encodeList(endpoints.map((e) => encodeBytes(utf8Encoder.encode(e))));
}

function oneItem(bytes: Uint8Array): boolean {
  try {
    const s = new RlpStream(bytes);
    skip(s);
    return s.atEnd();
  } catch {
    return false;
  }
}

function skip(s: RlpStream): void {
  if (s.nextIsList()) {
    s.list();
    s.leave();
  } else s.view();
}

/**
 * Reads a message, strictly (SPEC §3.3).
 *
 * @throws DhtError 'malformed', with the cause
 */
export function decodeMessage(bytes: Uint8Array): DhtMessage {
  try {
    const s = new RlpStream(bytes);
    s.list();
    const version = s.uintNumber(2);
    if (version !== WIRE_VERSION) throw new Error(`version ${version}, not ${WIRE_VERSION}`);
    const type = s.uintNumber(1);
    const requestId = s.uintNumber(4);
    let message: DhtMessage;
    if (type >= INBOX_TYPES.first && type <= INBOX_TYPES.last) {
      const start = s.offset;
      skip(s);
      message = { type, requestId, body: bytes.slice(start, s.offset) };
    } else {
      s.list();
      switch (type) {
        case MessageType.Ping:
          message = { type, requestId, endpoints: readEndpoints(s) };
          break;
        case MessageType.Pong:
          message = { type, requestId };
          break;
        case MessageType.FindNode: {
          const target = s.string();
          if (target.length !== 32) throw new Error(`a target of ${target.length} bytes, not 32`);
          message = { type, requestId, target, endpoints: readEndpoints(s) };
          break;
        }
        case MessageType.Nodes:
          message = { type, requestId, contacts: readContacts(s) };
          break;
        case MessageType.Error: {
          const code = ERROR_CODES[s.uintNumber(1) - 1];
          if (!code) throw new Error('an unknown ERROR code');
          message = { type, requestId, code };
          break;
        }
        default:
          throw new Error(`unknown type ${type}`);
      }
      if (!s.atListEnd()) throw new Error('items after the body');
      s.leave();
    }
    if (!s.atListEnd()) throw new Error('items after the message');
    s.leave();
    if (!s.atEnd()) throw new Error('bytes after the message');
    return message;
  } catch (error) {
    throw new DhtError('malformed', `malformed message: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function readEndpoints(s: RlpStream): string[] {
  const endpoints: string[] = [];
  s.list();
  while (!s.atListEnd()) {
    if (endpoints.length === ENDPOINT_LIMITS.count)
      throw new Error(`more than ${ENDPOINT_LIMITS.count} endpoints`);
    const bytes = s.view();
    if (bytes.length === 0 || bytes.length > ENDPOINT_LIMITS.bytes)
      throw new Error(`an endpoint of ${bytes.length} bytes`);
    endpoints.push(utf8Decoder.decode(bytes));
  }
  s.leave();
  return endpoints;
}

const KEY = new Uint8Array(65);
KEY[0] = 4;
/** Keys already found on the curve, with their ids: a bounded cache (most answers repeat). */
const validKeys = new Map<PeerId, Uint8Array>();
const VALID_KEYS_LIMIT = 4096;

function validKeyId(peer: PeerId, key: Uint8Array): Uint8Array {
  const known = validKeys.get(peer);
  if (known) return known;
  KEY.set(key, 1);
  if (!secp256k1.utils.isValidPublicKey(KEY, false))
    throw new Error('a public key that is not a point of secp256k1');
  const id = nodeIdOfPublicKey(key);
  if (validKeys.size >= VALID_KEYS_LIMIT) validKeys.delete(validKeys.keys().next().value!);
  validKeys.set(peer, id);
  return id;
}

function readContacts(s: RlpStream): Contact[] {
  const contacts: Contact[] = [];
  const peers = new Set<PeerId>();
  while (!s.atListEnd()) {
    if (contacts.length === WIRE_LIMITS.contacts)
      throw new Error(`more than ${WIRE_LIMITS.contacts} contacts`);
    s.list();
    const key = s.view();
    if (key.length !== 64) throw new Error(`a public key of ${key.length} bytes, not 64`);
    const peer = peerIdFromPublicKey(key);
    const id = validKeyId(peer, key);
    if (peers.has(peer)) throw new Error('a contact given twice');
    peers.add(peer);
    const endpoints = readEndpoints(s);
    if (!s.atListEnd()) throw new Error('items after a contact');
    s.leave();
    contacts.push({ peer, id, endpoints });
  }
  return contacts;
}
