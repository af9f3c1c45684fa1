/**
 * The client side of fetching a queue through SURBs (specs/mixnet-sphinx/SPEC.md §11.2): it
 * makes each fetch request — SURBs whose routes end at the client's own queue at the gateway
 * it links to, their keys kept in a `SurbStore`, and the ids of what it received since the last
 * request as acks — and it opens what comes back on those SURBs: the fetched message's payload,
 * once (a message sent again before its ack reached the gateway is recognised and acked again,
 * not handed over twice). Padding (a gateway's answer when no message is left: zero bytes)
 * opens to nothing.
 */
import type { Clock, Identity } from '@hush/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import { type RandomBytes, systemRandom } from './create.js';
import type { DirectoryDocument } from './directory.js';
import { type Geometry, SURB_ID_LENGTH } from './geometry.js';
import type { LoopixAddress } from './loopix-client.js';
import { surbRoute } from './route.js';
import { createSurb, decryptSurbPayload } from './surb.js';
import {
  defaultFetchSurbs,
  encodeFetchRequest,
  FETCH_RECIPIENT,
  fetchMessageId,
  maxFetchAcks,
  maxFetchSurbs,
} from './surb-fetch.js';
import type { SurbStore } from './surb-store.js';
import type { PayloadSprp } from './unwrap.js';

/** Message ids remembered as received, at most (older ones may be handed over again). */
const MAX_SEEN = 10_000;
/** Acks waiting for a request, at most (the oldest go first). */
const MAX_PENDING_ACKS = 10_000;

/** How a client fetches its queue through SURBs. */
export interface QueueFetcherOptions {
  readonly geometry: Geometry;
  /** The identity the queue belongs to (its id is SHA-256 of the public key). */
  readonly identity: Pick<Identity, 'sign'>;
  /** The gateway that keeps the queue (the client never links to it). */
  readonly inbox: Uint8Array;
  /** Where the answers come: the client's queue at the gateway it links to. */
  readonly replyTo: LoopixAddress;
  /** Keeps the SURBs' keys until they expire. */
  readonly surbs: SurbStore;
  /** SURBs per request (default: as many as fit with an ack's room for each, see `defaultFetchSurbs`). */
  readonly surbsPerRequest?: number;
  readonly sprp: PayloadSprp;
  readonly clock: Clock;
  readonly random?: RandomBytes;
}

/** Fetches a queue through SURBs. */
export class QueueFetcher {
  private readonly options: QueueFetcherOptions;
  private readonly random: RandomBytes;
  /** SURB ids (hex) of requests not answered yet, with when they expire. */
  private readonly own = new Map<string, number>();
  private readonly seen = new Set<string>();
  /** Ids to acknowledge in the next requests (hex → id), oldest first, each once. */
  private readonly pendingAcks = new Map<string, Uint8Array>();

  /**
   * @throws RangeError when the geometry's payload holds no SURB, or `surbsPerRequest` is not
   *   between 1 and what fits
   */
  constructor(options: QueueFetcherOptions) {
    const most = maxFetchSurbs(options.geometry);
    const n = options.surbsPerRequest ?? defaultFetchSurbs(options.geometry);
    if (defaultFetchSurbs(options.geometry) < 1)
      throw new RangeError('geometry: its user payload holds no SURB and its ack');
    if (!Number.isInteger(n) || n < 1 || n > most)
      throw new RangeError(`surbsPerRequest must be an integer in [1, ${most}]`);
    this.options = options;
    this.random = options.random ?? systemRandom;
  }

  /** Where requests go: the fetch recipient at the inbox gateway. */
  get destination(): LoopixAddress {
    return { id: FETCH_RECIPIENT, gateway: this.options.inbox };
  }

  /** Ids waiting to be acknowledged. */
  get acksPending(): number {
    return this.pendingAcks.size;
  }

  /**
   * A signed fetch request (the data of a message to `destination`), its SURBs made on routes
   * of `document` and their keys kept until the document's epoch ends.
   *
   * @throws SphinxError 'bad-path' when the reply gateway is not in the document; what the
   *   SURB store throws
   */
  async request(document: DirectoryDocument): Promise<Uint8Array> {
    const { geometry, replyTo, clock } = this.options;
    const n = this.options.surbsPerRequest ?? defaultFetchSurbs(geometry);
    const now = clock.now();
    for (const [id, until] of this.own) if (until <= now) this.own.delete(id);
    const surbs: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const surbId = this.random(SURB_ID_LENGTH);
      const made = createSurb(
        geometry,
        surbRoute(document, { exit: replyTo.gateway, recipient: replyTo.id, surbId }, this.random),
        this.random,
      );
      await this.options.surbs.add(surbId, made.keys, document.validUntil);
      this.own.set(bytesToHex(surbId), document.validUntil);
      surbs.push(made.surb);
    }
    const acks = [...this.pendingAcks.values()].slice(0, maxFetchAcks(geometry, n));
    const data = encodeFetchRequest(geometry, this.options.inbox, this.options.identity, {
      issuedAt: Math.floor(now),
      acks,
      surbs,
    });
    // Sent once: a lost request loses its acks, and the gateway sends those messages again,
    // which are then acked again.
    for (const ack of acks) this.pendingAcks.delete(bytesToHex(ack));
    return data;
  }

  /** Whether a SURB id is one of this fetcher's (its reply is a fetched message). */
  owns(surbId: Uint8Array): boolean {
    return this.own.has(bytesToHex(surbId));
  }

  /**
   * Opens a SURB reply that came on one of this fetcher's SURBs: the fetched message's payload,
   * the first time it comes (its id is then acked in the next request, and again each time it
   * comes), or undefined for padding, a message already handed over, or a SURB whose keys are
   * gone.
   *
   * @throws what the SURB store throws
   */
  async open(surbId: Uint8Array, payload: Uint8Array): Promise<Uint8Array | undefined> {
    this.own.delete(bytesToHex(surbId));
    const keys = await this.options.surbs.take(surbId);
    if (!keys) return undefined;
    let fetched: Uint8Array;
    try {
      fetched = decryptSurbPayload(payload, keys, this.options.sprp);
    } catch {
      return undefined;
    }
    const id = fetchMessageId(fetched);
    const key = bytesToHex(id);
    // Acked whatever it is: a message of zeros someone sent is deleted too, not sent forever.
    if (!this.pendingAcks.has(key)) {
      if (this.pendingAcks.size >= MAX_PENDING_ACKS)
        this.pendingAcks.delete(this.pendingAcks.keys().next().value!);
      this.pendingAcks.set(key, id);
    }
    // Padding: the gateway had nothing more (a real payload is never all zero).
    if (fetched.every((b) => b === 0)) return undefined;
    if (this.seen.has(key)) return undefined;
    if (this.seen.size >= MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(key);
    return fetched;
  }
}
