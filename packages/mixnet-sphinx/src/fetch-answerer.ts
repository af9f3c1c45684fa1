/**
 * A gateway's answers to fetch requests that come through the mixnet (specs/mixnet-sphinx
 * SPEC.md §11.2): the request's acks delete messages of the signer's queue; each of its SURBs
 * carries one of the oldest messages not sent in the last 30 s (the hold lets the next
 * request's acks come back before anything is sent twice), or zero bytes when none is left
 * (only the SURB's maker reads them, and it discards them), so every request gets as many
 * packets back as it sent SURBs, however many messages wait. A
 * SURB reply kept in a queue (it needs its SURB id, which a fetched payload cannot carry)
 * waits for its owner's link.
 */
import { type Clock, type IdentityVerifier, type Metrics, noMetrics } from '@hush/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { GatewayQueues } from './gateway-queues.js';
import type { Geometry } from './geometry.js';
import { packetFromSurb } from './surb.js';
import { decodeFetchRequest, fetchMessageId } from './surb-fetch.js';
import type { PayloadSprp } from './unwrap.js';

/** How long a message sent on a SURB is not sent again, waiting for its ack, ms. */
export const FETCH_HOLD_MS = 30_000;
/** The most messages of one queue read for one request (a queue's default bound). */
const MAX_WINDOW = 10_000;
/** Queues whose held messages a gateway remembers, at most. */
const MAX_QUEUES_HELD = 10_000;
/** The u32 length prefix of a §13.1 message. */
const LENGTH_PREFIX = 4;

/** What a gateway answers fetch requests with. */
export interface FetchAnswererOptions {
  readonly geometry: Geometry;
  /** The gateway's own id (requests are signed for it). */
  readonly gateway: Uint8Array;
  readonly verifier: IdentityVerifier;
  readonly queues: GatewayQueues;
  /** Whether a SURB's first hop is a first-layer mix (the only place a reply may start). */
  readonly isFirstLayer: (id: Uint8Array) => boolean;
  /** Sends a packet to its first hop. */
  readonly send: (firstHop: Uint8Array, packet: Uint8Array) => void;
  readonly sprp: PayloadSprp;
  readonly clock: Clock;
  readonly metrics?: Metrics;
}

/** Answers fetch requests at a gateway. */
export class FetchAnswerer {
  private readonly options: FetchAnswererOptions;
  /** Per queue (hex): message id (hex) → until when it is held. */
  private readonly held = new Map<string, Map<string, number>>();
  /** Per queue (hex): the answer under way; the next waits for it (both would send the same). */
  private readonly answering = new Map<string, Promise<void>>();
  private readonly requests;
  private readonly answers;

  constructor(options: FetchAnswererOptions) {
    this.options = options;
    const metrics = options.metrics ?? noMetrics;
    this.requests = metrics.counter<'outcome'>({
      name: 'hush_mix_fetch_requests_total',
      help: 'Fetch requests that came through the mixnet, by outcome (answered, refused)',
      labelNames: ['outcome'],
    });
    this.answers = metrics.counter<'kind'>({
      name: 'hush_mix_fetch_answers_total',
      help: 'Packets sent on fetch requests’ SURBs, by kind (message, padding)',
      labelNames: ['kind'],
    });
  }

  /**
   * Answers the fetch request in a user payload delivered to the fetch recipient. A request
   * that does not parse, is not signed or is stale is counted and dropped.
   *
   * @throws what the queues' store throws
   */
  async answer(payload: Uint8Array): Promise<void> {
    const { geometry, clock } = this.options;
    const length =
      payload.length >= LENGTH_PREFIX
        ? new DataView(payload.buffer, payload.byteOffset).getUint32(0)
        : -1;
    let request: ReturnType<typeof decodeFetchRequest>;
    try {
      if (length < 0 || length > payload.length - LENGTH_PREFIX) throw new Error('bad length');
      request = decodeFetchRequest(
        geometry,
        this.options.gateway,
        this.options.verifier,
        payload.subarray(LENGTH_PREFIX, LENGTH_PREFIX + length),
        clock.now(),
      );
    } catch {
      this.requests.inc(1, { outcome: 'refused' });
      return;
    }
    const key = bytesToHex(request.queue);
    const run = (this.answering.get(key) ?? Promise.resolve()).then(() =>
      this.answerFor(key, request),
    );
    const tail = run.catch(() => {});
    this.answering.set(key, tail);
    void tail.then(() => {
      if (this.answering.get(key) === tail) this.answering.delete(key);
    });
    await run;
  }

  private async answerFor(
    key: string,
    request: ReturnType<typeof decodeFetchRequest>,
  ): Promise<void> {
    const { geometry, queues, clock } = this.options;
    const now = clock.now();
    const held = this.held.get(key) ?? new Map<string, number>();
    for (const [id, until] of held) if (until <= now) held.delete(id);
    const acked = new Set(request.acks.map((a) => bytesToHex(a)));
    // The acked and held messages are among the oldest: they were sent oldest first. What
    // cannot be sent (held, or SURB replies anyone may address to the queue) may fill the
    // front, so the window grows until enough is found or the whole queue was read.
    let ackSeqs: bigint[] = [];
    let sending: { id: string; payload: Uint8Array }[] = [];
    for (
      let most = request.surbs.length + acked.size + held.size + 100;
      ;
      most = Math.min(MAX_WINDOW, most * 4)
    ) {
      const listed = await queues.fetch(request.queue, most);
      ackSeqs = [];
      sending = [];
      for (const message of listed) {
        const id = bytesToHex(fetchMessageId(message.payload));
        if (acked.has(id)) {
          ackSeqs.push(message.seq);
          continue;
        }
        if (message.surbId || held.has(id) || sending.length >= request.surbs.length) continue;
        sending.push({ id, payload: message.payload });
      }
      if (sending.length >= request.surbs.length || listed.length < most || most >= MAX_WINDOW)
        break;
    }
    for (const id of acked) held.delete(id);
    if (ackSeqs.length > 0) await queues.acknowledge(request.queue, ackSeqs);
    request.surbs.forEach((surb, i) => {
      const message = sending[i];
      let made: ReturnType<typeof packetFromSurb>;
      try {
        made = packetFromSurb(
          geometry,
          surb,
          message?.payload ?? new Uint8Array(geometry.userPayloadLength),
          this.options.sprp,
        );
      } catch {
        return;
      }
      if (!this.options.isFirstLayer(made.firstHop)) return;
      if (message) held.set(message.id, now + FETCH_HOLD_MS);
      this.answers.inc(1, { kind: message ? 'message' : 'padding' });
      this.options.send(made.firstHop, made.packet);
    });
    this.held.delete(key);
    if (held.size > 0) {
      if (this.held.size >= MAX_QUEUES_HELD) this.held.delete(this.held.keys().next().value!);
      this.held.set(key, held);
    }
    this.requests.inc(1, { outcome: 'answered' });
  }
}
