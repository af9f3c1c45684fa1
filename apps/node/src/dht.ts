/**
 * The DHT inbox in the node (issue 14, item 6; specs/inbox-dht/SPEC.md §2.4 joining, §3.1
 * links, §4.5 publishing, §5.2 deposits, §6.7–§6.8 fetch and delete): a WebSocket listener of
 * its own for `hush-dht/1` Noise links (proving the node identity, as direct links do, with a
 * stored X25519 static key), a `DhtNode` whose dialer reaches a contact's ws:// endpoints over
 * `@hush/carrier-websocket`, a `Holder` over the node's store (holding for others with
 * --inbox, within --inbox-quota; holding nothing otherwise), and the node's own inbox: an
 * ed25519 inbox key and a secp256k1 encryption key made once and kept in the store, a signed
 * descriptor published for each UTC day while published, deposits to contacts' inboxes and
 * fetch-and-delete of its own into the client's filters (`drainInbox` of `@hush/client`).
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { drainInbox, type HushClient } from '@hush/client';
import {
  type CryptoBackend,
  defaultBackend,
  randomBytes,
  secp256k1Identity,
  secp256k1Verifier,
} from '@hush/crypto';
import { type Envelope, envelopeHash } from '@hush/envelope';
import {
  type Contact,
  contactOf,
  type Descriptor,
  DhtInbox,
  DhtNode,
  descriptorLocation,
  dhtLinkEncrypter,
  EPOCH_MS,
  endpointDialer,
  epochOf,
  formatDhtAddress,
  HOLDER_CACHE_MS,
  Holder,
  type HolderLimits,
  INBOX_PUBLIC_KEY_LENGTH,
  type InboxKeyPair,
  inboxKeyFromSecret,
  inboxLocation,
  parseDhtAddress,
  type ReplicaOutcome,
  signDescriptor,
} from '@hush/inbox-dht';
import {
  type Logger,
  type Metrics,
  type PeerId,
  type RawChannel,
  type Store,
  silentLogger,
  systemClock,
} from '@hush/interface';
import { loadStaticKey } from '@hush/noise';
import type { NodeConfig } from './config.js';

/** Where the node keeps the X25519 static key of its DHT links. */
const DHT_KEY = 'node/dht-key';
/** The inbox key's 32-byte ed25519 secret. */
const INBOX_KEY = 'node/inbox/key';
/** The 32-byte secp256k1 private key deposits are sealed to. */
const INBOX_ENCRYPTION_KEY = 'node/inbox/encryption-key';
/** The published state: parameters, last seq, epochs published (JSON). */
const INBOX_STATE = 'node/inbox/state';
/** The DHT port of a node with the default gossip port (the gossip port + 2). */
export const DEFAULT_DHT_PORT = 30305;
/** How often the node checks whether a new epoch needs its descriptor, ms. */
const REPUBLISH_CHECK_MS = 60_000;
/** How long the node waits between attempts to join when no bootstrap node answered, ms. */
const JOIN_RETRY_MS = 2_000;
/** Epochs whose publication the node remembers (today, yesterday, one spare). */
const EPOCHS_KEPT = 3;

/** The descriptor parameters `hush_publishInbox` takes. */
export interface InboxParameters {
  /** The least PoW a deposit must carry. */
  readonly minPow: number;
  /** The largest deposit, Whisper size (20 + data bytes). */
  readonly maxSize: number;
  /** The longest deposit TTL, seconds. */
  readonly maxTtl: number;
}

/** The defaults of `hush_publishInbox`: the node's gossip PoW, 64 KiB, two days. @throws nothing */
export function defaultInboxParameters(config: Pick<NodeConfig, 'minPow'>): InboxParameters {
  return { minPow: config.minPow, maxSize: 64 * 1024, maxTtl: 2 * 86_400 };
}

interface InboxState extends InboxParameters {
  readonly seq: string;
  readonly epochs: readonly number[];
}

