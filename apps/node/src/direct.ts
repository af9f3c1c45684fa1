/**
 * Direct channels in the node (issue 13, item 7; specs/transport-direct): the node's
 * `DirectNode` over its store and contact book, a WebSocket listener of its own for
 * `hush-direct/1` links, and a `DirectConnector` whose signalling is introductions over the
 * node's own gossip. The node introduces itself (its endpoints, no signal) to every contact at
 * start, when a contact is added and when asked for a channel; an introduction from a contact
 * is kept in the contact book, its signal handed to the connector, and answered with the
 * node's own (at most once per 5 minutes per contact) so that both sides know where the other
 * is; and it is a reason to dial when messages are pending for that contact or a channel is
 * wanted.
 */

import { webSocketCarrier } from '@hush/carrier-websocket';
import type { HushClient } from '@hush/client';
import {
  type CryptoBackend,
  defaultBackend,
  secp256k1Identity,
  secp256k1Verifier,
} from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import {
  type Carrier,
  type Logger,
  type Metrics,
  type PeerId,
  peerIdFromPublicKey,
  publicKeyOfPeerId,
  type RawChannel,
  type Store,
  silentLogger,
} from '@hush/interface';
import {
  deliverToFilter,
  type MessageFilter,
  type ReceivedMessage as OpenedMessage,
} from '@hush/message';
import { loadStaticKey } from '@hush/noise';
import type { PowScanPool } from '@hush/pow';
import {
  type ChannelState,
  type Contact,
  DirectConnector,
  DirectNode,
  type DirectSendResult,
  directLinkEncrypter,
  INTRODUCTION_MAX_SKEW,
  type Introduction,
  openIntroduction,
  RelayServer,
  type ServedRelay,
  type Signalling,
  serveRelay,
  wrapIntroduction,
} from '@hush/transport-direct';
import type { GossipNode } from '@hush/transport-gossip';
import type { NodeConfig } from './config.js';
import type { NodeContacts } from './contacts.js';

/** Where the node keeps the X25519 static key of its direct links. */
const DIRECT_KEY = 'node/direct-key';
/** How long messages that came over direct channels stay in the inbox after they came. */
export const DIRECT_INBOX_RETENTION_MS = 24 * 3600 * 1000;
/** A contact is answered with the node's own introduction at most this often. */
const ANSWER_INTERVAL_MS = INTRODUCTION_MAX_SKEW * 1000;
/** Longest wait for a contact's answer to a WebRTC offer. */
const ANSWER_TIMEOUT_MS = 15_000;
/** Most messages a new filter is given from the inbox. */
const BACKLOG_LIMIT = 1000;

/** A contact's channel as `hush_channels` and `hush_openChannel` answer it. */
export interface ChannelJson {
  peerId: string;
  name: string;
  /** open, connecting, waiting (a redial is scheduled) or idle. */
  state: ChannelState['state'];
  /** Messages accepted for the contact and not yet acknowledged by it. */
  pending: number;
  /** Whether the node keeps a channel open with it (hush_openChannel). */
  wanted: boolean;
  /** Whether the contact has sent an introduction (where to reach it). */
  introduced: boolean;
  /** open: whether this node dialed. */
  outbound?: boolean;
  /** open: the address of the other side. */
  remoteAddress?: string;
  /** open: when the channel came up, Unix ms. */
  since?: number;
  /** Why the last dial failed. */
  lastError?: string;
  /** waiting: when the next dial is due, Unix ms. */
  nextAttempt?: number;
}

/** What the node's direct channels are built from. */
export interface NodeDirectOptions {
  readonly config: Pick<
    NodeConfig,
    | 'directPort'
    | 'directEndpoint'
    | 'webrtc'
    | 'stun'
    | 'relay'
    | 'relayPort'
    | 'maxMessageSize'
    | 'listen'
  >;
  /** The interface the direct listener (and a relay) binds, the gossip one. */
  readonly host: string;
  /** The gossip port (the direct one defaults to it + 1). */
  readonly gossipPort: number;
  readonly store: Store;
  readonly nodeKey: Uint8Array;
  readonly contacts: NodeContacts;
  readonly gossip: GossipNode;
  readonly client: HushClient;
  readonly metrics: Metrics;
  readonly logger?: Logger;
  readonly pool?: PowScanPool | undefined;
  readonly backend?: CryptoBackend;
}

