/**
 * Whisper over the mixnet in the node (issue 17, item 3; specs/mixnet-sphinx/SPEC.md §13,
 * §13.5): the node is a Loopix client of a mixnet (`--mixnet FILE`, the network file). It keeps
 * a mix identity of its own in the store (its queue at the gateway is SHA-256 of it, unlinked to
 * the gossip identity), links to one gateway of the directory (`--mixnet-gateway`, or one drawn
 * once and kept), sends the Loopix streams with the directory's rates, and fetches its queue.
 *
 * - Sending: an envelope goes to a recipient's mixnet address (`deliver`: the recipient node
 *   hands it to its filters), or to an exit (`--mixnet-exit-via`; `inject`: the exit posts it
 *   into its gossip network, so the envelope enters gossip at the exit, not at its sender). A
 *   message may carry a SURB back to its sender.
 * - Receiving: what comes to the queue is decoded; an envelope to `deliver` reaches the
 *   client's filters with source `mixnet`; with `--mixnet-exit`, one to `inject` is posted to
 *   gossip; a SURB that came with an envelope is kept (until its epoch's keys are gone) for one
 *   reply by the envelope's hash; a reply on one of the node's own SURBs is decrypted with the
 *   keys kept in the store when it was made.
 *
 * Packets made while the gateway link is down wait for it (at most 1,000); the queue is fetched
 * every `pollMs` and each message is acknowledged once handled. Nothing a sender puts in a
 * packet crashes the node: what does not decode is counted and acknowledged.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import type { HushClient } from '@hush/client';
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import {
  type Clock,
  type Logger,
  type Metrics,
  noMetrics,
  type Store,
  silentLogger,
  systemClock,
} from '@hush/interface';
import {
  aezSprp,
  type CarriedKind,
  createSurb,
  type DirectoryDocument,
  decodeCarried,
  decryptSurbPayload,
  encodeCarried,
  epochAt,
  epochStart,
  fetchDirectory,
  formatMixnetAddress,
  GatewayClient,
  type Geometry,
  geometry,
  type LoopixAddress,
  LoopixClient,
  maxCarriedBody,
  mixLinkEncrypter,
  mixNodeId,
  type NetworkConfig,
  type QueuedMessage,
  QueueFetcher,
  type SignedDirectory,
  SURB_ID_LENGTH,
  SurbStore,
  surbRoute,
} from '@hush/mixnet-sphinx';
import { loadStaticKey } from '@hush/noise';
import { coalescingTicker } from './ticker.js';

const bytesToHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Where the node keeps its mixnet identities (32-byte secp256k1 secrets: the one its gateway
 * link proves, and with --mixnet-inbox the one that owns its queue at the inbox gateway), its
 * link key and its gateway.
 */
const IDENTITY_KEY = 'node/mixnet/identity';
const INBOX_IDENTITY_KEY = 'node/mixnet/inbox-identity';
const LINK_KEY = 'node/mixnet/link-key';
const GATEWAY_KEY = 'node/mixnet/gateway';
/** Packets kept while the gateway link is down. */
const MAX_WAITING_PACKETS = 1000;
/** SURBs kept for replies, at most. */
const MAX_REPLY_SURBS = 10_000;
/** Messages fetched per FETCH. */
const FETCH_PAGE = 100;
/** Loops not back after this long are forgotten (lost), ms. */
const LOOP_TIMEOUT_MS = 5 * 60_000;
/** Envelopes replied to, remembered so that a copy coming again cannot re-arm a used SURB. */
const MAX_REPLIED = 10_000;
/** RLP's overhead on an envelope's Whisper size (20 + data), at most. */
const RLP_OVERHEAD = 16;

/** Why the node's mixnet refused. */
export type NodeMixnetErrorCode =
  /** No directory of this epoch yet, or no gateway link. */
  | 'not-ready'
  /** Sent to no address and the node has no --mixnet-exit-via. */
  | 'no-exit'
  /** The envelope does not fit one packet. */
  | 'too-large'
  /** No SURB for a reply to this envelope (never one, used, or expired). */
  | 'no-surb'
  /** The send queue is full. */
  | 'queue-full'
  /** An address whose gateway is not in the directory of this epoch. */
  | 'unknown-gateway';

