/**
 * The page's metrics under a real gossip engine: what `@hush/transport-gossip` counts when it
 * is fed valid, duplicate, expired, low-PoW and oversize envelopes, read back the way the live
 * panel reads it (totals by reason, and per-second rates in the panel's rolling window).
 */
import { createEnvelope, type Envelope, encodeMessagesPacket, sealEnvelope } from '@hush/envelope';
import { ManualClock, MetricsError } from '@hush/interface';
import { encodeStatus, GossipEngine, MessageCode } from '@hush/transport-gossip';
import { describe, expect, it } from 'vitest';
import { DROP_REASONS, GOSSIP_METRICS, PageMetrics } from '../src/page-metrics.js';
import { PanelWindow } from '../src/panel.js';

const start = 1_800_000_000_000;
const topic = Uint8Array.of(0x68, 0x75, 0x73, 0x68);
const MIN_POW = 0.2;
const MAX_SIZE = 2048;

function envelope(clock: ManualClock, i: number, fields: { expiry?: number; size?: number } = {}) {
  const now = Math.floor(clock.now() / 1000);
  const data = new Uint8Array(fields.size ?? 64);
  new DataView(data.buffer).setUint32(0, i);
  return createEnvelope({ expiry: fields.expiry ?? now + 60, ttl: 60, topic, data });
}

/** An envelope sealed to the engine's minimum PoW, as a sender would. */
async function sealed(clock: ManualClock, i: number): Promise<Envelope> {
  return sealEnvelope(envelope(clock, i), { pow: MIN_POW, workTime: 5 });
}

/** A peer past its handshake; `closed` says whether the engine dropped it. */
function peer(engine: GossipEngine, id: string) {
  let closed = false;
  const handle = engine.attach({ id }, { send: () => true, close: () => (closed = true) });
  handle.receive({
    code: MessageCode.status,
    payload: encodeStatus({ minPow: 0, bloom: null, lightNode: false }),
  });
  return {
    send: (envelopes: Envelope[]) =>
      handle.receive({ code: MessageCode.messages, payload: encodeMessagesPacket(envelopes) }),
    sendRaw: (payload: Uint8Array) => handle.receive({ code: MessageCode.messages, payload }),
    closed: () => closed,
  };
}

function setup() {
  const clock = new ManualClock(start);
  const metrics = new PageMetrics();
  const engine = new GossipEngine({ clock, metrics, minPow: MIN_POW, maxMessageSize: MAX_SIZE });
  const ready = () => engine.peers().filter((p) => p.ready).length;
  return { clock, metrics, engine, ready };
}

/** Feeds the engine every kind of envelope the panel tells apart. */
async function feedAll(clock: ManualClock, engine: GossipEngine) {
  const now = Math.floor(clock.now() / 1000);
  const good = await Promise.all([sealed(clock, 1), sealed(clock, 2), sealed(clock, 3)]);
  // One peer delivers three new envelopes, one of them twice, and one that expired 5 s ago
  // (within the sync allowance: dropped as 'expired', the peer is not blamed).
  const honest = peer(engine, 'honest');
  honest.send([good[0]!, good[1]!, good[0]!, envelope(clock, 4, { expiry: now - 5 })]);
  honest.send([good[2]!]);
  // Unsealed envelopes fall short of the minimum PoW: refused, and the peer dropped for it.
  const cheap = peer(engine, 'cheap');
  cheap.send([envelope(clock, 5)]);
  // A packet larger than the node's limit is refused before any envelope is read.
  const big = peer(engine, 'big');
  big.sendRaw(encodeMessagesPacket([envelope(clock, 6, { size: MAX_SIZE + 10 })]));
  // Posted locally: an oversize envelope is refused by the rules ('too-large'), and one of
  // the pooled envelopes again is a duplicate.
  expect(() => engine.post(envelope(clock, 7, { size: MAX_SIZE + 10 }))).toThrow(
    expect.objectContaining({ code: 'too-large' }),
  );
  engine.post(good[1]!);
  return { honest, cheap, big };
}