/** The node's direct channels. */
export class NodeDirect {
  readonly node: DirectNode;
  /** The endpoints introductions carry. */
  readonly endpoints: readonly string[];
  /** The relay this node serves, when --relay-port is set. */
  readonly relayUrl: string | undefined;
  private readonly options: NodeDirectOptions;
  private readonly staticKey: Uint8Array;
  private readonly connector: DirectConnector;
  private readonly carrier: Carrier;
  private readonly relay: { server: RelayServer; served: ServedRelay } | undefined;
  private readonly logger: Logger;
  private readonly wanted = new Set<PeerId>();
  private readonly introducedTo = new Map<PeerId, number>();
  private readonly introductions;
  private readonly stopGossip: () => void;
  private closed = false;

  private constructor(
    options: NodeDirectOptions,
    parts: {
      node: DirectNode;
      staticKey: Uint8Array;
      connector: DirectConnector;
      carrier: Carrier;
      endpoints: readonly string[];
      relay: { server: RelayServer; served: ServedRelay } | undefined;
      onSignal: () => ((from: Uint8Array, signal: Uint8Array) => void) | undefined;
    },
  ) {
    this.options = options;
    this.node = parts.node;
    this.staticKey = parts.staticKey;
    this.connector = parts.connector;
    this.carrier = parts.carrier;
    this.endpoints = parts.endpoints;
    this.relay = parts.relay;
    this.relayUrl = parts.relay?.served.url;
    this.logger = options.logger ?? silentLogger;
    this.introductions = options.metrics.counter({
      name: 'hush_direct_introductions_total',
      help: 'Introductions received from contacts, by result (accepted, or why ignored)',
      labelNames: ['result'],
    });
    this.stopGossip = options.gossip.onEnvelope(({ envelope }) =>
      this.received(envelope, parts.onSignal()),
    );
  }

  /**
   * Opens the direct channels: the static key, the outbox and inbox in the store, the
   * listener, the connector, a relay with --relay-port; the envelopes contacts deliver go to
   * the client's filters (source `direct`).
   *
   * @throws the bind error of a taken port, what the store throws
   */
  static async start(options: NodeDirectOptions): Promise<NodeDirect> {
    const { config, store, contacts } = options;
    const backend = options.backend ?? defaultBackend;
    const logger = options.logger ?? silentLogger;
    const book = contacts.book;
    const staticKey = await loadStaticKey(store, DIRECT_KEY, 'direct-link');
    const identity = secp256k1Identity(options.nodeKey, backend);
    const limits = { maxFrameBytes: config.maxMessageSize + 1024 };
    const encrypter = directLinkEncrypter({
      identity,
      verifier: secp256k1Verifier(backend),
      staticKey,
      isContact: (key) => book.has(key),
      limits,
    });
    let onSignal: ((from: Uint8Array, signal: Uint8Array) => void) | undefined;
    let self: NodeDirect | undefined;
    const signalling: Signalling = {
      send: async (to, signal) => {
        if (!self) throw new Error('direct channels are starting');
        await self.postIntroduction(to, signal);
      },
      onSignal: (handler) => {
        onSignal = handler;
      },
    };
    const connector = new DirectConnector(signalling, {
      webSocket: webSocketCarrier({ limits: { ...limits, idleTimeoutMs: 0 } }),
      webrtc: config.webrtc ? { iceServers: config.stun } : false,
      ...(config.relay ? { relay: config.relay } : {}),
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
      logger,
    });
    const node = await DirectNode.open({
      store,
      contacts: book,
      localPeer: identity.peerId,
      logger,
      metrics: options.metrics,
      maxEnvelopeBytes: config.maxMessageSize,
      dial: async (contact, { signal }) => {
        const introduction = contact.introduction;
        if (!introduction) throw new Error('the contact has not introduced itself yet');
        const { channel } = await connector.connect(contact.publicKey, introduction);
        try {
          return await encrypter.secureOutbound(channel, {
            remoteStaticKey: introduction.staticKey,
            remotePeer: contact.peerId,
            ...(signal ? { signal } : {}),
          });
        } catch (error) {
          channel.close();
          throw error;
        }
      },
    });
    const secure = (raw: RawChannel) => {
      encrypter.secureInbound(raw).then(
        (connection) => node.attach(connection),
        (error: unknown) => {
          raw.close();
          logger.debug({ reason: String(error) }, 'direct: inbound handshake failed');
        },
      );
    };
    connector.onChannel((_from, { channel }) => secure(channel));
    const port =
      config.directPort ?? (options.gossipPort === 0 ? 0 : Math.min(65535, options.gossipPort + 1));
    const carrier = webSocketCarrier({ host: options.host, port, limits });
    let relay: { server: RelayServer; served: ServedRelay } | undefined;
    try {
      await carrier.listen(secure);
      if (config.relayPort >= 0) {
        const server = new RelayServer({ metrics: options.metrics });
        relay = {
          server,
          served: await serveRelay(server, { host: options.host, port: config.relayPort }),
        };
      }
    } catch (error) {
      await node.close();
      connector.close();
      await carrier.close();
      throw error;
    }
    const endpoints =
      config.directEndpoint.length > 0 ? [...config.directEndpoint] : [...carrier.addresses];
    if (config.directEndpoint.length === 0 && /^(0\.0\.0\.0|::)$/.test(options.host))
      logger.warn(
        { endpoints },
        'direct channels listen on every interface: give --direct-endpoint the address contacts should dial',
      );
    self = new NodeDirect(options, {
      node,
      staticKey: encrypter.staticKey,
      connector,
      carrier,
      endpoints,
      relay,
      onSignal: () => onSignal,
    });
    options.client.attach(node);
    return self;
  }

