/**
 * The peer adapter's session (issue 18; specs/whisper-v6/SPEC.md §7.1–§7.3, §7.6): a Whisper
 * peer that speaks to the node under test over its peer transport — Hush's Noise gossip link
 * (`ws://host:port#<static key>`) or RLPx (`enode://…`, specs/rlpx: geth's) — but plays no engine: it sends exactly the protocol
 * messages a case gives, in order, and records everything the node sends and whether (and why)
 * the node closed the link. Cases read the node's status, what it relays and when it
 * disconnects from here. {@link connectForFirstFrame} is how every suite dials: a node that
 * sends anything at all has answered, whatever it sent (§7.2 says what it should be; the
 * cases judge that).
 */
import { randomBytes } from '@hush/crypto';
import type { Connection } from '@hush/interface';
import {
  decodeFrame,
  decodeStatus,
  encodeFrame,
  MessageCode,
  type ProtocolMessage,
  type Status,
  TRANSMISSION_CYCLE_MS,
  webSocketTransport,
} from '@hush/transport-gossip';
import { RlpxConnection, rlpxTransport, SHH_CAPABILITY } from '@hush/transport-rlpx';

/**
 * The sessions' RLPx limits: a case may send a message up to the node's largest (10 MiB in
 * geth's setting range) and read what it relays; the rate limits are the node's to enforce,
 * not this peer's.
 */
const RLPX_LIMITS = {
  maxFrameBytes: 10 * 1024 * 1024 + 1024,
  maxBytesPerSecond: 1e9,
  maxFramesPerSecond: 1e6,
};

import { Mismatch, Skip } from '../suite/model.js';
import { Unreachable } from '../suite/rpc-client.js';

/** How a session connects. */
export interface PeerSessionOptions {
  /** The session's 32-byte secp256k1 node key (default: a fresh one). */
  readonly privateKey?: Uint8Array;
  /** How long the dial and handshake may take (default 10 s). */
  readonly timeoutMs?: number;
}

/** How the node ended the link, once it did. */
export interface PeerClose {
  readonly reason: string;
  readonly detail?: string;
}

/** A frame the node sent that does not decode as a protocol message. */
export interface UnreadableFrame {
  readonly unreadable: Uint8Array;
}

/** A raw Whisper peer connected to the node under test. */
export class PeerSession {
  private readonly connection: Connection;
  private readonly inbox: (ProtocolMessage | UnreadableFrame)[] = [];
  private readonly waiters = new Set<() => void>();
  private ended: PeerClose | undefined;
  /** How many messages `next` has handed out. */
  private read = 0;
  private readonly transport: { close(): Promise<void> };

  private constructor(connection: Connection, transport: { close(): Promise<void> }) {
    this.connection = connection;
    this.transport = transport;
    connection.onFrame((frame) => {
      let message: ProtocolMessage | UnreadableFrame;
      try {
        message = decodeFrame(frame);
      } catch {
        message = { unreadable: frame.slice() };
      }
      this.inbox.push(message);
      this.wake();
    });
    connection.onClose((reason, detail) => {
      this.ended = { reason, ...(detail ? { detail } : {}) };
      this.wake();
    });
  }

