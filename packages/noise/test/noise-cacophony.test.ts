/**
 * specs/noise: every one of the 944 Cacophony vectors (specs/noise/vectors/cacophony.txt),
 * both directions: the writer of each message reproduces its ciphertext byte for byte and the
 * reader decrypts it to its payload, through the handshake and the transport messages after
 * it, and both sides end with the vector's handshake hash.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CipherState, HandshakeState, NoiseError } from '../src/index.js';

interface Vector {
  protocol_name: string;
  init_prologue: string;
  resp_prologue: string;
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  init_psks?: string[];
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  resp_psks?: string[];
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
}

const { vectors } = JSON.parse(
  readFileSync(new URL('../../../specs/noise/vectors/cacophony.txt', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

const bytes = (hex: string | undefined) =>
  hex === undefined ? undefined : Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function sides(v: Vector) {
  const side = (initiator: boolean) => {
    const p = initiator ? 'init' : 'resp';
    const key = (name: string) => bytes((v as unknown as Record<string, string>)[`${p}_${name}`]);
    const psks = (v as unknown as Record<string, string[] | undefined>)[`${p}_psks`];
    return new HandshakeState({
      protocol: v.protocol_name,
      initiator,
      prologue: key('prologue')!,
      ...(key('static') ? { staticKey: key('static')! } : {}),
      ...(key('ephemeral') ? { ephemeralKey: key('ephemeral')! } : {}),
      ...(key('remote_static') ? { remoteStaticKey: key('remote_static')! } : {}),
      ...(psks ? { psks: psks.map((k) => bytes(k)!) } : {}),
    });
  };
  return { initiator: side(true), responder: side(false) };
}

describe('Noise: the 944 Cacophony vectors', () => {
  it('holds all 944', () => {
    expect(vectors).toHaveLength(944);
  });

  it.each(vectors.map((v, i) => [`${i} ${v.protocol_name}`, v] as const))('%s', (_, v) => {
    const { initiator, responder } = sides(v);
    const oneWay = initiator.protocol.pattern.oneWay;
    type Ciphers = { send: CipherState; receive: CipherState };
    let transport: { i: Ciphers; r: Ciphers } | undefined;
    v.messages.forEach((m, n) => {
      const fromInitiator = oneWay || n % 2 === 0;
      const [writer, reader] = fromInitiator ? [initiator, responder] : [responder, initiator];
      const payload = bytes(m.payload)!;
      let ciphertext: Uint8Array;
      let read: Uint8Array;
      if (!writer.complete) {
        ciphertext = writer.writeMessage(payload);
        expect(hex(ciphertext), `message ${n}`).toBe(m.ciphertext);
        read = reader.readMessage(ciphertext);
      } else {
        transport ??= { i: initiator.transportCiphers(), r: responder.transportCiphers() };
        const [send, receive] = fromInitiator
          ? [transport.i.send, transport.r.receive]
          : [transport.r.send, transport.i.receive];
        ciphertext = send.encryptWithAd(new Uint8Array(0), payload);
        expect(hex(ciphertext), `transport message ${n}`).toBe(m.ciphertext);
        read = receive.decryptWithAd(new Uint8Array(0), ciphertext);
      }
      expect(hex(read), `payload ${n}`).toBe(m.payload);
    });
    expect(initiator.complete && responder.complete).toBe(true);
    if (v.handshake_hash) {
      expect(hex(initiator.handshakeHash)).toBe(v.handshake_hash);
      expect(hex(responder.handshakeHash)).toBe(v.handshake_hash);
    }
  });
});

describe('Noise refusals', () => {
  const v = vectors.find((x) => x.protocol_name === 'Noise_XX_25519_ChaChaPoly_SHA256')!;

  it('refuses a flipped byte anywhere in a handshake message', () => {
    for (const at of [0, 31, 32, 50, 80]) {
      const { initiator, responder } = sides(v);
      responder.readMessage(initiator.writeMessage(bytes(v.messages[0]!.payload)));
      const second = responder.writeMessage(bytes(v.messages[1]!.payload));
      second[at % second.length] ^= 1;
      expect(() => initiator.readMessage(second)).toThrow(NoiseError);
    }
  });

  it('refuses messages out of turn, transport keys before the end, and a replayed message', () => {
    const { initiator, responder } = sides(v);
    expect(() => responder.writeMessage()).toThrow(
      expect.objectContaining({ code: 'out-of-turn' }),
    );
    expect(() => initiator.transportCiphers()).toThrow(
      expect.objectContaining({ code: 'out-of-turn' }),
    );
    responder.readMessage(initiator.writeMessage());
    initiator.readMessage(responder.writeMessage());
    responder.readMessage(initiator.writeMessage());
    const send = initiator.transportCiphers().send;
    const receive = responder.transportCiphers().receive;
    const sealed = send.encryptWithAd(new Uint8Array(0), Uint8Array.of(1, 2, 3));
    expect(receive.decryptWithAd(new Uint8Array(0), sealed)).toEqual(Uint8Array.of(1, 2, 3));
    // The same ciphertext again: the nonce has moved on, so it no longer authenticates.
    expect(() => receive.decryptWithAd(new Uint8Array(0), sealed)).toThrow(
      expect.objectContaining({ code: 'decrypt-failed' }),
    );
  });

  it('refuses an exhausted nonce, rekeys, and knows what it does not know', () => {
    const { initiator, responder } = sides(v);
    responder.readMessage(initiator.writeMessage());
    initiator.readMessage(responder.writeMessage());
    responder.readMessage(initiator.writeMessage());
    const send = initiator.transportCiphers().send;
    const receive = responder.transportCiphers().receive;
    send.rekey();
    receive.rekey();
    expect(
      receive.decryptWithAd(
        new Uint8Array(0),
        send.encryptWithAd(new Uint8Array(0), Uint8Array.of(9)),
      ),
    ).toEqual(Uint8Array.of(9));
    send.setNonce((1n << 64n) - 1n);
    expect(() => send.encryptWithAd(new Uint8Array(0), Uint8Array.of(1))).toThrow(
      expect.objectContaining({ code: 'nonce-exhausted' }),
    );
    expect(
      () => new HandshakeState({ protocol: 'Noise_ZZ_25519_ChaChaPoly_SHA256', initiator: true }),
    ).toThrow(expect.objectContaining({ code: 'unknown-protocol' }));
    expect(
      () => new HandshakeState({ protocol: 'Noise_IK_25519_ChaChaPoly_SHA256', initiator: true }),
    ).toThrow(expect.objectContaining({ code: 'missing-key' }));
  });
});
