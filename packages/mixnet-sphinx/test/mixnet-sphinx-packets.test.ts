/**
 * specs/mixnet-sphinx/SPEC.md §5–§6: packets made here unwrap hop by hop through the unwrap
 * step the Katzenpost vectors verified, over every path length, with each hop's commands, to
 * the payload; and a mix refuses what was truncated, versioned otherwise, tampered with in its
 * header or MAC, or given a low-order alpha, each with its code.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aezSprp,
  createPacket,
  createSurb,
  decryptSurbPayload,
  geometry,
  type PathHop,
  type PayloadSprp,
  packetFromSurb,
  type RoutingCommand,
  unwrapPacket,
} from '../src/index.js';

const GEO = geometry(5, 103);
/** The payload as it is: these tests are about the header; the SPRP has tests of its own. */
const untouched: PayloadSprp = {
  encrypt: (_k, _iv, d) => d.slice(),
  decrypt: (_k, _iv, d) => d.slice(),
};

const mixes = Array.from({ length: 5 }, (_, i) => {
  const privateKey = x25519.utils.randomSecretKey();
  return {
    id: new Uint8Array(32).fill(i + 1),
    privateKey,
    publicKey: x25519.getPublicKey(privateKey),
  };
});

function pathOf(hops: number, delays: number[]): PathHop[] {
  return mixes.slice(0, hops).map((mix, i) => {
    const commands: RoutingCommand[] = [{ type: 'node-delay', delayMs: delays[i] ?? 0 }];
    if (i === hops - 1) commands.push({ type: 'recipient', id: new Uint8Array(32).fill(0xee) });
    return { id: mix.id, publicKey: mix.publicKey, commands };
  });
}

function route(packet: Uint8Array, hops: number) {
  const seen: RoutingCommand[][] = [];
  let current = packet;
  for (let i = 0; i < hops; i++) {
    const step = unwrapPacket(GEO, mixes[i]!.privateKey, current, untouched);
    seen.push(step.commands.filter((c) => c.type !== 'next-node-hop') as RoutingCommand[]);
    if (step.kind === 'final') return { seen, payload: step.payload, hopsTaken: i + 1 };
    expect(step.nextHop).toEqual(mixes[i + 1]!.id);
    current = step.packet;
  }
  throw new Error('the packet never ended');
}

describe('packets made here unwrap through the verified unwrap', () => {
  it('over 1 to 5 hops, with each hop its commands and the payload at the end (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 5, maxLength: 5 }),
        fc.uint8Array({ minLength: 103, maxLength: 103 }),
        (hops, delays, payload) => {
          const path = pathOf(hops, delays);
          const packet = createPacket(GEO, path, payload, untouched);
          expect(packet.length).toBe(611);
          const { seen, payload: out, hopsTaken } = route(packet, hops);
          expect(hopsTaken).toBe(hops);
          expect(seen).toEqual(path.map((hop) => hop.commands));
          expect(out).toEqual(payload);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses a path it cannot carry', () => {
    const payload = new Uint8Array(103);
    expect(() => createPacket(GEO, [], payload, untouched)).toThrow(
      expect.objectContaining({ code: 'bad-path' }),
    );
    expect(() =>
      createPacket(GEO, [...pathOf(5, []), ...pathOf(1, [])], payload, untouched),
    ).toThrow(expect.objectContaining({ code: 'bad-path' }));
    expect(() => createPacket(GEO, pathOf(2, []), new Uint8Array(102), untouched)).toThrow(
      expect.objectContaining({ code: 'bad-path' }),
    );
  });
});

describe('SURBs made here carry a reply back to their creator', () => {
  it('over 1 to 5 hops: the last hop sees the SURB id, the creator reads the reply', () => {
    for (let hops = 1; hops <= 5; hops++) {
      const surbId = new Uint8Array(16).fill(hops);
      const path = pathOf(hops, [5, 6, 7, 8, 9]).map((hop, i) =>
        i === hops - 1 ? { ...hop, commands: [{ type: 'surb-reply' as const, id: surbId }] } : hop,
      );
      const { surb, keys } = createSurb(GEO, path);
      expect(surb.length).toBe(572);
      expect(keys.length).toBe(64 * (hops + 1));
      const reply = new Uint8Array(103).fill(0x42);
      const { packet, firstHop } = packetFromSurb(GEO, surb, reply, untouched);
      expect(firstHop).toEqual(mixes[0]!.id);
      let current = packet;
      for (let i = 0; i < hops; i++) {
        const step = unwrapPacket(GEO, mixes[i]!.privateKey, current, untouched);
        if (step.kind === 'forward') {
          current = step.packet;
          continue;
        }
        expect(i).toBe(hops - 1);
        expect(step.surbId).toEqual(surbId);
        expect(decryptSurbPayload(step.payload, keys, untouched)).toEqual(reply);
      }
    }
  });

  it('refuses a path without a SURB reply, a short SURB and malformed keys', () => {
    expect(() => createSurb(GEO, pathOf(2, []))).toThrow(
      expect.objectContaining({ code: 'bad-path' }),
    );
    expect(() => packetFromSurb(GEO, new Uint8Array(571), new Uint8Array(103), untouched)).toThrow(
      expect.objectContaining({ code: 'truncated' }),
    );
    expect(() => decryptSurbPayload(new Uint8Array(135), new Uint8Array(100), untouched)).toThrow(
      expect.objectContaining({ code: 'bad-path' }),
    );
  });
});

