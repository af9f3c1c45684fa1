/**
 * specs/mixnet-sphinx/SPEC.md §11.2: fetching a queue through SURBs. The request's encoding
 * both ways and its refusals; then a client whose queue is at gateway G fetches it without a
 * link to G: its request carries SURBs to its queue at the other gateway, G answers each with a
 * queued message (real packets, unwrapped hop by hop), holds what it sent, deletes what the
 * next request acknowledges, and pads with what the client discards once the queue is empty.
 */
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { ManualClock, MemoryMetrics, MemoryStore } from '@hush/interface';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aezSprp,
  decodeFetchRequest,
  defaultFetchSurbs,
  encodeFetchRequest,
  FETCH_HOLD_MS,
  FETCH_RECIPIENT,
  FetchAnswerer,
  GatewayQueues,
  geometry,
  maxFetchAcks,
  maxFetchSurbs,
  mixNodeId,
  QueueFetcher,
  SurbStore,
} from '../src/index.js';
import { network, seeded } from './loopix-fixtures.js';

const GEO = geometry(5, 2048);
const verifier = secp256k1Verifier();
const owner = secp256k1Identity(new Uint8Array(32).fill(0x42));
const queue = mixNodeId(owner.publicKey.subarray(1));
const gateway = new Uint8Array(32).fill(0x10);

describe('§11.2 fetch requests', () => {
  it('fit 3 SURBs and 15 acks in a 2,048-byte payload', () => {
    expect(maxFetchSurbs(GEO)).toBe(3);
    expect(maxFetchAcks(GEO, 3)).toBe(15);
    expect(maxFetchSurbs(geometry(5, 512))).toBe(0);
  });

  it('carry by default as many SURBs as leave an ack for each, in any geometry', () => {
    for (const [hops, payload] of [
      [4, 2048],
      [5, 2048],
      [5, 4096],
      [5, 8192],
      [7, 16_384],
    ] as const) {
      const geo = geometry(hops, payload);
      const n = defaultFetchSurbs(geo);
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(maxFetchSurbs(geo));
      expect(maxFetchAcks(geo, n)).toBeGreaterThanOrEqual(n);
    }
  });

  it('decode to what was encoded, the queue being the signer’s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 15 }), (n, m) => {
        const surbs = Array.from({ length: n }, (_, i) => new Uint8Array(GEO.surbLength).fill(i));
        const acks = Array.from({ length: m }, (_, i) => new Uint8Array(16).fill(i));
        const data = encodeFetchRequest(GEO, gateway, owner, { issuedAt: 1000, acks, surbs });
        expect(decodeFetchRequest(GEO, gateway, verifier, data, 1000)).toEqual({
          queue,
          issuedAt: 1000,
          acks,
          surbs,
        });
      }),
      { numRuns: 20 },
    );
  });

  it('signed for one gateway, name another queue at any other', () => {
    const data = encodeFetchRequest(GEO, gateway, owner, {
      issuedAt: 1000,
      acks: [],
      surbs: [new Uint8Array(GEO.surbLength)],
    });
    const elsewhere = new Uint8Array(32).fill(0x11);
    expect(decodeFetchRequest(GEO, elsewhere, verifier, data, 1000).queue).not.toEqual(queue);
  });

  it('are refused when stale, cut short, of another version, or malformed', () => {
    const data = encodeFetchRequest(GEO, gateway, owner, {
      issuedAt: 1_000_000,
      acks: [],
      surbs: [new Uint8Array(GEO.surbLength)],
    });
    const refused = expect.objectContaining({ code: 'bad-payload' });
    expect(() => decodeFetchRequest(GEO, gateway, verifier, data, 1_000_000 + 301_000)).toThrow(
      refused,
    );
    expect(() =>
      decodeFetchRequest(GEO, gateway, verifier, data.subarray(0, -1), 1_000_000),
    ).toThrow(refused);
    const other = data.slice();
    other[0] = 2;
    expect(() => decodeFetchRequest(GEO, gateway, verifier, other, 1_000_000)).toThrow(refused);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        try {
          decodeFetchRequest(GEO, gateway, verifier, bytes, 0);
        } catch (error) {
          expect(error).toMatchObject({ code: 'bad-payload' });
        }
      }),
    );
    expect(() =>
      encodeFetchRequest(GEO, gateway, owner, { issuedAt: 0, acks: [], surbs: [] }),
    ).toThrow(RangeError);
  });
});

/**
 * A client whose queue is at gateway G (the second of the fixtures' directory), fetching it on
 * SURBs that end at its queue at the first: G's answerer sends on what the hops unwrap.
 */
