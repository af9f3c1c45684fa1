/**
 * A node's direct channels (specs/transport-direct/SPEC.md §4, §7): one channel per contact
 * at a time, over authenticated `hush-direct/1` connections that it dials or is handed;
 * messages accepted into the persistent outbox and delivered once into the inbox and to
 * subscribers; reconnection while anything is pending, with backoff and jitter.
 *
 * Which connection survives when both sides dial at once (SPEC §4.1): the one dialed by the
 * contact whose peer id sorts first. Both sides apply the same rule, so they keep the same one.
 */
import { type Envelope, encodeEnvelope } from '@hush/envelope';
import {
  type AbortOptions,
  type Clock,
  type CloseReason,
  type Connection,
  Emitter,
  type EnvelopeReceiver,
  type EnvelopeSender,
  type Logger,
  type Metrics,
  noMetrics,
  type PeerId,
  peerIdFromPublicKey,
  type ReceivedEnvelope,
  type SendResult,
  type Store,
  silentLogger,
  systemClock,
  type TimerHandle,
  throwIfAborted,
} from '@hush/interface';
import type { Contact, ContactBook } from './contacts.js';
import { DirectError } from './errors.js';
import { fromHex } from './hex.js';
import { DirectInbox, type DirectInboxLimits, type ReceivedMessage } from './inbox.js';
import { type DirectMetrics, directMetrics } from './metrics.js';
import { Outbox, type OutboxLimits, type RetransmitPolicy } from './outbox.js';
import { ChannelSession } from './session.js';

/** How redials back off while a contact is unreachable (SPEC §7.2). */
export interface ReconnectPolicy {
  /** First wait after a failed dial or a lost channel, ms (default 500). */
  readonly baseMs: number;
  /** Longest wait, ms (default 30,000). */
  readonly maxMs: number;
  /** Fraction of each wait drawn at random, 0–1 (default 0.25). */
  readonly jitter: number;
}

/** Dials a contact: an authenticated `hush-direct/1` connection to it, or a rejection. */
export type DirectDialer = (contact: Contact, options: AbortOptions) => Promise<Connection>;

/** What a node's direct channels are built from. */
export interface DirectNodeOptions {
  /** Where the outbox and inbox are kept (the node's store). */
  readonly store: Store;
  /** The contact list (loaded). Only contacts get channels. */
  readonly contacts: ContactBook;
  /** This node's own peer id (for the rule that keeps one of two simultaneous channels). */
  readonly localPeer: PeerId;
  /** How to reach a contact; without it the node only takes connections it is handed. */
  readonly dial?: DirectDialer;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly random?: () => number;
  readonly retransmit?: Partial<RetransmitPolicy>;
  readonly reconnect?: Partial<ReconnectPolicy>;
  readonly outbox?: Partial<OutboxLimits>;
  readonly inbox?: Partial<DirectInboxLimits>;
  /** Messages awaiting acknowledgement on one channel at most (default 8,192). */
  readonly maxInFlight?: number;
  /** Largest envelope a channel carries, bytes of its RLP (default 1 MiB). */
  readonly maxEnvelopeBytes?: number;
}

/** A contact's channel as the node sees it. */
export interface ChannelState {
  readonly peer: PeerId;
  /** open: a connection is up; connecting: a dial is under way; waiting: a redial is scheduled; idle: nothing to do. */
  readonly state: 'open' | 'connecting' | 'waiting' | 'idle';
  /** Messages accepted and not yet acknowledged. */
  readonly pending: number;
  readonly outbound?: boolean;
  readonly remoteAddress?: string;
  /** When the open connection came up, ms. */
  readonly since?: number;
  /** Why the last dial failed, if it did. */
  readonly lastError?: string;
  /** When the next dial is due, ms (waiting). */
  readonly nextAttempt?: number;
}

/** What `send` reports: the message id (its envelope hash) and whether it is new. */
export interface DirectSendResult extends SendResult {
  readonly peer: PeerId;
}