/**
 * What the holder of a node without --inbox may hold: nothing (the DhtNode is made with
 * `holds: false` too, so that it never counts itself among an inbox's holders).
 */
export const NOT_HOLDING: HolderLimits = {
  maxItems: 0,
  maxBytes: 0,
  maxItemsPerLocation: 0,
  maxBytesPerLocation: 0,
  maxItemsPerPeer: 0,
  maxDescriptors: 0,
  maxTombstonesPerLocation: 0,
  maxSize: 0,
  maxTtl: 0,
  maxReplayEntries: 0,
};

/**
 * The holder limits of `--inbox --inbox-quota <bytes>`: `maxBytes` is the quota; the item
 * limits follow from it (an item of 512 bytes on average, at most the package defaults): items
 * quota / 512 (≤ 100,000), a location quota / 16 (≤ 16 MiB) and 1,000 items, a peer 1,000
 * items, descriptors quota / 1 KiB (≤ 100,000), one deposit at most the location's bytes, 1 MiB
 * and --max-message-size.
 *
 * @throws RangeError if the quota is not a whole number ≥ 0
 */
export function holderLimitsFor(quota: number, maxMessageSize: number): HolderLimits {
  if (!Number.isSafeInteger(quota) || quota < 0)
    throw new RangeError(`the inbox quota must be a whole number of bytes ≥ 0, not ${quota}`);
  if (quota === 0) return NOT_HOLDING;
  const maxItems = Math.min(100_000, Math.max(1, Math.floor(quota / 512)));
  const maxBytesPerLocation = Math.min(16 * 1024 * 1024, Math.max(1, Math.floor(quota / 16)));
  return {
    maxItems,
    maxBytes: quota,
    maxItemsPerLocation: Math.min(1_000, maxItems),
    maxBytesPerLocation,
    maxItemsPerPeer: Math.min(1_000, maxItems),
    maxDescriptors: Math.min(100_000, Math.max(1, Math.floor(quota / 1024))),
    maxTombstonesPerLocation: 4_096,
    maxSize: Math.min(1024 * 1024, maxBytesPerLocation, maxMessageSize),
    maxTtl: 14 * 86_400,
    maxReplayEntries: 100_000,
  };
}

/** A refused inbox operation of the node (mapped to JSON-RPC -32000 by its methods). */
export class NodeInboxError extends Error {
  override readonly name = 'NodeInboxError';
}

/** What `hush_publishInbox` answers. */
export interface PublishedInbox {
  readonly inboxKey: Uint8Array;
  readonly encryptionKey: Uint8Array;
  readonly epoch: number;
  readonly seq: bigint;
  readonly parameters: InboxParameters;
  readonly outcome: ReplicaOutcome;
}

/** What a fetch of one epoch did. */
export interface EpochFetch {
  readonly epoch: number;
  readonly fetched: number;
  readonly deleted: number;
  /** Why it failed, when no holder served it. */
  readonly error?: string;
}

/** What the node's DHT is built from. */
export interface NodeDhtOptions {
  readonly config: Pick<
    NodeConfig,
    | 'dhtPort'
    | 'dhtEndpoint'
    | 'dhtBootstrap'
    | 'inbox'
    | 'inboxQuota'
    | 'maxMessageSize'
    | 'minPow'
  >;
  /** The interface the DHT listener binds, the gossip one. */
  readonly host: string;
  /** The gossip port (the DHT one defaults to it + 2, 30305, or any when this is 0). */
  readonly gossipPort: number;
  readonly store: Store;
  readonly nodeKey: Uint8Array;
  readonly client: HushClient;
  readonly metrics: Metrics;
  readonly logger?: Logger;
  readonly backend?: CryptoBackend;
}