describe('with the AEZ payload', () => {
  it('a packet made here reaches its payload, and any payload byte changed fails the zero tag', () => {
    const payload = new Uint8Array(103).map((_, i) => i);
    const packet = createPacket(GEO, pathOf(3, [1, 2, 3]), payload, aezSprp);
    let current = packet;
    for (let i = 0; i < 2; i++) {
      const step = unwrapPacket(GEO, mixes[i]!.privateKey, current, aezSprp);
      if (step.kind !== 'forward') throw new Error('ended early');
      current = step.packet;
    }
    const last = unwrapPacket(GEO, mixes[2]!.privateKey, current, aezSprp);
    expect(last.kind === 'final' && last.payload).toEqual(payload);
    for (const at of [GEO.headerLength, GEO.headerLength + 40, GEO.packetLength - 1]) {
      const tampered = packet.slice();
      tampered[at]! ^= 0x80;
      let bad: Uint8Array = tampered;
      for (let i = 0; i < 2; i++) {
        const step = unwrapPacket(GEO, mixes[i]!.privateKey, bad, aezSprp);
        if (step.kind !== 'forward') throw new Error('ended early');
        bad = step.packet;
      }
      expect(() => unwrapPacket(GEO, mixes[2]!.privateKey, bad, aezSprp)).toThrow(
        expect.objectContaining({ code: 'bad-tag' }),
      );
    }
  });

  it("a SURB reply read with another SURB's keys fails the tag", () => {
    const path = [
      { ...pathOf(1, [])[0]!, commands: [{ type: 'surb-reply' as const, id: new Uint8Array(16) }] },
    ];
    const first = createSurb(GEO, path);
    const other = createSurb(GEO, path);
    const { packet } = packetFromSurb(GEO, first.surb, new Uint8Array(103).fill(9), aezSprp);
    const step = unwrapPacket(GEO, mixes[0]!.privateKey, packet, aezSprp);
    if (step.kind !== 'final') throw new Error('not final');
    expect(decryptSurbPayload(step.payload, first.keys, aezSprp)).toEqual(
      new Uint8Array(103).fill(9),
    );
    expect(() => decryptSurbPayload(step.payload, other.keys, aezSprp)).toThrow(
      expect.objectContaining({ code: 'bad-tag' }),
    );
  });
});

describe('a mix refuses bad packets with a code', () => {
  const packet = createPacket(GEO, pathOf(3, [10, 20, 30]), new Uint8Array(103).fill(7), untouched);
  const refuse = (bytes: Uint8Array, code: string) =>
    expect(() => unwrapPacket(GEO, mixes[0]!.privateKey, bytes, untouched)).toThrow(
      expect.objectContaining({ name: 'SphinxError', code }),
    );
  it('truncated or too long', () => {
    refuse(packet.slice(0, 610), 'truncated');
    refuse(new Uint8Array([...packet, 0]), 'truncated');
  });
  it('another version', () => {
    const b = packet.slice();
    b[1] = 1;
    refuse(b, 'bad-version');
  });
  it('any header byte changed: the MAC does not verify', () => {
    for (const at of [2, 33, 34, 200, 443, 444, 475]) {
      const b = packet.slice();
      b[at]! ^= 0x01;
      refuse(b, 'bad-mac');
    }
  });
  it('a low-order alpha', () => {
    const b = packet.slice();
    b.fill(0, 2, 34);
    refuse(b, 'bad-element');
  });
  it('the wrong mix', () => {
    expect(() => unwrapPacket(GEO, mixes[1]!.privateKey, packet, untouched)).toThrow(
      expect.objectContaining({ code: 'bad-mac' }),
    );
  });
});
