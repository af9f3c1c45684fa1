/**
 * specs/rlpx SPEC §10.1 against the EIP-8 discovery packets (specs/rlpx/vectors/discv4-eip8.json,
 * from go-ethereum v1.8.27 p2p/discover/udp_test.go): each packet decodes to the fields geth
 * expects, signed by the vectors' key, extra elements kept raw; its body re-encoded (with
 * the extra elements) decodes to the same fields; and a packet Hush encodes and signs with
 * that key verifies. Plus the codec's refusals, and geth's maxNeighbors of 12.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultBackend } from '@hush/crypto';
import { keccak256 } from '@hush/keccak';
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import { describe, expect, it } from 'vitest';
import { ipToBytes, ipToString } from '../src/discovery/ip.js';
import { decodeBody, encodeBody, readPacket } from '../src/discovery/packet.js';
import {
  decodePacket,
  encodePacket,
  MAX_NEIGHBORS,
  MAX_PACKET_SIZE,
  type PacketBody,
  PacketType,
  RlpxError,
} from '../src/index.js';

interface EndpointVector {
  ip: string;
  udp: number;
  tcp: number;
}
interface PacketVector {
  name: string;
  packet: string;
  type: number;
  fields: {
    version?: number;
    from?: EndpointVector;
    to?: EndpointVector;
    replyToken?: string;
    target?: string;
    nodes?: (EndpointVector & { id: string })[];
    expiration: number;
    rest: string[];
  };
}
const vectors = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../specs/rlpx/vectors/discv4-eip8.json', import.meta.url)),
    'utf8',
  ),
) as { privateKey: string; packets: PacketVector[] };

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const privateKey = hex(vectors.privateKey);
const publicKey = defaultBackend.publicKeyCreate(privateKey);

/** A decoded body in the vectors' terms (IPs as text, bytes as hex). */
function view(body: PacketBody): PacketVector['fields'] {
  const ep = (e: { ip: Uint8Array; udp: number; tcp: number }) => ({
    ip: ipToString(e.ip),
    udp: e.udp,
    tcp: e.tcp,
  });
  const rest = (body.rest ?? []).map(toHex);
  switch (body.type) {
    case PacketType.Ping:
      return {
        version: body.version,
        from: ep(body.from),
        to: ep(body.to),
        expiration: body.expiration,
        rest,
      };
    case PacketType.Pong:
      return {
        to: ep(body.to),
        replyToken: toHex(body.replyToken),
        expiration: body.expiration,
        rest,
      };
    case PacketType.FindNode:
      return { target: toHex(body.target), expiration: body.expiration, rest };
    case PacketType.Neighbors:
      return {
        nodes: body.nodes.map((n) => ({ ...ep(n), id: toHex(n.id) })),
        expiration: body.expiration,
        rest,
      };
  }
}