describe('PageMetrics under a gossip engine', () => {
  it('registers every metric the panel reads', () => {
    const { metrics } = setup();
    expect(metrics.names().sort()).toEqual(expect.arrayContaining(Object.values(GOSSIP_METRICS)));
    for (const name of Object.values(GOSSIP_METRICS)) expect(metrics.total(name)).toBe(0);
  });

  it('counts envelopes seen, accepted, duplicate and dropped by reason', async () => {
    const { clock, metrics, engine } = setup();
    const peers = await feedAll(clock, engine);
    expect(peers.honest.closed()).toBe(false);
    expect(peers.cheap.closed()).toBe(true);
    expect(peers.big.closed()).toBe(true);

    // Seen: 4 + 1 from the honest peer, 1 from the cheap one, 2 posted (the big packet's
    // envelope was never read).
    expect(metrics.value(GOSSIP_METRICS.received, { source: 'peer' })).toBe(6);
    expect(metrics.value(GOSSIP_METRICS.received, { source: 'local' })).toBe(2);
    expect(metrics.total(GOSSIP_METRICS.received)).toBe(8);
    expect(metrics.total(GOSSIP_METRICS.accepted)).toBe(3);
    expect(metrics.total(GOSSIP_METRICS.duplicate)).toBe(2);
    expect(metrics.total(GOSSIP_METRICS.pool)).toBe(3);
    expect(Object.fromEntries(metrics.byLabel(GOSSIP_METRICS.dropped, 'reason'))).toEqual({
      expired: 1,
      'low-pow': 1,
      'too-large': 1,
    });
    expect(Object.fromEntries(metrics.byLabel(GOSSIP_METRICS.peerErrors, 'code'))).toEqual({
      'invalid-envelope': 1,
      oversized: 1,
    });
    // Every reason the engine used is one the panel lists in order.
    for (const reason of metrics.byLabel(GOSSIP_METRICS.dropped, 'reason').keys())
      expect(DROP_REASONS).toContain(reason);
  });

  it('gives the panel per-second rates and totals over its window', async () => {
    const { clock, metrics, engine, ready } = setup();
    const window = new PanelWindow({ metrics, peers: ready }, 30, clock.now());
    await feedAll(clock, engine);
    clock.advance(2000);
    expect(window.sample(clock.now())).toEqual([]); // every reason was listed from the start
    // Two seconds since the first reading: the rates are half the counts.
    expect(PanelWindow.now(window.seen)).toBe(4);
    expect(PanelWindow.now(window.accepted)).toBe(1.5);
    expect(PanelWindow.now(window.duplicate)).toBe(1);
    expect(PanelWindow.now(window.drops.get('expired')!)).toBe(0.5);
    expect(PanelWindow.now(window.drops.get('low-pow')!)).toBe(0.5);
    expect(PanelWindow.now(window.drops.get('pool-full')!)).toBe(0);
    expect(PanelWindow.now(window.peers)).toBe(1); // the two refused peers are gone
    expect(window.latest).toMatchObject({ seen: 8, accepted: 3, peerErrors: 2, pool: 3 });
    expect(window.latest.dropped.get('too-large')).toBe(1);

    // Nothing new: the rates fall to zero, the totals stay.
    clock.advance(1000);
    window.sample(clock.now());
    expect(PanelWindow.now(window.seen)).toBe(0);
    expect(window.latest.seen).toBe(8);
    // The window keeps 30 s of samples, however long it runs.
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      window.sample(clock.now());
    }
    expect(window.time.length).toBe(30);
    for (const column of window.drops.values()) expect(column.length).toBe(30);
    expect(window.time[29]! - window.time[0]!).toBe(29);
  });

  it('adds a line for a drop reason it did not know, filled with zeros before', () => {
    const metrics = new PageMetrics();
    const dropped = metrics.counter({
      name: GOSSIP_METRICS.dropped,
      help: 'drops',
      labelNames: ['reason'],
    });
    const window = new PanelWindow({ metrics, peers: () => 0 }, 60, start);
    window.sample(start + 1000);
    dropped.inc(3, { reason: 'rate-limited' });
    expect(window.sample(start + 2000)).toEqual(['rate-limited']);
    expect(window.drops.get('rate-limited')).toEqual([0, 3]);
  });

  it('keeps the PoW timings inside the window for the PoW chart', () => {
    const metrics = new PageMetrics({ powTimesKept: 3 });
    const window = new PanelWindow({ metrics, peers: () => 0 }, 60, start);
    for (const [i, ms] of [120, 80, 300, 40].entries()) metrics.recordPow(ms, start + i * 1000);
    expect(metrics.powTimes().map((t) => t.ms)).toEqual([80, 300, 40]);
    expect(window.powColumns(start + 61_500)).toEqual([
      [start / 1000 + 2, start / 1000 + 3],
      [300, 40],
    ]);
    expect(() => metrics.recordPow(-1)).toThrow(RangeError);
  });
});

describe('PageMetrics', () => {
  it('is strict where the metrics interface is, lenient where the panel reads', () => {
    const metrics = new PageMetrics();
    const counter = metrics.counter({ name: 'a_total', help: 'a', labelNames: ['kind'] });
    expect(metrics.counter({ name: 'a_total', help: 'a', labelNames: ['kind'] })).toBeDefined();
    expect(() => metrics.gauge({ name: 'a_total', help: 'a' })).toThrow(MetricsError);
    expect(() => counter.inc(-1)).toThrow(RangeError);
    expect(() => counter.inc(1, { other: 'x' } as never)).toThrow(RangeError);
    counter.inc(2, { kind: 'x' });
    counter.inc();
    expect(metrics.value('a_total', { kind: 'x' })).toBe(2);
    expect(metrics.value('a_total')).toBe(1);
    expect(metrics.series('a_total')).toEqual([
      { labels: { kind: 'x' }, value: 2 },
      { labels: {}, value: 1 },
    ]);
    expect(() => metrics.value('b_total')).toThrow(
      expect.objectContaining({ code: 'unknown-metric' }),
    );
    expect(metrics.total('b_total')).toBe(0);
    expect(metrics.series('b_total')).toEqual([]);
    const gauge = metrics.gauge({ name: 'g', help: 'g' });
    gauge.set(5);
    gauge.set(2);
    expect(metrics.total('g')).toBe(2);
  });
});
