/**
 * Connecting to a contact (specs/transport-direct/SPEC.md §5.4): by the contact's WebSocket
 * endpoints when it listens publicly, else by WebRTC (one offer, one answer, carried as
 * signals between the two contacts, e.g. in introductions over Whisper), else through a relay
 * both trust. Either way the result is a raw channel that the direct Noise link
 * (`directLinkEncrypter`) then runs over; the relay and the network see only Noise frames.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import {
  type Carrier,
  type Clock,
  type Logger,
  type RawChannel,
  silentLogger,
  systemClock,
} from '@hush/interface';
import { DirectError } from './errors.js';
import { hex } from './hex.js';
import type { Introduction } from './introduction.js';
import { type RelayChannelOptions, relayChannel } from './relay/client.js';
import { TOKEN_BYTES } from './relay/protocol.js';
import {
  answerWebRtcOffer,
  createWebRtcOffer,
  randomBytes,
  type WebRtcAnswer,
  type WebRtcOptions,
} from './webrtc/session.js';
import {
  decodeSignal,
  encodeSignal,
  type RelayRendezvous,
  SIGNAL_LIMITS,
  type Signal,
} from './webrtc/signal.js';

/**
 * How signals reach a contact and come from one: typically introductions (SPEC §2) with the
 * signal in their `signal` field. `onSignal` must hand in only signals whose sender it has
 * authenticated as the contact `from` (as `openIntroduction` does).
 */
export interface Signalling {
  send(contactPublicKey: Uint8Array, signal: Uint8Array): Promise<void>;
  onSignal(handler: (from: Uint8Array, signal: Uint8Array) => void): void;
}

/** How a channel was made. */
export type ConnectPath = 'websocket' | 'webrtc' | 'relay';

/** A raw channel to a contact and how it was made. */
export interface Connected {
  readonly channel: RawChannel;
  readonly path: ConnectPath;
  /**
   * WebRTC attempts this connection made before it had its channel (the dialer's count: 1 when
   * its first offer connected, 0 when it never tried; the answering side counts the offer it
   * answered as 1).
   */
  readonly webrtcAttempts: number;
}

/** Options of a connector. */
export interface ConnectorOptions {
  /** Dials contacts' WebSocket endpoints (default a WebSocket carrier); false: never. */
  readonly webSocket?: Carrier | false;
  /** WebRTC settings; false: never try WebRTC. */
  readonly webrtc?: WebRtcOptions | false;
  /** The relay both contacts trust (`ws://host:port/hush-relay/1`), the last resort. */
  readonly relay?: string;
  /** Options of the relay client (carrier, pair timeout). */
  readonly relayOptions?: Omit<RelayChannelOptions, 'signal'>;
  /** Longest wait for the contact's answer to an offer (default 60 s). */
  readonly answerTimeoutMs?: number;
  /**
   * WebRTC attempts before the relay (default 2): a new offer follows one that failed fast
   * (`ice-failed`), as libp2p's DCUtR retries a hole punch; a timeout, or no answer, goes
   * straight to the relay.
   */
  readonly webrtcAttempts?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

interface Pending {
  readonly resolve: (answer: Signal) => void;
}

interface Answering {
  attempt?: WebRtcAnswer;
  relayed: boolean;
  readonly timer: ReturnType<Clock['setTimeout']>;
}

/** An error and its causes, one line, for logs. */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' <- ');
}

/**
 * Both sides of connecting to contacts over one `Signalling`: `connect` dials a contact,
 * `onChannel` receives the channels contacts' offers and relay orders lead to.
 *
 * @example
 * ```ts
 * const connector = new DirectConnector(signalling, { webrtc: { iceServers: ['stun:198.51.100.1:3478'] }, relay });
 * connector.onChannel((from, { channel }) => encrypter.secureInbound(channel));
 * const { channel, path } = await connector.connect(bobKey, bobIntroduction);
 * const connection = await encrypter.secureOutbound(channel, { remoteStaticKey: bobIntroduction.staticKey });
 * ```
 */
