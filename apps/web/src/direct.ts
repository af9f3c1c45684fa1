/**
 * Direct channels in the page (issue 15; specs/transport-direct: the link §3, the channel §4,
 * paths §5.4, store-and-forward §7): the page's `DirectNode` over its store and contact book,
 * and a `DirectConnector` whose signalling is introductions over the page's gossip node
 * (`direct-signalling.ts`). A page cannot listen, so it advertises no endpoint: a contact is
 * reached by WebRTC (the browser's `RTCPeerConnection`, transport-direct's `#webrtc` browser
 * path), else through the relay when the node names one, or over the WebSocket endpoints a
 * contact that is a node advertises.
 *
 * A page dials a contact only when the contact's introduction is recent (it is online now):
 * an offer to a contact that is away would only wait out its answer timeout and cost the
 * network a PoW envelope per redial. Otherwise it introduces itself (at most once per 5
 * minutes per contact), and the contact's answer is what makes it dial; a contact that comes
 * back introduces itself at its start, which makes it dial too while messages wait for it.
 * The outbox and inbox are in the store, so what is queued survives a reload (§7.1).
 *
 * **Acknowledgements, one by one.** `DirectNode` tells each message a contact acknowledged (its
 * `acknowledged` event, by envelope hash) and remembers them for the outbox's retention (30
 * days), so a message acknowledged after a reload is found too (`acknowledged`).
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import {
  type CryptoBackend,
  defaultBackend,
  secp256k1Identity,
  secp256k1Verifier,
} from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import {
  type EnvelopeReceiver,
  HushError,
  type Logger,
  type Metrics,
  type PeerId,
  peerIdFromPublicKey,
  publicKeyOfPeerId,
  type RawChannel,
  type ReceivedEnvelope,
  type Store,
  silentLogger,
} from '@hush/interface';
import { loadStaticKey } from '@hush/noise';
import type { PowScanPool } from '@hush/pow';
import {
  type ChannelState,
  type ConnectPath,
  ContactBook,
  DirectConnector,
  DirectError,
  type DirectInbox,
  DirectNode,
  type DirectSendResult,
  directLinkEncrypter,
  type ReconnectPolicy,
  type RetransmitPolicy,
  type WebRtcOptions,
} from '@hush/transport-direct';
import type { GossipNode } from '@hush/transport-gossip';
import { ANSWER_INTERVAL_MS, GossipIntroductions } from './direct-signalling.js';

/** Where the page keeps the X25519 static key of its direct links. */
const STATIC_KEY = 'direct/static-key';
/** A contact whose last introduction came longer ago than this is not dialed, ms. */
const FRESH_MS = ANSWER_INTERVAL_MS;
/** Longest wait for a contact's answer to a WebRTC offer (the node's). */
const ANSWER_TIMEOUT_MS = 15_000;
/** How long messages that came over direct channels stay in the inbox (the node's), ms. */
export const DIRECT_INBOX_RETENTION_MS = 24 * 3600 * 1000;

/** Why the page's direct channels refused an operation. */
export type PageDirectErrorCode =
  /** Not a 65-byte uncompressed secp256k1 public key on the curve. */
  | 'invalid-key'
  /** The user's own key: a page is not its own contact. */
  | 'own-key'
  /** Called before `start` resolved. */
  | 'not-started'
  /** Called after `stop`. */
  | 'stopped';

/** A refused operation of the page's direct channels; `code` says why. */
export class PageDirectError extends HushError<PageDirectErrorCode> {
  override readonly name = 'PageDirectError';
}

/** A contact's channel as the page shows it. */
export interface PageChannelState extends ChannelState {
  /** The contact's 65-byte public key. */
  readonly publicKey: Uint8Array;
  /** Whether the page keeps a channel with it (`open`), pending messages or not. */
  readonly wanted: boolean;
  /** Whether the contact has ever sent an introduction. */
  readonly introduced: boolean;
  /** open: how the channel was made. */
  readonly path?: ConnectPath;
}