/** The node's DHT inbox: routing, holding, and its own inbox. */
export class NodeDht {
  readonly node: DhtNode;
  readonly holder: Holder;
  /** The endpoints the node announces. */
  readonly endpoints: readonly string[];
  /** `<peer id>@<first endpoint>`: what other nodes give --dht-bootstrap. */
  readonly address: string;
  /** Whether it holds items for others (--inbox). */
  readonly holding: boolean;
  private readonly options: NodeDhtOptions;
  private readonly carrier: ReturnType<typeof webSocketCarrier>;
  private readonly logger: Logger;
  private readonly stopPruning: () => void;
  private readonly republisher: ReturnType<typeof setInterval>;
  private inboxKey: InboxKeyPair | undefined;
  private encryptionKey: Uint8Array | undefined;
  private state: InboxState | undefined;
  private publishing: Promise<unknown> = Promise.resolve();
  private joined = false;
  private closed = false;

  private constructor(
    options: NodeDhtOptions,
    parts: {
      node: DhtNode;
      holder: Holder;
      carrier: ReturnType<typeof webSocketCarrier>;
      endpoints: readonly string[];
      inboxKey: InboxKeyPair | undefined;
      encryptionKey: Uint8Array | undefined;
      state: InboxState | undefined;
    },
  ) {
    this.options = options;
    this.node = parts.node;
    this.holder = parts.holder;
    this.carrier = parts.carrier;
    this.endpoints = parts.endpoints;
    this.address = formatDhtAddress(this.node.peer, parts.endpoints[0]!);
    this.holding = options.config.inbox && options.config.inboxQuota > 0;
    this.logger = options.logger ?? silentLogger;
    this.inboxKey = parts.inboxKey;
    this.encryptionKey = parts.encryptionKey;
    this.state = parts.state;
    this.stopPruning = this.holder.startPruning();
    this.republisher = setInterval(() => this.republishIfDue(), REPUBLISH_CHECK_MS);
    this.republisher.unref();
  }

  /**
   * Opens the node's DHT: the link key, the holder over the store, the listener, then joins
   * through --dht-bootstrap in the background (retrying while no bootstrap node answers) and,
   * when the inbox was published before, publishes today's descriptor again.
   *
   * @throws the bind error of a taken port; what the store throws; Error for a damaged stored key
   */
  static async start(options: NodeDhtOptions): Promise<NodeDht> {
    const { config, store } = options;
    const backend = options.backend ?? defaultBackend;
    const logger = options.logger ?? silentLogger;
    const staticKey = await loadStaticKey(store, DHT_KEY, 'DHT-link');
    const identity = secp256k1Identity(options.nodeKey, backend);
    const limits = { maxFrameBytes: Math.max(config.maxMessageSize, 1024 * 1024) + 4096 };
    const encrypter = dhtLinkEncrypter({
      identity,
      verifier: secp256k1Verifier(backend),
      staticKey,
      limits,
    });
    const holder = await Holder.open(store, {
      clock: systemClock,
      metrics: options.metrics,
      limits: config.inbox
        ? holderLimitsFor(config.inboxQuota, config.maxMessageSize)
        : NOT_HOLDING,
    });
    const dialer = webSocketCarrier({ limits });
    const port =
      config.dhtPort ?? (options.gossipPort === 0 ? 0 : Math.min(65535, options.gossipPort + 2));
    const carrier = webSocketCarrier({ host: options.host, port, limits });
    let node: DhtNode | undefined;
    const secure = (raw: RawChannel) => {
      encrypter.secureInbound(raw).then(
        (connection) => {
          if (node) node.accept(connection);
          else connection.close();
        },
        (error: unknown) => {
          raw.close();
          logger.debug({ reason: String(error) }, 'dht: inbound handshake failed');
        },
      );
    };
    await carrier.listen(secure);
    let self: NodeDht;
    try {
      const endpoints =
        config.dhtEndpoint.length > 0
          ? [...config.dhtEndpoint]
          : [...carrier.addresses].slice(0, 4);
      if (config.dhtEndpoint.length === 0 && /^(0\.0\.0\.0|::)$/.test(options.host))
        logger.warn(
          { endpoints },
          'the DHT listens on every interface: give --dht-endpoint the address other nodes should dial',
        );
      const holds = config.inbox && config.inboxQuota > 0;
      node = new DhtNode({
        publicKey: identity.publicKey,
        holder,
        // Without --inbox the node is never among the holders it asks, and repairs nothing.
        holds,
        endpoints,
        metrics: options.metrics,
        logger,
        dial: endpointDialer(dialer, encrypter),
      });
      const [inboxSecret, encryptionKey, stateBytes] = await Promise.all([
        store.get(INBOX_KEY),
        store.get(INBOX_ENCRYPTION_KEY),
        store.get(INBOX_STATE),
      ]);
      let state: InboxState | undefined;
      if (stateBytes) {
        try {
          state = JSON.parse(new TextDecoder().decode(stateBytes)) as InboxState;
        } catch {
          logger.warn({}, 'dht: the stored inbox state is damaged; publish the inbox again');
        }
      }
      self = new NodeDht(options, {
        node,
        holder,
        carrier,
        endpoints,
        inboxKey: inboxSecret ? inboxKeyFromSecret(inboxSecret) : undefined,
        encryptionKey,
        state,
      });
    } catch (error) {
      // Nothing started is left behind: the listener closes, the node stops.
      node?.stop();
      await carrier.close();
      throw error;
    }
    void self.join(
      config.dhtBootstrap.map((address) => {
        const { peer, endpoint } = parseDhtAddress(address);
        return contactOf(peer, [endpoint]);
      }),
    );
    return self;
  }