describe('discv4 EIP-8 vectors (SPEC §10.1)', () => {
  for (const v of vectors.packets) {
    it(`${v.name}: decodes to geth's fields, re-encodes, and Hush's own packet verifies`, () => {
      const decoded = decodePacket(hex(v.packet));
      expect(decoded.body.type).toBe(v.type);
      expect(view(decoded.body)).toEqual(v.fields);
      expect(toHex(decoded.publicKey)).toBe(toHex(publicKey));
      expect(toHex(decoded.hash)).toBe(v.packet.slice(0, 64));
      // Re-encoding keeps the extra elements, and reads back to the same fields.
      const again = decodeBody(v.type, encodeBody(decoded.body));
      expect(view(again)).toEqual(v.fields);
      // Hush signs with the vectors' key; the packet verifies and names that key.
      const { packet, hash } = encodePacket(decoded.body, privateKey);
      const ours = decodePacket(packet);
      expect(toHex(ours.hash)).toBe(toHex(hash));
      expect(toHex(ours.publicKey)).toBe(toHex(publicKey));
      expect(view(ours.body)).toEqual(v.fields);
      // The signed part (type ‖ RLP) begins with exactly what Hush encodes: the RLP of geth's
      // packet with its extra elements, re-encoded, is byte-identical; some vectors carry
      // junk after the list, which geth's stream leaves unread and so do we.
      expect(toHex(hex(v.packet).subarray(97))).toMatch(
        new RegExp(`^${toHex(packet.subarray(97))}`),
      );
    });
  }

  it('IPv4 endpoints are 4 bytes on the wire and IPv6 16', () => {
    expect(ipToBytes('127.0.0.1')).toHaveLength(4);
    expect(ipToBytes('::1')).toHaveLength(16);
    expect(ipToBytes('::ffff:10.0.0.1')).toEqual(Uint8Array.of(10, 0, 0, 1));
    expect(ipToString(ipToBytes('2001:db8:3c4d:15::abcd:ef12'))).toBe(
      '2001:db8:3c4d:15::abcd:ef12',
    );
  });

  it("geth's maxNeighbors: 12 largest records fit under 1280 bytes with a 64-bit expiration, 13 do not", () => {
    const record = encodeList([
      encodeBytes(new Uint8Array(16)),
      encodeUint(0xffff),
      encodeUint(0xffff),
      encodeBytes(new Uint8Array(64)),
    ]);
    const size = (n: number) =>
      97 +
      1 +
      encodeList([encodeList(new Array(n).fill(record)), encodeUint((1n << 64n) - 1n)]).length;
    // geth's init: the first count whose packet reaches 1280 bytes, minus one.
    expect(size(MAX_NEIGHBORS)).toBeLessThan(MAX_PACKET_SIZE);
    expect(size(MAX_NEIGHBORS + 1)).toBeGreaterThanOrEqual(MAX_PACKET_SIZE);
  });

  it('refuses what geth refuses, never throwing from the reader', () => {
    const good = hex(vectors.packets[0]!.packet);
    const faults = (d: Uint8Array) => {
      const r = readPacket(d);
      return 'fault' in r ? r.fault : 'ok';
    };
    expect(faults(good)).toBe('ok');
    expect(faults(good.subarray(0, 97))).toBe('too-small');
    expect(faults(new Uint8Array(1281))).toBe('oversize');
    const badHash = good.slice();
    badHash[0]! ^= 1;
    expect(faults(badHash)).toBe('bad-hash');
    expect(() => decodePacket(badHash)).toThrow(RlpxError);
    // A wrong recovery id (v = 7): no key, whatever the hash says.
    const { packet } = encodePacket(
      { type: PacketType.FindNode, target: new Uint8Array(64), expiration: 1 },
      privateKey,
    );
    const badSig = packet.slice();
    badSig[32 + 64] = 7;
    badSig.set(keccak256(badSig.subarray(32)), 0);
    expect(faults(badSig)).toBe('bad-signature');
    // A target of 63 bytes, a port over 16 bits, a non-canonical integer, too few elements,
    // an endpoint with four elements: each refused as geth's rlp refuses it.
    const bodies = [
      encodeList([encodeBytes(new Uint8Array(63)), encodeUint(1)]),
      encodeList([encodeBytes(new Uint8Array(64)), Uint8Array.of(0x82, 0x00, 0x01)]),
      encodeList([encodeBytes(new Uint8Array(64))]),
    ];
    for (const b of bodies) expect(() => decodeBody(PacketType.FindNode, b)).toThrow(RlpxError);
    const ep = (items: Uint8Array[]) => encodeList(items);
    const ping = (from: Uint8Array) =>
      encodeList([
        encodeUint(4),
        from,
        ep([encodeBytes(new Uint8Array(4)), encodeUint(1), encodeUint(1)]),
        encodeUint(1),
      ]);
    expect(() =>
      decodeBody(
        PacketType.Ping,
        ping(ep([encodeBytes(new Uint8Array(4)), encodeUint(0x10000), encodeUint(1)])),
      ),
    ).toThrow(/over 16 bits/);
    expect(() =>
      decodeBody(
        PacketType.Ping,
        ping(ep([encodeBytes(new Uint8Array(4)), encodeUint(1), encodeUint(1), encodeUint(1)])),
      ),
    ).toThrow(/too many elements/);
    // Bytes after the body's list are left unread, as geth's stream leaves them.
    const withTrailing = new Uint8Array([
      ...ping(ep([encodeBytes(new Uint8Array(4)), encodeUint(1), encodeUint(1)])),
      0xff,
    ]);
    expect(decodeBody(PacketType.Ping, withTrailing).type).toBe(PacketType.Ping);
  });
});