export class DirectConnector {
  private readonly signalling: Signalling;
  private readonly options: ConnectorOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly answerTimeoutMs: number;
  private readonly webrtcAttempts: number;
  private readonly pending = new Map<string, Pending>();
  private readonly answering = new Map<string, Answering>();
  private handler: ((from: Uint8Array, connected: Connected) => void) | undefined;
  private carrier: Carrier | undefined;
  private closed = false;

  /** @throws TypeError / RangeError for bad options */
  constructor(signalling: Signalling, options: ConnectorOptions = {}) {
    this.signalling = signalling;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.answerTimeoutMs = options.answerTimeoutMs ?? 60_000;
    if (!Number.isInteger(this.answerTimeoutMs) || this.answerTimeoutMs < 1)
      throw new RangeError('answerTimeoutMs: must be a positive integer');
    this.webrtcAttempts = options.webrtcAttempts ?? 2;
    if (!Number.isInteger(this.webrtcAttempts) || this.webrtcAttempts < 1)
      throw new RangeError('webrtcAttempts: must be a positive integer');
    if (options.relay !== undefined && !/^wss?:\/\//.test(options.relay))
      throw new TypeError('relay: must be a ws:// or wss:// URL');
    signalling.onSignal((from, bytes) => this.receive(from, bytes));
  }

  /** Receives the channels made on a contact's initiative (set once, before any arrives). */
  onChannel(handler: (from: Uint8Array, connected: Connected) => void): void {
    this.handler = handler;
  }

  /** Stops answering and gives up every attempt under way. */
  close(): void {
    this.closed = true;
    for (const [session, state] of this.answering) {
      this.clock.clearTimeout(state.timer);
      state.attempt?.close();
      this.answering.delete(session);
    }
    void this.carrier?.close();
  }

  /**
   * Makes a raw channel to a contact from its introduction: its WebSocket endpoints, else
   * WebRTC, else the relay.
   *
   * @throws DirectError 'no-path' (with every attempt's error as `cause`) when none works,
   *   'closed' after `close`
   */
  async connect(contactPublicKey: Uint8Array, introduction: Introduction): Promise<Connected> {
    if (this.closed) throw new DirectError('closed', 'the connector is closed');
    const failures: unknown[] = [];
    if (this.options.webSocket !== false) {
      for (const endpoint of introduction.endpoints) {
        try {
          this.carrier ??=
            this.options.webSocket ?? webSocketCarrier({ limits: { idleTimeoutMs: 0 } });
          return {
            channel: await this.carrier.dial(endpoint),
            path: 'websocket',
            webrtcAttempts: 0,
          };
        } catch (error) {
          failures.push(error);
          this.logger.debug({ endpoint, error: describe(error) }, 'websocket endpoint failed');
        }
      }
    }
    const rendezvous: RelayRendezvous | undefined = this.options.relay
      ? { endpoint: this.options.relay, token: randomBytes(TOKEN_BYTES) }
      : undefined;
    let session: Uint8Array | undefined;
    let attempts = 0;
    while (this.options.webrtc !== false && attempts < this.webrtcAttempts) {
      attempts++;
      try {
        const offer = await createWebRtcOffer(this.options.webrtc ?? {}, rendezvous);
        session = offer.signal.session;
        try {
          const answer = this.awaitAnswer(session);
          await this.signalling.send(contactPublicKey, encodeSignal(offer.signal));
          const channel = await offer.accept(await answer);
          this.logger.debug({ attempts }, 'webrtc connected');
          return { channel, path: 'webrtc', webrtcAttempts: attempts };
        } catch (error) {
          offer.close();
          throw error;
        } finally {
          this.pending.delete(hex(session));
        }
      } catch (error) {
        failures.push(error);
        this.logger.debug({ attempt: attempts, error: describe(error) }, 'webrtc failed');
        // Only a fast failure is worth a second offer; a timeout would only cost another one.
        if (!(error instanceof DirectError && error.code === 'ice-failed')) break;
        if (this.closed) throw new DirectError('closed', 'the connector is closed');
      }
    }
    if (rendezvous) {
      try {
        await this.signalling.send(
          contactPublicKey,
          encodeSignal({
            kind: 'relay',
            session: session ?? randomBytes(SIGNAL_LIMITS.sessionBytes),
            sdp: '',
            relay: rendezvous,
          }),
        );
        return {
          channel: await relayChannel(rendezvous.endpoint, rendezvous.token, {
            ...this.options.relayOptions,
            clock: this.clock,
          }),
          path: 'relay',
          webrtcAttempts: attempts,
        };
      } catch (error) {
        failures.push(error);
        this.logger.debug({ error: describe(error) }, 'relay failed');
      }
    }
    throw new DirectError('no-path', 'no path to the contact worked', { cause: failures });
  }

  private awaitAnswer(session: Uint8Array): Promise<Signal> {
    const key = hex(session);
    return new Promise<Signal>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(key);
        reject(new DirectError('signal-timeout', `no answer within ${this.answerTimeoutMs} ms`));
      }, this.answerTimeoutMs);
      this.pending.set(key, {
        resolve: (answer) => {
          this.clock.clearTimeout(timer);
          resolve(answer);
        },
      });
    });
  }

  private receive(from: Uint8Array, bytes: Uint8Array): void {
    if (this.closed) return;
    let signal: Signal;
    try {
      signal = decodeSignal(bytes);
    } catch (error) {
      this.logger.debug({ error: describe(error) }, 'ignored a malformed signal');
      return;
    }
    const key = hex(signal.session);
    if (signal.kind === 'answer') {
      const pending = this.pending.get(key);
      if (pending) {
        this.pending.delete(key);
        pending.resolve(signal);
      }
      return;
    }
    if (signal.kind === 'offer') {
      if (this.answering.has(key) || this.options.webrtc === false) return;
      void this.answer(from, key, signal);
      return;
    }
    // A relay order always wins: the offerer gave WebRTC up (or never tried it).
    let state = this.answering.get(key);
    if (state?.relayed) return;
    if (!state) {
      state = { relayed: true, timer: this.expiry(key) };
      this.answering.set(key, state);
    }
    state.relayed = true;
    state.attempt?.close();
    const rendezvous = signal.relay!;
    relayChannel(rendezvous.endpoint, rendezvous.token, {
      ...this.options.relayOptions,
      clock: this.clock,
    }).then(
      (channel) => this.deliver(from, { channel, path: 'relay', webrtcAttempts: 0 }),
      (error: unknown) => this.logger.debug({ error: describe(error) }, 'relay join failed'),
    );
  }

  private expiry(key: string) {
    return this.clock.setTimeout(() => this.answering.delete(key), this.answerTimeoutMs * 2);
  }

  private async answer(from: Uint8Array, key: string, offer: Signal): Promise<void> {
    const state: Answering = { relayed: false, timer: this.expiry(key) };
    this.answering.set(key, state);
    try {
      const attempt = await answerWebRtcOffer(offer, this.options.webrtc || {});
      if (state.relayed || this.closed) {
        attempt.close();
        return;
      }
      state.attempt = attempt;
      await this.signalling.send(from, encodeSignal(attempt.signal));
      // Its checks, and its connect timeout, start once the answer is on its way.
      attempt.sent();
      const channel = await attempt.channel;
      if (state.relayed) {
        channel.close();
        return;
      }
      this.logger.debug({}, 'webrtc answered and connected');
      this.deliver(from, { channel, path: 'webrtc', webrtcAttempts: 1 });
    } catch (error) {
      state.attempt?.close();
      // The offerer sends a relay order when it can: that attempt takes over.
      this.logger.debug({ error: describe(error) }, 'answering a WebRTC offer failed');
    }
  }

  private deliver(from: Uint8Array, connected: Connected): void {
    if (this.closed || !this.handler) {
      connected.channel.close();
      return;
    }
    this.handler(from, connected);
  }
}
