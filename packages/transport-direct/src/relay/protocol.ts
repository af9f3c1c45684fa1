/**
 * The relay protocol's messages (specs/transport-direct/SPEC.md §6.2): a client's join
 * `[tag, token]`, then the relay's one answer `[tag, 1]` (paired) or `[tag, 2, reason]`
 * (refused, and the connection closes). After `paired` every message is the other client's,
 * untouched.
 */
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';

const JOIN_TAG = new TextEncoder().encode('hush-relay/1 join');
const ANSWER_TAG = new TextEncoder().encode('hush-relay/1');
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The path a relay serves on by default. */
export const RELAY_PATH = '/hush-relay/1';
/** Bytes of a rendezvous token. */
export const TOKEN_BYTES = 32;

/** Why a relay refused a client (SPEC §6.3). */
export type RelayRefusal =
  | 'malformed-join'
  | 'token-in-use'
  | 'busy'
  | 'full'
  | 'join-timeout'
  | 'early-frame'
  | 'closing';

const REFUSALS: readonly RelayRefusal[] = [
  'malformed-join',
  'token-in-use',
  'busy',
  'full',
  'join-timeout',
  'early-frame',
  'closing',
];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A join. @throws RangeError when `token` is not 32 bytes */
export function encodeJoin(token: Uint8Array): Uint8Array {
  if (!(token instanceof Uint8Array) || token.length !== TOKEN_BYTES)
    throw new RangeError(`token: must be ${TOKEN_BYTES} bytes`);
  return encodeList([encodeBytes(JOIN_TAG), encodeBytes(token)]);
}

/** The token of a join, or undefined for anything that is not exactly one. */
export function decodeJoin(message: Uint8Array): Uint8Array | undefined {
  try {
    const s = new RlpStream(message);
    s.list();
    if (!sameBytes(s.string(), JOIN_TAG)) return undefined;
    const token = s.string().slice();
    if (token.length !== TOKEN_BYTES || !s.atListEnd()) return undefined;
    s.leave();
    return s.atEnd() ? token : undefined;
  } catch {
    return undefined;
  }
}

/** The relay's answer to a join. */
export type RelayAnswer =
  | { readonly paired: true }
  | { readonly paired: false; readonly reason: RelayRefusal | 'unknown' };

/** The relay's `paired` message. */
export function encodePaired(): Uint8Array {
  return encodeList([encodeBytes(ANSWER_TAG), encodeUint(1)]);
}

/** The relay's refusal. */
export function encodeRefused(reason: RelayRefusal): Uint8Array {
  return encodeList([encodeBytes(ANSWER_TAG), encodeUint(2), encodeBytes(utf8.encode(reason))]);
}

/** Reads the relay's answer; undefined for anything else. */
export function decodeAnswer(message: Uint8Array): RelayAnswer | undefined {
  try {
    const s = new RlpStream(message);
    s.list();
    if (!sameBytes(s.string(), ANSWER_TAG)) return undefined;
    const kind = s.uintNumber(1);
    let answer: RelayAnswer;
    if (kind === 1) answer = { paired: true };
    else if (kind === 2) {
      const text = fromUtf8.decode(s.string());
      answer = {
        paired: false,
        reason: REFUSALS.includes(text as RelayRefusal) ? (text as RelayRefusal) : 'unknown',
      };
    } else return undefined;
    if (!s.atListEnd()) return undefined;
    s.leave();
    return s.atEnd() ? answer : undefined;
  } catch {
    return undefined;
  }
}
