/**
 * The gossip node (specs/whisper-v6 SPEC §7.7): the engine on a transport, with the peer
 * management operators expect: bootstrap peers, a peer limit, reconnection with jittered
 * exponential backoff, a ban after a protocol error, trusted peers, and per-peer stats.
 */
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import {
  type AbortOptions,
  assertSameIdentity,
  type CloseReason,
  type Connection,
  Emitter,
  type EnvelopeReceiver,
  type EnvelopeSender,
  type PeerId,
  peerIdFromPublicKey,
  type ReceivedEnvelope,
  type SendResult,
  silentLogger,
  type TimerHandle,
  type Transport,
} from '@hush/interface';
import { decodeFrame, encodeFrame } from './codec.js';
import { type EngineOptions, GossipEngine, type PeerStats } from './engine.js';
import type { GossipError } from './errors.js';
import type { SubscribeOptions, Subscription } from './subscription.js';

const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Settings of a node. */
export interface GossipNodeOptions extends EngineOptions {
  /** 32-byte secp256k1 node key: the identity proven to peers. */
  readonly key: Uint8Array;
  readonly transport: Transport;
  /** Addresses dialed at start and redialed when the connection drops. */
  readonly bootstrap?: readonly string[];
  /**
   * Connections kept at most, both directions (default 25). As geth keeps a share for the
   * peers it dials, inbound connections take at most two thirds of them, so that peers this
   * node chose can always join.
   */
  readonly maxPeers?: number;
  /** Inbound connections from one address at most (default 4). */
  readonly maxInboundPerAddress?: number;
  /**
   * How long an inbound peer may stay without delivering a new envelope before a newcomer can
   * take its place when inbound slots are full (default 30 s).
   */
  readonly idleInboundGraceMs?: number;
  /** Public keys (65 bytes, or hex) of peers allowed to send p2p messages. */
  readonly trustedPeers?: readonly (Uint8Array | string)[];
  /** How long a peer that broke the protocol is refused (default 10 min). */
  readonly banMs?: number;
  /** Reconnection backoff (default 1 s doubling to 60 s, with jitter). */
  readonly reconnect?: { readonly minMs?: number; readonly maxMs?: number };
  /** Random source in [0, 1) for the jitter (default Math.random), for reproducible simulations. */
  readonly random?: () => number;
  readonly backend?: CryptoBackend;
}

/** A peer as the node reports it. */
export interface NodePeerStats extends PeerStats {
  readonly address: string;
  readonly outbound: boolean;
  /** New envelopes delivered, less a tenth of the duplicates and refused ones. */
  readonly score: number;
}

/** Node events. */
export interface GossipNodeEvents extends Record<string, unknown> {
  'peer:connected': {
    id: string;
    address: string;
    outbound: boolean;
    /** The address this node dialed to reach the peer; undefined for inbound connections. */
    dialed: string | undefined;
  };
  'peer:disconnected': {
    id: string;
    reason: CloseReason | 'protocol-error';
    detail: string | undefined;
  };
  'peer:banned': { id: string; until: number; reason: string };
  /** A dial that did not give a peer; it is retried after `retryInMs`. */
  'dial:failed': { address: string; reason: string; retryInMs: number };
}

/** The host part of a connection's remote address (`host:port`, `[v6]:port`, or a URL). */
function hostOf(connection: Connection): string {
  const address = connection.remoteAddress;
  const v6 = /^\[([^\]]+)\]/.exec(address);
  if (v6) return v6[1]!;
  const at = address.lastIndexOf(':');
  return at > 0 && !address.includes('//') ? address.slice(0, at) : address;
}

/** Peers banned at once at most; past it the oldest ban is dropped. */
const MAX_BANS = 10_000;

interface DialTarget {
  attempt: number;
  timer: TimerHandle | undefined;
  connected: boolean;
}