/** What the page's direct channels are built from. */
export interface PageDirectOptions {
  /** The page's gossip node (a light client of a hush node), started. */
  readonly gossip: GossipNode;
  /** The user's 32-byte secp256k1 private key; contacts know the page by its public key. */
  readonly identityKey: Uint8Array;
  /** Where contacts, the outbox, the inbox and the static key are kept. */
  readonly store: Store;
  /** PoW workers for the introductions; without them the PoW runs in the page. */
  readonly powPool?: PowScanPool | undefined;
  /** The PoW introductions are sealed with (the node's minimum; default the gossip node's). */
  readonly minPow?: number | undefined;
  /** STUN servers, `stun:host:port` (the node's /hush-web.json). */
  readonly stun?: readonly string[] | undefined;
  /** The relay both contacts trust, `wss://…/hush-relay/1` (the node's /hush-web.json). */
  readonly relay?: string | undefined;
  /** Every envelope a contact delivered over a channel, once, after the inbox kept it. */
  readonly onMessage?: ((fromPublicKey: Uint8Array, envelope: Envelope) => void) | undefined;
  /**
   * Every message a contact acknowledged (its 65-byte key, the message's envelope hash), as the
   * acknowledgement is kept: messages queued before a reload too.
   */
  readonly onAcknowledged?: ((publicKey: Uint8Array, hash: Uint8Array) => void) | undefined;
  /** Every contact's channel, whenever one changes. */
  readonly onChannels?: ((states: PageChannelState[]) => void) | undefined;
  /** WebRTC timings (tests shorten them); the STUN servers come from `stun`. */
  readonly webrtc?: Omit<WebRtcOptions, 'iceServers'> | undefined;
  /** Redial backoff (default 0.5 s doubling to 30 s). */
  readonly reconnect?: Partial<ReconnectPolicy> | undefined;
  /** Retransmission backoff of unacknowledged messages. */
  readonly retransmit?: Partial<RetransmitPolicy> | undefined;
  readonly metrics?: Metrics | undefined;
  readonly logger?: Logger | undefined;
  readonly backend?: CryptoBackend | undefined;
}

/** What `start` builds. */
interface Running {
  readonly node: DirectNode;
  readonly book: ContactBook;
  readonly connector: DirectConnector;
  readonly introductions: GossipIntroductions;
}

