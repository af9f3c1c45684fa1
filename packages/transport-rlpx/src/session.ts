/**
 * One RLPx connection over a TCP socket (specs/rlpx SPEC §3–§6, §8): the encryption
 * handshake, the hellos, then frames both ways, with ping/pong, disconnect reasons, snappy,
 * and the limits of §8 (handshake time, frame size, inbound rate, idle time, send backlog).
 * Once open it is a {@link Connection} of one capability: its frames are that capability's
 * messages as RLP [code, payload], the codes counted from 0, the form every Hush transport
 * hands the gossip engine.
 */
import type { Socket } from 'node:net';
import type { CryptoBackend } from '@hush/crypto';
import {
  type Clock,
  type CloseReason,
  type Connection,
  type ConnectionLimits,
  type Counter,
  type PeerId,
  peerIdFromPublicKey,
  type TimerHandle,
} from '@hush/interface';
import { RateLimiter } from '@hush/noise';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import {
  BASE_PROTOCOL_LENGTH,
  BASE_PROTOCOL_VERSION,
  BaseCode,
  type Capability,
  DisconnectReason,
  decodeDisconnect,
  decodeHello,
  disconnectReasonText,
  EMPTY_LIST,
  encodeDisconnect,
  encodeHello,
  type Hello,
  MAX_HELLO_BYTES,
  type MatchedCapability,
  matchCapabilities,
  SNAPPY_PROTOCOL_VERSION,
} from './devp2p.js';
import { RlpxError, type RlpxErrorCode } from './errors.js';
import { FrameCodec, frameBodyBytes, HEADER_BYTES, MAX_FRAME_SIZE } from './frame.js';
import {
  ACK_PACKET_PLAIN_SIZE,
  AUTH_PACKET_PLAIN_SIZE,
  answerAuth,
  type HandshakeRandomness,
  handshakePacketSize,
  InitiatorHandshake,
} from './handshake.js';
import { snappyCompress, snappyUncompress } from './snappy.js';

/** geth pings every 15 s; a peer silent for 30 s is gone (its frameReadTimeout). */
export const PING_INTERVAL_MS = 15_000;
/** geth waits 1 s for a disconnect to be written before closing the socket. */
const DISCONNECT_LINGER_MS = 1_000;

/** Counters a session reports to. */
export interface RlpxSessionMetrics {
  /** Connections refused or ended for a fault of the peer's, by {@link RlpxErrorCode}. */
  readonly refused: Counter<'reason'>;
}

/** Everything one session needs. */
export interface RlpxSessionInit {
  readonly socket: Socket;
  readonly outbound: boolean;
  /** This node's static private key. */
  readonly staticKey: Uint8Array;
  /** The key the dialed node must prove (outbound only), 65 bytes. */
  readonly remotePublicKey?: Uint8Array;
  /** The capability this connection carries, with its length of codes (shh 6: 128). */
  readonly capability: Required<Capability>;
  /** The client name and listening port put in the hello. */
  readonly clientName: string;
  readonly listenPort: number;
  readonly limits: Required<ConnectionLimits>;
  readonly clock: Clock;
  readonly backend: CryptoBackend;
  readonly metrics?: RlpxSessionMetrics;
  /** Fixed handshake randomness (tests). */
  readonly randomness?: HandshakeRandomness;
}

/**
 * The bytes off the socket not yet read, in one buffer that grows to what the current unit
 * needs: a peer that writes a byte at a time costs a byte each, not a chunk object each.
 * `take` and `peek` give views that stay valid until the next `push`.
 */
