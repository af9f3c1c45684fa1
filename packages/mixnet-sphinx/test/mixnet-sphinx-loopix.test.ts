/**
 * specs/mixnet-sphinx/SPEC.md §13: a Loopix client on a virtual clock. Its three Poisson
 * streams leave at their rates whether it has something to send or not; a queued message
 * takes a payload slot; its loops come back to its own queue and only it recognises them;
 * drops go to the drop recipient of a gateway. Packets are real: each hop is unwrapped with
 * its mix's key, as the mixes would.
 */
import { ManualClock, MemoryMetrics } from '@hush/interface';
import { describe, expect, it } from 'vitest';
import {
  aezSprp,
  createSurb,
  DROP_RECIPIENT,
  decryptSurbPayload,
  LoopixClient,
  type LoopixStream,
  surbRoute,
} from '../src/index.js';
import { GEO, network, seeded } from './loopix-fixtures.js';

function run(sending: number, seed = 9) {
  const { doc, carry, gateways } = network();
  const clock = new ManualClock(60_000);
  const metrics = new MemoryMetrics();
  const self = { id: new Uint8Array(32).fill(7), gateway: gateways[0]! };
  const bob = { id: new Uint8Array(32).fill(8), gateway: gateways[1]! };
  const arrived: ReturnType<typeof carry>[] = [];
  const client = new LoopixClient({
    geometry: GEO,
    directory: () => doc,
    self,
    submit: (hop, packet) => arrived.push(carry(hop, packet)),
    clock,
    random: seeded(seed),
    metrics,
  });
  for (let i = 0; i < sending; i++) client.send(bob, new TextEncoder().encode(`message ${i}`));
  client.start();
  for (let t = 0; t < 100; t++) clock.advance(1000);
  client.stop();
  const sent = (stream: LoopixStream) =>
    metrics.value('hush_loopix_packets_sent_total', { stream });
  return { client, arrived, sent, self, bob, clock, gateways };
}

describe('§13 a Loopix client', () => {
  it('sends its three streams at their rates, whether it talks or not', () => {
    for (const sending of [0, 20]) {
      const { sent } = run(sending);
      // 100 s at λP = 2, λL = 1, λD = 0.5: 200, 100 and 50 expected (a seeded draw; the
      // bounds are about four standard deviations).
      expect(sent('payload') + sent('payload-drop')).toBeGreaterThan(140);
      expect(sent('payload') + sent('payload-drop')).toBeLessThan(260);
      expect(sent('payload')).toBe(sending);
      expect(sent('loop')).toBeGreaterThan(60);
      expect(sent('loop')).toBeLessThan(140);
      expect(sent('drop')).toBeGreaterThan(22);
      expect(sent('drop')).toBeLessThan(78);
    }
  });

  it('delivers queued messages to their recipient, loops to itself, drops to a drop recipient', () => {
    const { client, arrived, self, bob, gateways } = run(5);
    const toBob = arrived.filter(
      (a) => a.recipient && Buffer.from(a.recipient).equals(Buffer.from(bob.id)),
    );
    const texts = toBob.map((a) => {
      const read = client.receive({ payload: a.payload });
      return read.kind === 'message' ? new TextDecoder().decode(read.data) : read.kind;
    });
    expect(texts).toEqual([0, 1, 2, 3, 4].map((i) => `message ${i}`));
    for (const a of toBob) expect(Buffer.from(a.at).equals(Buffer.from(bob.gateway))).toBe(true);
    const loops = arrived.filter(
      (a) => a.recipient && Buffer.from(a.recipient).equals(Buffer.from(self.id)),
    );
    expect(loops.length).toBeGreaterThan(60);
    const inFlight = client.loopsInFlight;
    for (const loop of loops) expect(client.receive({ payload: loop.payload }).kind).toBe('loop');
    expect(client.loopsInFlight).toBe(inFlight - loops.length);
    // A loop seen twice is not a loop the second time: its id was used.
    expect(client.receive({ payload: loops[0]!.payload }).kind).not.toBe('loop');
    const drops = arrived.filter(
      (a) => a.recipient && Buffer.from(a.recipient).equals(Buffer.from(DROP_RECIPIENT)),
    );
    expect(drops.length).toBeGreaterThan(150);
    expect(new Set(drops.map((d) => Buffer.from(d.at).toString('hex')))).toEqual(
      new Set(gateways.map((g) => Buffer.from(g).toString('hex'))),
    );
  });

  it('another client cannot tell its loops from random bytes', () => {
    const { arrived, self } = run(0);
    const other = run(0, 10).client;
    const loop = arrived.find(
      (a) => a.recipient && Buffer.from(a.recipient).equals(Buffer.from(self.id)),
    )!;
    expect(other.receive({ payload: loop.payload }).kind).not.toBe('loop');
  });

  it('sends a reply on a SURB in a payload slot: it reaches the SURB maker, who reads it', () => {
    const { doc, carry, gateways } = network();
    const clock = new ManualClock(60_000);
    const alice = { id: new Uint8Array(32).fill(7), gateway: gateways[0]! };
    const surbId = new Uint8Array(16).fill(3);
    const { surb, keys } = createSurb(
      GEO,
      surbRoute(doc, { exit: alice.gateway, recipient: alice.id, surbId }, seeded(4)),
      seeded(5),
    );
    const arrived: ReturnType<typeof carry>[] = [];
    const bob = new LoopixClient({
      geometry: GEO,
      directory: () => doc,
      self: { id: new Uint8Array(32).fill(8), gateway: gateways[1]! },
      submit: (hop, packet) => arrived.push(carry(hop, packet)),
      rates: { lambdaL: 0, lambdaD: 0 },
      clock,
      random: seeded(6),
    });
    bob.sendReply(surb, new TextEncoder().encode('the answer'));
    expect(() => bob.sendReply(surb.subarray(1), Uint8Array.of(1))).toThrow(RangeError);
    bob.start();
    while (arrived.length === 0) clock.advance(100);
    bob.stop();
    const reply = arrived[0]!;
    expect(Buffer.from(reply.at).equals(Buffer.from(alice.gateway))).toBe(true);
    expect(Buffer.from(reply.recipient!).equals(Buffer.from(alice.id))).toBe(true);
    const read = new LoopixClient({
      geometry: GEO,
      directory: () => doc,
      self: alice,
      submit: () => {},
    }).receive({ payload: decryptSurbPayload(reply.payload, keys, aezSprp) });
    expect(read).toEqual({ kind: 'message', data: new TextEncoder().encode('the answer') });
  });

  it('refuses a message too long for a packet, and a full queue', () => {
    const { client, bob } = run(0);
    expect(() => client.send(bob, new Uint8Array(GEO.userPayloadLength))).toThrow(RangeError);
    for (let i = 0; i < 1000; i++) client.send(bob, Uint8Array.of(1));
    expect(() => client.send(bob, Uint8Array.of(1))).toThrow(
      expect.objectContaining({ code: 'bad-path' }),
    );
  });
});
