/**
 * The page's introductions (specs/transport-direct/SPEC.md §2, §5.1): the `Signalling` of its
 * `DirectConnector`, over the gossip node the page runs as a light client. An introduction is
 * posted asymmetric to one contact and signed by the user's identity key (§2.2), carrying the
 * page's Noise static key, no endpoints (a page cannot listen), and a WebRTC signal or none.
 * Received ones are judged by §2.3 (`openIntroduction`: only a contact's, fresh, for this key),
 * kept in the contact book, their signal handed to the connector.
 *
 * What it sends is what the reference node sends (apps/node `direct.ts`) less the endpoints:
 * only to contacts, and an introduction without a signal answers a contact's at most once per
 * 5 minutes (SPEC §2.3's window), or when it is the first that contact sent. A stranger's
 * envelope is never answered, so the page's contact list stays its own.
 */
import { bloomFilterMatch, mergeBlooms, topicToBloom } from '@hush/bloom';
import type { CryptoBackend } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import { type Logger, type PeerId, peerIdFromPublicKey } from '@hush/interface';
import type { PowScanPool } from '@hush/pow';
import {
  type ContactBook,
  DirectError,
  INTRODUCTION_MAX_SKEW,
  INTRODUCTION_TOPIC,
  type Introduction,
  openIntroduction,
  type Signalling,
  wrapIntroduction,
} from '@hush/transport-direct';
import type { GossipNode, Subscription } from '@hush/transport-gossip';

/** A contact is answered with the page's own introduction at most this often, ms. */
export const ANSWER_INTERVAL_MS = INTRODUCTION_MAX_SKEW * 1000;
/** Seconds of PoW search an introduction may take before posting fails (the node's). */
const WORK_TIME_S = 10;

/**
 * The bloom filter a page's gossip node must have for introductions to reach it (and for its
 * own to be posted: a node refuses to post on a topic its bloom excludes): `bloom` with the
 * introduction topic added; `bloom` itself when it admits the topic already (null, every
 * topic, among them).
 *
 * @throws RangeError if `bloom` is not 64 bytes or null
 * @example
 * ```ts
 * gossip.setBloomFilter(withIntroductionTopic(topicsToBloom(filterTopics)));
 * ```
 */
export function withIntroductionTopic(bloom: Uint8Array | null): Uint8Array | null {
  const topic = topicToBloom(INTRODUCTION_TOPIC);
  if (bloom === null || bloomFilterMatch(bloom, topic)) return bloom;
  return mergeBlooms(bloom, topic);
}

/** What the page's introductions are made with. */
export interface GossipIntroductionsOptions {
  readonly gossip: GossipNode;
  /** The user's 32-byte secp256k1 private key: it signs and opens introductions. */
  readonly identityKey: Uint8Array;
  /** The page's 32-byte X25519 static public key (what contacts dial with IK). */
  readonly staticKey: Uint8Array;
  /** The contacts (loaded): only theirs are taken, only they are introduced to. */
  readonly contacts: ContactBook;
  /** The PoW an introduction is sealed with: the node's minimum, read at each post. */
  pow(): number;
  readonly pool?: PowScanPool | undefined;
  readonly backend: CryptoBackend;
  readonly logger: Logger;
  /**
   * A contact's introduction without a signal was kept: it is online, and where (for a page,
   * only its static key). The page dials it when it has a reason to.
   */
  onIntroduced(peer: PeerId): void;
}

/**
 * Introductions over the page's gossip node, both ways: a `Signalling` for the connector, and
 * the plain introductions that tell contacts the page is there.
 *
 * @example
 * ```ts
 * const introductions = new GossipIntroductions({ gossip, identityKey, staticKey, contacts, ... });
 * const connector = new DirectConnector(introductions, { webrtc: { iceServers: stun } });
 * introductions.start();
 * await introductions.introduce(bobPublicKey);
 * ```
 */
export class GossipIntroductions implements Signalling {
  private readonly options: GossipIntroductionsOptions;
  /** When each contact was last sent an introduction of this page's, ms. */
  private readonly introducedTo = new Map<PeerId, number>();
  /** When each contact's last introduction was taken, ms (this page's clock). */
  private readonly heard = new Map<PeerId, number>();
  private handler: ((from: Uint8Array, signal: Uint8Array) => void) | undefined;
  private subscription: Subscription | undefined;
  /** Introductions are acted on one at a time, so that "the first from a contact" is one. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: GossipIntroductionsOptions) {
    this.options = options;
  }

  /** The connector's handler of signals (set once, by the connector's constructor). */
  onSignal(handler: (from: Uint8Array, signal: Uint8Array) => void): void {
    this.handler = handler;
  }

  /**
   * Sends a signal to a contact, in an introduction (the connector's offers, answers and
   * relay orders).
   *
   * @throws DirectError 'closed' after `stop`; what `wrapIntroduction` throws (PowError
   *   'pow-unreachable'); GossipError when the page's gossip node refuses the post
   *   ('low-pow' under its own minimum, 'bloom-mismatch' without the introduction topic)
   */
  send(contactPublicKey: Uint8Array, signal: Uint8Array): Promise<void> {
    return this.post(contactPublicKey, signal);
  }

