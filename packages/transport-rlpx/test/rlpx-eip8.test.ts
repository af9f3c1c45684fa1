/**
 * specs/rlpx SPEC §3 against the EIP-8 vectors (specs/rlpx/vectors/eip8-handshake.json): each
 * auth and ack packet read to what EIP-8 says it holds, both encodings; the recipient's
 * secrets of (Auth₂, Ack₂); and the other direction, Hush writing the handshake with the
 * vectors' keys and nonces, read back to the same signature and secrets.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultBackend, nobleBackend } from '@hush/crypto';
import { describe, expect, it } from 'vitest';
import {
  answerAuth,
  deriveSecrets,
  InitiatorHandshake,
  RlpxError,
  readAck,
  readAuth,
} from '../src/index.js';

interface PacketVector {
  name: string;
  packet: string;
  plain: boolean;
  version: number;
  rest: string[];
}
const vectors = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../specs/rlpx/vectors/eip8-handshake.json', import.meta.url)),
    'utf8',
  ),
) as {
  keys: Record<string, string>;
  authSignature: string;
  auth: PacketVector[];
  ack: PacketVector[];
  secrets: { auth: string; ack: string; aes: string; mac: string; ingressMacFoo: string };
};

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const k = Object.fromEntries(Object.entries(vectors.keys).map(([name, v]) => [name, hex(v)]));
const pub = (key: Uint8Array) => defaultBackend.publicKeyCreate(key);

describe.each([defaultBackend, nobleBackend])('EIP-8 vectors, $name backend', (backend) => {
  for (const v of vectors.auth) {
    it(`reads ${v.name}`, () => {
      const auth = readAuth(hex(v.packet), k.recipientStatic!, backend);
      expect(toHex(auth.signature)).toBe(vectors.authSignature);
      expect(toHex(auth.initiatorPublicKey)).toBe(toHex(pub(k.initiatorStatic!)));
      expect(toHex(auth.nonce)).toBe(vectors.keys.initiatorNonce);
      expect(auth.version).toBe(v.version);
      expect(auth.rest.map(toHex)).toEqual(v.rest);
      expect(auth.plain).toBe(v.plain);
    });
  }
  for (const v of vectors.ack) {
    it(`reads ${v.name}`, () => {
      const ack = readAck(hex(v.packet), k.initiatorStatic!, backend);
      expect(toHex(ack.ephemeralPublicKey)).toBe(toHex(pub(k.recipientEphemeral!)));
      expect(toHex(ack.nonce)).toBe(vectors.keys.recipientNonce);
      expect(ack.version).toBe(v.version);
      expect(ack.rest.map(toHex)).toEqual(v.rest);
      expect(ack.plain).toBe(v.plain);
    });
  }

  it(`derives the recipient's secrets of (${vectors.secrets.auth}, ${vectors.secrets.ack})`, () => {
    const authPacket = hex(vectors.auth.find((v) => v.name === vectors.secrets.auth)!.packet);
    const ackPacket = hex(vectors.ack.find((v) => v.name === vectors.secrets.ack)!.packet);
    const secrets = deriveSecrets({
      initiator: false,
      ephemeralKey: k.recipientEphemeral!,
      remoteEphemeralPublicKey: pub(k.initiatorEphemeral!),
      initiatorNonce: k.initiatorNonce!,
      recipientNonce: k.recipientNonce!,
      authPacket,
      ackPacket,
      remotePublicKey: pub(k.initiatorStatic!),
      backend,
    });
    expect(toHex(secrets.aes)).toBe(vectors.secrets.aes);
    expect(toHex(secrets.mac)).toBe(vectors.secrets.mac);
    expect(toHex(secrets.ingressMac.update(new TextEncoder().encode('foo')).sum())).toBe(
      vectors.secrets.ingressMacFoo,
    );
  });

  it('writes the auth of the vectors: its signature gives the recipient the secrets EIP-8 gives', () => {
    // EIP-8's signature was not made with RFC 6979 nonces, so Hush's differs byte for byte;
    // what matters is that it recovers the same ephemeral key, and so the same secrets.
    const initiator = new InitiatorHandshake({
      staticKey: k.initiatorStatic!,
      remotePublicKey: pub(k.recipientStatic!),
      randomness: { ephemeralKey: k.initiatorEphemeral!, nonce: k.initiatorNonce! },
      backend,
    });
    const answer = answerAuth(initiator.auth, {
      staticKey: k.recipientStatic!,
      randomness: { ephemeralKey: k.recipientEphemeral!, nonce: k.recipientNonce! },
      backend,
    });
    expect(answer.auth.plain).toBe(false);
    expect(answer.auth.version).toBe(4);
    expect(toHex(answer.auth.nonce)).toBe(vectors.keys.initiatorNonce);
    expect(toHex(answer.secrets.aes)).toBe(vectors.secrets.aes);
    expect(toHex(answer.secrets.mac)).toBe(vectors.secrets.mac);
    expect(toHex(initiator.finish(answer.ack).aes)).toBe(vectors.secrets.aes);
  });

  it('answers each vector auth with the secrets EIP-8 gives, in the encoding of the auth', () => {
    for (const v of vectors.auth) {
      const answer = answerAuth(hex(v.packet), {
        staticKey: k.recipientStatic!,
        randomness: { ephemeralKey: k.recipientEphemeral!, nonce: k.recipientNonce! },
        backend,
      });
      expect(toHex(answer.secrets.aes)).toBe(vectors.secrets.aes);
      expect(toHex(answer.secrets.mac)).toBe(vectors.secrets.mac);
      const ack = readAck(answer.ack, k.initiatorStatic!, backend);
      expect(ack.plain).toBe(v.plain);
      expect(toHex(ack.nonce)).toBe(vectors.keys.recipientNonce);
    }
  });

  it('a whole handshake: both sides derive each other’s MAC states', () => {
    const initiator = new InitiatorHandshake({
      staticKey: k.initiatorStatic!,
      remotePublicKey: pub(k.recipientStatic!),
      backend,
    });
    const answer = answerAuth(initiator.auth, { staticKey: k.recipientStatic!, backend });
    const mine = initiator.finish(answer.ack);
    const theirs = answer.secrets;
    expect(toHex(mine.aes)).toBe(toHex(theirs.aes));
    expect(toHex(mine.egressMac.sum())).toBe(toHex(theirs.ingressMac.sum()));
    expect(toHex(mine.ingressMac.sum())).toBe(toHex(theirs.egressMac.sum()));
    expect(toHex(theirs.remotePublicKey)).toBe(toHex(pub(k.initiatorStatic!)));
  });
});

describe('refusals of §3.3', () => {
  const authPacket = hex(vectors.auth[1]!.packet);
  const cases: [string, Uint8Array][] = [
    ['a flipped byte in the body', Uint8Array.from(authPacket, (b, i) => (i === 200 ? b ^ 1 : b))],
    [
      'a size prefix below the plain size',
      Uint8Array.from(authPacket, (b, i) => (i === 0 ? 0 : i === 1 ? 10 : b)),
    ],
    ['a truncated packet', authPacket.subarray(0, 400)],
    ['random bytes', new Uint8Array(437).fill(7)],
    ['an empty packet', new Uint8Array(0)],
  ];
  for (const [what, packet] of cases) {
    it(`refuses ${what} with bad-auth`, () => {
      let error: unknown;
      try {
        readAuth(packet, k.recipientStatic!);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RlpxError);
      expect((error as RlpxError).code).toBe('bad-auth');
    });
  }
  it('refuses an auth sealed to another key', () => {
    expect(() => readAuth(authPacket, k.initiatorStatic!)).toThrow(
      expect.objectContaining({ code: 'bad-auth' }),
    );
  });
});