/** How a channel was made, from its connection's remote address (transport-direct's forms). */
function pathOf(remoteAddress: string | undefined): ConnectPath | undefined {
  if (remoteAddress === undefined) return undefined;
  if (remoteAddress.startsWith('relay:')) return 'relay';
  if (/^wss?:\/\//.test(remoteAddress)) return 'websocket';
  return 'webrtc';
}

/**
 * The direct channels of a page: contacts, channels by WebRTC (or the relay), and
 * store-and-forward of envelopes to them.
 *
 * @example
 * ```ts
 * const direct = new PageDirect({ gossip, identityKey, store, minPow, stun, relay, onMessage });
 * await direct.start();
 * await direct.addContact(bobPublicKey);
 * await direct.send(bobPublicKey, envelope); // delivered and acknowledged once Bob is there
 * ```
 */
export class PageDirect implements EnvelopeReceiver<Envelope> {
  private readonly options: PageDirectOptions;
  private readonly backend: CryptoBackend;
  private readonly logger: Logger;
  private readonly ownPublicKey: Uint8Array;
  private readonly ownPeer: PeerId;
  private readonly wanted = new Set<PeerId>();
  /** The contacts, as the book holds them (the channel list is read without the store). */
  private readonly contactPeers = new Set<PeerId>();
  /** Contacts that have sent an introduction, this visit or before. */
  private readonly introduced = new Set<PeerId>();
  private running: Running | undefined;
  private starting: Promise<void> | undefined;
  /** Contact writes under way: what follows them (open, send) waits for them. */
  private writes: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private reportDue = false;
  private readonly receivers = new Set<(received: ReceivedEnvelope<Envelope>) => void>();
  private readonly ackHandlers = new Set<(publicKey: Uint8Array, hash: Uint8Array) => void>();
  /** The store, watched for acknowledgements. */
  private readonly store: Store;

  /**
   * @throws PageDirectError 'invalid-key' when `identityKey` is not a secp256k1 private key
   */
  constructor(options: PageDirectOptions) {
    this.options = options;
    this.backend = options.backend ?? defaultBackend;
    this.logger = options.logger ?? silentLogger;
    if (
      !(options.identityKey instanceof Uint8Array) ||
      options.identityKey.length !== 32 ||
      !this.backend.isValidPrivateKey(options.identityKey)
    )
      throw new PageDirectError('invalid-key', 'identityKey: not a secp256k1 private key');
    this.ownPublicKey = this.backend.publicKeyCreate(options.identityKey);
    this.ownPeer = peerIdFromPublicKey(this.ownPublicKey);
    this.store = options.store;
  }

  private acked(peer: PeerId, hash: Uint8Array): void {
    if (this.stopped) return;
    const publicKey = publicKeyOfPeerId(peer);
    this.options.onAcknowledged?.(publicKey.slice(), hash.slice());
    for (const handler of this.ackHandlers) handler(publicKey.slice(), hash.slice());
  }

  /** The user's public key, as contacts name the page (65 bytes). */
  get publicKey(): Uint8Array {
    return this.ownPublicKey.slice();
  }

  /**
   * Opens the direct channels: the static key, the contacts, the outbox and inbox in the
   * store; takes introductions from gossip (adding their topic to the gossip node's bloom
   * filter); introduces the page to every contact; drops inbox messages older than a day.
   * Messages still pending from an earlier visit go out as their contacts introduce
   * themselves. Calling it again waits for the first call.
   *
   * @throws PageDirectError 'stopped' after `stop`; what the store throws (StoreError)
   */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new PageDirectError('stopped', 'direct: stopped'));
    this.starting ??= this.boot();
    return this.starting;
  }

  private async boot(): Promise<void> {
    const { gossip } = this.options;
    const store = this.store;
    const staticKey = await loadStaticKey(store, STATIC_KEY, 'direct-link');
    const book = new ContactBook(store);
    await book.load();
    for (const contact of await book.list()) {
      this.contactPeers.add(contact.peerId);
      if (contact.introduction) this.introduced.add(contact.peerId);
    }
    const maxEnvelopeBytes = gossip.engine.settings().maxMessageSize;
    const limits = { maxFrameBytes: maxEnvelopeBytes + 1024 };
    const encrypter = directLinkEncrypter({
      identity: secp256k1Identity(this.options.identityKey, this.backend),
      verifier: secp256k1Verifier(this.backend),
      staticKey,
      isContact: (key) => book.has(key),
      limits,
    });
    const introductions = new GossipIntroductions({
      gossip,
      identityKey: this.options.identityKey,
      staticKey: encrypter.staticKey,
      contacts: book,
      pow: () => this.options.minPow ?? gossip.engine.settings().minPow,
      pool: this.options.powPool,
      backend: this.backend,
      logger: this.logger,
      onIntroduced: (peer) => this.heardFrom(peer),
    });
    const connector = new DirectConnector(introductions, {
      webSocket: webSocketCarrier({ limits: { ...limits, idleTimeoutMs: 0 } }),
      webrtc: { ...this.options.webrtc, iceServers: this.options.stun ?? [] },
      ...(this.options.relay ? { relay: this.options.relay } : {}),
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
      logger: this.logger,
    });
    const node = await DirectNode.open({
      store,
      contacts: book,
      localPeer: this.ownPeer,
      logger: this.logger,
      maxEnvelopeBytes,
      ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
      ...(this.options.reconnect ? { reconnect: this.options.reconnect } : {}),
      ...(this.options.retransmit ? { retransmit: this.options.retransmit } : {}),
      dial: async (contact) => {
        const introduction = contact.introduction;
        const heard = introductions.lastHeard(contact.peerId);
        if (!introduction || heard === undefined || Date.now() - heard > FRESH_MS) {
          // Knock: the contact answers with a fresh introduction when it is there, and that
          // answer dials again (heardFrom). At most once per 5 minutes per contact, and not
          // before start has introduced the page to every contact (that is the first knock).
          const last = introductions.lastIntroduced(contact.peerId);
          if (this.running && (last === undefined || Date.now() - last > ANSWER_INTERVAL_MS))
            void introductions.introduce(contact.publicKey);
          throw new DirectError('no-path', 'the contact has not introduced itself lately');
        }
        const { channel } = await connector.connect(contact.publicKey, introduction);
        try {
          return await encrypter.secureOutbound(channel, {
            remoteStaticKey: introduction.staticKey,
            remotePeer: contact.peerId,
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
          this.logger.debug({ reason: String(error) }, 'direct: inbound handshake failed');
        },
      );
    };
    connector.onChannel((_from, { channel }) => secure(channel));
    node.onEnvelope((received) => {
      const { envelope, peer } = received;
      if (peer !== undefined) this.options.onMessage?.(publicKeyOfPeerId(peer), envelope);
      for (const handler of this.receivers) handler(received);
    });
    node.onState(() => this.report());
    node.on('acknowledged', ({ peer, hashes }) => {
      for (const hash of hashes) this.acked(peer, hash);
    });
    if (this.stopped) {
      connector.close();
      await node.close();
      return;
    }
    this.running = { node, book, connector, introductions };
    introductions.start();
    // In the same turn as `running` is set: a dial's knock then sees these under way.
    for (const peer of this.contactPeers) void introductions.introduce(publicKeyOfPeerId(peer));
    void this.prune().catch((error: unknown) =>
      this.logger.warn({ reason: String(error) }, 'direct: inbox not pruned'),
    );
    this.report();
  }

  /**
   * Adds a handler of every envelope contacts deliver from now on (source `direct`, `peer`
   * the contact), as `onMessage` gets them: the `EnvelopeReceiver` a `HushClient` attaches
   * (`client.attach(direct)`). Returns its removal.
   */
  onEnvelope(handler: (received: ReceivedEnvelope<Envelope>) => void): () => void {
    this.receivers.add(handler);
    return () => {
      this.receivers.delete(handler);
    };
  }

  /**
   * The messages contacts delivered, kept in the store (an `Inbox`): what a filter made after
   * they came reads (`fetch`, `page`); `prune` empties it of old ones.
   *
   * @throws PageDirectError 'not-started', 'stopped'
   */
  get inbox(): DirectInbox {
    return this.parts.node.inbox;
  }

  private get parts(): Running {
    if (this.stopped) throw new PageDirectError('stopped', 'direct: stopped');
    if (!this.running) throw new PageDirectError('not-started', 'direct: call start() first');
    return this.running;
  }

  /** A contact's introduction without a signal was kept: dial it if there is a reason to. */
  private heardFrom(peer: PeerId): void {
    if (!this.running) return;
    this.introduced.add(peer);
    const { node } = this.running;
    if (this.wanted.has(peer)) node.connect(peer);
    else if (node.pending(peer) > 0) {
      // connect dials at once; release leaves the channel wanted only while messages wait.
      node.connect(peer);
      node.release(peer);
    }
    this.report();
  }

  private peerOf(publicKey: Uint8Array): PeerId {
    if (
      !(publicKey instanceof Uint8Array) ||
      publicKey.length !== 65 ||
      publicKey[0] !== 4 ||
      !this.backend.isValidPublicKey(publicKey)
    )
      throw new PageDirectError('invalid-key', 'not a 65-byte uncompressed secp256k1 public key');
    return peerIdFromPublicKey(publicKey);
  }

  /**
   * Adds a contact (or renames one), kept in the store, and introduces the page to it. `open`
   * and `send` called meanwhile wait for it.
   *
   * @throws PageDirectError 'invalid-key', 'own-key', 'not-started', 'stopped'
   * @throws RangeError for a name over 256 bytes; StoreError
   */
  async addContact(publicKey: Uint8Array, name = ''): Promise<void> {
    const { book, introductions } = this.parts;
    const peer = this.peerOf(publicKey);
    if (peer === this.ownPeer)
      throw new PageDirectError('own-key', 'the user’s own key is not a contact');
    const added = this.writes.then(async () => {
      const contact = await book.add(publicKey, name, Math.floor(Date.now() / 1000));
      this.contactPeers.add(peer);
      if (contact.introduction) this.introduced.add(peer);
      void introductions.introduce(contact.publicKey);
      this.report();
    });
    this.writes = added.catch(() => {});
    await added;
  }

  /**
   * Removes a contact: its channel closes and is not kept; messages still pending for it stay
   * in the outbox until it is a contact again.
   *
   * @returns whether it was a contact
   * @throws PageDirectError 'invalid-key', 'not-started', 'stopped'; StoreError
   */
  async removeContact(publicKey: Uint8Array): Promise<boolean> {
    const { book, node } = this.parts;
    const peer = this.peerOf(publicKey);
    const removed = this.writes.then(async () => {
      const was = await book.remove(peer);
      this.contactPeers.delete(peer);
      this.wanted.delete(peer);
      this.introduced.delete(peer);
      node.release(peer);
      node.disconnect(peer);
      this.report();
      return was;
    });
    this.writes = removed.catch(() => {});
    return await removed;
  }

  /** The contacts' public keys, in peer-id order. @throws PageDirectError 'not-started', 'stopped' */
  contacts(): Uint8Array[] {
    void this.parts;
    return [...this.contactPeers].sort().map((peer) => publicKeyOfPeerId(peer));
  }

  /**
   * Keeps a channel with a contact while the page runs: introduces the page to it, and dials
   * as soon as the contact is known to be there (now, if its introduction is recent), again
   * whenever the channel drops.
   *
   * @throws PageDirectError 'invalid-key', 'not-started', 'stopped'
   * @throws DirectError 'not-a-contact'
   */
  async open(publicKey: Uint8Array): Promise<PageChannelState> {
    const { node, introductions } = this.parts;
    const peer = this.peerOf(publicKey);
    await this.writes;
    node.connect(peer);
    this.wanted.add(peer);
    // Not twice in a row: addContact has just introduced the page when it came first.
    const last = introductions.lastIntroduced(peer);
    if (last === undefined || Date.now() - last > 1000) void introductions.introduce(publicKey);
    this.report();
    return this.state(peer);
  }

  /**
   * Stops keeping a channel with a contact and closes the one open (it comes back while
   * messages are pending for it).
   *
   * @throws PageDirectError 'invalid-key', 'not-started', 'stopped'
   */
  close(publicKey: Uint8Array): void {
    const { node } = this.parts;
    const peer = this.peerOf(publicKey);
    this.wanted.delete(peer);
    node.release(peer);
    node.disconnect(peer);
  }

  /**
   * Sends an envelope to a contact over its channel: kept in the outbox (the store) before
   * this resolves, delivered and acknowledged when a channel is up, now or after a reload of
   * either page. An envelope already accepted is not queued again (`accepted: false`).
   *
   * @throws PageDirectError 'invalid-key', 'not-started', 'stopped'
   * @throws DirectError 'not-a-contact', 'outbox-full', 'closed'; RangeError for an envelope
   *   over the gossip node's largest message; StoreError
   */
  async send(publicKey: Uint8Array, envelope: Envelope): Promise<DirectSendResult> {
    const { node } = this.parts;
    const peer = this.peerOf(publicKey);
    await this.writes;
    return node.send(peer, envelope);
  }

  /**
   * Adds a handler of every acknowledgement from now on, as `onAcknowledged` gets them.
   * Returns its removal.
   */
  onAcknowledged(handler: (publicKey: Uint8Array, hash: Uint8Array) => void): () => void {
    this.ackHandlers.add(handler);
    return () => {
      this.ackHandlers.delete(handler);
    };
  }

  /**
   * Whether a contact acknowledged the message of envelope hash `hash` (sent this visit or
   * before a reload), as the outbox remembers it: for 30 days after the acknowledgement.
   *
   * @throws PageDirectError 'invalid-key', 'not-started', 'stopped'
   * @throws RangeError when `hash` is not 32 bytes; StoreError
   */
  async acknowledged(publicKey: Uint8Array, hash: Uint8Array): Promise<boolean> {
    const peer = this.peerOf(publicKey);
    if (!(hash instanceof Uint8Array) || hash.length !== 32)
      throw new RangeError('hash: not a 32-byte envelope hash');
    return this.parts.node.acknowledged(peer, hash);
  }

  /**
   * Every contact's channel, idle ones too, and the channels of former contacts that still
   * hold messages, by peer id (empty before `start` and after `stop`).
   */
  channels(): PageChannelState[] {
    const running = this.running;
    if (!running) return [];
    return running.node.channels([...this.contactPeers]).map((state) => this.annotate(state));
  }

  private state(peer: PeerId): PageChannelState {
    return this.annotate(this.parts.node.channel(peer));
  }

  private annotate(state: ChannelState): PageChannelState {
    const { peer } = state;
    const path = state.state === 'open' ? pathOf(state.remoteAddress) : undefined;
    return {
      ...state,
      publicKey: publicKeyOfPeerId(peer),
      wanted: this.wanted.has(peer),
      introduced: this.introduced.has(peer),
      ...(path ? { path } : {}),
    };
  }

  /** Tells `onChannels`, once per turn of the event loop however many changes came. */
  private report(): void {
    if (!this.options.onChannels || this.reportDue) return;
    this.reportDue = true;
    queueMicrotask(() => {
      this.reportDue = false;
      if (this.running && !this.stopped) this.options.onChannels?.(this.channels());
    });
  }

  /**
   * Deletes the inbox's messages that came more than `retentionMs` ago (default a day; they
   * were handed to `onMessage` when they came). Their ids stay known, so a retransmission is
   * acknowledged, not delivered twice.
   *
   * @returns how many were deleted
   * @throws PageDirectError 'not-started', 'stopped'; StoreError
   */
  async prune(retentionMs = DIRECT_INBOX_RETENTION_MS): Promise<number> {
    const { node } = this.parts;
    const before = Date.now() - retentionMs;
    const old: Uint8Array[] = [];
    let cursor: Uint8Array | undefined;
    do {
      const page = await node.inbox.page({ limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const item of page.items) if (item.received < before) old.push(item.id);
      cursor = page.cursor.length > 0 ? page.cursor : undefined;
    } while (cursor);
    return old.length > 0 ? node.inbox.delete(old) : 0;
  }

  /**
   * Closes every channel, stops taking introductions and dialing; waits for the outbox's
   * writes. The store stays open (it is the caller's). What is pending stays for next time.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.starting?.catch(() => {});
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    running.introductions.stop();
    running.connector.close();
    await running.node.close();
  }
}