interface Redial {
  attempt: number;
  timer: TimerHandle | undefined;
  at: number | undefined;
  dialing: AbortController | undefined;
  lastError: string | undefined;
}

const DEFAULT_RECONNECT: ReconnectPolicy = { baseMs: 500, maxMs: 30_000, jitter: 0.25 };

/**
 * The direct channels of a node.
 *
 * @example
 * ```ts
 * const direct = await DirectNode.open({ store, contacts, dial: (contact) => dialContact(contact) });
 * direct.onEnvelope(({ envelope, peer }) => client.deliver(envelope, 'direct'));
 * transport.listen((connection) => direct.attach(connection));
 * await direct.send(bobPeerId, envelope); // kept until Bob acknowledges it
 * ```
 */
export class DirectNode
  extends Emitter<{
    envelope: ReceivedEnvelope<Envelope>;
    state: ChannelState;
    /** A contact acknowledged these messages (their envelope hashes): they left the outbox. */
    acknowledged: { readonly peer: PeerId; readonly hashes: readonly Uint8Array[] };
  }>
  implements EnvelopeReceiver<Envelope>
{
  /** The messages contacts delivered, until the application deletes them. */
  readonly inbox: DirectInbox;
  private readonly outbox: Outbox;
  private readonly contacts: ContactBook;
  private readonly localPeer: PeerId;
  private readonly dial: DirectDialer | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: DirectMetrics;
  private readonly random: () => number;
  private readonly reconnect: ReconnectPolicy;
  private readonly maxInFlight: number;
  private readonly maxEnvelopeBytes: number;
  private readonly sessions = new Map<PeerId, ChannelSession>();
  private readonly redials = new Map<PeerId, Redial>();
  /** Contacts the application asked to keep a channel with even when nothing is pending. */
  private readonly wanted = new Set<PeerId>();
  private pendingTotal = 0;
  private closed = false;

  private constructor(
    options: DirectNodeOptions,
    outbox: Outbox,
    inbox: DirectInbox,
    metrics: DirectMetrics,
  ) {
    super();
    this.outbox = outbox;
    this.inbox = inbox;
    this.metrics = metrics;
    this.contacts = options.contacts;
    this.localPeer = options.localPeer;
    this.dial = options.dial;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.maxInFlight = options.maxInFlight ?? 8192;
    this.maxEnvelopeBytes = options.maxEnvelopeBytes ?? 1024 * 1024;
  }

  /**
   * Opens the direct channels over `options.store`: loads the outbox (every message still
   * pending is due at once) and the inbox, and dials each contact that has pending messages.
   *
   * @throws RangeError for a bad `maxInFlight` or `maxEnvelopeBytes`
   * @throws what the store throws
   */
  static async open(options: DirectNodeOptions): Promise<DirectNode> {
    for (const name of ['maxInFlight', 'maxEnvelopeBytes'] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value < 1))
        throw new RangeError(`${name}: must be a positive integer`);
    }
    const clock = options.clock ?? systemClock;
    const now = clock.now();
    const { outbox, damaged } = await Outbox.open(options.store, {
      now,
      ...(options.outbox ? { limits: options.outbox } : {}),
      ...(options.retransmit ? { retransmit: options.retransmit } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    const inbox = await DirectInbox.open(options.store, {
      now,
      ...(options.inbox ? { limits: options.inbox } : {}),
    });
    const node = new DirectNode(
      options,
      outbox,
      inbox,
      directMetrics(options.metrics ?? noMetrics),
    );
    if (damaged) node.logger.warn({ damaged }, 'direct: damaged outbox records skipped');
    for (const peer of outbox.peersWithPending()) {
      node.pendingTotal += outbox.pendingCount(peer);
      node.redial(peer, 0);
    }
    node.metrics.pending.set(node.pendingTotal);
    return node;
  }

  /**
   * Subscribes to envelopes contacts deliver (source `direct`), each once, after the inbox has
   * kept it.
   */
  onEnvelope(handler: (received: ReceivedEnvelope<Envelope>) => void): () => void {
    return this.on('envelope', handler);
  }

  /** Subscribes to changes of channel state. */
  onState(handler: (state: ChannelState) => void): () => void {
    return this.on('state', handler);
  }

  /**
   * Accepts a message for a contact: kept in the outbox before this resolves, then delivered
   * over the contact's channel whenever there is one, until acknowledged. A message already
   * pending or delivered is not accepted again (`accepted: false`, same hash).
   *
   * @param peer - the contact's peer id or 65-byte public key
   * @param options.parents - ids of messages this one follows (causal order, §7.3)
   * @throws DirectError 'not-a-contact', 'outbox-full', 'closed'
   * @throws RangeError for an envelope over `maxEnvelopeBytes` or bad parents
   */
  async send(
    peer: PeerId | Uint8Array,
    envelope: Envelope,
    options: AbortOptions & { parents?: readonly Uint8Array[] } = {},
  ): Promise<DirectSendResult> {
    throwIfAborted(options);
    if (this.closed) throw new DirectError('closed', 'direct channels are closed');
    const peerId = typeof peer === 'string' ? peer : peerIdFromPublicKey(peer);
    if (!this.contacts.hasPeer(peerId))
      throw new DirectError('not-a-contact', `${peerId} is not a contact`);
    const size = encodeEnvelope(envelope).length;
    if (size > this.maxEnvelopeBytes)
      throw new RangeError(`envelope: ${size} bytes exceeds ${this.maxEnvelopeBytes}`);
    const { message, accepted } = await this.outbox.add(
      peerId,
      envelope,
      options.parents ?? [],
      this.clock.now(),
    );
    if (accepted) {
      this.pendingTotal++;
      this.metrics.pending.set(this.pendingTotal);
      const session = this.sessions.get(peerId);
      if (session) session.kick();
      // Dial now if nothing is scheduled; a redial already waiting keeps its backoff.
      else this.redial(peerId, 0);
      this.changed(peerId);
    }
    return { hash: message.id, accepted, peer: peerId };
  }

  /** An `EnvelopeSender` to one contact (its `send` is {@link send} to `peer`). */
  sender(peer: PeerId | Uint8Array): EnvelopeSender<Envelope> {
    return { send: (envelope, options) => this.send(peer, envelope, options) };
  }

  /**
   * Takes an authenticated direct connection (dialed by `dial`, or accepted by a listener).
   * One from a key that is not a contact is closed unread; when the contact already has a
   * channel, the rule of SPEC §4.1 decides which one stays.
   */
  attach(connection: Connection): void {
    const peer = connection.remotePeer;
    if (this.closed) {
      connection.close('local', 'direct channels are closed');
      return;
    }
    if (!this.contacts.hasPeer(peer)) {
      this.metrics.connections.inc(1, { result: 'refused' });
      connection.close('handshake-failed', 'peer not authorized');
      return;
    }
    const existing = this.sessions.get(peer);
    if (existing && !existing.isClosed) {
      if (!this.preferred(connection, existing.connection)) {
        this.metrics.connections.inc(1, { result: 'replaced' });
        connection.close('local', 'duplicate channel');
        return;
      }
      this.metrics.connections.inc(1, { result: 'replaced' });
      this.sessions.delete(peer);
      existing.close('local', 'duplicate channel');
    }
    const redial = this.redials.get(peer);
    if (redial?.timer !== undefined) this.clock.clearTimeout(redial.timer);
    this.redials.delete(peer);
    const session = new ChannelSession(peer, connection, {
      outbox: this.outbox,
      inbox: this.inbox,
      clock: this.clock,
      metrics: this.metrics,
      maxInFlight: this.maxInFlight,
      onMessages: (from, messages) => this.delivered(from, messages),
      onAcknowledged: (_from, ids) => {
        this.pendingTotal -= ids.length;
        this.metrics.pending.set(this.pendingTotal);
        if (this.listening('acknowledged'))
          this.emit('acknowledged', { peer, hashes: ids.map((id) => fromHex(id)) });
        this.changed(peer);
      },
      onClosed: (ended, reason, detail) => this.ended(ended, reason, detail),
    });
    this.sessions.set(peer, session);
    this.metrics.connections.inc(1, { result: 'opened' });
    this.metrics.open.set(this.sessions.size);
    session.start();
    this.changed(peer);
  }

  /** Whether connection `a` should stay rather than `b` (both to the same contact). */
  private preferred(a: Connection, b: Connection): boolean {
    if (a.outbound === b.outbound) return true; // the same side dialed both: the newer one
    const dialer = (c: Connection) => (c.outbound ? this.localPeer : c.remotePeer);
    return dialer(a) < dialer(b);
  }

  /**
   * Asks for a channel with a contact now, and to keep one while the node runs (redialing
   * with backoff when it drops), even with nothing pending.
   *
   * @throws DirectError 'not-a-contact'
   */
  connect(peer: PeerId | Uint8Array): void {
    const peerId = typeof peer === 'string' ? peer : peerIdFromPublicKey(peer);
    if (!this.contacts.hasPeer(peerId))
      throw new DirectError('not-a-contact', `${peerId} is not a contact`);
    this.wanted.add(peerId);
    if (!this.sessions.has(peerId)) this.redial(peerId, 0, true);
  }

  /** Stops keeping a channel open for `peer` when nothing is pending (it is not closed now). */
  release(peer: PeerId): void {
    this.wanted.delete(peer);
  }

  /** Dials every contact with a known introduction now (a node coming back online). */
  connectAll(contacts: readonly Contact[]): void {
    for (const contact of contacts) if (contact.introduction) this.connect(contact.peerId);
  }

  /** Closes a contact's channel (it redials if something is pending or it is wanted). */
  disconnect(peer: PeerId): void {
    this.sessions.get(peer)?.close('local', 'disconnected');
  }

  /** The state of one contact's channel. */
  channel(peer: PeerId): ChannelState {
    const pending = this.outbox.pendingCount(peer);
    const session = this.sessions.get(peer);
    if (session && !session.isClosed)
      return {
        peer,
        state: 'open',
        pending,
        outbound: session.connection.outbound,
        remoteAddress: session.connection.remoteAddress,
        since: session.opened,
      };
    const redial = this.redials.get(peer);
    const lastError = redial?.lastError ? { lastError: redial.lastError } : {};
    if (redial?.dialing) return { peer, state: 'connecting', pending, ...lastError };
    if (redial?.timer !== undefined)
      return {
        peer,
        state: 'waiting',
        pending,
        ...lastError,
        ...(redial.at !== undefined ? { nextAttempt: redial.at } : {}),
      };
    return { peer, state: 'idle', pending, ...lastError };
  }

  /** Every contact's channel state that is not idle with nothing pending, and those asked for. */
  channels(peers: readonly PeerId[] = []): ChannelState[] {
    const all = new Set<PeerId>([
      ...peers,
      ...this.sessions.keys(),
      ...this.redials.keys(),
      ...this.outbox.peersWithPending(),
    ]);
    return [...all].sort().map((peer) => this.channel(peer));
  }

  /** Messages accepted for `peer` and not yet acknowledged. */
  pending(peer: PeerId): number {
    return this.outbox.pendingCount(peer);
  }

  /**
   * Whether `peer` acknowledged the message of envelope hash `hash`, now or in an earlier run
   * (for the outbox's retention of acknowledged ids, 30 days by default).
   *
   * @throws RangeError when `hash` is not 32 bytes
   */
  acknowledged(peer: PeerId, hash: Uint8Array): boolean {
    if (!(hash instanceof Uint8Array) || hash.length !== 32)
      throw new RangeError('hash must be a 32-byte envelope hash');
    return this.outbox.isAcknowledged(peer, hash);
  }

  /** Closes every channel and stops dialing; waits for the writes under way. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const redial of this.redials.values()) {
      if (redial.timer !== undefined) this.clock.clearTimeout(redial.timer);
      redial.dialing?.abort(new DirectError('closed', 'direct channels are closed'));
    }
    this.redials.clear();
    for (const session of [...this.sessions.values()]) session.close('local', 'node closing');
    this.sessions.clear();
    await this.outbox.settle();
  }

  private delivered(peer: PeerId, messages: readonly ReceivedMessage[]): void {
    if (!this.listening('envelope')) return;
    for (const message of messages)
      this.emit('envelope', {
        envelope: message.envelope,
        hash: message.hash,
        source: 'direct',
        peer,
      });
  }

  private ended(session: ChannelSession, reason: CloseReason, detail?: string): void {
    if (this.sessions.get(session.peer) === session) this.sessions.delete(session.peer);
    this.metrics.open.set(this.sessions.size);
    this.metrics.closes.inc(1, { reason });
    this.logger.debug({ peer: session.peer, reason, detail }, 'direct: channel closed');
    // Not at once: the other side may have closed it for a channel of its own on the way.
    if (!this.closed && !this.sessions.has(session.peer))
      this.redial(
        session.peer,
        this.reconnect.baseMs * (1 - this.reconnect.jitter * this.random()),
      );
    this.changed(session.peer);
  }

  private wants(peer: PeerId): boolean {
    return this.wanted.has(peer) || this.outbox.pendingCount(peer) > 0;
  }

  /**
   * Schedules a dial of `peer` after the backoff of its attempt count (or now, `reset`),
   * when there is something to deliver or the channel is wanted and a dialer is set.
   */
  private redial(peer: PeerId, attemptDelay: number, reset = false): void {
    if (this.closed || !this.dial || this.sessions.has(peer) || !this.wants(peer)) return;
    let redial = this.redials.get(peer);
    if (!redial) {
      redial = {
        attempt: 0,
        timer: undefined,
        at: undefined,
        dialing: undefined,
        lastError: undefined,
      };
      this.redials.set(peer, redial);
    }
    if (redial.dialing) return;
    if (reset) {
      redial.attempt = 0;
      if (redial.timer !== undefined) this.clock.clearTimeout(redial.timer);
      redial.timer = undefined;
    }
    if (redial.timer !== undefined) return;
    const { baseMs, maxMs, jitter } = this.reconnect;
    const wait =
      redial.attempt === 0
        ? attemptDelay
        : Math.min(maxMs, baseMs * 2 ** (redial.attempt - 1)) *
          (1 - jitter + jitter * 2 * this.random());
    redial.at = this.clock.now() + wait;
    const entry = redial;
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      entry.at = undefined;
      void this.dialNow(peer, entry);
    }, wait);
    this.changed(peer);
  }

  private async dialNow(peer: PeerId, redial: Redial): Promise<void> {
    if (this.closed || this.sessions.has(peer) || !this.wants(peer)) {
      this.redials.delete(peer);
      return;
    }
    const contact = await this.contacts.get(peer);
    if (!contact) {
      this.redials.delete(peer);
      return;
    }
    const controller = new AbortController();
    redial.dialing = controller;
    this.changed(peer);
    try {
      const connection = await this.dial!(contact, { signal: controller.signal });
      redial.dialing = undefined;
      this.attach(connection);
    } catch (error) {
      redial.dialing = undefined;
      if (this.closed) return;
      redial.lastError = (error as Error).message;
      redial.attempt++;
      this.metrics.connections.inc(1, { result: 'failed' });
      this.logger.debug({ peer, error: redial.lastError }, 'direct: dial failed');
      this.redial(peer, 0);
    }
  }

  private changed(peer: PeerId): void {
    if (this.listening('state')) this.emit('state', this.channel(peer));
  }
}
