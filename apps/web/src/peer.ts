/**
 * The page's Whisper peer (specs/web/SPEC.md §1): a light gossip node that dials the serving
 * node over the browser's WebSocket with a Noise link, a `HushClient` that opens what arrives
 * with keys that stay in this page, and the sealing of outgoing messages (PoW in Web Workers).
 *
 * The gossip key is made fresh for every session and is not the identity key: the node learns
 * the page's address and topics (its bloom filter), never who it is.
 */
import { topicsToBloom } from '@hush/bloom';
import { HushClient } from '@hush/client';
import type { Envelope } from '@hush/envelope';
import type { EnvelopeSource, Metrics } from '@hush/interface';
import { generatePrivateKey, type ReceivedMessage, wrapMessage } from '@hush/message';
import { createPowWorkerPool, type PowScanPool, type SealProgress, targetBits } from '@hush/pow';
import { createGossipNode, type GossipNode, webSocketTransport } from '@hush/transport-gossip';
import type { WebConfig } from './config.js';

/** The longest a message's PoW may take before sealing gives up, seconds. */
export const MAX_WORK_SECONDS = 120;
/** TTL of the page's envelopes, seconds (Status uses at least 10; geth's default is 50). */
export const MESSAGE_TTL = 60;

/** How one outgoing message is encrypted. */
export type Recipient =
  | { readonly kind: 'channel'; readonly topic: Uint8Array; readonly symKey: Uint8Array }
  | { readonly kind: 'contact'; readonly topic: Uint8Array; readonly publicKey: Uint8Array };

/** What sealing reports while it works. */
export interface SealReport {
  /** The chance that a nonce has been found by now, 0–1 (PoW is a lottery). */
  readonly fraction: number;
  readonly hashes: number;
  readonly elapsedMs: number;
}

/** A message opened by one of the page's keys. */
export interface OpenedMessage {
  readonly message: ReceivedMessage;
  readonly source: EnvelopeSource;
  readonly filter: string;
}

/** How a peer is made. */
export interface PagePeerOptions {
  readonly config: WebConfig;
  /** The identity key, 32 bytes: it signs and opens 1:1 messages. */
  readonly identityKey: Uint8Array;
  readonly metrics?: Metrics;
  /** PoW workers (default one per core). */
  readonly workers?: number;
}

/**
 * The light gossip peer and the client's filters.
 *
 * @example
 * ```ts
 * const peer = await PagePeer.start({ config, identityKey });
 * const channel = await publicChannel('status');
 * await peer.watch('channel:status', { symKey: channel.symKey, topics: [channel.topic] }, onMessage);
 * const envelope = await peer.seal(recipient, payload, { onProgress, signal });
 * peer.post(envelope);
 * ```
 */
export class PagePeer {
  readonly gossip: GossipNode;
  readonly client: HushClient;
  private readonly pool: PowScanPool;
  private readonly config: WebConfig;
  private readonly identityKey: Uint8Array;
  private readonly topics = new Map<string, Uint8Array>();
  private readonly watches = new Map<string, { close(): boolean }>();
  private identityKeyId: string | undefined;
  /** The bloom filter last sent to the node. */
  private bloom: Uint8Array | undefined;
  /**
   * The source of the envelope being delivered: filters call their listeners synchronously
   * inside `HushClient.deliver`, so this names where each opened message came from.
   */
  private delivering: EnvelopeSource = 'local';
  /** What the listeners of the envelope being delivered are still doing (keeping it). */
  private keeping: Promise<void>[] | undefined;
  private readonly detach: () => void;

  private constructor(options: PagePeerOptions, gossip: GossipNode, pool: PowScanPool) {
    this.config = options.config;
    this.identityKey = options.identityKey;
    this.gossip = gossip;
    this.pool = pool;
    this.client = new HushClient();
    // The engine's own event, not GossipNode.onEnvelope: to a light client all gossip is p2p
    // (geth's isP2P), and only the engine says which envelopes came in a p2p message (the
    // mailserver's history) and which in gossip.
    this.detach = gossip.engine.on('envelope', (accepted) => {
      // Gossip cannot be asked again: what the page fails to keep is reported, not retried.
      void this.deliver(
        accepted.envelope,
        accepted.hash,
        accepted.from === undefined ? 'local' : accepted.p2pMessage ? 'history' : 'gossip',
      ).catch(() => {});
    });
  }

