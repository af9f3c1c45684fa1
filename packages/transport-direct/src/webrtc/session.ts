/**
 * One WebRTC connection attempt (specs/transport-direct/SPEC.md §5.2): the offerer creates
 * the data channel and an offer with every ICE candidate gathered, the answerer answers in one
 * signal, and both wait for the data channel to open, or fail with a typed error.
 */
import { type Clock, type RawChannel, systemClock } from '@hush/interface';
import { createPeer } from '#webrtc';
import { DirectError } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, webRtcRawChannel } from './channel.js';
import type { PlatformPeer } from './platform.js';
import { type RelayRendezvous, SIGNAL_LIMITS, type Signal } from './signal.js';

/** Options of a WebRTC attempt. */
export interface WebRtcOptions {
  /** STUN servers, `stun:host:port` (default none: host candidates only). */
  readonly iceServers?: readonly string[];
  /** Longest wait for ICE gathering before the candidates found so far are sent (default 5 s). */
  readonly gatherTimeoutMs?: number;
  /** Longest wait, once the answer is in, for the data channel to open (default 15 s). */
  readonly connectTimeoutMs?: number;
  /** Largest message the channel carries either way (default 1 MiB + 64 KiB). */
  readonly maxMessageBytes?: number;
  readonly clock?: Clock;
}

function resolved(options: WebRtcOptions) {
  const out = {
    iceServers: options.iceServers ?? [],
    gatherTimeoutMs: options.gatherTimeoutMs ?? 5000,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    clock: options.clock ?? systemClock,
  };
  for (const url of out.iceServers)
    if (typeof url !== 'string' || !/^stuns?:/.test(url))
      throw new TypeError(`iceServers: ${String(url)} is not a stun: URL`);
  for (const name of ['gatherTimeoutMs', 'connectTimeoutMs', 'maxMessageBytes'] as const)
    if (!Number.isInteger(out[name]) || out[name] < 1)
      throw new RangeError(`${name}: must be a positive integer`);
  return out;
}

/** 16 random bytes: a session id (or, with 32, a relay token). */
export function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

function waitOpen(peer: PlatformPeer, settings: ReturnType<typeof resolved>): Promise<RawChannel> {
  return new Promise((resolve, reject) => {
    const timer = settings.clock.setTimeout(() => {
      peer.close();
      reject(
        new DirectError(
          'ice-timeout',
          `the data channel did not open within ${settings.connectTimeoutMs} ms`,
        ),
      );
    }, settings.connectTimeoutMs);
    peer.opened.then(
      (dc) => {
        settings.clock.clearTimeout(timer);
        resolve(webRtcRawChannel(dc, settings.maxMessageBytes));
      },
      (error: Error) => {
        settings.clock.clearTimeout(timer);
        peer.close();
        reject(new DirectError('ice-failed', `WebRTC failed: ${error.message}`, { cause: error }));
      },
    );
  });
}

/** The offering side of an attempt. */
export interface WebRtcOffer {
  /** The offer to send to the contact (with the relay to fall back on, if one was given). */
  readonly signal: Signal;
  /**
   * Takes the contact's answer and waits for the data channel.
   *
   * @throws DirectError 'malformed-signal' for a signal that is not this session's answer,
   *   'ice-failed' or 'ice-timeout'
   */
  accept(answer: Signal): Promise<RawChannel>;
  /** Gives the attempt up. */
  close(): void;
}

function peerConfig(settings: ReturnType<typeof resolved>) {
  return {
    iceServers: settings.iceServers,
    gatherTimeoutMs: settings.gatherTimeoutMs,
    maxMessageSize: 256 * 1024,
  };
}

function sameSession(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Starts a WebRTC attempt: a peer connection, its data channel, and the offer once ICE
 * gathering has ended.
 *
 * @throws TypeError / RangeError for bad options
 * @throws DirectError 'ice-failed' when the platform cannot make an offer
 * @example
 * ```ts
 * const offer = await createWebRtcOffer({ iceServers: ['stun:10.0.0.1:3478'] });
 * await signalling.send(contactKey, encodeSignal(offer.signal));
 * const channel = await offer.accept(answer);
 * ```
 */
export async function createWebRtcOffer(
  options: WebRtcOptions = {},
  relay?: RelayRendezvous,
): Promise<WebRtcOffer> {
  const settings = resolved(options);
  const peer = createPeer(peerConfig(settings));
  let sdp: string;
  try {
    sdp = await peer.createOffer();
  } catch (error) {
    peer.close();
    throw new DirectError('ice-failed', 'cannot make a WebRTC offer', { cause: error });
  }
  const session = randomBytes(SIGNAL_LIMITS.sessionBytes);
  const signal: Signal = relay
    ? { kind: 'offer', session, sdp, relay }
    : { kind: 'offer', session, sdp };
  return {
    signal,
    async accept(answer) {
      if (answer.kind !== 'answer' || !sameSession(answer.session, session))
        throw new DirectError('malformed-signal', 'not the answer to this offer');
      try {
        peer.acceptAnswer(answer.sdp);
      } catch (error) {
        peer.close();
        throw new DirectError('ice-failed', 'the answer was refused', { cause: error });
      }
      return waitOpen(peer, settings);
    },
    close: () => peer.close(),
  };
}

/** The answering side of an attempt. */
export interface WebRtcAnswer {
  /** The answer to send back. */
  readonly signal: Signal;
  /** The data channel, once open. @throws DirectError 'ice-failed' or 'ice-timeout' */
  readonly channel: Promise<RawChannel>;
  /** Gives the attempt up. */
  close(): void;
}

/**
 * Answers an offer: a peer connection that takes it, and the answer once ICE gathering has
 * ended.
 *
 * @throws TypeError / RangeError for bad options
 * @throws DirectError 'malformed-signal' when `offer` is not an offer, 'ice-failed' when the
 *   platform refuses its SDP
 */
export async function answerWebRtcOffer(
  offer: Signal,
  options: WebRtcOptions = {},
): Promise<WebRtcAnswer> {
  if (offer.kind !== 'offer') throw new DirectError('malformed-signal', 'not an offer');
  const settings = resolved(options);
  const peer = createPeer(peerConfig(settings));
  let sdp: string;
  try {
    sdp = await peer.createAnswer(offer.sdp);
  } catch (error) {
    peer.close();
    throw new DirectError('ice-failed', 'the offer was refused', { cause: error });
  }
  const channel = waitOpen(peer, settings);
  channel.catch(() => {});
  return {
    signal: { kind: 'answer', session: offer.session, sdp },
    channel,
    close: () => peer.close(),
  };
}
