/**
 * specs/mixnet-sphinx/SPEC.md §3–§5 against Katzenpost's own vectors
 * (specs/mixnet-sphinx/vectors, provenance beside them): every hop of the 10 cases unwraps to
 * the next hop's header byte for byte, with the case's commands; the command codec matches
 * sphinx_commands_vectors.json both ways.
 */
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  aezSprp,
  decodeCommands,
  decryptSurbPayload,
  encodeCommand,
  geometry,
  type PayloadSprp,
  type RoutingCommand,
  unwrapPacket,
} from '../src/index.js';

const dir = new URL('../../../specs/mixnet-sphinx/vectors/', import.meta.url);
interface Case {
  Nodes: { ID: string; PrivateKey: string }[];
  Path: { ID: string; PublicKey: string; Commands: string[] }[];
  Packets: string[];
  Payload: string;
  Surb?: string;
  SurbKeys?: string;
}
const cases = JSON.parse(readFileSync(new URL('sphinx_vectors.json', dir), 'utf8')) as Case[];
const commandVectors = JSON.parse(
  readFileSync(new URL('sphinx_commands_vectors.json', dir), 'utf8'),
) as Record<string, string | number>;

/** The vectors' geometry: 5 hops, 103-byte user payload. */
const GEO = geometry(5, 103);
/** Headers only: the payload is left as it is (its SPRP is checked on its own). */
const untouched: PayloadSprp = {
  encrypt: (_k, _iv, d) => d.slice(),
  decrypt: (_k, _iv, d) => d.slice(),
};

describe('geometry of the vectors', () => {
  it('gives their 611-byte packets and 572-byte SURBs', () => {
    expect(GEO.packetLength).toBe(611);
    expect(GEO.perHopRoutingInfoLength).toBe(82);
    expect(GEO.surbLength).toBe(572);
    for (const c of cases) expect(hexToBytes(c.Packets[0]!).length).toBe(611);
  });
});

describe('sphinx_vectors.json: every hop unwraps to the next header', () => {
  cases.forEach((c, n) => {
    const surb = c.Surb !== undefined && c.Surb !== '';
    it(`case ${n}: ${c.Path.length} hop(s)${surb ? ', SURB reply' : ''}`, () => {
      let packet: Uint8Array = hexToBytes(c.Packets[0]!);
      c.Path.forEach((hop, i) => {
        const node = c.Nodes.find((x) => x.ID === hop.ID)!;
        const last = i === c.Path.length - 1;
        if (last && !surb) {
          // Its header verifies; its payload, not deciphered here, fails the zero tag.
          expect(() => unwrapPacket(GEO, hexToBytes(node.PrivateKey), packet, untouched)).toThrow(
            expect.objectContaining({ code: 'bad-tag' }),
          );
          return;
        }
        const step = unwrapPacket(GEO, hexToBytes(node.PrivateKey), packet, untouched);
        const own = step.commands.filter((cmd) => cmd.type !== 'next-node-hop');
        expect(own.map((cmd) => bytesToHex(encodeCommand(cmd)))).toEqual(hop.Commands);
        if (i < c.Path.length - 1) {
          expect(step.kind).toBe('forward');
          if (step.kind !== 'forward') return;
          expect(bytesToHex(step.nextHop)).toBe(c.Path[i + 1]!.ID);
          const want = hexToBytes(c.Packets[i + 1]!);
          expect(bytesToHex(step.packet.subarray(0, GEO.headerLength))).toBe(
            bytesToHex(want.subarray(0, GEO.headerLength)),
          );
          packet = want;
        } else {
          expect(step.kind).toBe('final');
          if (surb) expect(step.kind === 'final' && step.surbId).toBeTruthy();
        }
      });
    });
  });
});

describe('sphinx_vectors.json with the AEZ payload: packets and payloads byte for byte', () => {
  cases.forEach((c, n) => {
    const surb = c.Surb !== undefined && c.Surb !== '';
    it(`case ${n}: every packet, then the payload${surb ? ' read with the SURB keys' : ''}`, () => {
      let packet: Uint8Array = hexToBytes(c.Packets[0]!);
      for (let i = 0; i < c.Path.length; i++) {
        const node = c.Nodes.find((x) => x.ID === c.Path[i]!.ID)!;
        const step = unwrapPacket(GEO, hexToBytes(node.PrivateKey), packet, aezSprp);
        if (step.kind === 'forward') {
          expect(bytesToHex(step.packet)).toBe(c.Packets[i + 1]);
          packet = step.packet;
          continue;
        }
        expect(i).toBe(c.Path.length - 1);
        const payload = surb
          ? decryptSurbPayload(step.payload, hexToBytes(c.SurbKeys!), aezSprp)
          : step.payload;
        expect(bytesToHex(payload)).toBe(c.Payload);
      }
    });
  });
});

describe('sphinx_commands_vectors.json', () => {
  const v = commandVectors;
  const table: [string, RoutingCommand, string][] = [
    [
      'next node hop',
      {
        type: 'next-node-hop',
        id: hexToBytes(v.NextHopID as string),
        mac: hexToBytes(v.NextHopMAC as string),
      },
      v.NextHopCmdWant as string,
    ],
    [
      'recipient',
      { type: 'recipient', id: hexToBytes(v.RecipientID as string) },
      v.RecipientCmdWant as string,
    ],
    [
      'SURB reply',
      { type: 'surb-reply', id: hexToBytes(v.SURBReplyID as string) },
      v.SURBReplyCmdWant as string,
    ],
    [
      'node delay',
      { type: 'node-delay', delayMs: v.NodeDelay as number },
      v.NodeDelayCmdWant as string,
    ],
  ];
  for (const [name, command, wire] of table) {
    it(`${name}: encodes to the vector and decodes back`, () => {
      expect(bytesToHex(encodeCommand(command))).toBe(wire);
      expect(decodeCommands(hexToBytes(wire))).toEqual([command]);
    });
  }
});