  /**
   * Starts the gossip node (a light client with an empty bloom until topics are watched)
   * and dials the serving node.
   *
   * @throws GossipError when the transport cannot start
   */
  static async start(options: PagePeerOptions): Promise<PagePeer> {
    const key = generatePrivateKey();
    const gossip = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key }),
      lightClient: true,
      minPow: options.config.minPow,
      maxMessageSize: options.config.maxMessageSize,
      bootstrap: [options.config.gossip],
      ...(options.metrics ? { metrics: options.metrics } : {}),
      // The node is the page's mailserver: its history arrives as p2p messages.
      trustedPeers: [options.config.gossipPublicKey],
      // A page has one peer; come back quickly when the node restarts.
      reconnect: { minMs: 500, maxMs: 10_000 },
    });
    gossip.setBloomFilter(topicsToBloom([]));
    const pool = await createPowWorkerPool(options.workers);
    await gossip.start();
    return new PagePeer(options, gossip, pool);
  }

  /** Peers with a completed handshake (the node, when connected). */
  peerCount(): number {
    return this.gossip.stats().peers.length;
  }

  private updateBloom(): void {
    const bloom = topicsToBloom(this.topics.values());
    // Each change is a message to the node: send only real ones.
    if (this.bloom?.every((byte, i) => byte === bloom[i])) return;
    this.bloom = bloom;
    this.gossip.setBloomFilter(bloom);
  }

  /**
   * Adds topics to the bloom filter without a filter of the client's (a module that reads
   * gossip itself, as direct channels read introductions).
   */
  listen(id: string, topics: readonly Uint8Array[]): void {
    topics.forEach((topic, i) => {
      this.topics.set(`${id}/${i}`, topic);
    });
    this.updateBloom();
  }

  /** The PoW workers, for modules that seal envelopes of their own. */
  get powPool(): PowScanPool {
    return this.pool;
  }

  /**
   * Opens messages for one conversation: a filter on its topics with its key, history and
   * inbox envelopes included (allowP2P).
   *
   * @throws ClientError of `@hush/client` for a bad filter
   */
  async watch(
    id: string,
    key: { readonly symKey: Uint8Array } | { readonly identity: true },
    topics: readonly Uint8Array[],
    onMessage: (opened: OpenedMessage) => void | Promise<void>,
  ): Promise<void> {
    this.unwatch(id);
    let criteria: { symKeyId: string } | { privateKeyId: string };
    if ('symKey' in key) {
      criteria = { symKeyId: await this.client.keys.add('symKey', key.symKey) };
    } else {
      this.identityKeyId ??= await this.client.keys.add('keyPair', this.identityKey);
      criteria = { privateKeyId: this.identityKeyId };
    }
    const subscription = await this.client.subscribe(
      { ...criteria, topics, allowP2P: true },
      (message) => {
        const kept = onMessage({ message, source: this.delivering, filter: id });
        if (kept) this.keeping?.push(kept);
      },
    );
    this.watches.set(id, subscription);
    topics.forEach((topic, i) => {
      this.topics.set(`${id}/${i}`, topic);
    });
    this.updateBloom();
  }

  /** Stops opening a conversation's messages. */
  unwatch(id: string): void {
    this.watches.get(id)?.close();
    this.watches.delete(id);
    for (const key of [...this.topics.keys()])
      if (key.startsWith(`${id}/`)) this.topics.delete(key);
    this.updateBloom();
  }

  /**
   * Hands an envelope to the filters (one that came another way: a direct channel, the
   * inbox, history). Resolves when every conversation it opened in has kept it.
   *
   * @throws what a conversation's listener throws while keeping it (the page locked)
   */
  async deliver(envelope: Envelope, hash: Uint8Array, source: EnvelopeSource): Promise<void> {
    const previous = this.delivering;
    const outer = this.keeping;
    const keeping: Promise<void>[] = [];
    this.delivering = source;
    this.keeping = keeping;
    try {
      this.client.deliver({ envelope, hash, source });
    } finally {
      this.delivering = previous;
      this.keeping = outer;
    }
    await Promise.all(keeping);
  }

  /**
   * Encrypts, signs and seals a message to the node's minimum PoW, in the PoW workers.
   *
   * @throws MessageError 'too-large' over the node's size limit
   * @throws PowError 'aborted' when `signal` fires, 'pow-unreachable' after MAX_WORK_SECONDS
   */
  seal(
    to: Recipient,
    payload: Uint8Array,
    options: { onProgress?: (report: SealReport) => void; signal?: AbortSignal; pow?: number } = {},
  ): Promise<Envelope> {
    const pow = options.pow ?? this.config.minPow;
    // About what the envelope will weigh, for the progress estimate: payload, flags, padding
    // to 256 bytes, a signature, and the encryption's overhead.
    const size = Math.ceil((payload.length + 70) / 256) * 256 + 130;
    const bits = pow > 0 ? targetBits(pow, size, MESSAGE_TTL) : 0;
    const onProgress = options.onProgress;
    return wrapMessage({
      topic: to.topic,
      payload,
      ttl: MESSAGE_TTL,
      signingKey: this.identityKey,
      ...(to.kind === 'channel' ? { symKey: to.symKey } : { publicKey: to.publicKey }),
      pow: Math.max(pow, 0),
      workTime: MAX_WORK_SECONDS,
      maxEnvelopeSize: this.config.maxMessageSize,
      pool: this.pool,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onProgress
        ? {
            onProgress: (p: SealProgress) =>
              onProgress({
                fraction: bits === 0 ? 1 : 1 - Math.exp(-p.hashes / 2 ** bits),
                hashes: p.hashes,
                elapsedMs: p.elapsedMs,
              }),
          }
        : {}),
    });
  }

  /**
   * Posts a sealed envelope to gossip: the node gets it at once when connected, or when it
   * connects (the pool keeps it until it expires).
   *
   * @returns the envelope's hash
   * @throws GossipError refusals ('low-pow', 'too-large', 'expired'…)
   */
  post(envelope: Envelope): Uint8Array {
    return this.gossip.post(envelope);
  }

  /** Stops the gossip node, the PoW workers and the filters. */
  async stop(): Promise<void> {
    // Closed directly: unwatching would tell the node a new bloom for each, on the way out.
    for (const subscription of this.watches.values()) subscription.close();
    this.watches.clear();
    this.topics.clear();
    // The key store holds copies of the identity and channel keys: zero and drop them.
    for (const kind of ['keyPair', 'symKey'] as const)
      for (const id of await this.client.keys.ids(kind)) {
        (await this.client.keys.get(kind, id))?.fill(0);
        await this.client.keys.delete(kind, id);
      }
    this.detach();
    this.client.close();
    await this.gossip.stop();
    await this.pool.close?.();
  }
}