class ByteQueue {
  private buffer = new Uint8Array(4096);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const needed = this.length + chunk.length;
      if (needed <= this.buffer.length) this.buffer.copyWithin(0, this.start, this.end);
      else {
        const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
        grown.set(this.buffer.subarray(this.start, this.end));
        this.buffer = grown;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The first `n` bytes (n ≤ length), removed. */
  take(n: number): Uint8Array {
    const out = this.buffer.subarray(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  /** The first `n` bytes without removing them. */
  peek(n: number): Uint8Array {
    return this.buffer.subarray(this.start, this.start + n);
  }
}

type Phase = 'auth' | 'ack' | 'hello' | 'open' | 'closed';

/**
 * The engine's refusals, by the detail it closes with: the {@link Connection} interface has
 * no close reason for "too many peers" or "already connected", so the gossip engine says
 * `close('local', detail)` with these words (packages/transport-gossip `GossipNode.accept`
 * and `inboundSlot`, and this transport's own `close()`); a test against a real node pins
 * them (test/rlpx-review-disconnect-abort.test.ts).
 */
const LOCAL_CLOSES: readonly (readonly [RegExp, DisconnectReason])[] = [
  // geth's postHandshakeChecks: MaxPeers, or the inbound share of it, reached.
  [/^(too many peers|no inbound slot)/, DisconnectReason.tooManyPeers],
  // An idle inbound peer evicted to make room for a newcomer: geth evicts none; it is gone
  // for want of room, so it is told so.
  [/^idle: replaced/, DisconnectReason.tooManyPeers],
  // geth's postHandshakeChecks: a peer with that id is connected already.
  [/^already connected/, DisconnectReason.alreadyConnected],
  // geth's Server.Stop disconnects every peer with DiscQuitting.
  [/^(node stopped|transport closed)/, DisconnectReason.quitting],
];

/**
 * The disconnect reason this side sends when a connection ends, as geth v1.8.27 would send
 * it (specs/rlpx SPEC §5.4), or undefined for none (geth's DiscNetworkError, on which its
 * `rlpx.close` writes nothing). The one place where Hush's closes meet devp2p's reasons.
 *
 * - A fault of the peer's that the session found (`fault`): 0x03 useless peer, 0x09
 *   unexpected identity and 0x0a self, as geth's postHandshakeChecks; 0x07 for a hello
 *   naming an invalid identity; 0x02 breach of protocol for Hush's own frame and rate limits.
 *   Read errors (a bad MAC, a message that does not decode, a code out of range, bad snappy)
 *   send none: in geth they come out of `readLoop`, a network error.
 * - A close by the connection's user (the gossip engine) or the transport:
 *   - `error` is a breach of the Whisper protocol (a bad status, an envelope that does not
 *     decode, an oversized packet…): whisperv6's `HandlePeer`/`runMessageLoop` return a plain
 *     error, which p2p's `discReasonForError` turns into 0x10 subprotocol error;
 *   - `rate-limit` and `frame-too-large`, Hush's own limits, 0x02 breach of protocol;
 *   - `local` is 0x00 requested (geth's `RemovePeer`, admin_removePeer) unless its detail is
 *     one of {@link LOCAL_CLOSES}: 0x04 too many peers, 0x05 already connected, 0x08 quitting.
 * - Timeouts (handshake, read), a slow reader, a bad frame and the peer's own close send none:
 *   network errors to geth.
 */
export function disconnectReasonFor(
  reason: CloseReason,
  detail?: string,
  fault?: RlpxErrorCode,
): DisconnectReason | undefined {
  if (fault !== undefined) {
    switch (fault) {
      case 'useless-peer':
        return DisconnectReason.uselessPeer;
      case 'unexpected-identity':
        return DisconnectReason.unexpectedIdentity;
      case 'self':
        return DisconnectReason.self;
      case 'bad-hello':
        return detail?.includes('invalid node identity')
          ? DisconnectReason.invalidIdentity
          : undefined;
      case 'frame-too-large':
      case 'rate-limit':
        return DisconnectReason.protocolError;
      default:
        return undefined;
    }
  }
  switch (reason) {
    case 'local':
      return (
        LOCAL_CLOSES.find(([words]) => words.test(detail ?? ''))?.[1] ?? DisconnectReason.requested
      );
    case 'error':
      return DisconnectReason.subprotocolError;
    case 'rate-limit':
    case 'frame-too-large':
      return DisconnectReason.protocolError;
    default:
      return undefined;
  }
}

/**
 * An RLPx connection. `opened` resolves once both hellos are exchanged and the capability
 * matched, or rejects with the {@link RlpxError} that ended it.
 */
export class RlpxConnection implements Connection {
  /** Set once the handshake proved it: the peer's 65-byte public key. */
  remoteKey: Uint8Array = new Uint8Array(0);
  remotePeer: PeerId = '' as PeerId;
  readonly remoteAddress: string;
  readonly outbound: boolean;
  /** The peer's hello, once read. */
  hello: Hello | undefined;
  /** The capabilities both sides have, once the hellos are read. */
  matched: readonly MatchedCapability[] = [];
  /** Resolves when open. */
  readonly opened: Promise<RlpxConnection>;

  private readonly init: RlpxSessionInit;
  private readonly socket: Socket;
  private readonly queue = new ByteQueue();
  private phase: Phase;
  private initiator: InitiatorHandshake | undefined;
  private frames: FrameCodec | undefined;
  private pendingFrameSize = -1;
  private handshakeSize: number | undefined;
  private snappy = false;
  private offset = 0;
  private frameHandler: ((frame: Uint8Array) => void) | undefined;
  private readonly early: Uint8Array[] = [];
  private readonly closeHandlers: ((reason: CloseReason, detail?: string) => void)[] = [];
  private closeReason: [CloseReason, string | undefined] | undefined;
  private handshakeTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private stallTimer: TimerHandle | undefined;
  private readonly bytesLimiter: RateLimiter;
  private readonly framesLimiter: RateLimiter;
  private resolveOpen!: (connection: RlpxConnection) => void;
  private rejectOpen!: (error: RlpxError) => void;

  get maxFrameBytes(): number {
    return this.init.limits.maxFrameBytes;
  }

  /** @throws TypeError for an outbound session without `remotePublicKey` */
  constructor(init: RlpxSessionInit) {
    this.init = init;
    this.socket = init.socket;
    this.outbound = init.outbound;
    this.remoteAddress = `${init.socket.remoteAddress ?? '?'}:${init.socket.remotePort ?? '?'}`;
    this.opened = new Promise((resolve, reject) => {
      this.resolveOpen = resolve;
      this.rejectOpen = reject;
    });
    // Rejections are also told to close handlers; nobody need listen to this promise.
    this.opened.catch(() => {});
    const now = init.clock.now();
    this.bytesLimiter = new RateLimiter(init.limits.maxBytesPerSecond, now);
    this.framesLimiter = new RateLimiter(init.limits.maxFramesPerSecond, now);
    this.phase = init.outbound ? 'ack' : 'auth';
    this.handshakeTimer = init.clock.setTimeout(
      () => this.fail('handshake-timeout', 'the handshakes did not finish in time'),
      init.limits.handshakeTimeoutMs,
    );
    this.socket.on('data', (chunk: Buffer) => this.incoming(chunk));
    this.socket.on('error', (error) => this.ended('error', error.message));
    this.socket.on('close', () => this.ended('remote', 'socket closed'));
    if (init.outbound) {
      if (!init.remotePublicKey) throw new TypeError('an outbound session needs remotePublicKey');
      try {
        this.initiator = new InitiatorHandshake({
          staticKey: init.staticKey,
          remotePublicKey: init.remotePublicKey,
          backend: init.backend,
          ...(init.randomness ? { randomness: init.randomness } : {}),
        });
      } catch (error) {
        this.fail('bad-ack', `cannot start the handshake: ${(error as Error).message}`);
        return;
      }
      this.socket.write(this.initiator.auth);
    }
  }

  /** Whether the connection is over (a method, so that TypeScript does not narrow it). */
  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private incoming(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'open') {
      const now = this.init.clock.now();
      if (!this.bytesLimiter.take(chunk.length, now)) {
        this.fail('rate-limit', 'peer exceeded its rate limit');
        return;
      }
    }
    this.queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    try {
      while (!this.isClosed() && this.step()) {}
    } catch (error) {
      if (error instanceof RlpxError) this.fail(error.code, error.message);
      else this.fail('bad-message', `unexpected: ${String(error)}`, 'error');
    }
  }

  /** One unit of progress from the queue: false when more bytes are needed. */
  private step(): boolean {
    if (this.phase === 'auth' || this.phase === 'ack') return this.stepHandshake();
    const frames = this.frames!;
    if (this.pendingFrameSize < 0) {
      if (this.queue.length < HEADER_BYTES) return false;
      const size = frames.openHeader(this.queue.take(HEADER_BYTES));
      // The hello is small; afterwards a frame holds a message of at most the frame limit,
      // plus its code and snappy's worst-case growth.
      const limit =
        this.phase === 'hello'
          ? MAX_HELLO_BYTES + 16
          : Math.min(
              MAX_FRAME_SIZE,
              this.maxFrameBytes + 16 + Math.ceil(this.maxFrameBytes / 6) + 32,
            );
      if (size > limit) throw new RlpxError('frame-too-large', `frame of ${size} bytes`);
      this.pendingFrameSize = size;
      // The idle time runs from here: a frame must be whole within it, however it trickles in
      // (geth gives each message its 30 s frameReadTimeout).
      this.touch();
    }
    const need = frameBodyBytes(this.pendingFrameSize);
    if (this.queue.length < need) return false;
    const message = frames.openBody(this.queue.take(need), this.pendingFrameSize);
    this.pendingFrameSize = -1;
    this.touch();
    this.message(message.code, message.payload);
    return true;
  }

  private stepHandshake(): boolean {
    const inbound = this.phase === 'auth';
    const plainSize = inbound ? AUTH_PACKET_PLAIN_SIZE : ACK_PACKET_PLAIN_SIZE;
    if (this.queue.length < plainSize) return false;
    // Decided once, when the first plainSize bytes are in (an ECDH): not again for every
    // chunk of a packet that trickles in.
    this.handshakeSize ??= handshakePacketSize(
      this.queue.peek(plainSize),
      plainSize,
      this.init.staticKey,
      inbound ? 'bad-auth' : 'bad-ack',
      this.init.backend,
    ).size;
    const size = this.handshakeSize;
    if (this.queue.length < size) return false;
    const packet = this.queue.take(size).slice();
    const secrets = inbound
      ? (() => {
          const answer = answerAuth(packet, {
            staticKey: this.init.staticKey,
            backend: this.init.backend,
            ...(this.init.randomness ? { randomness: this.init.randomness } : {}),
          });
          this.socket.write(answer.ack);
          return answer.secrets;
        })()
      : this.initiator!.finish(packet);
    this.remoteKey = secrets.remotePublicKey;
    this.remotePeer = peerIdFromPublicKey(secrets.remotePublicKey);
    this.frames = new FrameCodec(secrets);
    this.phase = 'hello';
    this.touch();
    const own = this.init.backend.publicKeyCreate(this.init.staticKey);
    // A node that dials its own enode (one in its own bootstrap list) is refused, as geth
    // refuses with DiscSelf; else it would connect to itself and redial for ever.
    if (own.every((b, i) => b === secrets.remotePublicKey[i]))
      throw new RlpxError('self', 'connected to self');
    const ours: Hello = {
      version: BASE_PROTOCOL_VERSION,
      name: this.init.clientName,
      capabilities: [this.init.capability],
      listenPort: this.init.listenPort,
      id: this.init.backend.publicKeyCreate(this.init.staticKey).subarray(1),
    };
    this.writeMessage(BaseCode.hello, encodeHello(ours));
    return true;
  }

  private message(code: number, payload: Uint8Array): void {
    if (this.phase === 'hello') {
      if (code === BaseCode.disconnect) {
        const reason = decodeDisconnect(payload);
        throw new RlpxError(
          'disconnected',
          `disconnected before hello: ${disconnectReasonText(reason)}`,
        );
      }
      if (code !== BaseCode.hello)
        throw new RlpxError('bad-hello', `expected hello, got code ${code}`);
      const hello = decodeHello(payload);
      // geth turns snappy on once the hello is read, before it checks the identity and the
      // capabilities: those refusals go compressed, a hello that does not decode does not.
      this.snappy = hello.version >= SNAPPY_PROTOCOL_VERSION;
      const remoteId = this.remoteKey.subarray(1);
      if (!hello.id.every((b, i) => b === remoteId[i]))
        throw new RlpxError(
          'unexpected-identity',
          'the hello names another key than the handshake',
        );
      this.hello = hello;
      this.matched = matchCapabilities([this.init.capability], hello.capabilities);
      const mine = this.matched.find((c) => c.name === this.init.capability.name);
      if (!mine)
        throw new RlpxError(
          'useless-peer',
          `no ${this.init.capability.name}/${this.init.capability.version} among ${hello.capabilities.map((c) => `${c.name}/${c.version}`).join(', ') || 'no capabilities'}`,
        );
      this.offset = mine.offset;
      this.phase = 'open';
      if (this.handshakeTimer) this.init.clock.clearTimeout(this.handshakeTimer);
      this.handshakeTimer = undefined;
      this.schedulePing();
      this.resolveOpen(this);
      return;
    }
    if (!this.framesLimiter.take(1, this.init.clock.now())) {
      this.fail('rate-limit', 'peer exceeded its rate limit');
      return;
    }
    if (!this.snappy && payload.length > this.maxFrameBytes + 16)
      throw new RlpxError('frame-too-large', `message of ${payload.length} bytes`);
    const data = this.snappy ? snappyUncompress(payload, this.maxFrameBytes + 16) : payload;
    switch (code) {
      case BaseCode.ping:
        this.writeMessage(BaseCode.pong, EMPTY_LIST);
        return;
      case BaseCode.pong:
        return;
      case BaseCode.disconnect: {
        const reason = decodeDisconnect(data);
        this.ended('remote', `disconnect: ${disconnectReasonText(reason)}`);
        this.socket.destroy();
        return;
      }
      case BaseCode.hello:
        return;
    }
    // geth ignores the base protocol's other codes.
    if (code < BASE_PROTOCOL_LENGTH) return;
    if (code < this.offset || code >= this.offset + this.init.capability.length)
      throw new RlpxError('bad-message', `msg code out of range: ${code}`);
    const frame = encodeList([encodeUint(code - this.offset), encodeBytes(data)]);
    if (this.frameHandler) this.deliver(this.frameHandler, frame);
    else this.early.push(frame);
  }

  private deliver(handler: (frame: Uint8Array) => void, frame: Uint8Array): void {
    try {
      handler(frame);
    } catch (error) {
      this.close('error', `frame handler failed: ${String(error)}`);
    }
  }

  /** Seals and writes one message (compressed once snappy is on). */
  private writeMessage(code: number, payload: Uint8Array): void {
    const body = this.snappy ? snappyCompress(payload) : payload;
    this.socket.write(this.frames!.seal(code, body));
  }

  private schedulePing(): void {
    this.pingTimer = this.init.clock.setTimeout(() => {
      if (this.phase !== 'open') return;
      this.writeMessage(BaseCode.ping, EMPTY_LIST);
      this.schedulePing();
    }, PING_INTERVAL_MS);
  }

  private touch(): void {
    if (this.phase === 'closed' || this.init.limits.idleTimeoutMs <= 0) return;
    if (this.idleTimer) this.init.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.init.clock.setTimeout(
      () => this.close('idle-timeout'),
      this.init.limits.idleTimeoutMs,
    );
  }

  /**
   * Sends one message of the capability, given as RLP [code, payload] (code from 0).
   *
   * @throws RangeError when the frame is over `maxFrameBytes`, does not decode, or its code
   *   is outside the capability's
   */
  send(frame: Uint8Array): boolean {
    if (this.phase !== 'open') return false;
    if (frame.length > this.maxFrameBytes)
      throw new RangeError(`frame: ${frame.length} bytes exceeds the limit`);
    let code: number;
    let payload: Uint8Array;
    try {
      const s = new RlpStream(frame);
      s.list();
      code = s.uintNumber(4);
      payload = s.view();
    } catch (error) {
      throw new RangeError(`frame: not RLP [code, payload]: ${(error as Error).message}`);
    }
    if (code >= this.init.capability.length)
      throw new RangeError(`frame: code ${code} outside ${this.init.capability.name}`);
    const limits = this.init.limits;
    const backlog = this.socket.writableLength;
    if (backlog > limits.maxBacklog) {
      this.close('slow-consumer', `backlog of ${backlog} bytes`);
      return false;
    }
    this.writeMessage(code + this.offset, payload);
    const flowing = this.socket.writableLength <= limits.highWaterMark;
    if (!flowing && !this.stallTimer) {
      this.stallTimer = this.init.clock.setTimeout(() => {
        this.stallTimer = undefined;
        if (this.socket.writableLength > limits.highWaterMark)
          this.close('slow-consumer', 'backlog did not drain');
      }, limits.stallTimeoutMs);
    }
    return flowing;
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandler = handler;
    for (const frame of this.early.splice(0)) {
      if (this.phase === 'closed') break;
      this.deliver(handler, frame);
    }
  }

  onClose(handler: (reason: CloseReason, detail?: string) => void): void {
    if (this.closeReason) handler(...this.closeReason);
    else this.closeHandlers.push(handler);
  }

  /** A fault of the peer's: counted, told to it when frames are up, and the end. */
  private fail(code: RlpxErrorCode, detail: string, given?: CloseReason): void {
    if (this.phase === 'closed') return;
    // A fault on an open connection is the peer's breach, not a failed handshake.
    const reason = given ?? (this.phase === 'open' ? 'bad-frame' : 'handshake-failed');
    this.init.metrics?.refused.inc(1, { reason: code });
    const error = new RlpxError(code, detail);
    const disc = disconnectReasonFor(reason, detail, code);
    const closeReason: CloseReason =
      code === 'bad-mac'
        ? 'bad-frame'
        : code === 'handshake-timeout'
          ? 'handshake-timeout'
          : code === 'frame-too-large'
            ? 'frame-too-large'
            : code === 'rate-limit'
              ? 'rate-limit'
              : code === 'disconnected'
                ? 'remote'
                : reason;
    this.rejectOpen(error);
    this.shutdown(closeReason, `${code}: ${detail}`, disc);
  }

  /** Ends the connection; the peer is told why when the reason is one geth would send. */
  close(reason: CloseReason = 'local', detail?: string): void {
    if (this.phase === 'closed') return;
    this.rejectOpen(new RlpxError('disconnected', `closed: ${detail ?? reason}`));
    this.shutdown(reason, detail, disconnectReasonFor(reason, detail));
  }

  private shutdown(
    reason: CloseReason,
    detail: string | undefined,
    disc: DisconnectReason | undefined,
  ): void {
    const framesUp = this.phase === 'hello' || this.phase === 'open';
    this.ended(reason, detail);
    if (framesUp && disc !== undefined && !this.socket.destroyed) {
      try {
        this.writeMessage(BaseCode.disconnect, encodeDisconnect(disc));
      } catch {
        // Nothing more can be written; the socket goes anyway.
      }
      this.socket.end();
      const linger = setTimeout(() => this.socket.destroy(), DISCONNECT_LINGER_MS);
      linger.unref?.();
    } else this.socket.destroy();
  }

  /** The connection is over, from either side. */
  private ended(reason: CloseReason, detail?: string): void {
    if (this.phase === 'closed') return;
    const wasOpen = this.phase === 'open';
    this.phase = 'closed';
    const clock = this.init.clock;
    for (const timer of [this.handshakeTimer, this.idleTimer, this.pingTimer, this.stallTimer])
      if (timer) clock.clearTimeout(timer);
    if (!wasOpen) this.rejectOpen(new RlpxError('disconnected', detail ?? reason));
    this.closeReason = [reason, detail];
    for (const handler of this.closeHandlers.splice(0)) {
      try {
        handler(reason, detail);
      } catch {
        // One handler's failure must not keep the others from hearing of the close.
      }
    }
  }
}
