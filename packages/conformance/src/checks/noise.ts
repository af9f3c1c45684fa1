/**
 * Noise vector files (specs/noise, the Cacophony format: `{"vectors": [...]}` with a
 * `protocol_name` per vector): each vector is run through @hush/noise in both directions.
 * Every handshake and transport ciphertext must be reproduced byte for byte and decrypt to
 * its payload, and both sides must end with the vector's handshake hash. A protocol
 * @hush/noise does not know is skipped with the reason.
 */
import { type CipherState, HandshakeState, NoiseError } from '@hush/noise';
import { mismatch, toHexString, vectorBytes } from '../expect.js';
import type { CaseHandler, VectorCase } from './types.js';

/** Whether a parsed file is a Noise vector file. */
export function isNoiseVectorFile(parsed: unknown): parsed is { vectors: VectorCase[] } {
  const vectors = (parsed as { vectors?: unknown } | null)?.vectors;
  return (
    Array.isArray(vectors) &&
    vectors.length > 0 &&
    typeof (vectors[0] as VectorCase | null)?.protocol_name === 'string'
  );
}

const bytes = vectorBytes;
const hex = toHexString;

function side(v: VectorCase, initiator: boolean): HandshakeState {
  const p = initiator ? 'init' : 'resp';
  const key = (name: string) =>
    typeof v[`${p}_${name}`] === 'string' ? bytes(v[`${p}_${name}`], `${p}_${name}`) : undefined;
  const psks = v[`${p}_psks`];
  const staticKey = key('static');
  const ephemeralKey = key('ephemeral');
  const remoteStaticKey = key('remote_static');
  return new HandshakeState({
    protocol: String(v.protocol_name),
    initiator,
    prologue: key('prologue') ?? new Uint8Array(0),
    ...(staticKey ? { staticKey } : {}),
    ...(ephemeralKey ? { ephemeralKey } : {}),
    ...(remoteStaticKey ? { remoteStaticKey } : {}),
    ...(Array.isArray(psks) ? { psks: psks.map((k, i) => bytes(k, `${p}_psks[${i}]`)) } : {}),
  });
}

/** Runs one Noise vector. */
export const noiseVector: CaseHandler = (v) => {
  let initiator: HandshakeState;
  let responder: HandshakeState;
  try {
    initiator = side(v, true);
    responder = side(v, false);
  } catch (error) {
    if (error instanceof NoiseError && error.code === 'unknown-protocol') return error.message;
    throw error;
  }
  return (async () => {
    const messages = Array.isArray(v.messages) ? (v.messages as VectorCase[]) : [];
    const oneWay = initiator.protocol.pattern.oneWay;
    let transport: { i: Ciphers; r: Ciphers } | undefined;
    messages.forEach((m, n) => {
      const fromInitiator = oneWay || n % 2 === 0;
      const [writer, reader] = fromInitiator ? [initiator, responder] : [responder, initiator];
      const payload = bytes(m.payload, `messages[${n}].payload`);
      let ciphertext: Uint8Array;
      let read: Uint8Array;
      if (!writer.complete) {
        ciphertext = writer.writeMessage(payload);
        read = reader.readMessage(bytes(m.ciphertext, `messages[${n}].ciphertext`));
      } else {
        transport ??= { i: initiator.transportCiphers(), r: responder.transportCiphers() };
        const [send, receive] = fromInitiator
          ? [transport.i.send, transport.r.receive]
          : [transport.r.send, transport.i.receive];
        ciphertext = send.encryptWithAd(new Uint8Array(0), payload);
        read = receive.decryptWithAd(new Uint8Array(0), bytes(m.ciphertext, 'ciphertext'));
      }
      if (hex(ciphertext) !== String(m.ciphertext).toLowerCase())
        throw mismatch(
          `message ${n}: ciphertext ${hex(ciphertext)}, expected ${m.ciphertext}`,
          `message ${n}: ciphertext`,
          String(m.ciphertext).toLowerCase(),
          hex(ciphertext),
        );
      if (hex(read) !== String(m.payload).toLowerCase())
        throw mismatch(
          `message ${n}: decrypted ${hex(read)}, expected ${m.payload}`,
          `message ${n}: decrypted payload`,
          String(m.payload).toLowerCase(),
          hex(read),
        );
    });
    if (typeof v.handshake_hash === 'string') {
      for (const [who, state] of [
        ['initiator', initiator],
        ['responder', responder],
      ] as const)
        if (hex(state.handshakeHash) !== v.handshake_hash.toLowerCase())
          throw mismatch(
            `${who}'s handshake hash ${hex(state.handshakeHash)}`,
            `${who}'s handshake hash`,
            v.handshake_hash.toLowerCase(),
            hex(state.handshakeHash),
          );
    }
  })();
};

type Ciphers = { send: CipherState; receive: CipherState };