  /** Contacts in the routing table. */
  get contacts(): number {
    return this.node.router.table.size;
  }

  /** Whether the node has joined (it knows at least one other node, or is the first). */
  get isJoined(): boolean {
    return this.joined;
  }

  /** The inbox encryption private key, once the inbox was published (the `inbox` key id). */
  inboxPrivateKey(): Uint8Array | undefined {
    return this.state ? this.encryptionKey : undefined;
  }

  /** Joins from the bootstrap contacts, again every 2 s while none of them answers. */
  private async join(bootstrap: readonly Contact[]): Promise<void> {
    const others = bootstrap.filter((c) => c.peer !== this.node.peer);
    while (!this.closed) {
      try {
        await this.node.start(others);
      } catch (error) {
        this.logger.debug({ reason: String(error) }, 'dht: join failed');
      }
      if (this.closed) return;
      if (others.length === 0 || this.contacts > 0) break;
      await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_MS).unref());
    }
    if (this.closed) return;
    this.joined = true;
    this.logger.info({ contacts: this.contacts }, 'dht: joined');
    // A second self-lookup once the nodes that joined at the same time know each other.
    setTimeout(() => {
      if (!this.closed)
        this.node.router
          .refresh()
          .catch((error: unknown) =>
            this.logger.debug({ reason: String(error) }, 'dht: refresh failed'),
          );
    }, 3_000).unref();
    // Published before this start: today's descriptor again, to the r closest of now.
    if (this.state)
      this.publishInbox(undefined).catch((error: unknown) =>
        this.logger.warn({ reason: String(error) }, 'dht: republishing the inbox failed'),
      );
  }

  /** Publishes today's descriptor when the inbox is published and today's is not yet. */
  private republishIfDue(): void {
    if (this.closed || !this.joined || !this.state) return;
    const epoch = epochOf(Date.now());
    if (this.state.epochs.includes(epoch)) return;
    this.publishInbox(undefined).catch((error: unknown) =>
      this.logger.warn({ epoch, reason: String(error) }, 'dht: republishing the inbox failed'),
    );
  }

  /**
   * Creates (once) and keeps the inbox key and the encryption key pair, and publishes a
   * descriptor for today's epoch with `parameters` (default: those published last, or
   * {@link defaultInboxParameters}) and a seq above every earlier one (the time in ms, or the
   * last seq + 1). From then on the node publishes again for every new epoch.
   *
   * @throws NodeInboxError when the node is closed
   */
  publishInbox(parameters: InboxParameters | undefined): Promise<PublishedInbox> {
    const run = this.publishing.then(() => this.publishNow(parameters));
    this.publishing = run.catch(() => undefined);
    return run;
  }

  private async publishNow(parameters: InboxParameters | undefined): Promise<PublishedInbox> {
    if (this.closed) throw new NodeInboxError('the DHT is closed');
    const { store } = this.options;
    if (!this.inboxKey) {
      const secret = randomBytes(32);
      await store.put(INBOX_KEY, secret);
      this.inboxKey = inboxKeyFromSecret(secret);
    }
    if (!this.encryptionKey) {
      const backend = this.options.backend ?? defaultBackend;
      let key = randomBytes(32);
      while (!backend.isValidPrivateKey(key)) key = randomBytes(32);
      await store.put(INBOX_ENCRYPTION_KEY, key);
      this.encryptionKey = key;
    }
    const backend = this.options.backend ?? defaultBackend;
    const chosen =
      parameters ??
      (this.state
        ? { minPow: this.state.minPow, maxSize: this.state.maxSize, maxTtl: this.state.maxTtl }
        : defaultInboxParameters(this.options.config));
    const now = Date.now();
    const epoch = epochOf(now);
    const last = this.state ? BigInt(this.state.seq) : 0n;
    const seq = BigInt(now) > last ? BigInt(now) : last + 1n;
    const encryptionKey = backend.publicKeyCreate(this.encryptionKey);
    const descriptor = signDescriptor(
      { epoch, seq, ...chosen, encryptionKey },
      this.inboxKey.secretKey,
    );
    const epochs = [...new Set([epoch, ...(this.state?.epochs ?? [])])]
      .sort((a, b) => b - a)
      .slice(0, EPOCHS_KEPT);
    const state: InboxState = { ...chosen, seq: seq.toString(), epochs };
    // Kept before it goes out: a seq once used is never used again.
    await store.put(INBOX_STATE, new TextEncoder().encode(JSON.stringify(state)));
    this.state = state;
    const outcome = await this.node.publish(descriptor);
    this.logger.info(
      { epoch, seq: seq.toString(), accepted: outcome.accepted, holders: outcome.holders.length },
      'dht: inbox published',
    );
    return {
      inboxKey: this.inboxKey.publicKey,
      encryptionKey,
      epoch,
      seq,
      parameters: chosen,
      outcome,
    };
  }

  /** The node's inbox as `hush_inboxInfo` shows it. */
  info() {
    const backend = this.options.backend ?? defaultBackend;
    return {
      published: this.state !== undefined,
      ...(this.state && this.inboxKey && this.encryptionKey
        ? {
            inboxKey: this.inboxKey.publicKey,
            encryptionKey: backend.publicKeyCreate(this.encryptionKey),
            parameters: {
              minPow: this.state.minPow,
              maxSize: this.state.maxSize,
              maxTtl: this.state.maxTtl,
            },
            seq: this.state.seq,
            epochs: this.state.epochs,
          }
        : {}),
      epoch: epochOf(Date.now()),
      address: this.address,
      peerId: this.node.peer,
      endpoints: this.endpoints,
      joined: this.joined,
      contacts: this.contacts,
      holding: this.holding,
      quota: this.holding ? this.options.config.inboxQuota : 0,
      held: this.holder.stats,
    };
  }

  /**
   * The descriptor of an inbox for `epoch` as its r closest holders hold it (the highest seq
   * that verifies, signed by `inboxKey`, for that epoch), and those holders.
   *
   * @throws RangeError if the inbox key is not 32 bytes; DhtError 'closed' when stopped
   */
  private async find(
    inboxKey: Uint8Array,
    epoch: number,
  ): Promise<{ descriptor: Descriptor; holders: Contact[] } | undefined> {
    if (inboxKey.length !== INBOX_PUBLIC_KEY_LENGTH)
      throw new RangeError(`an inbox key is ${INBOX_PUBLIC_KEY_LENGTH} bytes`);
    const location = inboxLocation(inboxKey, epoch);
    // A burst of deposits to one inbox shares one lookup (SPEC §5.2).
    const holders = await this.node.holders(location, undefined, { maxAgeMs: HOLDER_CACHE_MS });
    const descriptor = await this.node.descriptor(location, { holders, inboxKey });
    return descriptor && descriptor.epoch === epoch ? { descriptor, holders } : undefined;
  }

  /**
   * Deposits to an inbox: its descriptor for today (or, early in the day, yesterday's, which
   * holders take for an hour past its end) is looked up, `seal` makes the envelope by it, and
   * the envelope goes to the location's r closest holders.
   *
   * @throws NodeInboxError when no descriptor of the inbox is found; what `seal` throws;
   *   DhtError 'closed' when stopped
   */
  async deposit(
    inboxKey: Uint8Array,
    seal: (descriptor: Descriptor) => Promise<Envelope>,
  ): Promise<{ descriptor: Descriptor; hash: Uint8Array; outcome: ReplicaOutcome }> {
    if (this.closed) throw new NodeInboxError('the DHT is closed');
    const today = epochOf(Date.now());
    let found = await this.find(inboxKey, today);
    if (!found && Date.now() - today * EPOCH_MS < 3_600_000)
      found = await this.find(inboxKey, today - 1);
    if (!found)
      throw new NodeInboxError(
        `no descriptor of inbox 0x${Buffer.from(inboxKey).toString('hex')} is held for epoch ${today}: its owner has not published it (hush_publishInbox)`,
      );
    const { descriptor, holders } = found;
    const envelope = await seal(descriptor);
    // The holders that answered the descriptor's lookup take the deposit: one lookup, not two.
    const outcome = await this.node.deposit(descriptorLocation(descriptor), envelope, { holders });
    return { descriptor, hash: envelopeHash(envelope), outcome };
  }

  /**
   * Fetch-and-delete of the node's own inbox for today's and yesterday's epochs (those it
   * published): every page of each, each envelope delivered to the client's filters and
   * subscriptions (source `inbox`), then deleted at the holders.
   *
   * @throws NodeInboxError when the inbox was never published
   */
  async fetchInbox(options: { topics?: readonly Uint8Array[] } = {}): Promise<EpochFetch[]> {
    if (this.closed) throw new NodeInboxError('the DHT is closed');
    if (!this.state || !this.inboxKey)
      throw new NodeInboxError('this node has published no inbox: call hush_publishInbox first');
    const today = epochOf(Date.now());
    const results: EpochFetch[] = [];
    for (const epoch of [today, today - 1]) {
      if (!this.state.epochs.includes(epoch)) continue;
      const inbox = new DhtInbox({
        node: this.node,
        key: this.inboxKey,
        location: inboxLocation(this.inboxKey.publicKey, epoch),
      });
      try {
        const { fetched, deleted } = await drainInbox(inbox, this.options.client, {
          ...(options.topics ? { topics: options.topics } : {}),
        });
        results.push({ epoch, fetched, deleted });
      } catch (error) {
        results.push({ epoch, fetched: 0, deleted: 0, error: (error as Error).message });
      }
    }
    return results;
  }

  /** The peer id of this node on the DHT. */
  get peer(): PeerId {
    return this.node.peer;
  }

  /** Stops routing, closes every link and the listener, stops pruning. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.republisher);
    this.stopPruning();
    await this.publishing;
    this.node.stop();
    await this.carrier.close();
  }
}
