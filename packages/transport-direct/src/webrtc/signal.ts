/**
 * The signal (specs/transport-direct/SPEC.md §5.1): what an introduction's `signal` field
 * carries between two contacts that connect by WebRTC or a relay. One RLP list
 * `[tag, kind, session, sdp, relay]`: an offer (the offerer's SDP with all its ICE candidates,
 * and optionally the relay to fall back on), the answer to it, or the order to meet at the
 * relay instead.
 */
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { DirectError } from '../errors.js';
import { INTRODUCTION_LIMITS } from '../introduction.js';

const TAG = new TextEncoder().encode('hush-direct/1 signal');
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What a signal is. */
export type SignalKind = 'offer' | 'answer' | 'relay';
const KINDS: readonly SignalKind[] = ['offer', 'answer', 'relay'];

/** Limits of one signal (SPEC §5.1). */
export const SIGNAL_LIMITS = {
  /** The whole encoded signal: what an introduction's `signal` field holds. */
  bytes: INTRODUCTION_LIMITS.signalBytes,
  sessionBytes: 16,
  tokenBytes: 32,
  endpointBytes: 256,
} as const;

/** Where two contacts meet when no direct path works, and the token they present there. */
export interface RelayRendezvous {
  /** The relay's WebSocket URL (`ws://host:port/hush-relay/1`, `wss://…`). */
  readonly endpoint: string;
  /** 32 random bytes chosen by the offerer; the relay pairs the two joins that present it. */
  readonly token: Uint8Array;
}

/** One signal. */
export interface Signal {
  readonly kind: SignalKind;
  /** 16 random bytes naming one connection attempt: the answer and relay order repeat it. */
  readonly session: Uint8Array;
  /** The SDP with its ICE candidates (offer, answer); empty for `relay`. */
  readonly sdp: string;
  /** The relay to meet at: allowed on an offer, required on `relay`, absent on an answer. */
  readonly relay?: RelayRendezvous;
}

function fail(message: string): never {
  throw new Error(message);
}

function check(signal: Signal, say: (message: string) => never): void {
  if (!KINDS.includes(signal.kind)) say('kind: must be offer, answer or relay');
  if (
    !(signal.session instanceof Uint8Array) ||
    signal.session.length !== SIGNAL_LIMITS.sessionBytes
  )
    say(`session: must be ${SIGNAL_LIMITS.sessionBytes} bytes`);
  if (typeof signal.sdp !== 'string') say('sdp: must be a string');
  if (signal.kind === 'relay' ? signal.sdp.length > 0 : signal.sdp.length === 0)
    say(
      signal.kind === 'relay' ? 'sdp: a relay order has none' : `sdp: an ${signal.kind} needs one`,
    );
  if (signal.kind === 'answer' && signal.relay) say('relay: an answer names none');
  if (signal.kind === 'relay' && !signal.relay) say('relay: a relay order needs one');
  if (signal.relay) {
    const { endpoint, token } = signal.relay;
    if (typeof endpoint !== 'string' || !/^wss?:\/\//.test(endpoint))
      say('relay.endpoint: must be a ws:// or wss:// URL');
    if (utf8.encode(endpoint).length > SIGNAL_LIMITS.endpointBytes)
      say(`relay.endpoint: at most ${SIGNAL_LIMITS.endpointBytes} bytes`);
    if (!(token instanceof Uint8Array) || token.length !== SIGNAL_LIMITS.tokenBytes)
      say(`relay.token: must be ${SIGNAL_LIMITS.tokenBytes} bytes`);
  }
}

/**
 * The bytes of a signal: RLP [tag, kind, session, sdp, [endpoint, token] or []].
 *
 * @throws RangeError naming the field that breaks SPEC §5.1, or when the whole is over 16 KiB
 */
export function encodeSignal(signal: Signal): Uint8Array {
  check(signal, (message) => {
    throw new RangeError(`signal.${message}`);
  });
  const bytes = encodeList([
    encodeBytes(TAG),
    encodeUint(KINDS.indexOf(signal.kind) + 1),
    encodeBytes(signal.session),
    encodeBytes(utf8.encode(signal.sdp)),
    encodeList(
      signal.relay
        ? [encodeBytes(utf8.encode(signal.relay.endpoint)), encodeBytes(signal.relay.token)]
        : [],
    ),
  ]);
  if (bytes.length > SIGNAL_LIMITS.bytes)
    throw new RangeError(`signal: ${bytes.length} bytes, at most ${SIGNAL_LIMITS.bytes}`);
  return bytes;
}

/**
 * Reads a signal strictly: canonical RLP, this version's tag, a known kind with the fields it
 * allows, every limit, UTF-8 text, nothing after the list.
 *
 * @throws DirectError 'malformed-signal', with the cause
 */
export function decodeSignal(bytes: Uint8Array): Signal {
  try {
    if (bytes.length > SIGNAL_LIMITS.bytes) fail(`over ${SIGNAL_LIMITS.bytes} bytes`);
    const s = new RlpStream(bytes);
    s.list();
    const tag = s.string();
    if (tag.length !== TAG.length || tag.some((byte, i) => byte !== TAG[i]))
      fail('not a hush-direct/1 signal');
    const kind = KINDS[s.uintNumber(1) - 1] ?? fail('unknown kind');
    const session = s.string().slice();
    const sdp = fromUtf8.decode(s.string());
    s.list();
    let relay: RelayRendezvous | undefined;
    if (!s.atListEnd()) {
      const endpoint = fromUtf8.decode(s.string());
      const token = s.string().slice();
      relay = { endpoint, token };
    }
    if (!s.atListEnd()) fail('items after the relay token');
    s.leave();
    if (!s.atListEnd()) fail('items after the relay');
    s.leave();
    if (!s.atEnd()) fail('bytes after the signal');
    const signal: Signal = relay ? { kind, session, sdp, relay } : { kind, session, sdp };
    check(signal, fail);
    return signal;
  } catch (error) {
    throw new DirectError('malformed-signal', `malformed signal: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