  /**
   * Dials the node at `address` (`ws://host:port#<64 hex>`, the address a Hush node prints).
   *
   * @example
   * ```ts
   * const peer = await PeerSession.connect('ws://127.0.0.1:30303#ab…');
   * const status = await peer.next(5000);
   * peer.send({ code: 0, payload: Uint8Array.of(0xc1, 0x06) });
   * ```
   * @throws TransportError 'dial-failed' or 'handshake-failed' when the node cannot be reached
   *   or does not complete the Noise handshake in time
   */
  static async connect(address: string, options: PeerSessionOptions = {}): Promise<PeerSession> {
    const privateKey = options.privateKey ?? randomBytes(32);
    // RLPx for enode:// URLs (geth's peers; specs/rlpx), else Hush's Noise link.
    const transport = address.startsWith('enode:')
      ? rlpxTransport({ privateKey, clientName: 'hush-conformance', limits: RLPX_LIMITS })
      : webSocketTransport({ privateKey });
    try {
      const connection = await transport.dial(address, {
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      return new PeerSession(connection, transport);
    } catch (error) {
      await transport.close();
      throw error;
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The node's peer id (its 65-byte public key, hex), proven in the handshake. */
  get remoteKey(): Uint8Array {
    return this.connection.remoteKey;
  }

  /** Everything the node sent so far, in order. */
  get received(): readonly (ProtocolMessage | UnreadableFrame)[] {
    return this.inbox;
  }

  /** How the node ended the link, if it did. */
  get closed(): PeerClose | undefined {
    return this.ended;
  }

  /**
   * Sends one protocol message as it is (nothing checked: cases send what is wrong on purpose).
   *
   * @returns false when the link is closed
   */
  send(message: ProtocolMessage): boolean {
    if (this.ended) return false;
    // shh takes codes 0–127 of an RLPx connection; a code past them is another capability's
    // or out of range, which ends the connection (specs/rlpx §5.2): not this case's subject.
    if (this.overRlpx && message.code >= SHH_CAPABILITY.length)
      throw new Skip(
        `over RLPx code ${message.code} is past shh's 128 codes: out of range (specs/rlpx §5.2), not Whisper's to ignore`,
      );
    this.connection.send(encodeFrame(message));
    return true;
  }

  /** Whether the session runs over RLPx, where a message is a code and its data. */
  get overRlpx(): boolean {
    return this.connection instanceof RlpxConnection;
  }

  /**
   * Sends raw bytes as one frame (a frame that is not RLP, a truncated one).
   *
   * @throws Skip over RLPx, where a frame is a message code and its data: there is no frame
   *   that fails to decode as one, so the case has nothing to send
   */
  sendRaw(frame: Uint8Array): boolean {
    if (this.ended) return false;
    if (this.overRlpx)
      throw new Skip(
        'over RLPx a frame is a message code and its data: no frame fails to decode as one',
      );
    this.connection.send(frame);
    return true;
  }

  /**
   * Waits until `done` holds over what was received and how the link stands, or `timeoutMs`
   * passes.
   *
   * @returns whether it held
   */
  async until(
    done: (
      received: readonly (ProtocolMessage | UnreadableFrame)[],
      closed: PeerClose | undefined,
    ) => boolean,
    timeoutMs: number,
  ): Promise<boolean> {
    if (done(this.inbox, this.ended)) return true;
    return new Promise((resolve) => {
      const check = () => {
        if (!done(this.inbox, this.ended)) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (held: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(held);
      };
      this.waiters.add(check);
    });
  }

  /**
   * The next message not yet read by `next`.
   *
   * @returns the message, or undefined when none came within `timeoutMs` or the link closed
   */
  async next(timeoutMs: number): Promise<ProtocolMessage | UnreadableFrame | undefined> {
    const want = this.read + 1;
    await this.until(
      (received, closed) => received.length >= want || closed !== undefined,
      timeoutMs,
    );
    if (this.inbox.length < want) return undefined;
    this.read = want;
    return this.inbox[want - 1];
  }

  /** Closes the link (and the session's transport). */
  async close(): Promise<void> {
    this.connection.close('local');
    await this.transport.close();
  }
}

/** A fresh session and the first frame the node sent on it. */
export interface FirstFrame {
  readonly peer: PeerSession;
  /** The node's first frame: its status if it follows §7.2, but whatever it was. */
  readonly first: ProtocolMessage | UnreadableFrame;
}

/** How {@link connectForFirstFrame} dials. */
export interface FirstFrameOptions {
  /** Longest wait for the dial and handshake, then for the first frame, ms. */
  readonly timeoutMs: number;
  /** Dials in all when the node closes before its first frame (default 4). */
  readonly attempts?: number;
  /** Called with each session as soon as it is open (so that a caller can close it later). */
  readonly opened?: (peer: PeerSession) => void;
}

/**
 * Dials the node at `address` and waits for its first frame, whatever it is: a frame that does
 * not decode, or a message that is not a valid status, is still an answer, and the node is
 * alive (the cases fail it, §7.2). A node that closes the link before sending anything is
 * dialed again after two transmission cycles, up to `attempts` times in all: it may have been
 * short of inbound slots for a moment (§7.7) while it let go of a session just closed.
 *
 * @throws Unreachable when the node cannot be dialed, sends nothing within the timeout, or
 *   closes every attempt before sending anything: only no connection or no answer is a crash
 */
export async function connectForFirstFrame(
  address: string,
  options: FirstFrameOptions,
): Promise<FirstFrame> {
  let why = '';
  const attempts = options.attempts ?? 4;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 * TRANSMISSION_CYCLE_MS));
    let peer: PeerSession;
    try {
      peer = await PeerSession.connect(address, { timeoutMs: options.timeoutMs });
    } catch (error) {
      throw new Unreachable(`cannot connect to ${address}: ${(error as Error).message}`);
    }
    options.opened?.(peer);
    const first = await peer.next(options.timeoutMs);
    if (first) return { peer, first };
    const closed = peer.closed;
    await peer.close().catch(() => undefined);
    why = closed
      ? `the node closed the link before sending anything (${closed.reason}${closed.detail ? `: ${closed.detail}` : ''})`
      : `the node sent nothing within ${options.timeoutMs} ms`;
    // Silence on an open link is no answer: dialing again would only wait as long again.
    if (!closed) break;
  }
  throw new Unreachable(why);
}

/**
 * The node's status, from the first frame it sent (§7.2: a status comes first, §7.1 its
 * layout).
 *
 * @throws Mismatch when the frame does not decode, is not code 0, or its payload is no status:
 *   the node answered, wrongly, and the case that needed its status fails
 */
export function statusOf(first: ProtocolMessage | UnreadableFrame): Status {
  if (!('code' in first))
    throw new Mismatch(
      'the node’s first frame decodes as a protocol message (§7.1)',
      'an RLP [code, payload] frame',
      Buffer.from(first.unreadable).toString('hex'),
    );
  if (first.code !== MessageCode.status)
    throw new Mismatch('the node’s first message is its status (§7.2)', 'code 0', {
      code: first.code,
    });
  try {
    return decodeStatus(first.payload);
  } catch (error) {
    throw new Mismatch('the node’s status decodes (§7.1, §7.2)', 'a status', {
      payload: Buffer.from(first.payload).toString('hex'),
      error: (error as Error).message,
    });
  }
}
