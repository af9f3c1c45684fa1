/**
 * In-memory authenticated connections on the virtual clock. A connection pair stands for a
 * `hush-dht/1` Noise link over TCP: each side's `remotePeer` is the other side's peer id, as
 * the Noise handshake would prove it (the handshake and its encryption are skipped for speed;
 * `test/inbox-dht-node.test.ts` and `test/inbox-dht-dht-inbox.test.ts` run the real ones).
 *
 * A frame arrives after the link's one-way latency. TCP is reliable and ordered, so a lost
 * frame (share `loss`) is not gone: it arrives after a retransmission timeout,
 * max(200 ms, 2 × RTT) later, and the frames after it on that direction wait behind it
 * (head-of-line blocking). Dialing takes 2 RTT (TCP's handshake, then the Noise XX
 * handshake's first two messages); dialing a node that is not online fails after the dial
 * timeout. A node that leaves drops its connections: the other side learns it after the
 * one-way latency (as from a reset).
 */
import type { CloseReason, Connection, PeerId } from '@hush/interface';
import type { EventClock } from './clock.js';
import type { Random } from './random.js';

/** How links behave. */
export interface LinkModel {
  readonly clock: EventClock;
  readonly random: Random;
  /** One-way latency of a link, ms. */
  readonly latencyMs: (from: PeerId, to: PeerId) => number;
  /** Share of frames lost (and retransmitted). */
  readonly loss: number;
  /** Time after which a dial to a node that is not online fails (ms). */
  readonly dialTimeoutMs: number;
}

/** Counts of the links. */
export interface LinkStats {
  frames: number;
  bytes: number;
  lost: number;
  dials: number;
  failedDials: number;
}

const MAX_FRAME = 1024 * 1024 + 1024;

/** One side of an in-memory connection. */
export class SimConnection implements Connection {
  readonly remoteKey: Uint8Array;
  readonly remotePeer: PeerId;
  readonly remoteAddress: string;
  readonly outbound: boolean;
  readonly maxFrameBytes = MAX_FRAME;
  other!: SimConnection;
  private frameHandler: ((frame: Uint8Array) => void) | undefined;
  private readonly early: Uint8Array[] = [];
  private readonly closeHandlers: ((reason: CloseReason, detail?: string) => void)[] = [];
  private lastArrival = 0;
  closed = false;
  private readonly model: LinkModel;
  private readonly stats: LinkStats;
  readonly localPeer: PeerId;

  constructor(
    model: LinkModel,
    stats: LinkStats,
    localPeer: PeerId,
    remotePeer: PeerId,
    remoteKey: Uint8Array,
    outbound: boolean,
  ) {
    this.model = model;
    this.stats = stats;
    this.localPeer = localPeer;
    this.remotePeer = remotePeer;
    this.remoteKey = remoteKey;
    this.remoteAddress = `sim:${remotePeer.slice(0, 8)}`;
    this.outbound = outbound;
  }

  send(frame: Uint8Array): boolean {
    if (this.closed) return false;
    if (frame.length > this.maxFrameBytes) throw new RangeError('frame larger than maxFrameBytes');
    const { clock, random, loss } = this.model;
    const oneWay = this.model.latencyMs(this.localPeer, this.remotePeer);
    let delay = oneWay;
    if (loss > 0 && random() < loss) {
      this.stats.lost++;
      delay += Math.max(200, 4 * oneWay);
    }
    const arrival = Math.max(this.lastArrival, clock.now() + delay);
    this.lastArrival = arrival;
    this.stats.frames++;
    this.stats.bytes += frame.length;
    const other = this.other;
    clock.setTimeout(() => other.receive(frame), arrival - clock.now());
    return true;
  }

  private receive(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.frameHandler) this.frameHandler(frame);
    else this.early.push(frame);
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandler = handler;
    for (const frame of this.early.splice(0)) handler(frame);
  }

  onClose(handler: (reason: CloseReason, detail?: string) => void): void {
    if (this.closed) handler('local');
    else this.closeHandlers.push(handler);
  }

  close(reason: CloseReason = 'local', detail?: string): void {
    if (this.closed) return;
    this.ended(reason, detail);
    const other = this.other;
    const oneWay = this.model.latencyMs(this.localPeer, this.remotePeer);
    this.model.clock.setTimeout(() => other.ended('remote', detail), oneWay);
  }

  private ended(reason: CloseReason, detail?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) handler(reason, detail);
  }
}

/** Where a peer accepts connections (undefined: not online). */
export type Acceptor = (connection: Connection) => void;

/** The links of the whole simulated network. */
export class SimLinks {
  readonly stats: LinkStats = { frames: 0, bytes: 0, lost: 0, dials: 0, failedDials: 0 };
  private readonly listeners = new Map<PeerId, { key: Uint8Array; accept: Acceptor }>();

  private readonly model: LinkModel;

  constructor(model: LinkModel) {
    this.model = model;
  }

  /** Puts a peer online: dials to it reach `accept`. */
  listen(peer: PeerId, key: Uint8Array, accept: Acceptor): void {
    this.listeners.set(peer, { key, accept });
  }

  /** Takes a peer offline: dials to it fail. */
  unlisten(peer: PeerId): void {
    this.listeners.delete(peer);
  }

  /** Whether a peer is online. */
  online(peer: PeerId): boolean {
    return this.listeners.has(peer);
  }

  /**
   * Dials `to` from `from` (whose 65-byte key is `fromKey`): the outbound side, once both
   * handshakes are done, the inbound side handed to `to`'s acceptor at the same moment.
   */
  dial(from: PeerId, fromKey: Uint8Array, to: PeerId, signal?: AbortSignal): Promise<Connection> {
    const { clock } = this.model;
    this.stats.dials++;
    const rtt = 2 * this.model.latencyMs(from, to);
    return new Promise<Connection>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('dial aborted'));
        return;
      }
      const onAbort = () => {
        clock.clearTimeout(timer);
        reject(new Error('dial aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const reachable = this.listeners.has(to);
      const timer = clock.setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          const target = this.listeners.get(to);
          if (!target) {
            this.stats.failedDials++;
            reject(new Error('dial failed: the node is not online'));
            return;
          }
          const outbound = new SimConnection(this.model, this.stats, from, to, target.key, true);
          const inbound = new SimConnection(this.model, this.stats, to, from, fromKey, false);
          outbound.other = inbound;
          inbound.other = outbound;
          try {
            target.accept(inbound);
          } catch (error) {
            this.stats.failedDials++;
            reject(error);
            return;
          }
          resolve(outbound);
        },
        reachable ? 2 * rtt : this.model.dialTimeoutMs,
      );
    });
  }
}