function fetchThrough(seed: number) {
  const { doc, carry } = network(GEO);
  const [linked, inbox] = doc.gateways.map((g) => g.id) as [Uint8Array, Uint8Array];
  const clock = new ManualClock(60_000);
  const queues = new GatewayQueues(new MemoryStore(), { clock });
  const metrics = new MemoryMetrics();
  const arrived: ReturnType<typeof carry>[] = [];
  const answerer = new FetchAnswerer({
    geometry: GEO,
    gateway: inbox,
    verifier,
    queues,
    isFirstLayer: (id) => doc.layers[0]!.some((m) => Buffer.from(m.id).equals(id)),
    send: (hop, packet) => arrived.push(carry(hop, packet)),
    sprp: aezSprp,
    clock,
    metrics,
  });
  const fetcher = new QueueFetcher({
    geometry: GEO,
    identity: owner,
    inbox,
    replyTo: { id: new Uint8Array(32).fill(7), gateway: linked },
    surbs: new SurbStore(new MemoryStore(), clock),
    sprp: aezSprp,
    clock,
    random: seeded(seed),
  });
  return { doc, linked, inbox, clock, queues, metrics, arrived, answerer, fetcher };
}

describe('§11.2 a queue fetched through SURBs', () => {
  it('comes back on the SURBs, held until acked, deleted once acked, padded when empty', async () => {
    const { doc, linked, inbox, clock, queues, metrics, arrived, answerer, fetcher } =
      fetchThrough(3);
    expect(fetcher.destination).toEqual({ id: FETCH_RECIPIENT, gateway: inbox });
    const deposited: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      const payload = seeded(20 + i)(GEO.userPayloadLength);
      deposited.push(payload);
      await queues.deposit(queue, { payload });
    }
    /** One request through G; what its answers open to. */
    const round = async () => {
      arrived.length = 0;
      const data = await fetcher.request(doc);
      const payload = new Uint8Array(GEO.userPayloadLength);
      new DataView(payload.buffer).setUint32(0, data.length);
      payload.set(data, 4);
      await answerer.answer(payload);
      expect(arrived).toHaveLength(3);
      const opened: (Uint8Array | undefined)[] = [];
      for (const a of arrived) {
        expect(Buffer.from(a.at).equals(Buffer.from(linked))).toBe(true);
        expect(fetcher.owns(a.surbId!)).toBe(true);
        opened.push(await fetcher.open(a.surbId!, a.payload));
      }
      return opened;
    };
    expect(await round()).toEqual(deposited.slice(0, 3));
    // The next request acks those three (deleted) and gets the fourth, and padding.
    expect(await round()).toEqual([deposited[3], undefined, undefined]);
    expect((await queues.fetch(queue, 10)).map((m) => m.payload)).toEqual([deposited[3]]);
    // Its ack comes with the third request: the queue is empty, and only padding comes back.
    clock.advance(FETCH_HOLD_MS + 1);
    expect(await round()).toEqual([undefined, undefined, undefined]);
    expect(await queues.fetch(queue, 10)).toEqual([]);
    expect(metrics.value('hush_mix_fetch_answers_total', { kind: 'message' })).toBe(4);
    expect(metrics.value('hush_mix_fetch_answers_total', { kind: 'padding' })).toBe(5);
    expect(metrics.value('hush_mix_fetch_requests_total', { outcome: 'answered' })).toBe(3);
  });

  it('is not blocked by SURB replies in front, nor answered twice by requests that cross', async () => {
    const { doc, queues, arrived, answerer, fetcher } = fetchThrough(8);
    // Anyone may send SURB replies to the queue: 500 of them, then six messages.
    for (let i = 0; i < 500; i++)
      await queues.deposit(queue, {
        payload: new Uint8Array(GEO.userPayloadLength).fill(1),
        surbId: new Uint8Array(16).fill(i % 256),
      });
    const deposited = [0, 1, 2, 3, 4, 5].map((i) => seeded(40 + i)(GEO.userPayloadLength));
    for (const payload of deposited) await queues.deposit(queue, { payload });
    const asPayload = (data: Uint8Array) => {
      const payload = new Uint8Array(GEO.userPayloadLength);
      new DataView(payload.buffer).setUint32(0, data.length);
      payload.set(data, 4);
      return payload;
    };
    const requests = [await fetcher.request(doc), await fetcher.request(doc)];
    await Promise.all(requests.map((r) => answerer.answer(asPayload(r))));
    const opened = [];
    for (const a of arrived) opened.push(await fetcher.open(a.surbId!, a.payload));
    expect(opened).toHaveLength(6);
    expect(new Set(opened.map((o) => Buffer.from(o!).toString('hex')))).toEqual(
      new Set(deposited.map((d) => Buffer.from(d).toString('hex'))),
    );
  });

  it('a request that does not verify is counted and answered with nothing', async () => {
    const clock = new ManualClock(60_000);
    const metrics = new MemoryMetrics();
    const sent: Uint8Array[] = [];
    const answerer = new FetchAnswerer({
      geometry: GEO,
      gateway,
      verifier,
      queues: new GatewayQueues(new MemoryStore(), { clock }),
      isFirstLayer: () => true,
      send: (_hop, packet) => sent.push(packet),
      sprp: aezSprp,
      clock,
      metrics,
    });
    await answerer.answer(new Uint8Array(GEO.userPayloadLength).fill(0xee));
    await answerer.answer(new Uint8Array(3));
    expect(sent).toEqual([]);
    expect(metrics.value('hush_mix_fetch_requests_total', { outcome: 'refused' })).toBe(2);
  });
});
