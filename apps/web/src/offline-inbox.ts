/**
 * The page's offline inbox on the DHT (issue 15; specs/inbox-dht/SPEC.md §2.4 joining, §3.1
 * links, §4.1–§4.5 the inbox key, its daily location and the signed descriptor, §5.2 deposits,
 * §6.7–§6.8 fetch and delete). The page is a DHT *client*: a `DhtNode` with `holds: false`
 * (it holds nothing for others and refuses every inbox request) that listens on nothing and
 * dials the serving node's `hush-dht/1` endpoint over the WebSocket carrier (the browser's
 * native WebSocket in a page, `ws` in Node). Through it the page publishes its own inbox's
 * descriptor, deposits into contacts' inboxes, and fetches-and-deletes what contacts
 * deposited while it was away (`drainInbox` of `@hush/client`), as apps/node/src/dht.ts does
 * for the node.
 *
 * Keys: the inbox key is an ed25519 key of its own (§4.1), its 32-byte secret made once by
 * {@link generateInboxSecret} and kept in the vault. The descriptor's encryption key (§4.3,
 * what deposits are sealed to) is a secp256k1 key derived from that secret, not the identity
 * key: a descriptor is readable by every holder near the location and by anyone given the
 * inbox public key, and naming the identity key there would tie the inbox to the identity,
 * which is what a separate inbox key is for (§1). Derived rather than random, so the vault
 * keeps one secret and every reload publishes the same key. The page's links prove a fresh
 * secp256k1 key per start unless told otherwise: nothing on the DHT needs to reach the page
 * by its key, and holders then learn nothing lasting about who publishes and fetches.
 */

import { webSocketCarrier } from '@hush/carrier-websocket';
import type { InboxDeliveryTarget } from '@hush/client';
import { drainInbox } from '@hush/client';
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
  HOLDER_CACHE_MS,
  Holder,
  type HolderLimits,
  INBOX_PUBLIC_KEY_LENGTH,
  INBOX_SECRET_KEY_LENGTH,
  type InboxKeyPair,
  inboxKeyFromSecret,
  inboxLocation,
  parseDhtAddress,
  type ReplicaOutcome,
  signDescriptor,
} from '@hush/inbox-dht';
import {
  type AbortOptions,
  HushError,
  type Inbox,
  type InboxPage,
  type InboxQuery,
  type Logger,
  MemoryStore,
  type PeerId,
  silentLogger,
  systemClock,
  throwIfAborted,
} from '@hush/interface';
import { type WrapParams, wrapMessage } from '@hush/message';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** Why an offline-inbox operation failed. */
export type PageInboxErrorCode =
  /** The DHT address is not `<128 hex>@ws://host:port`. */
  | 'bad-address'
  /** `start` has not joined yet, or `stop` was called. */
  | 'not-started'
  /** No DHT node answered: the serving node is down, or has no DHT. */
  | 'unreachable'
  /** No holder keeps a descriptor of the contact's inbox for today: it never published. */
  | 'no-descriptor'
  /** No holder took the descriptor or the deposit (the serving node runs without --inbox?). */
  | 'not-held'
  /**
   * The contact's descriptor asks for more PoW than the page will spend on a deposit
   * (`maxPow` of {@link sealForInbox}): a descriptor's minPow is the publisher's to choose,
   * and an absurd one would grind the page's CPU for nothing.
   */
  | 'too-costly';

/** An offline-inbox operation refused; `code` says why. */
export class PageInboxError extends HushError<PageInboxErrorCode> {
  override readonly name = 'PageInboxError';
}

/** The descriptor parameters the page publishes (§4.3). */
export interface InboxParameters {
  /** The least Whisper PoW a deposit must carry. */
  readonly minPow: number;
  /** The largest deposit, Whisper size (20 + data bytes). */
  readonly maxSize: number;
  /** The longest deposit TTL, seconds. */
  readonly maxTtl: number;
}

/** The largest deposit the page asks for by default: 64 KiB, as the node's inbox. */
export const DEFAULT_INBOX_MAX_SIZE = 64 * 1024;
/** The longest deposit TTL by default: two days, so a deposit outlives a day away. */
export const DEFAULT_INBOX_MAX_TTL = 2 * 86_400;