  /**
   * Starts taking introductions from the gossip node, and makes its bloom filter admit them
   * (the filter the app core set, with the introduction topic added).
   *
   * @throws RangeError never in practice: the bloom the node holds is valid
   */
  start(): void {
    const { gossip } = this.options;
    const bloom = gossip.engine.settings().bloomFilter;
    const wanted = withIntroductionTopic(bloom);
    if (wanted !== bloom) gossip.setBloomFilter(wanted);
    // A light client's envelopes all come flagged p2p (geth's isP2P): they are asked for.
    const subscription = gossip.subscribe({ topics: [INTRODUCTION_TOPIC], p2p: true });
    this.subscription = subscription;
    void (async () => {
      for await (const accepted of subscription) {
        // The page's own posts pass here too; they are for contacts, not for this key.
        if (accepted.from === undefined) continue;
        const { envelope } = accepted;
        // A failure must not stop the chain: every later introduction would wait behind it.
        this.queue = this.queue
          .then(() => this.received(envelope))
          .catch((error: unknown) =>
            this.options.logger.warn({ reason: String(error) }, 'direct: introduction failed'),
          );
      }
    })();
  }

  /** Stops taking and sending introductions. */
  stop(): void {
    this.closed = true;
    this.subscription?.close();
  }

  /** When the contact's last introduction was taken (this page's clock, ms), if it was. */
  lastHeard(peer: PeerId): number | undefined {
    return this.heard.get(peer);
  }

  /** When the page last introduced itself to the contact (ms), if it did. */
  lastIntroduced(peer: PeerId): number | undefined {
    return this.introducedTo.get(peer);
  }

  /**
   * Introduces the page (its static key, no signal) to a contact; a failure is logged, not
   * thrown, since the next introduction or redial tries again.
   */
  async introduce(publicKey: Uint8Array): Promise<void> {
    try {
      await this.post(publicKey, new Uint8Array(0));
    } catch (error) {
      if (this.closed) return;
      this.options.logger.warn(
        { peer: peerIdFromPublicKey(publicKey), reason: String(error) },
        'direct: introduction not sent',
      );
    }
  }

  private async post(to: Uint8Array, signal: Uint8Array): Promise<void> {
    if (this.closed) throw new DirectError('closed', 'direct channels are closed');
    const { gossip, identityKey, staticKey, pool } = this.options;
    // Marked before the PoW, so that a knock made meanwhile sees this one under way.
    this.introducedTo.set(peerIdFromPublicKey(to), Date.now());
    const envelope = await wrapIntroduction(
      { sent: Math.floor(Date.now() / 1000), staticKey, endpoints: [], signal },
      {
        from: identityKey,
        to,
        pow: this.options.pow(),
        workTime: WORK_TIME_S,
        ...(pool ? { pool } : {}),
      },
    );
    if (this.closed) throw new DirectError('closed', 'direct channels are closed');
    gossip.post(envelope);
  }

  /** An envelope on the introduction topic: acted on when it is a contact's introduction. */
  private async received(envelope: Envelope): Promise<void> {
    if (this.closed) return;
    const { contacts, logger } = this.options;
    const verdict = openIntroduction(envelope, {
      privateKey: this.options.identityKey,
      isContact: (key) => contacts.has(key),
      now: Math.floor(Date.now() / 1000),
      backend: this.options.backend,
    });
    if (!verdict.accepted) {
      // Introductions to others are most of what passes: only the rest is worth a line.
      if (verdict.because !== 'not-for-us')
        logger.debug({ because: verdict.because }, 'direct: introduction ignored');
      return;
    }
    const { from, introduction } = verdict;
    const peer = peerIdFromPublicKey(from);
    try {
      await this.keep(peer, from, introduction);
    } catch (error) {
      logger.warn({ peer, reason: String(error) }, 'direct: introduction not kept');
    }
  }

  /**
   * Keeps a contact's introduction; hands its signal to the connector, or else answers it with
   * the page's own (the first from that contact, or 5 minutes after the last answer) and tells
   * the page the contact is there.
   */
  private async keep(peer: PeerId, from: Uint8Array, introduction: Introduction): Promise<void> {
    const { contacts } = this.options;
    const first = (await contacts.get(peer))?.introduction === undefined;
    await contacts.recordIntroduction(from, introduction);
    if (this.closed) return;
    this.heard.set(peer, Date.now());
    if (introduction.signal.length > 0) {
      this.handler?.(from, introduction.signal);
      return;
    }
    // The contact may have ignored an earlier introduction of this page's (sent before it had
    // the page as a contact): the first one it sends is answered whenever it comes.
    // Not answering within the window is safe after a reload of the contact's page too: the
    // gossip node's pool keeps each introduction for its TTL, the same 5 minutes, and hands
    // it to the contact's new connection.
    const last = this.introducedTo.get(peer);
    if (first || last === undefined || Date.now() - last > ANSWER_INTERVAL_MS)
      void this.introduce(from);
    this.options.onIntroduced(peer);
  }
}
