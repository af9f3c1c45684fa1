/**
 * The Noise link (specs/whisper-v6 SPEC §7.6): what the encrypter suite cannot say
 * generically. A forged identity binding is refused; `authorize` closes a peer before any
 * frame; the first XX message carries no data; frames over one Noise message are chunked;
 * the node:crypto and @noble ChaChaPoly give the same bytes; the encrypter runs the suite of
 * @hush/interface-compliance with a non-gossip protocol name too, and links of two protocol
 * names never complete with each other.
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { type Connection, TransportError } from '@hush/interface';
import { encrypterCompliance, rawChannelPair } from '@hush/interface-compliance';
import { describe, expect, it } from 'vitest';
import { chachaPoly as nodeChaCha } from '../src/cipher-node.js';
import { chachaPoly as nobleChaCha } from '../src/cipher-web.js';
import {
  CHUNK_PLAINTEXT,
  DH,
  encodeBinding,
  HandshakeState,
  noiseLinkEncrypter,
  sealedLength,
} from '../src/index.js';

const verifier = secp256k1Verifier();

function party(protocol = 'hush-test/1', extra: { authorize?: () => boolean } = {}) {
  let privateKey: Uint8Array;
  do privateKey = randomBytes(32);
  while (privateKey[0] === 0);
  const identity = secp256k1Identity(privateKey);
  const staticKey = randomBytes(32);
  return {
    identity,
    staticKey,
    encrypter: noiseLinkEncrypter({ identity, verifier, staticKey, protocol, ...extra }),
  };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

encrypterCompliance('Noise link (another protocol name)', {
  create() {
    const p = party();
    return { encrypter: p.encrypter, peerId: p.identity.peerId };
  },
  knownKeyHandshake: true,
});

describe('the Noise link', () => {
  it('refuses a binding that names an identity the static key is not signed by', async () => {
    const bob = party();
    const mallory = party();
    // Mallory claims Bob's secp256k1 key with Bob's signature over Bob's static key, but
    // runs the handshake with her own static key: the signature does not cover it.
    const forged = encodeBinding(bob.identity, DH['25519']!.publicKey(bob.staticKey));
    const [a, m] = rawChannelPair();
    const alice = party();
    const dial = settle(alice.encrypter.secureOutbound(a));
    const messages: Uint8Array[] = [];
    m.onMessage((bytes) => messages.push(bytes));
    while (messages.length === 0) await new Promise((r) => setTimeout(r, 1));
    const handshake = new HandshakeState({
      protocol: 'Noise_XX_25519_ChaChaPoly_SHA256',
      initiator: false,
      prologue: new Uint8Array([...new TextEncoder().encode('hush-test/1'), 0x58]),
      staticKey: mallory.staticKey,
    });
    handshake.readMessage(messages[0]!.subarray(1));
    m.send(handshake.writeMessage(forged));
    const result = await dial;
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(TransportError);
      expect(String(result.error)).toContain('identity signature');
    }
  });

  it('sends nothing but the pattern byte and an ephemeral key first, and no data before both sides are proven', async () => {
    const alice = party();
    const bob = party();
    const wire: { fromA: boolean; length: number }[] = [];
    const [a, b] = rawChannelPair(({ fromA, bytes }) => {
      wire.push({ fromA, length: bytes.length });
      return [bytes];
    });
    const [dialed, accepted] = await Promise.all([
      alice.encrypter.secureOutbound(a),
      bob.encrypter.secureInbound(b),
    ]);
    expect(wire[0]).toEqual({ fromA: true, length: 1 + 32 });
    // Message 2: e, encrypted s, encrypted binding; message 3: encrypted s, encrypted binding.
    expect(wire[1]).toEqual({ fromA: false, length: 32 + 48 + 130 + 16 });
    expect(wire[2]).toEqual({ fromA: true, length: 48 + 130 + 16 });
    expect(wire).toHaveLength(3);
    expect(dialed.remotePeer).toBe(bob.identity.peerId);
    expect(accepted.remotePeer).toBe(alice.identity.peerId);
  });

  it('lets `authorize` refuse a peer before any frame is handled', async () => {
    const alice = party();
    const bob = party('hush-test/1', { authorize: () => false });
    const [a, b] = rawChannelPair();
    const [dialed, accepted] = await Promise.all([
      settle(alice.encrypter.secureOutbound(a)),
      settle(bob.encrypter.secureInbound(b)),
    ]);
    expect(accepted.ok).toBe(false);
    expect(String(!accepted.ok && accepted.error)).toContain('not authorized');
    // Alice completed XX before Bob read her last message; her connection then closes.
    if (dialed.ok)
      await new Promise<void>((resolve) => (dialed.value as Connection).onClose(() => resolve()));
  });

  it("asks an IK responder's authorize only once the dialer confirmed the keys", async () => {
    const asked: string[] = [];
    const bob = party('hush-test/1', {
      authorize: () => {
        asked.push('asked');
        return true;
      },
    });
    const alice = party();
    const fromAlice: Uint8Array[] = [];
    const [a, b] = rawChannelPair(({ fromA, bytes }) => {
      if (fromA) fromAlice.push(bytes);
      return [bytes];
    });
    await Promise.all([
      alice.encrypter.secureOutbound(a, {
        remoteStaticKey: DH['25519']!.publicKey(bob.staticKey),
      }),
      bob.encrypter.secureInbound(b),
    ]);
    expect(asked).toEqual(['asked']);
    // Alice's first message replayed: Bob answers it, but never asks, and opens nothing.
    const [attacker, victim] = rawChannelPair();
    attacker.onMessage(() => {});
    const replayed = settle(bob.encrypter.secureInbound(victim));
    attacker.send(fromAlice[0]!);
    setTimeout(() => attacker.close(), 50);
    expect((await replayed).ok).toBe(false);
    expect(asked).toEqual(['asked']);
  });

  it('never completes between links of two protocol names', async () => {
    const alice = party('hush-gossip/2');
    const bob = party('hush-direct/1');
    const [a, b] = rawChannelPair();
    const [dialed, accepted] = await Promise.all([
      settle(alice.encrypter.secureOutbound(a)),
      settle(bob.encrypter.secureInbound(b)),
    ]);
    expect(dialed.ok || accepted.ok).toBe(false);
  });

  it('chunks frames larger than one Noise message, and refuses frames over the limit', async () => {
    const alice = party();
    const bob = noiseLinkEncrypter({
      identity: secp256k1Identity(randomBytes(32).fill(7)),
      verifier,
      staticKey: randomBytes(32),
      protocol: 'hush-test/1',
      limits: { maxFrameBytes: 3 * CHUNK_PLAINTEXT },
    });
    const sizes: number[] = [];
    const [a, b] = rawChannelPair(({ bytes }) => {
      sizes.push(bytes.length);
      return [bytes];
    });
    const [dialed, accepted] = await Promise.all([
      alice.encrypter.secureOutbound(a),
      bob.secureInbound(b),
    ]);
    const frame = randomBytes(2 * CHUNK_PLAINTEXT + 5);
    const got = new Promise<Uint8Array>((resolve) => accepted.onFrame(resolve));
    dialed.send(frame);
    expect(await got).toEqual(frame);
    expect(sizes.at(-1)).toBe(sealedLength(frame.length));
    expect(sealedLength(frame.length)).toBe(frame.length + 3 * 16);
    const closed = new Promise<string>((resolve) => accepted.onClose((reason) => resolve(reason)));
    dialed.send(randomBytes(3 * CHUNK_PLAINTEXT + 1));
    expect(await closed).toBe('frame-too-large');
  });

  it('gives the same ChaChaPoly bytes through node:crypto and @noble, and refuses the same forgeries', () => {
    for (const size of [0, 1, 63, 64, 65, 1000, CHUNK_PLAINTEXT]) {
      const key = randomBytes(32);
      const ad = randomBytes(size % 40);
      const plaintext = randomBytes(size);
      const nonce = BigInt(size) * 0x1_0000_0001n;
      const sealed = nodeChaCha.encrypt(key, nonce, ad, plaintext);
      expect(nobleChaCha.encrypt(key, nonce, ad, plaintext)).toEqual(sealed);
      expect(nobleChaCha.decrypt(key, nonce, ad, sealed)).toEqual(plaintext);
      expect(nodeChaCha.decrypt(key, nonce, ad, sealed)).toEqual(plaintext);
      const altered = sealed.slice();
      altered[altered.length - 1]! ^= 1;
      expect(nodeChaCha.decrypt(key, nonce, ad, altered)).toBeUndefined();
      expect(nobleChaCha.decrypt(key, nonce, ad, altered)).toBeUndefined();
      expect(nodeChaCha.decrypt(key, nonce + 1n, ad, sealed)).toBeUndefined();
    }
    expect(
      nodeChaCha.decrypt(randomBytes(32), 0n, new Uint8Array(0), new Uint8Array(15)),
    ).toBeUndefined();
  });
});