/** How often the page checks whether a new UTC day needs its descriptors, ms. */
const REPUBLISH_CHECK_MS = 60_000;
/** Early in a day deposits may still go to yesterday's inbox (holders take it an hour on). */
const YESTERDAY_GRACE_MS = 3_600_000;
/** HKDF inputs of the encryption key: a domain of its own, so the key is used for one thing. */
const ENCRYPTION_KEY_SALT = new TextEncoder().encode('hush-web inbox');
const ENCRYPTION_KEY_INFO = new TextEncoder().encode('descriptor encryption key v1');

/**
 * What the page's holder may hold: nothing. The `DhtNode` is made with `holds: false` too, so
 * it never counts itself among an inbox's holders nor serves inbox requests; the holder is
 * only read for a descriptor it would hold locally (never, here).
 */
const HOLDS_NOTHING: HolderLimits = {
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
 * A fresh inbox secret: the 32-byte ed25519 seed of the page's inbox key (§4.1). Made once
 * per identity and kept in the vault; the inbox public key and the encryption key follow
 * from it.
 *
 * @throws nothing
 */
export function generateInboxSecret(): Uint8Array {
  return randomBytes(INBOX_SECRET_KEY_LENGTH);
}

/**
 * The secp256k1 key pair the page's descriptors name as their encryption key (§4.3): derived
 * from the inbox secret by HKDF-SHA-256 under a domain of its own (a counter in the info
 * byte skips the ~2⁻¹²⁸ chance of an invalid scalar). Contacts seal deposits to the public
 * key; the page opens them with the private key (a `keyPair` filter with `allowP2P`).
 *
 * @throws RangeError if the secret is not 32 bytes
 */
export function inboxEncryptionKey(
  inboxSecret: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array } {
  if (!(inboxSecret instanceof Uint8Array) || inboxSecret.length !== INBOX_SECRET_KEY_LENGTH)
    throw new RangeError(`an inbox secret is ${INBOX_SECRET_KEY_LENGTH} bytes`);
  for (let counter = 0; ; counter++) {
    const info = new Uint8Array(ENCRYPTION_KEY_INFO.length + 1);
    info.set(ENCRYPTION_KEY_INFO);
    info[ENCRYPTION_KEY_INFO.length] = counter;
    const privateKey = hkdf(sha256, inboxSecret, ENCRYPTION_KEY_SALT, info, 32);
    if (backend.isValidPrivateKey(privateKey))
      return { privateKey, publicKey: backend.publicKeyCreate(privateKey) };
  }
}

/**
 * Reads a DHT address as `/hush-web.json` gives it (`dht`): `<128 hex>@ws://host:port`, the
 * key optionally with a `0x` or `04` prefix, the endpoint ws:// or wss://.
 *
 * @throws PageInboxError 'bad-address' naming what is wrong
 */
export function parseDhtBootstrap(address: string): Contact {
  try {
    const { peer, endpoint } = parseDhtAddress(address);
    return contactOf(peer, [endpoint]);
  } catch (error) {
    throw new PageInboxError('bad-address', `"${address}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Seals a message for a contact's inbox by its descriptor's rules, as `hush_deposit` does:
 * asymmetric to the descriptor's encryption key, PoW at least its minimum, TTL (default one
 * day) within its maximum, size within its maximum (checked before any PoW is spent). In a
 * page, give `pool` (the page's PoW workers, `PagePeer.powPool`) so the PoW does not run on
 * the main thread, the session's `signal`, and `maxPow`: the descriptor's minPow is chosen by
 * whoever published it, and nothing is ground when it is over `maxPow`.
 *
 * @throws PageInboxError 'too-costly' when the descriptor's minPow is over `maxPow` (before
 *   any PoW is spent)
 * @throws RangeError if `ttl` is over the descriptor's maxTtl
 * @throws MessageError of `@hush/message` ('too-large', a bad key), PowError 'pow-unreachable'
 *   when the PoW is not reached within `workTime`, the signal's reason when aborted
 */
export async function sealForInbox(
  descriptor: Descriptor,
  message: Pick<WrapParams, 'topic' | 'payload' | 'signingKey' | 'padding'> &
    Pick<WrapParams, 'pool' | 'signal' | 'onProgress' | 'backend'> & {
      /** Seconds (default one day, or the descriptor's maxTtl when that is shorter). */
      readonly ttl?: number;
      /** Seconds the PoW may take (default 20). */
      readonly workTime?: number;
      /** The most PoW the caller will spend (default: no limit). */
      readonly maxPow?: number;
    },
): Promise<Envelope> {
  const { ttl: givenTtl, workTime, maxPow, ...rest } = message;
  if (maxPow !== undefined && !(descriptor.minPow <= maxPow))
    throw new PageInboxError(
      'too-costly',
      `the contact's inbox asks for PoW ${descriptor.minPow}, over the ${maxPow} this page spends on a deposit`,
    );
  const ttl = givenTtl ?? Math.min(descriptor.maxTtl, 86_400);
  if (ttl > descriptor.maxTtl)
    throw new RangeError(`ttl ${ttl} is over the inbox's maximum of ${descriptor.maxTtl} seconds`);
  throwIfAborted(message);
  return wrapMessage({
    ...rest,
    publicKey: descriptor.encryptionKey,
    ttl,
    pow: descriptor.minPow,
    workTime: workTime ?? 20,
    maxEnvelopeSize: descriptor.maxSize,
  });
}

/** How the page's inbox is made. */
export interface PageInboxOptions {
  /** The serving node's DHT address (`/hush-web.json` `dht`): the one node the page joins by. */
  readonly bootstrap: string;
  /** The inbox key's 32-byte ed25519 secret ({@link generateInboxSecret}), from the vault. */
  readonly inboxSecret: Uint8Array;
  /**
   * The secp256k1 private key the page's `hush-dht/1` links prove. Default: a fresh one per
   * start (recommended: see the module header).
   */
  readonly identityKey?: Uint8Array;
  /** The least PoW of deposits to the page (the node's gossip `minPow` is a good choice). */
  readonly minPow: number;
  /** The largest deposit (default 64 KiB). */
  readonly maxSize?: number;
  /** The longest deposit TTL, seconds (default two days). */
  readonly maxTtl?: number;
  /**
   * The serving node's largest message (`/hush-web.json` `maxMessageSize`), so the link takes
   * any page a holder sends (default 1 MiB).
   */
  readonly maxMessageSize?: number;
  readonly backend?: CryptoBackend;
  readonly logger?: Logger;
}

/** What one descriptor's publication did. */
export interface PublishedEpoch {
  readonly epoch: number;
  readonly seq: bigint;
  readonly outcome: ReplicaOutcome;
}

/** What a deposit did. */
export interface InboxDeposit {
  /** The contact's descriptor the envelope was sealed by. */
  readonly descriptor: Descriptor;
  readonly hash: Uint8Array;
  /** Holders that hold the envelope now (≥ 1). */
  readonly accepted: number;
  readonly outcome: ReplicaOutcome;
}

/** Progress of a drain: after each envelope delivered, each page deleted, each day done. */
export interface DrainProgress {
  /** The epoch (UTC day) being read. */
  readonly epoch: number;
  /** Pages read so far, every epoch. */
  readonly pages: number;
  /** Envelopes handed to `deliver` so far (each once). */
  readonly fetched: number;
  /** Items the holders deleted so far. */
  readonly deleted: number;
}

/**
 * How a drain runs. Its `signal` (and `stop`) end it at once: nothing fetched after the abort
 * is delivered and nothing more is deleted at the holders, so what was not yet delivered (or
 * delivered, its page not yet deleted) waits there for the next drain.
 */
export interface DrainOptions extends AbortOptions {
  /**
   * Takes each envelope fetched (source `inbox`): pass `(r) => client.deliver(r)` of a
   * `HushClient`, whose filters with `allowP2P` open it. It is deleted at the holders once
   * its page was delivered; when it throws, the drain fails and that page stays held.
   */
  readonly deliver: InboxDeliveryTarget['deliver'];
  readonly onProgress?: (progress: DrainProgress) => void;
  /** Only these topics (4 bytes each). */
  readonly topics?: readonly Uint8Array[];
  /** Envelopes per page (default 100). */
  readonly pageSize?: number;
}

/** What a drain of one epoch did. */
export interface EpochDrain {
  readonly epoch: number;
  /** False when no descriptor of the inbox is held for that day: nothing can be there. */
  readonly published: boolean;
  readonly fetched: number;
  readonly deleted: number;
  readonly pages: number;
}

/** What a drain did. */
export interface DrainResult {
  readonly fetched: number;
  readonly deleted: number;
  readonly pages: number;
  readonly epochs: readonly EpochDrain[];
}

/**
 * The page's DHT inbox: join through the serving node, publish, deposit, drain.
 *
 * @example
 * ```ts
 * const inbox = new PageInbox({ bootstrap: config.dht!, inboxSecret, minPow: config.minPow });
 * await inbox.start();
 * await inbox.publish();
 * const { fetched } = await inbox.drain({ deliver: (r) => client.deliver(r), onProgress });
 * await inbox.deposit(contactInboxKey, (d) => sealForInbox(d, { topic, payload, signingKey }));
 * await inbox.stop();
 * ```
 */
export class PageInbox {
  /** The inbox public key (32 bytes): what contacts deposit to. */
  readonly inboxPublicKey: Uint8Array;
  /** The descriptor's encryption key pair ({@link inboxEncryptionKey}). */
  readonly encryptionKey: { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array };
  /** The page's peer id on the DHT (its link key). */
  readonly peer: PeerId;
  private readonly options: PageInboxOptions;
  private readonly inboxKey: InboxKeyPair;
  private readonly bootstrap: Contact;
  private readonly carrier: ReturnType<typeof webSocketCarrier>;
  private readonly logger: Logger;
  private node: DhtNode | undefined;
  private readonly identity: ReturnType<typeof secp256k1Identity>;
  private readonly staticKey = randomBytes(32);
  private republisher: ReturnType<typeof setInterval> | undefined;
  /** The last seq published: every later one is above it (§7.1). */
  private lastSeq = 0n;
  /** The epochs published in this session; undefined until `publish`. */
  private published: Set<number> | undefined;
  private publishing: Promise<unknown> = Promise.resolve();
  private joined = false;
  private stopped = false;
  /** Aborted by `stop`: every operation in flight ends, and the links close. */
  private readonly stopping = new AbortController();

  /**
   * @throws PageInboxError 'bad-address' for a bad bootstrap address
   * @throws RangeError for an inbox secret not 32 bytes or an invalid identity key
   */
  constructor(options: PageInboxOptions) {
    const backend = options.backend ?? defaultBackend;
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.bootstrap = parseDhtBootstrap(options.bootstrap);
    this.inboxKey = inboxKeyFromSecret(options.inboxSecret);
    this.inboxPublicKey = this.inboxKey.publicKey;
    this.encryptionKey = inboxEncryptionKey(options.inboxSecret, backend);
    let key = options.identityKey;
    while (!key || !backend.isValidPrivateKey(key)) {
      if (options.identityKey) throw new RangeError('identityKey: not a secp256k1 private key');
      key = randomBytes(32);
    }
    this.identity = secp256k1Identity(key, backend);
    this.peer = this.identity.peerId;
    const maxFrameBytes = Math.max(options.maxMessageSize ?? 0, 1024 * 1024) + 4096;
    this.carrier = webSocketCarrier({ limits: { maxFrameBytes } });
  }

  /** Contacts in the page's routing table (the serving node, and what it told of). */
  get contacts(): number {
    return this.node?.router.table.size ?? 0;
  }

  /** Whether `start` has joined and `stop` was not called. */
  get isJoined(): boolean {
    return this.joined && !this.stopped;
  }

  /**
   * Joins the DHT through the serving node: a self-lookup from it (§2.4), which puts it (and
   * the nodes it knows) in the page's table. Called again after a failure, it tries again.
   *
   * @throws PageInboxError 'unreachable' when the serving node did not answer; 'not-started'
   *   after `stop`, or when `stop` was called while joining
   */
  async start(): Promise<void> {
    if (this.stopped) throw new PageInboxError('not-started', 'the inbox was stopped');
    if (this.joined) return;
    const node = await this.dhtNode();
    const stopped = () => new PageInboxError('not-started', 'the inbox was stopped');
    if (this.stopped) {
      node.stop(); // made after `stop` looked for it
      throw stopped();
    }
    try {
      await node.start([this.bootstrap]);
    } catch (error) {
      if (this.stopped) throw stopped();
      throw new PageInboxError('unreachable', `joining the DHT failed: ${String(error)}`, {
        cause: error,
      });
    }
    if (this.stopped) throw stopped();
    if (node.router.table.size === 0)
      throw new PageInboxError(
        'unreachable',
        `the DHT node ${this.bootstrap.endpoints[0]} did not answer`,
      );
    this.joined = true;
    this.logger.debug({ contacts: this.contacts }, 'offline inbox: joined the DHT');
    // As the node does: a new UTC day needs its descriptor while the page stays open (the
    // next day's was published ahead, so this only keeps one day ahead).
    if (!this.republisher) {
      this.republisher = setInterval(() => this.republishIfDue(), REPUBLISH_CHECK_MS);
      // In Node (tests, tools) the check alone must not keep the process alive; browsers
      // have no unref.
      (this.republisher as { unref?: () => void }).unref?.();
    }
  }

  /** The DhtNode, made once: a client that holds nothing and dials ws:// endpoints. */
  private async dhtNode(): Promise<DhtNode> {
    if (this.node) return this.node;
    const backend = this.options.backend ?? defaultBackend;
    const encrypter = dhtLinkEncrypter({
      identity: this.identity,
      verifier: secp256k1Verifier(backend),
      staticKey: this.staticKey,
      limits: { maxFrameBytes: Math.max(this.options.maxMessageSize ?? 0, 1024 * 1024) + 4096 },
    });
    const holder = await Holder.open(new MemoryStore(), {
      clock: systemClock,
      limits: HOLDS_NOTHING,
    });
    this.node = new DhtNode({
      publicKey: this.identity.publicKey,
      holder,
      holds: false,
      // No endpoints: the page cannot be dialed, and says so.
      endpoints: [],
      logger: this.logger,
      dial: endpointDialer(this.carrier, encrypter),
    });
    return this.node;
  }

  private joinedNode(): DhtNode {
    if (!this.node || !this.joined || this.stopped)
      throw new PageInboxError('not-started', 'the inbox has not joined the DHT: call start()');
    return this.node;
  }

  /** The caller's signal and `stop`'s, as one. */
  private signalOf(options: AbortOptions): AbortSignal {
    return options.signal
      ? AbortSignal.any([options.signal, this.stopping.signal])
      : this.stopping.signal;
  }

  /** The parameters published: the options', with the defaults. */
  get parameters(): InboxParameters {
    return {
      minPow: this.options.minPow,
      maxSize: this.options.maxSize ?? DEFAULT_INBOX_MAX_SIZE,
      maxTtl: this.options.maxTtl ?? DEFAULT_INBOX_MAX_TTL,
    };
  }

  /**
   * Publishes the inbox's signed descriptor for today and for tomorrow (§4.2: a recipient
   * publishes the next day's before the day ends; publishing it now means a contact who
   * deposits after midnight while the page is closed still finds it), each at the r closest
   * holders, with a seq above every earlier one (the time in ms; a holder that keeps a higher
   * seq from an earlier session gets that + 1). From then on, while the page stays open, a
   * new day gets its descriptors too.
   *
   * @throws PageInboxError 'not-started' before `start` or when `stop` ended it; 'not-held'
   *   when no holder took today's descriptor (the serving node holds nothing without --inbox)
   * @throws the signal's reason when aborted (what was sent before stays published)
   */
  publish(options: AbortOptions = {}): Promise<PublishedEpoch[]> {
    const run = this.publishing.then(() => this.publishNow(this.signalOf(options)));
    this.publishing = run.catch(() => undefined);
    return run;
  }

  private async publishNow(signal: AbortSignal): Promise<PublishedEpoch[]> {
    throwIfAborted({ signal });
    const node = this.joinedNode();
    const today = epochOf(Date.now());
    const results: PublishedEpoch[] = [];
    for (const epoch of [today, today + 1]) {
      let seq = this.nextSeq();
      let outcome = await node.publish(this.descriptor(epoch, seq));
      throwIfAborted({ signal });
      if (outcome.accepted === 0 && (outcome.refused.stale ?? 0) > 0) {
        // A holder keeps a higher seq (an earlier session's, or a clock that went back): go
        // above what it holds.
        const location = inboxLocation(this.inboxPublicKey, epoch);
        const held = await node.descriptor(location, { inboxKey: this.inboxPublicKey });
        throwIfAborted({ signal });
        if (held && held.seq >= seq) {
          this.lastSeq = held.seq;
          seq = this.nextSeq();
          outcome = await node.publish(this.descriptor(epoch, seq));
          throwIfAborted({ signal });
        }
      }
      if (epoch === today && outcome.accepted === 0)
        throw new PageInboxError(
          'not-held',
          `no holder of ${outcome.holders.length} took the inbox's descriptor (refused ${JSON.stringify(outcome.refused)}, failed ${outcome.failed}): does the DHT node hold inboxes (--inbox)?`,
        );
      results.push({ epoch, seq, outcome });
    }
    this.published = new Set([today, today + 1, ...(this.published ?? [])]);
    this.logger.debug({ epochs: results.map((r) => r.epoch) }, 'offline inbox: published');
    return results;
  }

  private nextSeq(): bigint {
    const now = BigInt(Date.now());
    this.lastSeq = now > this.lastSeq ? now : this.lastSeq + 1n;
    return this.lastSeq;
  }

  private descriptor(epoch: number, seq: bigint): Descriptor {
    return signDescriptor(
      { epoch, seq, ...this.parameters, encryptionKey: this.encryptionKey.publicKey },
      this.inboxKey.secretKey,
    );
  }

  /** Publishes again when the page stays open into a day whose next one is not published. */
  private republishIfDue(): void {
    if (this.stopped || !this.joined || !this.published) return;
    if (this.published.has(epochOf(Date.now()) + 1)) return;
    this.publish().catch((error: unknown) =>
      this.logger.warn({ reason: String(error) }, 'offline inbox: republishing failed'),
    );
  }

  /**
   * Deposits into a contact's inbox (§5.2): its descriptor for today (or, in the first hour of
   * a day, yesterday's, which holders take for an hour past its end) is looked up, `seal`
   * makes the envelope by it ({@link sealForInbox}), and the envelope goes to the holders
   * that answered the lookup.
   *
   * @throws RangeError if the inbox key is not 32 bytes
   * @throws PageInboxError 'not-started' before `start` or when `stop` ended it;
   *   'no-descriptor' when the contact published no inbox for today; 'not-held' when no
   *   holder took the envelope
   * @throws what `seal` throws (it is given the signal); the signal's reason when aborted
   *   (nothing is deposited after the abort)
   */
  async deposit(
    contactInboxKey: Uint8Array,
    seal: (descriptor: Descriptor, options: { readonly signal: AbortSignal }) => Promise<Envelope>,
    options: AbortOptions = {},
  ): Promise<InboxDeposit> {
    const node = this.joinedNode();
    if (contactInboxKey.length !== INBOX_PUBLIC_KEY_LENGTH)
      throw new RangeError(`an inbox key is ${INBOX_PUBLIC_KEY_LENGTH} bytes`);
    const signal = this.signalOf(options);
    throwIfAborted({ signal });
    const now = Date.now();
    const today = epochOf(now);
    const find = async (epoch: number) => {
      const location = inboxLocation(contactInboxKey, epoch);
      // A burst of deposits to one inbox shares one lookup (§5.2).
      const holders = await node.holders(location, signal, { maxAgeMs: HOLDER_CACHE_MS });
      const descriptor = await node.descriptor(location, {
        holders,
        inboxKey: contactInboxKey,
      });
      throwIfAborted({ signal });
      return descriptor && descriptor.epoch === epoch ? { descriptor, holders } : undefined;
    };
    let found = await find(today);
    if (!found && now - today * EPOCH_MS < YESTERDAY_GRACE_MS) found = await find(today - 1);
    if (!found)
      throw new PageInboxError(
        'no-descriptor',
        `no descriptor of inbox ${bytesToHex(contactInboxKey)} is held for day ${today}: the contact has not published it`,
      );
    const envelope = await seal(found.descriptor, { signal });
    throwIfAborted({ signal });
    const outcome = await node.deposit(descriptorLocation(found.descriptor), envelope, {
      holders: found.holders,
    });
    if (outcome.accepted === 0)
      throw new PageInboxError(
        'not-held',
        `no holder of ${outcome.holders.length} took the deposit (refused ${JSON.stringify(outcome.refused)}, failed ${outcome.failed})`,
      );
    return {
      descriptor: found.descriptor,
      hash: envelopeHash(envelope),
      accepted: outcome.accepted,
      outcome,
    };
  }

  /**
   * Fetch-and-delete of the page's own inbox (§6.7, §6.8) for yesterday, today and tomorrow
   * (a contact whose clock is ahead deposits into tomorrow's early): every page of each day
   * whose descriptor a holder keeps, each envelope handed to `deliver`, then deleted at the
   * holders. Needs no `publish` in this session: the inbox secret signs the requests, and
   * the descriptors of an earlier session are what the holders check them against.
   *
   * @throws PageInboxError 'not-started' before `start`; 'unreachable' when a day's lookup
   *   found no holder at all
   * @throws InboxError of `@hush/interface` when the holders refused a fetch or delete: what
   *   was delivered stays delivered, what was not deleted stays for the next drain
   * @throws what `deliver` throws (that page stays held)
   * @throws RangeError for a bad `pageSize`; the signal's reason when aborted, PageInboxError
   *   'not-started' when `stop` ended it: in both cases nothing more is delivered or deleted
   */
  async drain(options: DrainOptions): Promise<DrainResult> {
    const node = this.joinedNode();
    const signal = this.signalOf(options);
    const aborted = { signal };
    const today = epochOf(Date.now());
    const totals = { pages: 0, fetched: 0, deleted: 0 };
    const epochs: EpochDrain[] = [];
    for (const epoch of [today - 1, today, today + 1]) {
      throwIfAborted(aborted);
      const location = inboxLocation(this.inboxPublicKey, epoch);
      const holders = await node.holders(location, signal);
      if (holders.length === 0)
        throw new PageInboxError('unreachable', `no DHT node answered the lookup of day ${epoch}`);
      // Nothing is held where no descriptor is (§5.1 rule 2): a day never published is
      // skipped rather than asked (the holders would refuse the fetch).
      const descriptor = await node.descriptor(location, {
        holders,
        inboxKey: this.inboxPublicKey,
      });
      throwIfAborted(aborted);
      if (!descriptor) {
        epochs.push({ epoch, published: false, fetched: 0, deleted: 0, pages: 0 });
        continue;
      }
      const before = { ...totals };
      const report = () => {
        if (!signal.aborted) options.onProgress?.({ epoch, ...totals });
      };
      // The holders this lookup found take the deletes too: no second lookup, and the drain's
      // signal is checked before each signed delete goes out (DhtInbox does both).
      const inbox = countedInbox(
        new DhtInbox({ node, key: this.inboxKey, location, holders }),
        signal,
        totals,
        report,
      );
      await drainInbox(
        inbox,
        {
          deliver: async (received) => {
            // Aborted while this page was being handed out: the rest of it is not delivered
            // (and the page is not deleted, see guardedInbox).
            if (signal.aborted) return;
            await options.deliver(received);
            totals.fetched++;
            report();
          },
        },
        {
          ...(options.topics ? { topics: options.topics } : {}),
          ...(options.pageSize ? { pageSize: options.pageSize } : {}),
          signal,
        },
      );
      throwIfAborted(aborted);
      report();
      epochs.push({
        epoch,
        published: true,
        pages: totals.pages - before.pages,
        fetched: totals.fetched - before.fetched,
        deleted: totals.deleted - before.deleted,
      });
    }
    return { ...totals, epochs };
  }

  /**
   * Stops republishing and ends what is in flight (a drain, a publish, a deposit: each
   * rejects with PageInboxError 'not-started', and a drain deletes nothing more), then
   * closes every link. Does not wait for a publish to finish. Idempotent. @throws nothing
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.republisher) clearInterval(this.republisher);
    this.stopping.abort(new PageInboxError('not-started', 'the inbox was stopped'));
    this.node?.stop();
    await this.carrier.close().catch(() => undefined);
  }
}

/**
 * The day's inbox as a drain reads it: each page dropped unread when the signal was aborted
 * during its fetch, pages fetched and items deleted counted, and reported after each delete
 * (the envelopes delivered are counted, and reported, by the drain's delivery target; the end
 * of each day is reported by the drain).
 */
function countedInbox(
  inbox: Inbox<Envelope>,
  signal: AbortSignal,
  totals: { pages: number; deleted: number },
  report: () => void,
): Inbox<Envelope> {
  return {
    deposit: (envelope, options) => inbox.deposit(envelope, options),
    async fetch(query: InboxQuery, options?: AbortOptions): Promise<InboxPage<Envelope>> {
      const page = await inbox.fetch(query, options);
      throwIfAborted({ signal });
      totals.pages++;
      return page;
    },
    async delete(ids, options) {
      const deleted = await inbox.delete(ids, options);
      totals.deleted += deleted;
      report();
      return deleted;
    },
  };
}