/** A refusal of the node's mixnet. */
export class NodeMixnetError extends Error {
  override readonly name = 'NodeMixnetError';
  readonly code: NodeMixnetErrorCode;
  constructor(code: NodeMixnetErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** How the node's mixnet client runs. */
export interface WhisperMixnetOptions {
  readonly network: NetworkConfig;
  readonly store: Store;
  /** The filters envelopes are delivered to. */
  readonly client: Pick<HushClient, 'deliver'>;
  /** Posts an envelope into gossip (an exit's injection). */
  readonly inject: (envelope: Envelope) => void;
  /** Whether to post what comes to `inject` into gossip (--mixnet-exit). */
  readonly exit: boolean;
  /** The exit envelopes with no address go to (--mixnet-exit-via). */
  readonly exitVia?: LoopixAddress;
  /** The gateway's id (default: one drawn from the directory once and kept). */
  readonly gateway?: Uint8Array;
  /**
   * The gateway that keeps this node's queue, if not the one it links to (--mixnet-inbox):
   * the queue is then fetched through SURBs (§11.2), and that gateway never learns where the
   * node is; the node's address names it.
   */
  readonly inbox?: Uint8Array;
  /** How often a fetch request leaves for the inbox gateway (default 1 s). */
  readonly fetchMs?: number;
  /** How often the queue is fetched (default 500 ms). */
  readonly pollMs?: number;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** What `hush_mixnetInfo` shows. */
export interface WhisperMixnetInfo {
  /** `<queue id>@<gateway id>`, the address contacts send to. */
  readonly address: string;
  /** The gateway this node links to (its id, hex). */
  readonly gateway: string;
  /** The gateway that keeps its queue when that is fetched through SURBs, else null. */
  readonly inbox: string | null;
  readonly epoch: number;
  /** Whether the directory of this epoch is held and the gateway linked. */
  readonly ready: boolean;
  readonly exit: boolean;
  readonly exitVia: string | null;
  readonly queued: number;
  readonly loopsInFlight: number;
  readonly replySurbs: number;
  /** The largest envelope (RLP bytes) one packet carries, with and without a SURB. */
  readonly maxEnvelope: { readonly withSurb: number; readonly withoutSurb: number };
  readonly rates: { readonly lambdaP: number; readonly lambdaL: number; readonly lambdaD: number };
}

/** How an envelope leaves. */
export interface MixnetPostOptions {
  /** The recipient's address (default: the exit, which injects it into gossip). */
  readonly to?: LoopixAddress;
  /** Whether a SURB back to this node goes with it (the recipient can reply once). */
  readonly surb?: boolean;
}

/** The node's Loopix client and what it carries. */
export class WhisperMixnet {
  readonly geometry: Geometry;
  /** This node's queue id at the gateway it links to (loops and SURB replies come there). */
  readonly queueId: Uint8Array;
  /** The queue id its address names: at the inbox gateway with --mixnet-inbox, else queueId. */
  readonly addressId: Uint8Array;
  private readonly options: WhisperMixnetOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly documents = new Map<number, DirectoryDocument>();
  /** The documents as the authorities signed them (what a browser page verifies itself). */
  private readonly signedDocuments = new Map<number, SignedDirectory>();
  private readonly loopix: LoopixClient;
  private readonly surbs: SurbStore;
  private readonly fetcher: QueueFetcher | undefined;
  /** SURBs that came with envelopes: envelope hash (hex) → SURB and when its keys go. */
  private readonly replySurbs = new Map<string, { surb: Uint8Array; until: number }>();
  private readonly replied = new Set<string>();
  /** The last epoch whose expired SURB keys were swept from the store. */
  private sweptEpoch = -1;
  private readonly waiting: { firstHop: Uint8Array; packet: Uint8Array }[] = [];
  private readonly counters;
  private readonly identity;
  private readonly linkKey: Uint8Array;
  private gatewayId: Uint8Array;
  private link: GatewayClient | undefined;
  private connecting: Promise<void> | undefined;
  private ticker: ReturnType<typeof coalescingTicker> | undefined;
  private polling: ReturnType<typeof coalescingTicker> | undefined;
  private fetching: ReturnType<typeof coalescingTicker> | undefined;
  private closed = false;

  private constructor(
    options: WhisperMixnetOptions,
    secret: Uint8Array,
    inboxSecret: Uint8Array | undefined,
    linkKey: Uint8Array,
    gatewayId: Uint8Array,
  ) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.geometry = geometry(options.network.sphinx.hops, options.network.sphinx.userPayloadLength);
    this.identity = secp256k1Identity(secret);
    this.queueId = mixNodeId(this.identity.publicKey.subarray(1));
    // The inbox's queue belongs to another identity than the link's: the gateway linked to
    // sees the link's, and nothing it sees names the queue of the node's address.
    const inboxIdentity = inboxSecret ? secp256k1Identity(inboxSecret) : undefined;
    this.addressId = inboxIdentity ? mixNodeId(inboxIdentity.publicKey.subarray(1)) : this.queueId;
    this.linkKey = linkKey;
    this.gatewayId = gatewayId;
    this.surbs = new SurbStore(options.store, this.clock);
    const metrics = options.metrics ?? noMetrics;
    this.counters = {
      sent: metrics.counter<'kind'>({
        name: 'hush_mixnet_envelopes_sent_total',
        help: 'Envelopes the node sent through the mixnet, by kind (deliver, inject, reply)',
        labelNames: ['kind'],
      }),
      received: metrics.counter<'kind'>({
        name: 'hush_mixnet_envelopes_received_total',
        help: 'Envelopes the node took from the mixnet, by kind (deliver, inject, reply)',
        labelNames: ['kind'],
      }),
      refused: metrics.counter<'reason'>({
        name: 'hush_mixnet_refused_total',
        help: 'Messages from the mixnet the node refused, by reason',
        labelNames: ['reason'],
      }),
      fetches: metrics.counter({
        name: 'hush_mixnet_fetch_requests_total',
        help: 'Fetch requests sent through the mixnet to the inbox gateway (--mixnet-inbox)',
      }),
      lost: metrics.counter({
        name: 'hush_mixnet_packets_lost_total',
        help: 'Packets dropped because the gateway link stayed down too long',
      }),
    };
    this.fetcher = options.inbox
      ? new QueueFetcher({
          geometry: this.geometry,
          identity: inboxIdentity!,
          inbox: options.inbox,
          replyTo: { id: this.queueId, gateway: gatewayId },
          surbs: this.surbs,
          sprp: aezSprp,
          clock: this.clock,
        })
      : undefined;
    this.loopix = new LoopixClient({
      geometry: this.geometry,
      directory: () => this.document(),
      self: { id: this.queueId, gateway: this.gatewayId },
      submit: (firstHop, packet) => this.submit(firstHop, packet),
      clock: this.clock,
      metrics,
    });
  }

  /**
   * Starts the client: keys from the store (made on first use), the directory fetched and the
   * gateway linked in the background (`info().ready` says when), the Loopix streams running.
   *
   * @example
   * ```ts
   * const mixnet = await WhisperMixnet.start({ network, store, client, inject: (e) => gossip.post(e), exit: false });
   * await mixnet.post(envelope, { to: parseMixnetAddress(bobAddress), surb: true });
   * ```
   * @throws RangeError for a --mixnet-gateway or --mixnet-inbox that is not a gateway of the
   *   network; what the store throws
   */
  static async start(options: WhisperMixnetOptions): Promise<WhisperMixnet> {
    const { store, network } = options;
    let secret = await store.get(IDENTITY_KEY);
    if (secret?.length !== 32) {
      secret = randomBytes(32);
      await store.put(IDENTITY_KEY, secret);
    }
    const linkKey = await loadStaticKey(store, LINK_KEY, 'mixnet-client');
    const gateways = network.gateways.map((g) => mixNodeId(g));
    const known = (id: Uint8Array) => gateways.some((g) => bytesToHex(g) === bytesToHex(id));
    const { inbox } = options;
    if (inbox && !known(inbox))
      throw new RangeError('mixnet-inbox: not a gateway of the network file');
    if (inbox && gateways.length < 2)
      throw new RangeError(
        'mixnet-inbox: the network has one gateway; the inbox must be another than the one linked to',
      );
    if (inbox && options.gateway && bytesToHex(inbox) === bytesToHex(options.gateway))
      throw new RangeError('mixnet-inbox: the inbox must be another gateway than --mixnet-gateway');
    let gatewayId = options.gateway;
    if (gatewayId) {
      if (!known(gatewayId))
        throw new RangeError('mixnet-gateway: not a gateway of the network file');
    } else {
      // Never the inbox gateway: that one is never to see this node.
      const pool = gateways.filter((g) => !inbox || bytesToHex(g) !== bytesToHex(inbox));
      const kept = await store.get(GATEWAY_KEY);
      gatewayId =
        kept && pool.some((g) => bytesToHex(g) === bytesToHex(kept))
          ? kept
          : pool[new DataView(randomBytes(4).buffer).getUint32(0) % pool.length]!;
      await store.put(GATEWAY_KEY, gatewayId);
    }
    let inboxSecret: Uint8Array | undefined;
    if (inbox) {
      inboxSecret = await store.get(INBOX_IDENTITY_KEY);
      if (inboxSecret?.length !== 32) {
        inboxSecret = randomBytes(32);
        await store.put(INBOX_IDENTITY_KEY, inboxSecret);
      }
    }
    const mixnet = new WhisperMixnet(options, secret, inboxSecret, linkKey, gatewayId);
    mixnet.run();
    return mixnet;
  }

  /** The address contacts send to: `<queue id>@<gateway id>`. */
  get address(): string {
    return formatMixnetAddress({
      id: this.addressId,
      gateway: this.options.inbox ?? this.gatewayId,
    });
  }

  /** The directory of the epoch now, if held. */
  document(): DirectoryDocument | undefined {
    return this.documents.get(epochAt(this.clock.now(), this.options.network.epochMs));
  }

  /**
   * The signed directory of `epoch` as the authorities gave it, if held (this epoch's and the
   * next): what the browser app checks against the network's authority keys itself.
   */
  signedDocument(epoch: number): SignedDirectory | undefined {
    return this.signedDocuments.get(epoch);
  }

  /** The network file this node was given. */
  get network(): NetworkConfig {
    return this.options.network;
  }

  /**
   * The exit that envelopes for gossip go through: --mixnet-exit-via, or this node itself when
   * it is an exit; undefined when neither.
   */
  get exitAddress(): string | undefined {
    if (this.options.exitVia) return formatMixnetAddress(this.options.exitVia);
    return this.options.exit ? this.address : undefined;
  }

  /**
   * The largest envelope (its Whisper size, 20 + data bytes) one packet carries without a
   * SURB: what shh_post seals at most with --post-via mixnet.
   */
  get maxEnvelopeSize(): number {
    return maxCarriedBody(this.geometry, false) - RLP_OVERHEAD;
  }

  /** Whether envelopes can leave now: the directory held and the gateway linked. */
  ready(): boolean {
    return this.document() !== undefined && this.link !== undefined;
  }

  /** @throws nothing */
  info(): WhisperMixnetInfo {
    const { network } = this.options;
    const p = this.document()?.parameters ?? network.parameters;
    return {
      address: this.address,
      gateway: bytesToHex(this.gatewayId),
      inbox: this.options.inbox ? bytesToHex(this.options.inbox) : null,
      epoch: epochAt(this.clock.now(), network.epochMs),
      ready: this.ready(),
      exit: this.options.exit,
      exitVia: this.options.exitVia ? formatMixnetAddress(this.options.exitVia) : null,
      queued: this.loopix.queued,
      loopsInFlight: this.loopix.loopsInFlight,
      replySurbs: this.replySurbs.size,
      maxEnvelope: {
        withSurb: maxCarriedBody(this.geometry, true),
        withoutSurb: maxCarriedBody(this.geometry, false),
      },
      rates: { lambdaP: p.lambdaP, lambdaL: p.lambdaL, lambdaD: p.lambdaD },
    };
  }

  /**
   * Queues an envelope for the next payload slot: to a recipient's address, or to the exit.
   *
   * @returns the envelope's hash
   * @throws NodeMixnetError 'not-ready' (no directory yet), 'no-exit', 'too-large',
   *   'queue-full'; what the store throws (keeping a SURB's keys)
   */
  async post(envelope: Envelope, options: MixnetPostOptions = {}): Promise<Uint8Array> {
    const document = this.document();
    if (!document) throw new NodeMixnetError('not-ready', 'no mixnet directory for this epoch yet');
    const to =
      options.to ??
      this.options.exitVia ??
      (this.options.exit
        ? { id: this.addressId, gateway: this.options.inbox ?? this.gatewayId }
        : undefined);
    if (!to)
      throw new NodeMixnetError(
        'no-exit',
        'no exit to inject through: give an address, or start the node with --mixnet-exit-via',
      );
    if (!document.gateways.some((g) => bytesToHex(g.id) === bytesToHex(to.gateway)))
      throw new NodeMixnetError(
        'unknown-gateway',
        `the address's gateway ${bytesToHex(to.gateway)} is not in this epoch's directory`,
      );
    const kind: CarriedKind = options.to ? 'deliver' : 'inject';
    const body = encodeEnvelope(envelope);
    const most = maxCarriedBody(this.geometry, options.surb === true);
    if (body.length > most)
      throw new NodeMixnetError(
        'too-large',
        `the envelope is ${body.length} bytes; one mixnet packet carries at most ${most}`,
      );
    let surb: Uint8Array | undefined;
    if (options.surb) {
      const surbId = randomBytes(SURB_ID_LENGTH);
      const made = createSurb(
        this.geometry,
        surbRoute(document, { exit: this.gatewayId, recipient: this.queueId, surbId }),
      );
      await this.surbs.add(surbId, made.keys, this.surbExpiry(document.epoch));
      surb = made.surb;
    }
    this.queue(() =>
      this.loopix.send(
        to,
        encodeCarried(this.geometry, {
          kind,
          body,
          ...(surb ? { surb, surbEpoch: document.epoch } : {}),
        }),
      ),
    );
    this.counters.sent.inc(1, { kind });
    return envelopeHash(envelope);
  }

  /**
   * Queues a reply on the SURB that came with the envelope `replyTo` (once: the SURB is used).
   *
   * @returns the reply's hash
   * @throws NodeMixnetError 'no-surb', 'too-large', 'queue-full'
   */
  reply(replyTo: Uint8Array, envelope: Envelope): Uint8Array {
    const key = bytesToHex(replyTo);
    const kept = this.replySurbs.get(key);
    if (!kept || kept.until <= this.clock.now()) {
      this.replySurbs.delete(key);
      throw new NodeMixnetError(
        'no-surb',
        'no SURB to reply on: none came, it was used, or it expired',
      );
    }
    const body = encodeEnvelope(envelope);
    const most = maxCarriedBody(this.geometry, false);
    if (body.length > most)
      throw new NodeMixnetError(
        'too-large',
        `the envelope is ${body.length} bytes; a reply carries at most ${most}`,
      );
    this.queue(() =>
      this.loopix.sendReply(kept.surb, encodeCarried(this.geometry, { kind: 'deliver', body })),
    );
    this.replySurbs.delete(key);
    if (this.replied.size >= MAX_REPLIED) this.replied.delete(this.replied.values().next().value!);
    this.replied.add(key);
    this.counters.sent.inc(1, { kind: 'reply' });
    return envelopeHash(envelope);
  }

  private queue(send: () => void): void {
    try {
      send();
    } catch (error) {
      throw new NodeMixnetError('queue-full', (error as Error).message);
    }
  }

  /** When a SURB of `epoch` stops working: its mixes drop the epoch's keys after the grace. */
  private surbExpiry(epoch: number): number {
    const { epochMs } = this.options.network;
    return epochStart(epoch + 1, epochMs) + Math.min(600_000, epochMs / 4);
  }

  private submit(firstHop: Uint8Array, packet: Uint8Array): void {
    if (this.link) {
      try {
        this.link.submit(firstHop, packet);
        return;
      } catch {
        this.link = undefined;
      }
    }
    if (this.waiting.length >= MAX_WAITING_PACKETS) {
      this.waiting.shift();
      this.counters.lost.inc();
    }
    this.waiting.push({ firstHop, packet });
  }

  private run(): void {
    const { network } = this.options;
    this.ticker = coalescingTicker(
      () => this.tick(),
      Math.min(2000, network.epochMs / 20),
      this.clock,
      (error) => this.logger.warn({ reason: String(error) }, 'mixnet: tick'),
    );
    this.polling = coalescingTicker(
      () => this.poll(),
      this.options.pollMs ?? 500,
      this.clock,
      (error) => this.logger.debug({ reason: String(error) }, 'mixnet: fetch'),
    );
    if (this.fetcher) {
      const fetcher = this.fetcher;
      this.fetching = coalescingTicker(
        async () => {
          const document = this.document();
          // One request waiting for a slot at most: they would only queue up behind it.
          if (!document || !this.link || this.loopix.queued > 1) return;
          const data = await fetcher.request(document);
          this.loopix.send(fetcher.destination, data);
          this.counters.fetches.inc();
        },
        this.options.fetchMs ?? 1000,
        this.clock,
        (error) => this.logger.debug({ reason: String(error) }, 'mixnet: fetch request'),
      );
    }
    this.loopix.start();
    this.ticker.tick();
  }

  private async tick(): Promise<void> {
    const { network } = this.options;
    const now = epochAt(this.clock.now(), network.epochMs);
    await Promise.allSettled(
      [now, now + 1]
        .filter((e) => !this.documents.has(e))
        .map(async (e) => {
          try {
            const { document, signed } = await fetchDirectory(network, e, {
              now: this.clock.now(),
            });
            this.documents.set(e, document);
            this.signedDocuments.set(e, signed);
            this.logger.info({ epoch: e }, 'mixnet: directory');
          } catch (error) {
            this.logger.debug({ epoch: e, reason: String(error) }, 'mixnet: directory not yet');
          }
        }),
    );
    for (const e of [...this.documents.keys()])
      if (e < now) {
        this.documents.delete(e);
        this.signedDocuments.delete(e);
      }
    const at = this.clock.now();
    for (const [key, kept] of this.replySurbs) if (kept.until <= at) this.replySurbs.delete(key);
    this.loopix.expireLoops(LOOP_TIMEOUT_MS);
    if (this.sweptEpoch !== now) {
      this.sweptEpoch = now;
      // Keys of SURBs never answered (no reply came, an answer was lost) go with their epoch.
      await this.surbs.sweep();
    }
    if (!this.link && !this.connecting && this.document()) {
      this.connecting = this.connect().finally(() => {
        this.connecting = undefined;
      });
      await this.connecting;
    }
  }

  private async connect(): Promise<void> {
    const gateway = this.document()?.gateways.find(
      (g) => bytesToHex(g.id) === bytesToHex(this.gatewayId),
    );
    if (!gateway) {
      this.logger.warn(
        { gateway: bytesToHex(this.gatewayId) },
        'mixnet: gateway not in the directory',
      );
      return;
    }
    try {
      const link = await GatewayClient.connect({
        carrier: webSocketCarrier(),
        encrypter: mixLinkEncrypter({
          identity: this.identity,
          verifier: secp256k1Verifier(),
          staticKey: this.linkKey,
        }),
        gateway,
        geometry: this.geometry,
      });
      if (this.closed) {
        link.close();
        return;
      }
      this.link = link;
      this.logger.info({ address: this.address }, 'mixnet: linked to the gateway');
      while (this.waiting.length > 0 && this.link === link) {
        const { firstHop, packet } = this.waiting.shift()!;
        this.submit(firstHop, packet);
      }
      this.polling?.tick();
    } catch (error) {
      this.logger.warn({ reason: String(error) }, 'mixnet: gateway unreachable');
    }
  }

  private async poll(): Promise<void> {
    const link = this.link;
    if (!link) return;
    while (!this.closed) {
      let messages: QueuedMessage[];
      try {
        messages = await link.fetch(FETCH_PAGE);
      } catch (error) {
        if (this.link === link) this.link = undefined;
        // No answer in time closes the link already; any other failure closes it here.
        link.close();
        this.logger.info({ reason: String(error) }, 'mixnet: gateway link lost');
        this.ticker?.tick();
        return;
      }
      for (const message of messages) await this.take(message);
      try {
        link.acknowledge(messages);
      } catch {
        // The link closed: the messages stay queued and come again (deliveries are idempotent).
      }
      if (messages.length < FETCH_PAGE) return;
    }
  }

  /** Handles one message of the queue. */
  private async take(message: QueuedMessage): Promise<void> {
    let payload = message.payload;
    // A reply on a SURB of this node's posts (not a message its inbox gateway kept).
    let viaSurb = false;
    if (message.surbId && this.fetcher?.owns(message.surbId)) {
      // A message of the inbox gateway's queue, fetched on one of this node's SURBs.
      const fetched = await this.fetcher
        .open(message.surbId, message.payload)
        .catch(() => undefined);
      if (!fetched) return;
      payload = fetched;
    } else if (message.surbId) {
      viaSurb = true;
      const keys = await this.surbs.take(message.surbId).catch(() => undefined);
      if (!keys) {
        this.counters.refused.inc(1, { reason: 'unknown-surb' });
        return;
      }
      try {
        payload = decryptSurbPayload(message.payload, keys, aezSprp);
      } catch {
        this.counters.refused.inc(1, { reason: 'bad-reply' });
        return;
      }
    }
    const read = this.loopix.receive({ payload });
    if (read.kind === 'loop') return;
    if (read.kind !== 'message') {
      this.counters.refused.inc(1, { reason: 'unreadable' });
      return;
    }
    let carried: ReturnType<typeof decodeCarried>;
    let envelope: Envelope;
    try {
      carried = decodeCarried(this.geometry, read.data);
      envelope = decodeEnvelope(carried.body);
    } catch {
      this.counters.refused.inc(1, { reason: 'malformed' });
      return;
    }
    const hash = envelopeHash(envelope);
    if (carried.kind === 'inject') {
      if (!this.options.exit) {
        this.counters.refused.inc(1, { reason: 'not-an-exit' });
        return;
      }
      try {
        this.options.inject(envelope);
        this.counters.received.inc(1, { kind: 'inject' });
      } catch (error) {
        // Gossip's own rules (expiry, PoW, size) refuse it, as they would from a peer.
        this.counters.refused.inc(1, { reason: 'gossip-refused' });
        this.logger.debug({ reason: String(error) }, 'mixnet: injection refused');
      }
      return;
    }
    const hashKey = bytesToHex(hash);
    const until = carried.surbEpoch !== undefined ? this.surbExpiry(carried.surbEpoch) : 0;
    // The first SURB of an envelope is kept: a copy coming again (from anyone who holds the
    // envelope) neither replaces it nor re-arms one used; a SURB already expired is not kept.
    if (
      carried.surb &&
      until > this.clock.now() &&
      !this.replySurbs.has(hashKey) &&
      !this.replied.has(hashKey)
    ) {
      if (this.replySurbs.size >= MAX_REPLY_SURBS) {
        const oldest = this.replySurbs.keys().next().value!;
        this.replySurbs.delete(oldest);
      }
      this.replySurbs.set(hashKey, { surb: carried.surb, until });
    }
    this.counters.received.inc(1, { kind: viaSurb ? 'reply' : 'deliver' });
    this.options.client.deliver({ envelope, hash, source: 'mixnet' });
  }

  /** Stops the streams and closes the gateway link (queued messages are dropped). */
  async close(): Promise<void> {
    this.closed = true;
    this.loopix.stop();
    // The link first: a FETCH under way fails at once instead of being waited for.
    this.link?.close();
    this.link = undefined;
    await this.ticker?.stop();
    await this.polling?.stop();
    await this.fetching?.stop();
    // A link that opens meanwhile is closed by connect() itself (it sees `closed`).
    await this.connecting;
  }
}