/** A running gossip node. */
export class GossipNode
  extends Emitter<GossipNodeEvents>
  implements EnvelopeSender<Envelope>, EnvelopeReceiver<Envelope>
{
  readonly engine: GossipEngine;
  /** This node's 65-byte public key, as hex. */
  readonly id: string;
  private readonly options: GossipNodeOptions;
  private readonly connections = new Map<string, Connection>();
  /** The address each connected peer was dialed at, for peers this node dialed. */
  private readonly dialedBy = new Map<string, string>();
  /** Inbound peers: when they connected, and the address they came from. */
  private readonly inbound = new Map<string, { since: number; host: string }>();
  private readonly trusted = new Set<string>();
  private readonly bans = new Map<string, number>();
  private readonly targets = new Map<string, DialTarget>();
  private running = false;

  constructor(options: GossipNodeOptions) {
    super();
    if (!(options.key instanceof Uint8Array) || options.key.length !== 32) {
      throw new TypeError('key must be a 32-byte private key');
    }
    const backend = options.backend ?? defaultBackend;
    if (!backend.isValidPrivateKey(options.key))
      throw new RangeError('key is not a valid secp256k1 private key');
    this.options = options;
    const publicKey = backend.publicKeyCreate(options.key);
    this.id = toHex(publicKey);
    assertSameIdentity(peerIdFromPublicKey(publicKey), { transport: options.transport });
    this.engine = new GossipEngine(options);
    for (const key of options.trustedPeers ?? []) this.markTrusted(key);
    this.engine.on('peer:closed', ({ id, error }) => {
      if (error) this.ban(id, `${error.code}: ${error.message}`);
    });
  }

  private get clock() {
    return this.engine.clock;
  }

  /** Starts the engine, listens where the transport can, and dials the bootstrap peers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.engine.start();
    try {
      await this.options.transport.listen((connection) => this.accept(connection));
    } catch (error) {
      if (
        (error as { code?: string }).code !== 'listen-failed' ||
        this.options.transport.addresses.length > 0
      )
        throw error;
      // Browsers cannot listen; they only dial.
    }
    for (const address of this.options.bootstrap ?? []) this.connect(address);
  }

  /** Closes every connection, stops listening and redialing, and stops the engine. */
  async stop(): Promise<void> {
    this.running = false;
    for (const target of this.targets.values())
      if (target.timer) this.clock.clearTimeout(target.timer);
    this.targets.clear();
    this.engine.stop();
    await this.options.transport.close();
  }

  /** Addresses others can dial. */
  get addresses(): readonly string[] {
    return this.options.transport.addresses;
  }

  /**
   * The addresses with this node's Noise static key appended (`ws://…#<64 hex>`), so that a
   * peer dialing them needs one round trip (IK, SPEC §7.6.1); the plain addresses when the
   * transport has no static key.
   */
  get linkAddresses(): readonly string[] {
    const key = (this.options.transport as { staticKey?: Uint8Array }).staticKey;
    if (!key) return this.addresses;
    // Only Noise link addresses take the key; another transport's (enode://) name their own.
    return this.addresses.map((address) =>
      /^wss?:/.test(address) ? `${address}#${toHex(key)}` : address,
    );
  }

  /** Dials `address` now and keeps redialing it when the connection drops, until stopped. */
  connect(address: string): void {
    if (!this.targets.has(address))
      this.targets.set(address, { attempt: 0, timer: undefined, connected: false });
    this.dial(address);
  }

  /**
   * Dials `address` once and never redials it: a peer found by discovery, which may not
   * speak this node's protocol or may be full, unlike a static peer given to {@link connect}.
   *
   * @returns whether the connection was made and this node took it as a peer (false when the
   *   dial failed, or the peer is banned, already connected, or no slot is free)
   * @throws nothing: a failed dial is the `false` result
   */
  async dialOnce(address: string, options?: AbortOptions): Promise<boolean> {
    if (!this.running) return false;
    let connection: Connection;
    try {
      connection = await this.options.transport.dial(address, options);
    } catch {
      return false;
    }
    // Not in targets: accept() marks it outbound and disconnect(address) reaches it, but no
    // redial is scheduled when it drops.
    return this.accept(connection, address);
  }

  private dial(address: string): void {
    const target = this.targets.get(address);
    if (!this.running || !target || target.connected) return;
    target.timer = undefined;
    this.options.transport.dial(address).then(
      (connection) => {
        if (!this.accept(connection, address))
          this.dialFailed(
            address,
            'this node refused the connection (banned, already connected, or no free peer slot)',
          );
      },
      (error: unknown) =>
        this.dialFailed(address, error instanceof Error ? error.message : String(error)),
    );
  }

  private dialFailed(address: string, reason: string): void {
    const retryInMs = this.scheduleRedial(address);
    if (retryInMs !== undefined) this.emit('dial:failed', { address, reason, retryInMs });
  }

  /** Schedules the next dial of `address`; returns its delay, or undefined if none is due. */
  private scheduleRedial(address: string): number | undefined {
    const target = this.targets.get(address);
    if (!this.running || !target || target.timer) return undefined;
    target.connected = false;
    const min = this.options.reconnect?.minMs ?? 1000;
    const max = this.options.reconnect?.maxMs ?? 60_000;
    const base = Math.min(max, min * 2 ** target.attempt);
    const delay = base * (0.5 + (this.options.random ?? Math.random)() / 2);
    target.attempt = Math.min(target.attempt + 1, 30);
    target.timer = this.clock.setTimeout(() => this.dial(address), delay);
    return delay;
  }

  /** Whether the peer with this public key (130 hex digits) is connected. */
  hasPeer(id: string): boolean {
    return this.connections.has(id);
  }

  /**
   * Stops dialing `address` and closes the connection to the peer dialed there, or to the
   * peer whose key (130 hex digits) it is.
   *
   * @returns whether anything was dialed there or connected
   */
  disconnect(address: string): boolean {
    const target = this.targets.get(address);
    if (target?.timer) this.clock.clearTimeout(target.timer);
    const dialedThere = this.targets.delete(address);
    const key = address.replace(/^0x/, '').toLowerCase();
    let closed = false;
    for (const [id, connection] of this.connections) {
      if (id === key || this.dialedBy.get(id) === address) {
        connection.close('local', 'removed by the operator');
        closed = true;
      }
    }
    return dialedThere || closed;
  }

  /**
   * Whether an inbound connection from `host` may have a slot: within the inbound share of maxPeers and
   * the per-address cap, making room, when full, by closing the inbound peer idle longest
   * (connected past the grace, no new envelope delivered).
   */
  private inboundSlot(host: string): boolean {
    const maxPeers = this.options.maxPeers ?? 25;
    const inboundMax = maxPeers - Math.floor(maxPeers / 3);
    const fromHost = [...this.inbound.values()].filter((p) => p.host === host).length;
    const hostFull = fromHost >= (this.options.maxInboundPerAddress ?? 4);
    const full = this.inbound.size >= inboundMax || this.connections.size >= maxPeers;
    if (!hostFull && !full) return true;
    // A newcomer from a full address may only replace one from that address.
    const idle = this.idleInbound(hostFull ? host : undefined);
    if (!idle) return false;
    this.connections.get(idle)?.close('local', 'idle: replaced by a new peer');
    this.connections.delete(idle);
    this.inbound.delete(idle);
    return true;
  }

  /** The inbound peer idle longest past the grace, from `host` if given. */
  private idleInbound(host: string | undefined): string | undefined {
    const now = this.clock.now();
    const grace = this.options.idleInboundGraceMs ?? 30_000;
    const delivered = new Map(this.engine.peers().map((p) => [p.id, p.envelopesAccepted]));
    let pick: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [id, peer] of this.inbound) {
      if (host !== undefined && peer.host !== host) continue;
      if (now - peer.since < grace || (delivered.get(id) ?? 0) > 0) continue;
      if (peer.since < oldest) {
        oldest = peer.since;
        pick = id;
      }
    }
    return pick;
  }

  /** Takes an authenticated connection; false when refused. */
  private accept(connection: Connection, dialed?: string): boolean {
    const id = toHex(connection.remoteKey);
    const banned = this.bans.get(id);
    const refuse = (detail: string) => {
      connection.close('local', detail);
      return false;
    };
    if (!this.running) return refuse('node stopped');
    if (banned !== undefined && banned > this.clock.now()) return refuse('banned');
    if (this.connections.has(id)) return refuse('already connected');
    const host = dialed ? undefined : hostOf(connection);
    if (host !== undefined && !this.inboundSlot(host)) return refuse('no inbound slot');
    if (this.connections.size >= (this.options.maxPeers ?? 25)) return refuse('too many peers');
    this.connections.set(id, connection);
    if (host !== undefined) this.inbound.set(id, { since: this.clock.now(), host });
    if (dialed) this.dialedBy.set(id, dialed);
    const target = dialed ? this.targets.get(dialed) : undefined;
    if (target) {
      target.connected = true;
      target.attempt = 0;
    }
    const handle = this.engine.attach(
      { id, trusted: this.trusted.has(id) },
      {
        send: (message) => connection.send(encodeFrame(message)),
        // 'node stopped' when the node stops: RLPx tells the peer DiscQuitting, as geth does.
        close: (error?: GossipError) =>
          connection.close(
            error ? 'error' : 'local',
            error?.message ?? (this.running ? undefined : 'node stopped'),
          ),
        // Frame overhead: the list header, the code and the payload's own header.
        maxPayloadBytes: connection.maxFrameBytes - 16,
      },
    );
    let protocolError: string | undefined;
    connection.onFrame((frame) => {
      let message: ReturnType<typeof decodeFrame>;
      try {
        message = decodeFrame(frame);
      } catch (error) {
        protocolError = (error as Error).message;
        this.ban(id, `bad-frame: ${protocolError}`);
        connection.close('error', protocolError);
        return;
      }
      handle.receive(message);
    });
    connection.onClose((reason, detail) => {
      this.connections.delete(id);
      this.dialedBy.delete(id);
      this.inbound.delete(id);
      handle.disconnected();
      if (reason === 'rate-limit' || reason === 'frame-too-large') this.ban(id, reason);
      this.emit('peer:disconnected', {
        id,
        reason: reason === 'error' ? 'protocol-error' : reason,
        detail,
      });
      if (dialed && this.targets.has(dialed)) {
        this.targets.get(dialed)!.connected = false;
        this.scheduleRedial(dialed);
      }
    });
    this.emit('peer:connected', {
      id,
      address: connection.remoteAddress,
      outbound: connection.outbound,
      dialed,
    });
    return true;
  }

  private ban(id: string, reason: string): void {
    const now = this.clock.now();
    const until = now + (this.options.banMs ?? 10 * 60_000);
    // Bans that have run out are forgotten, and the map stays bounded whatever keys come:
    // past MAX_BANS the ban that ends first goes (Map order is insertion order, and every
    // ban lasts as long, so that is the oldest).
    for (const [banned, end] of this.bans) if (end <= now) this.bans.delete(banned);
    this.bans.delete(id);
    while (this.bans.size >= MAX_BANS) this.bans.delete(this.bans.keys().next().value!);
    this.bans.set(id, until);
    (this.options.logger ?? silentLogger).warn({ peer: id, reason, until }, 'peer banned');
    this.emit('peer:banned', { id, until, reason });
  }

  /**
   * Lets a peer send p2p messages (a mailserver, or a mailserver's client).
   *
   * @throws TypeError if `publicKey` is neither 65 bytes nor 130 hex digits
   */
  markTrusted(publicKey: Uint8Array | string): void {
    const hex =
      typeof publicKey === 'string' ? publicKey.replace(/^0x/, '').toLowerCase() : toHex(publicKey);
    if (!/^[0-9a-f]{130}$/.test(hex))
      throw new TypeError('publicKey must be a 65-byte key or its hex');
    this.trusted.add(hex);
    this.engine.trust(hex);
  }

  /** Posts a local envelope; see GossipEngine.post. */
  post(envelope: Envelope): Uint8Array {
    return this.engine.post(envelope);
  }

  /**
   * Posts a local envelope (the `EnvelopeSender` of @hush/interface).
   *
   * @throws GossipError with the refusal in `code` ('expired', 'future', 'low-pow', 'too-large',
   *   'pool-full'…)
   */
  async send(envelope: Envelope, options: AbortOptions = {}): Promise<SendResult> {
    options.signal?.throwIfAborted();
    const { hash, fresh } = this.engine.offer(envelope);
    return { hash, accepted: fresh };
  }

  /**
   * Hands every envelope the node accepts from now on, from peers or posted here, to
   * `handler` (the `EnvelopeReceiver` of @hush/interface); returns its removal.
   */
  onEnvelope(handler: (received: ReceivedEnvelope<Envelope>) => void): () => void {
    return this.engine.on('envelope', (accepted) =>
      handler({
        envelope: accepted.envelope,
        hash: accepted.hash,
        source: accepted.from === undefined ? 'local' : accepted.p2p ? 'p2p' : 'gossip',
        // Node ids are the 65-byte key in hex; a peer id drops its 04 prefix.
        ...(accepted.from === undefined ? {} : { peer: accepted.from.slice(2) as PeerId }),
      }),
    );
  }

  /** Subscribes to accepted envelopes; see GossipEngine.subscribe. */
  subscribe(options?: SubscribeOptions): Subscription {
    return this.engine.subscribe(options);
  }

  setMinPow(pow: number): void {
    this.engine.setMinPow(pow);
  }

  setBloomFilter(bloom: Uint8Array | null): void {
    this.engine.setBloomFilter(bloom);
  }

  setLightClient(light: boolean): void {
    this.engine.setLightClient(light);
  }

  /** Peers with their counters and scores, the pool, and the bans in force. */
  stats(): {
    id: string;
    addresses: readonly string[];
    pool: { envelopes: number; bytes: number };
    peers: NodePeerStats[];
    banned: number;
  } {
    const now = this.clock.now();
    const peers = this.engine.peers().map((peer) => {
      const connection = this.connections.get(peer.id);
      return {
        ...peer,
        address: connection?.remoteAddress ?? '',
        outbound: connection?.outbound ?? false,
        score: peer.envelopesAccepted - (peer.envelopesReceived - peer.envelopesAccepted) / 10,
      };
    });
    let banned = 0;
    for (const until of this.bans.values()) if (until > now) banned++;
    return { id: this.id, addresses: this.addresses, pool: this.engine.poolStats(), peers, banned };
  }
}

/**
 * Creates a gossip node (not yet started).
 *
 * @throws TypeError / RangeError for a bad key or setting
 * @throws IdentityError 'identity-mismatch' when the transport proves another identity than `key`
 */
export function createGossipNode(options: GossipNodeOptions): GossipNode {
  return new GossipNode(options);
}
