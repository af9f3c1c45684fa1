/**
 * The outbox (specs/transport-direct/SPEC.md §7.1): every message a node has accepted for a
 * contact and not yet seen acknowledged, kept in a `Store` so that neither the contact being
 * offline nor the node being killed loses one. MVDS batch mode is the model: a message stays
 * until its acknowledgement arrives; each has a send count and a time it may next be sent,
 * which grows exponentially with jitter up to a bound. Only the messages are stored; their
 * schedule lives in memory, and after a restart every message is due at once.
 *
 * Keys (one contact's under its peer id):
 *   `direct/out/<peer>/<seq>`  → RLP [id, [parent, …], envelope, queued]   (pending)
 *   `direct/done/<peer>/<id>`  → acknowledged time, ms                     (sent before)
 * `seq` is 12 decimal digits, so that keys sort in the order messages were accepted.
 */
import type { Envelope } from '@hush/envelope';
import { decodeEnvelope } from '@hush/envelope';
import type { PeerId, Store, StoreOperation } from '@hush/interface';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { DirectError } from './errors.js';
import { type DirectMessage, directMessage } from './frames.js';
import { hex } from './hex.js';

const OUT = 'direct/out/';
const DONE = 'direct/done/';
const SEQ_DIGITS = 12;

/** How retransmissions back off (SPEC §7.2). */
export interface RetransmitPolicy {
  /** The wait after the first transmission, ms (default 2,000). */
  readonly baseMs: number;
  /** The longest wait, ms (default 120,000); past it the wait goes back to `baseMs`. */
  readonly maxMs: number;
  /** The fraction of each wait drawn at random, 0–1 (default 0.25). */
  readonly jitter: number;
}

/** The default retransmission policy. */
export const DEFAULT_RETRANSMIT: RetransmitPolicy = { baseMs: 2_000, maxMs: 120_000, jitter: 0.25 };

/** One pending message and its schedule. */
export interface PendingMessage extends DirectMessage {
  readonly seq: number;
  /** When it was accepted, ms. */
  readonly queued: number;
  /** Times sent so far (since the node started). */
  sendCount: number;
  /** Earliest time it may be sent again, ms (0: now). */
  nextAt: number;
  /** When it was last sent, ms. */
  sentAt: number;
  /** Whether it was sent on the current connection and awaits its acknowledgement. */
  inFlight: boolean;
}

/** An add waiting for the next batch. */
interface PendingAdd {
  readonly message: DirectMessage;
  readonly now: number;
  resolve(result: { message: DirectMessage; accepted: boolean }): void;
  reject(error: unknown): void;
}

/** The outbox of one contact. */
class ContactOutbox {
  readonly pending = new Map<string, PendingMessage>();
  nextSeq = 0;
}

/** What the outbox may hold (SPEC §7.1). */
export interface OutboxLimits {
  /** Pending messages per contact (default 100,000); past it `add` refuses. */
  readonly maxPendingPerContact: number;
  /** How long an acknowledged message's id is remembered, ms (default 30 days). */
  readonly doneRetentionMs: number;
}

/** The default outbox limits. */
export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxPendingPerContact: 100_000,
  doneRetentionMs: 30 * 24 * 3600 * 1000,
};