  /** The X25519 public key of the node's direct links (what its introductions carry). */
  get publicStaticKey(): Uint8Array {
    return this.staticKey;
  }

  /** Introduces the node to every contact (at start). */
  async introduceAll(): Promise<void> {
    const contacts = await this.options.contacts.book.list();
    await Promise.all(contacts.map((contact) => this.introduce(contact.publicKey)));
  }

  /** Sends the node's introduction (its endpoints, no signal) to a contact; failures are logged. */
  async introduce(publicKey: Uint8Array): Promise<void> {
    try {
      await this.postIntroduction(publicKey, new Uint8Array(0));
    } catch (error) {
      this.logger.warn(
        { peer: peerIdFromPublicKey(publicKey), reason: String(error) },
        'direct: introduction not sent',
      );
    }
  }

  private async postIntroduction(to: Uint8Array, signal: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('direct channels are closed');
    const { gossip, nodeKey, pool } = this.options;
    const envelope = await wrapIntroduction(
      {
        sent: Math.floor(Date.now() / 1000),
        staticKey: this.staticKey,
        endpoints: this.endpoints,
        signal,
      },
      {
        from: nodeKey,
        to,
        pow: gossip.engine.settings().minPow,
        workTime: 10,
        ...(pool ? { pool } : {}),
      },
    );
    this.introducedTo.set(peerIdFromPublicKey(to), Date.now());
    gossip.post(envelope);
  }

  /** An envelope from gossip: acted on when it is an introduction from a contact. */
  private received(
    envelope: Envelope,
    onSignal: ((from: Uint8Array, signal: Uint8Array) => void) | undefined,
  ): void {
    if (this.closed) return;
    const book = this.options.contacts.book;
    const verdict = openIntroduction(envelope, {
      privateKey: this.options.nodeKey,
      isContact: (key) => book.has(key),
      now: Math.floor(Date.now() / 1000),
      backend: this.options.backend ?? defaultBackend,
    });
    if (!verdict.accepted) {
      // Every envelope on another topic passes here: only introductions are counted.
      if (verdict.because !== 'other-topic' && verdict.because !== 'not-for-us')
        this.introductions.inc(1, { result: verdict.because });
      return;
    }
    this.introductions.inc(1, { result: 'accepted' });
    const { from, introduction } = verdict;
    const peer = peerIdFromPublicKey(from);
    void this.keep(peer, from, introduction, onSignal).catch((error: unknown) =>
      this.logger.warn({ peer, reason: String(error) }, 'direct: introduction not kept'),
    );
  }

  /**
   * Keeps a contact's introduction, hands its signal to the connector, answers it with the
   * node's own when it is the first from that contact or the last answer is 5 minutes old, and
   * dials when needed.
   */
  private async keep(
    peer: PeerId,
    from: Uint8Array,
    introduction: Introduction,
    onSignal: ((from: Uint8Array, signal: Uint8Array) => void) | undefined,
  ): Promise<void> {
    const book = this.options.contacts.book;
    const first = (await book.get(peer))?.introduction === undefined;
    await book.recordIntroduction(from, introduction);
    if (this.closed) return;
    if (introduction.signal.length > 0) {
      onSignal?.(from, introduction.signal);
      return;
    }
    // The contact may have ignored this node's earlier introduction (sent before it had this
    // node as a contact): the first one it sends is answered whenever it comes.
    const last = this.introducedTo.get(peer);
    if (first || last === undefined || Date.now() - last > ANSWER_INTERVAL_MS)
      void this.introduce(from);
    this.dialIfNeeded(peer);
  }

