/**
 * A Whisper v6 client's own state (specs/whisper-v6 SPEC §5.5, §5.7), whatever carries its
 * envelopes: a key store, the filters and subscriptions that name its keys by id, and the
 * receivers (gossip, a mailserver's history, an inbox) whose envelopes reach them.
 * Browser-safe: no Node built-ins.
 */
import { type CryptoBackend, defaultBackend, randomBytes } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import { type Clock, type EnvelopeReceiver, systemClock, type TimerHandle } from '@hush/interface';
import {
  type KeyStore,
  MemoryKeyStore,
  type MessageFilter,
  type ReceivedMessage,
} from '@hush/message';
import { ClientError } from './errors.js';
import { type DeliveredEnvelope, type FilterLimits, FilterRegistry } from './registry.js';

/** How a client is made. */
export interface ClientOptions {
  /** Where its keys are kept (default a new `MemoryKeyStore`); the caller closes it. */
  readonly keys?: KeyStore;
  readonly backend?: CryptoBackend;
  /** Time for filters' idle rule and the sweep (default the system clock). */
  readonly clock?: Clock;
  readonly limits?: FilterLimits;
  /** How often polling filters idle past `limits.idleMs` are removed (default 60 s). */
  readonly sweepMs?: number;
}

/** What a filter wants, its key named by id in the client's key store. */
export interface FilterCriteria {
  /** Exactly one of `symKeyId` and `privateKeyId`. */
  readonly symKeyId?: string;
  readonly privateKeyId?: string;
  /** Topics (4 bytes); empty or absent: every topic. */
  readonly topics?: readonly Uint8Array[];
  /** Minimum PoW (default 0). */
  readonly minPow?: number;
  /** Only messages signed by this 65-byte public key. */
  readonly signer?: Uint8Array;
  /** Whether peer-to-peer envelopes (mailserver history, direct messages) are delivered too. */
  readonly allowP2P?: boolean;
}

/** A filter whose messages are pushed to a listener. */
export interface ClientSubscription {
  /** The filter's id. */
  readonly id: string;
  /** Ends it; false if it had already ended. */
  close(): boolean;
}

/**
 * Keys, filters and subscriptions, fed by any number of envelope receivers.
 *
 * @example
 * ```ts
 * const client = new HushClient();
 * const symKeyId = await client.newSymKey();
 * const subscription = await client.subscribe({ symKeyId, topics: [topic] }, (message) =>
 *   console.log(message.payload),
 * );
 * client.attach(gossipNode); // any EnvelopeReceiver
 * ```
 */
export class HushClient {
  readonly keys: KeyStore;
  readonly filters: FilterRegistry;
  readonly backend: CryptoBackend;
  private readonly clock: Clock;
  private readonly sweeper: TimerHandle;
  private readonly detachers = new Set<() => void>();
  private closed = false;

  constructor(options: ClientOptions = {}) {
    this.backend = options.backend ?? defaultBackend;
    this.keys = options.keys ?? new MemoryKeyStore();
    this.clock = options.clock ?? systemClock;
    this.filters = new FilterRegistry(this.backend, options.limits);
    this.sweeper = this.clock.setInterval(
      () => this.filters.sweep(this.clock.now()),
      options.sweepMs ?? 60_000,
    );
  }

  /**
   * Makes a key pair and keeps it.
   *
   * @returns its id
   * @throws KeyStoreError of `@hush/message` ('full', 'closed')
   */
  async newKeyPair(): Promise<string> {
    let key = randomBytes(32);
    while (!this.backend.isValidPrivateKey(key)) key = randomBytes(32);
    return this.keys.add('keyPair', key);
  }

  /**
   * Makes a random 32-byte symmetric key (never all zeros) and keeps it.
   *
   * @returns its id
   * @throws KeyStoreError of `@hush/message` ('full', 'closed')
   */
  async newSymKey(): Promise<string> {
    let key = randomBytes(32);
    while (key.every((b) => b === 0)) key = randomBytes(32);
    return this.keys.add('symKey', key);
  }

  /**
   * The filter the criteria describe, with its key read from the key store.
   *
   * @throws ClientError 'invalid-filter' for both keys or none, or a signer that is not a
   *   public key; 'unknown-key' for a key id the store does not hold
   */
  async resolve(criteria: FilterCriteria): Promise<MessageFilter> {
    if (!!criteria.symKeyId === !!criteria.privateKeyId)
      throw new ClientError(
        'invalid-filter',
        'a filter needs exactly one of symKeyId and privateKeyId',
      );
    if (criteria.signer && !this.backend.isValidPublicKey(criteria.signer))
      throw new ClientError('invalid-filter', 'the signer is not a valid public key');
    const base = {
      topics: criteria.topics ?? [],
      pow: criteria.minPow ?? 0,
      allowP2P: criteria.allowP2P ?? false,
      ...(criteria.signer ? { src: criteria.signer } : {}),
    };
    if (criteria.symKeyId) {
      const symKey = await this.keys.get('symKey', criteria.symKeyId);
      if (!symKey) throw new ClientError('unknown-key', `no symmetric key ${criteria.symKeyId}`);
      return { ...base, symKey };
    }
    const privateKey = await this.keys.get('keyPair', criteria.privateKeyId!);
    if (!privateKey) throw new ClientError('unknown-key', `no key pair ${criteria.privateKeyId}`);
    return { ...base, privateKey };
  }

  /**
   * Adds a polling filter for `owner`.
   *
   * @returns its id
   * @throws ClientError 'invalid-filter', 'unknown-key', 'full', 'quota' or 'closed'
   */
  async newFilter(criteria: FilterCriteria, owner?: string): Promise<string> {
    this.assertOpen();
    const spec = await this.resolve(criteria);
    this.assertOpen();
    return this.filters.add(spec, this.clock.now(), owner);
  }

  /** Messages a polling filter received since it was last polled; undefined for an unknown id. */
  messages(filterId: string): ReceivedMessage[] | undefined {
    return this.filters.retrieve(filterId, this.clock.now());
  }

  /**
   * Pushes every message the criteria admit to `listener` until the subscription is closed.
   *
   * @throws ClientError 'invalid-filter', 'unknown-key', 'full', 'quota' or 'closed'
   */
  async subscribe(
    criteria: FilterCriteria,
    listener: (message: ReceivedMessage) => void,
    owner?: string,
  ): Promise<ClientSubscription> {
    const id = await this.newFilter(criteria, owner);
    this.filters.listen(id, listener);
    return { id, close: () => this.filters.remove(id) };
  }

  /** Removes a filter or subscription; false for an unknown id. */
  removeFilter(filterId: string): boolean {
    return this.filters.remove(filterId);
  }

  /** Delivers one envelope to the filters (what an attached receiver's envelopes go through). */
  deliver(received: DeliveredEnvelope): void {
    if (!this.closed) this.filters.deliver(received);
  }

  /**
   * Delivers every envelope `receiver` hands over from now on, until detached or closed.
   *
   * @returns the detachment
   * @throws ClientError 'closed'
   */
  attach(receiver: EnvelopeReceiver<Envelope>): () => void {
    this.assertOpen();
    const stop = receiver.onEnvelope((received) => this.deliver(received));
    const detach = () => {
      if (this.detachers.delete(detach)) stop();
    };
    this.detachers.add(detach);
    return detach;
  }

  /**
   * Detaches every receiver, removes every filter and stops the sweep. The key store is the
   * caller's and stays open.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearInterval(this.sweeper);
    for (const detach of [...this.detachers]) detach();
    this.filters.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientError('closed', 'the client is closed');
  }
}
