/**
 * SPEC §6.3, §7.4: engine behaviour beyond the vectors, on a manual clock: tolerance windows,
 * forwarding under congestion, light clients, settings announcements, bounded pools.
 */
import { createEnvelope, type Envelope, encodeMessagesPacket } from '@hush/envelope';
import { ManualClock } from '@hush/interface';
import { encodeBytes } from '@hush/rlp';
import { describe, expect, it } from 'vitest';
import {
  decodePowRequirement,
  encodeStatus,
  GossipEngine,
  MessageCode,
  type ProtocolMessage,
} from '../src/index.js';

const start = 1_800_000_000_000;
const topic = Uint8Array.of(1, 2, 3, 4);

function envelope(i: number, clock: ManualClock, size = 100): Envelope {
  const now = Math.floor(clock.now() / 1000);
  const data = new Uint8Array(size);
  new DataView(data.buffer).setUint32(0, i);
  return createEnvelope({ expiry: now + 60, ttl: 60, topic, data });
}

function peer(engine: GossipEngine, options: { congested?: () => boolean; light?: boolean } = {}) {
  const sent: ProtocolMessage[] = [];
  let closed = false;
  const handle = engine.attach(
    { id: `peer-${Math.random()}` },
    {
      send: (m) => {
        sent.push(m);
        return !(options.congested?.() ?? false);
      },
      close: () => {
        closed = true;
      },
    },
  );
  handle.receive({
    code: MessageCode.status,
    payload: encodeStatus({ minPow: 0, bloom: null, lightNode: options.light ?? false }),
  });
  const envelopesSent = () => sent.filter((m) => m.code === MessageCode.messages).length;
  return { handle, sent, envelopesSent, closed: () => closed };
}

describe('gossip engine', () => {
  it('keys sessions by peer id: a peer attached again replaces its earlier session', () => {
    const clock = new ManualClock(start);
    const engine = new GossipEngine({ clock, minPow: 0 });
    const closes: string[] = [];
    engine.on('peer:closed', ({ id }) => closes.push(id));
    let firstClosed = false;
    engine.attach({ id: 'same' }, { send: () => true, close: () => (firstClosed = true) });
    const second = engine.attach({ id: 'same' }, { send: () => true, close: () => {} });
    expect(firstClosed).toBe(true);
    expect(closes).toEqual(['same']);
    expect(engine.peers()).toHaveLength(1);
    second.receive({
      code: MessageCode.status,
      payload: encodeStatus({ minPow: 0, bloom: null, lightNode: false }),
    });
    expect(engine.peers()[0]).toMatchObject({ id: 'same', ready: true });
    // Trust, p2p sends and disconnects find the session by its id.
    engine.trust('same');
    expect(engine.peers()[0]!.trusted).toBe(true);
    expect(engine.sendP2PMessage('same', envelope(1, clock))).toBe(true);
    expect(engine.sendP2PMessage('other', envelope(1, clock))).toBe(false);
    engine.disconnect('same');
    expect(engine.peers()).toEqual([]);
    expect(closes).toEqual(['same', 'same']);
  });

  it('tolerates the previous minimum PoW for 10 s after a raise, then refuses', () => {
    const clock = new ManualClock(start);
    const engine = new GossipEngine({ clock, minPow: 0 });
    engine.setMinPow(1e9);
    expect(() => engine.post(envelope(1, clock))).not.toThrow();
    clock.advance(10_001);
    expect(() => engine.post(envelope(2, clock))).toThrow(
      expect.objectContaining({ code: 'low-pow' }),
    );
  });

  it('announces a new minimum to peers still in their handshake', () => {
    const clock = new ManualClock(start);
    const engine = new GossipEngine({ clock });
    const sent: ProtocolMessage[] = [];
    engine.attach(
      { id: 'x' },
      {
        send: (m) => {
          sent.push(m);
          return true;
        },
        close: () => {},
      },
    );
    engine.setMinPow(3);
    const announced = sent.find((m) => m.code === MessageCode.powRequirement);
    expect(announced && decodePowRequirement(announced.payload)).toBe(3);
  });

  it('keeps what a congested link could not take for the next cycle', () => {
    const clock = new ManualClock(start);
    const engine = new GossipEngine({ clock, minPow: 0, maxMessageSize: 1000 });
    engine.start();
    let congested = true;
    const p = peer(engine, { congested: () => congested });
    for (let i = 0; i < 20; i++) engine.post(envelope(i, clock, 200));
    clock.advance(300);
    expect(p.envelopesSent()).toBe(1); // the first packet went, then the link pushed back
    congested = false;
    clock.advance(300);
    const delivered = p.sent
      .filter((m) => m.code === MessageCode.messages)
      .reduce((n, m) => n + (m.payload.length - 3) / (200 + 3 + 15), 0);
    expect(Math.round(delivered)).toBe(20);
    engine.stop();
  });

  it('lets a light client send its own posts, but relay nothing', () => {
    const clock = new ManualClock(start);
    const light = new GossipEngine({ clock, minPow: 0, lightClient: true });
    light.start();
    const a = peer(light);
    const b = peer(light);
    light.post(envelope(1, clock));
    clock.advance(300);
    expect(a.envelopesSent()).toBe(1);
    expect(b.envelopesSent()).toBe(1);
    // Something received from a is not passed on to b.
    const from = envelope(2, clock);
    a.handle.receive({ code: MessageCode.messages, payload: encodeMessagesPacket([from]) });
    clock.advance(900);
    expect(b.envelopesSent()).toBe(1);
    expect(light.poolStats().envelopes).toBe(2);
    light.stop();
  });

  it('refuses local posts beyond the pool limit with pool-full', () => {
    const clock = new ManualClock(start);
    const engine = new GossipEngine({ clock, minPow: 0, maxPoolBytes: 1000 });
    engine.post(envelope(1, clock, 400));
    engine.post(envelope(2, clock, 400));
    expect(() => engine.post(envelope(3, clock, 400))).toThrow(
      expect.objectContaining({ code: 'pool-full' }),
    );
  });

  it("hands a trusted peer's p2pRequestComplete on as its byte string; bad RLP drops the peer", () => {
    const engine = new GossipEngine({ clock: new ManualClock(start), minPow: 0 });
    const completions: { from: string; payload: Uint8Array }[] = [];
    engine.on('p2p:complete', (c) => completions.push(c));
    const closed: (string | undefined)[] = [];
    engine.on('peer:closed', (c) => closed.push(c.error?.code));
    const p = peer(engine);
    const id = engine.peers()[0]!.id;
    const body = Uint8Array.from({ length: 70 }, (_, i) => i);
    // Not trusted yet: ignored.
    p.handle.receive({ code: MessageCode.p2pRequestComplete, payload: encodeBytes(body) });
    expect(completions).toHaveLength(0);
    engine.trust(id);
    p.handle.receive({ code: MessageCode.p2pRequestComplete, payload: encodeBytes(body) });
    expect(completions).toEqual([{ from: id, payload: body }]);
    p.handle.receive({ code: MessageCode.p2pRequestComplete, payload: Uint8Array.of(0xc1, 0x80) });
    expect(closed).toEqual(['invalid-p2p-message']);
    expect(p.closed()).toBe(true);
  });
});