  /** Dials a contact now when a channel is wanted or messages are pending for it. */
  private dialIfNeeded(peer: PeerId): void {
    if (this.wanted.has(peer)) this.node.connect(peer);
    else if (this.node.pending(peer) > 0) {
      // connect dials at once; release leaves the channel wanted only while messages wait.
      this.node.connect(peer);
      this.node.release(peer);
    }
  }

  /** A contact was added: it is told where the node is. */
  contactAdded(publicKey: Uint8Array): void {
    void this.introduce(publicKey);
  }

  /** A contact was removed: its channel closes and is no longer kept. */
  contactRemoved(peer: PeerId): void {
    this.wanted.delete(peer);
    this.node.release(peer);
    this.node.disconnect(peer);
  }

  /**
   * Keeps a channel with a contact: introduces the node to it and dials it now (and again
   * whenever the channel drops, while the node runs).
   *
   * @throws DirectError 'not-a-contact'
   */
  async openChannel(peer: PeerId): Promise<ChannelJson> {
    this.node.connect(peer);
    this.wanted.add(peer);
    void this.introduce(publicKeyOfPeerId(peer));
    const contact = await this.options.contacts.book.get(peer);
    return this.channelJson(peer, contact);
  }

  /**
   * Sends an envelope to a contact over its channel: kept in the outbox before this resolves,
   * delivered when the channel is up.
   *
   * @throws DirectError 'not-a-contact', 'outbox-full', 'closed'; RangeError for an envelope
   *   over --max-message-size
   */
  send(peer: PeerId, envelope: Envelope): Promise<DirectSendResult> {
    return this.node.send(peer, envelope);
  }

  /**
   * The contact a public key belongs to when its channel is in use (open, being dialed, or
   * holding messages), for shh_post to go over it.
   */
  route(publicKey: Uint8Array): PeerId | undefined {
    if (publicKey.length !== 65 || !this.options.contacts.book.has(publicKey)) return undefined;
    const peer = peerIdFromPublicKey(publicKey);
    const channel = this.node.channel(peer);
    return channel.state === 'idle' && channel.pending === 0 ? undefined : peer;
  }

  /** Every contact with its channel. */
  async channels(): Promise<ChannelJson[]> {
    const contacts = await this.options.contacts.book.list();
    return contacts.map((contact) => this.channelJson(contact.peerId, contact));
  }

  private channelJson(peer: PeerId, contact: Contact | undefined): ChannelJson {
    const { peer: _peer, ...state } = this.node.channel(peer);
    return {
      peerId: peer,
      name: contact?.name ?? '',
      ...state,
      wanted: this.wanted.has(peer),
      introduced: contact?.introduction !== undefined,
    };
  }

  /**
   * The messages the inbox received in the last day that a new filter admits (at most 1000,
   * the newest), so that a filter made after they came (a node restarted, an application
   * started later) still gets what contacts delivered while it was away.
   */
  async backlog(spec: MessageFilter): Promise<OpenedMessage[]> {
    if (!spec.allowP2P) return [];
    const since = Date.now() - DIRECT_INBOX_RETENTION_MS;
    const backend = this.options.backend ?? defaultBackend;
    const out: OpenedMessage[] = [];
    let cursor: Uint8Array | undefined;
    do {
      const page = await this.node.inbox.page({
        limit: 1000,
        ...(spec.topics && spec.topics.length > 0 ? { topics: spec.topics } : {}),
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) {
        if (item.received < since) continue;
        try {
          out.push(deliverToFilter(item.envelope, spec, { backend, p2p: true }));
        } catch {
          // not for this filter
        }
      }
      cursor = page.cursor.length > 0 ? page.cursor : undefined;
    } while (cursor);
    return out.slice(-BACKLOG_LIMIT);
  }

  /** Deletes the inbox's messages that came more than a day ago. */
  async prune(): Promise<number> {
    const before = Date.now() - DIRECT_INBOX_RETENTION_MS;
    const old: Uint8Array[] = [];
    let cursor: Uint8Array | undefined;
    do {
      const page = await this.node.inbox.page({ limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const item of page.items) if (item.received < before) old.push(item.id);
      cursor = page.cursor.length > 0 ? page.cursor : undefined;
    } while (cursor);
    return old.length > 0 ? this.node.inbox.delete(old) : 0;
  }

  /** Closes every channel, the listener, the connector and the relay. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopGossip();
    this.connector.close();
    await this.node.close();
    await this.carrier.close();
    if (this.relay) {
      this.relay.server.close();
      await this.relay.served.close();
    }
  }
}
