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
  /**
   * Answerer: how long after its answer is sent it starts checking the offer's candidates
   * (default 1 s), so that its checks do not reach the offerer before the answer does (SPEC
   * §5.2). Its connect timeout starts then too.
   */
  readonly checkDelayMs?: number;
  readonly clock?: Clock;
}

function resolved(options: WebRtcOptions) {
  const out = {
    iceServers: options.iceServers ?? [],
    gatherTimeoutMs: options.gatherTimeoutMs ?? 5000,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    checkDelayMs: options.checkDelayMs ?? 1000,
    clock: options.clock ?? systemClock,
  };
  if (!Number.isInteger(out.checkDelayMs) || out.checkDelayMs < 0)
    throw new RangeError('checkDelayMs: must be a non-negative integer');
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

/**
 * The data channel of `peer` once open, failing typed; the connect timeout runs from `arm()`
 * (at once unless `deferred`).
 */
function waitOpen(
  peer: PlatformPeer,
  settings: ReturnType<typeof resolved>,
  deferred = false,
): { readonly channel: Promise<RawChannel>; arm(): void; readonly settled: () => boolean } {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let settled = false;
  let fail!: (error: DirectError) => void;
  const channel = new Promise<RawChannel>((resolve, reject) => {
    fail = (error) => {
      settled = true;
      reject(error);
    };
    peer.opened.then(
      (dc) => {
        settled = true;
        if (timer !== undefined) settings.clock.clearTimeout(timer);
        resolve(webRtcRawChannel(dc, settings.maxMessageBytes));
      },
      (error: Error) => {
        settled = true;
        if (timer !== undefined) settings.clock.clearTimeout(timer);
        peer.close();
        reject(new DirectError('ice-failed', `WebRTC failed: ${error.message}`, { cause: error }));
      },
    );
  });
  const arm = () => {
    if (settled || timer !== undefined) return;
    timer = settings.clock.setTimeout(() => {
      if (settled) return;
      peer.close();
      fail(
        new DirectError(
          'ice-timeout',
          `the data channel did not open within ${settings.connectTimeoutMs} ms`,
        ),
      );
    }, settings.connectTimeoutMs);
  };
  if (!deferred) arm();
  return { channel, arm, settled: () => settled };
}

/** One ICE candidate line of an SDP (`candidate:…`, without `a=`) and its media section. */
export interface SdpCandidate {
  readonly candidate: string;
  readonly mid: string;
}

/**
 * Splits the ICE candidates (and `a=end-of-candidates`) off an SDP: the SDP without them, and
 * the candidates with the `a=mid` of their media section.
 */
export function splitCandidates(sdp: string): { sdp: string; candidates: SdpCandidate[] } {
  const lines = sdp.split(/\r?\n/);
  const kept: string[] = [];
  const found: { candidate: string; section: number }[] = [];
  const mids: string[] = [];
  let section = -1;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      section++;
      mids[section] = String(section);
    } else if (line.startsWith('a=mid:') && section >= 0) mids[section] = line.slice(6).trim();
    if (line.startsWith('a=candidate:')) {
      found.push({ candidate: line.slice(2), section });
      continue;
    }
    if (line.startsWith('a=end-of-candidates')) continue;
    kept.push(line);
  }
  return {
    sdp: kept.join('\r\n'),
    candidates: found.map(({ candidate, section }) => ({
      candidate,
      mid: mids[section] ?? '0',
    })),
  };
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
      return waitOpen(peer, settings).channel;
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
  /**
   * Says the answer has been sent: the answerer starts checking the offer's candidates
   * `checkDelayMs` later, and its connect timeout starts then. Without it, both start
   * `checkDelayMs` after the answer was made.
   */
  sent(): void;
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
  // The offer's candidates are held back until the answer has had time to arrive: a check that
  // reaches the offerer first is valid ICE (RFC 8445 §7.3), but libdatachannel (0.24) then
  // starts DTLS while it is still taking the answer in and fails the handshake, unable to check
  // the fingerprint (SPEC §5.2). The offerer's own checks, once it has the answer, still get
  // through whenever the answerer's NAT lets them.
  const { sdp: bare, candidates } = splitCandidates(offer.sdp);
  let sdp: string;
  try {
    sdp = await peer.createAnswer(bare);
  } catch (error) {
    peer.close();
    throw new DirectError('ice-failed', 'the offer was refused', { cause: error });
  }
  const opening = waitOpen(peer, settings, true);
  opening.channel.catch(() => {});
  let started = false;
  let closed = false;
  const start = () => {
    if (started || closed) return;
    started = true;
    pending = undefined;
    if (!opening.settled())
      for (const { candidate, mid } of candidates)
        try {
          peer.addRemoteCandidate(candidate, mid);
        } catch {
          // A candidate the platform cannot use: the others may do.
        }
    opening.arm();
  };
  let pending: ReturnType<Clock['setTimeout']> | undefined = settings.clock.setTimeout(
    start,
    settings.checkDelayMs,
  );
  return {
    signal: { kind: 'answer', session: offer.session, sdp },
    channel: opening.channel,
    sent() {
      if (started || closed) return;
      if (pending !== undefined) settings.clock.clearTimeout(pending);
      pending = settings.clock.setTimeout(start, settings.checkDelayMs);
    },
    close() {
      closed = true;
      if (pending !== undefined) settings.clock.clearTimeout(pending);
      pending = undefined;
      peer.close();
    },
  };
}