function seqKey(peer: PeerId, seq: number): string {
  return `${OUT}${peer}/${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

function encodePending(message: PendingMessage): Uint8Array {
  return encodeList([
    encodeBytes(message.id),
    encodeList(message.parents.map((parent) => encodeBytes(parent))),
    encodeBytes(message.encoded),
    encodeUint(message.queued),
  ]);
}

function decodePending(seq: number, bytes: Uint8Array): PendingMessage {
  const s = new RlpStream(bytes);
  s.list();
  const id = s.string();
  const parents: Uint8Array[] = [];
  s.list();
  while (!s.atListEnd()) parents.push(s.string());
  s.leave();
  const encoded = s.string();
  const queued = s.uintNumber();
  s.leave();
  const envelope = decodeEnvelope(encoded);
  return {
    id,
    parents,
    encoded,
    envelope,
    seq,
    queued,
    sendCount: 0,
    nextAt: 0,
    sentAt: 0,
    inFlight: false,
  };
}

/** The persistent outbox of every contact. */
export class Outbox {
  private readonly store: Store;
  private readonly limits: OutboxLimits;
  private readonly policy: RetransmitPolicy;
  private readonly random: () => number;
  private readonly contacts = new Map<PeerId, ContactOutbox>();
  /** Every `<peer>/<id>` acknowledged within the retention: the store's done marks, in memory. */
  private readonly done = new Set<string>();
  /**
   * Serialise writes per contact and kind: adds among themselves (sequence numbers), and
   * acknowledgements among themselves. An acknowledgement never waits behind queued adds: it
   * can only name messages whose add has finished, since only those are pending.
   */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Adds waiting for their batch, per contact. */
  private readonly adds = new Map<PeerId, PendingAdd[]>();

  private constructor(
    store: Store,
    limits: OutboxLimits,
    policy: RetransmitPolicy,
    random: () => number,
  ) {
    this.store = store;
    this.limits = limits;
    this.policy = policy;
    this.random = random;
  }

  /**
   * Loads the outbox from `store`: every pending message (damaged records are skipped and
   * counted in `damaged`), and drops acknowledged ids older than the retention.
   *
   * @throws what the store throws
   */
  static async open(
    store: Store,
    options: {
      limits?: Partial<OutboxLimits>;
      retransmit?: Partial<RetransmitPolicy>;
      random?: () => number;
      now: number;
    },
  ): Promise<{ outbox: Outbox; damaged: number }> {
    const outbox = new Outbox(
      store,
      { ...DEFAULT_OUTBOX_LIMITS, ...options.limits },
      { ...DEFAULT_RETRANSMIT, ...options.retransmit },
      options.random ?? Math.random,
    );
    let damaged = 0;
    const broken: StoreOperation[] = [];
    for await (const [key, value] of store.range({ gte: OUT, lt: `${OUT}\uffff` })) {
      const [peer, seqText] = key.slice(OUT.length).split('/') as [PeerId, string];
      const seq = Number(seqText);
      const contact = outbox.contact(peer);
      contact.nextSeq = Math.max(contact.nextSeq, seq + 1);
      try {
        const message = decodePending(seq, value);
        contact.pending.set(hex(message.id), message);
      } catch {
        damaged++;
        broken.push({ type: 'del', key });
      }
    }
    const expired: StoreOperation[] = [];
    const oldest = options.now - outbox.limits.doneRetentionMs;
    for await (const [key, value] of store.range({ gte: DONE, lt: `${DONE}\uffff` }))
      if (readTime(value) < oldest) expired.push({ type: 'del', key });
      else outbox.done.add(key.slice(DONE.length));
    if (broken.length + expired.length) await store.batch([...broken, ...expired]);
    return { outbox, damaged };
  }

  private contact(peer: PeerId): ContactOutbox {
    let contact = this.contacts.get(peer);
    if (!contact) {
      contact = new ContactOutbox();
      this.contacts.set(peer, contact);
    }
    return contact;
  }

  private serial<T>(chain: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(chain) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.chains.set(chain, settled);
    void settled.then(() => {
      if (this.chains.get(chain) === settled) this.chains.delete(chain);
    });
    return next;
  }

  /**
   * Accepts a message for `peer`: stored before this resolves, so once it has resolved the
   * message survives a crash. A message already pending, or acknowledged within the
   * retention, is not stored again (`accepted: false`).
   *
   * @throws DirectError 'outbox-full' when the contact already has the most pending messages
   * @throws RangeError for bad parents; what the store throws
   */
  add(
    peer: PeerId,
    envelope: Envelope,
    parents: readonly Uint8Array[],
    now: number,
  ): Promise<{ message: DirectMessage; accepted: boolean }> {
    const message = directMessage(envelope, parents);
    return new Promise((resolve, reject) => {
      let queue = this.adds.get(peer);
      if (!queue) {
        queue = [];
        this.adds.set(peer, queue);
        // Group commit: every add that arrives while one batch is written goes in the next.
        void this.serial(`add/${peer}`, () => this.commit(peer));
      }
      queue.push({ message, now, resolve, reject });
    });
  }

  /** Writes the adds queued for `peer` in one batch and answers each. */
  private async commit(peer: PeerId): Promise<void> {
    const queue = this.adds.get(peer) ?? [];
    this.adds.delete(peer);
    const contact = this.contact(peer);
    const operations: StoreOperation[] = [];
    const added: [PendingAdd, PendingMessage | undefined][] = [];
    const inBatch = new Set<string>();
    for (const add of queue) {
      const key = hex(add.message.id);
      if (contact.pending.has(key) || inBatch.has(key) || this.done.has(`${peer}/${key}`)) {
        added.push([add, undefined]);
        continue;
      }
      if (contact.pending.size + inBatch.size >= this.limits.maxPendingPerContact) {
        add.reject(
          new DirectError(
            'outbox-full',
            `${contact.pending.size + inBatch.size} messages are already pending for ${peer}`,
          ),
        );
        continue;
      }
      inBatch.add(key);
      const pending: PendingMessage = {
        ...add.message,
        seq: contact.nextSeq++,
        queued: add.now,
        sendCount: 0,
        nextAt: 0,
        sentAt: 0,
        inFlight: false,
      };
      operations.push({
        type: 'put',
        key: seqKey(peer, pending.seq),
        value: encodePending(pending),
      });
      added.push([add, pending]);
    }
    try {
      if (operations.length) await this.store.batch(operations);
    } catch (error) {
      for (const [add, pending] of added)
        if (pending) add.reject(error);
        else add.resolve({ message: add.message, accepted: false });
      return;
    }
    for (const [add, pending] of added) {
      if (pending) contact.pending.set(hex(pending.id), pending);
      add.resolve({ message: add.message, accepted: pending !== undefined });
    }
  }

  /**
   * Records acknowledgements from `peer`: each pending message they name leaves the outbox
   * (its id is remembered as sent). Ids of nothing pending are ignored.
   *
   * @returns the ids (hex) of the pending messages this acknowledged, each once
   * @throws what the store throws
   */
  acknowledge(peer: PeerId, ids: readonly Uint8Array[], now: number): Promise<string[]> {
    return this.serial(`ack/${peer}`, async () => {
      const contact = this.contacts.get(peer);
      if (!contact) return [];
      const operations: StoreOperation[] = [];
      const done = new Set<string>();
      const time = encodeUint(now);
      for (const id of ids) {
        const key = hex(id);
        const pending = contact.pending.get(key);
        if (!pending || done.has(key)) continue;
        done.add(key);
        operations.push({ type: 'del', key: seqKey(peer, pending.seq) });
        operations.push({ type: 'put', key: `${DONE}${peer}/${key}`, value: time });
      }
      if (done.size === 0) return [];
      await this.store.batch(operations);
      for (const key of done) {
        contact.pending.delete(key);
        this.done.add(`${peer}/${key}`);
      }
      return [...done];
    });
  }

  /**
   * Whether `peer` acknowledged the message `id` (its envelope hash) within the retention:
   * this run or one before, as the store's done marks remember it.
   */
  isAcknowledged(peer: PeerId, id: Uint8Array): boolean {
    return this.done.has(`${peer}/${hex(id)}`);
  }

  /** How many messages are pending for `peer`. */
  pendingCount(peer: PeerId): number {
    return this.contacts.get(peer)?.pending.size ?? 0;
  }

  /** The contacts that have pending messages. */
  peersWithPending(): PeerId[] {
    return [...this.contacts].filter(([, c]) => c.pending.size > 0).map(([peer]) => peer);
  }

  /**
   * Up to `limit` messages for `peer` that are due (oldest first): not in flight on the
   * current connection and past their next send time.
   */
  due(peer: PeerId, now: number, limit: number): PendingMessage[] {
    const out: PendingMessage[] = [];
    const contact = this.contacts.get(peer);
    if (!contact) return out;
    for (const message of contact.pending.values()) {
      if (out.length === limit) break;
      if (!message.inFlight && message.nextAt <= now) out.push(message);
    }
    return out;
  }

  /** How many of `peer`'s messages are in flight. */
  inFlightCount(peer: PeerId): number {
    let count = 0;
    for (const message of this.contacts.get(peer)?.pending.values() ?? [])
      if (message.inFlight) count++;
    return count;
  }

  /**
   * Marks messages as sent now: in flight, with the next send time after an exponential
   * backoff with jitter (SPEC §7.2).
   */
  markSent(messages: readonly PendingMessage[], now: number): void {
    const { baseMs, maxMs, jitter } = this.policy;
    for (const message of messages) {
      message.sendCount++;
      let wait = baseMs * 2 ** Math.min(message.sendCount - 1, 30);
      if (wait > maxMs) wait = baseMs;
      message.inFlight = true;
      message.sentAt = now;
      message.nextAt = now + wait * (1 - jitter + jitter * 2 * this.random());
    }
  }

  /**
   * Messages in flight whose wait has passed go back to being due, unless the contact
   * acknowledged something since `progressSince` (a channel is reliable and ordered: while
   * acknowledgements flow, what is in flight is on its way, and sending it again would only
   * add to the queue). Returns the earliest next send time of what is still in flight.
   */
  expire(peer: PeerId, now: number, lastProgress = Number.NEGATIVE_INFINITY): number | undefined {
    let earliest: number | undefined;
    for (const message of this.contacts.get(peer)?.pending.values() ?? []) {
      if (!message.inFlight) continue;
      if (message.nextAt <= now && lastProgress < message.sentAt) message.inFlight = false;
      else {
        const at = message.nextAt <= now ? now + this.policy.baseMs : message.nextAt;
        if (message.nextAt <= now) message.nextAt = at;
        earliest = earliest === undefined ? at : Math.min(earliest, at);
      }
    }
    return earliest;
  }

  /**
   * A new connection to `peer`: nothing is in flight on it, and every pending message is
   * due now (the immediate flush on reconnect of SPEC §7.2).
   */
  reset(peer: PeerId): void {
    for (const message of this.contacts.get(peer)?.pending.values() ?? []) {
      message.inFlight = false;
      message.nextAt = 0;
    }
  }

  /** Waits for the writes under way. */
  async settle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}

function readTime(value: Uint8Array): number {
  try {
    const s = new RlpStream(value);
    return s.uintNumber();
  } catch {
    return 0;
  }
}
