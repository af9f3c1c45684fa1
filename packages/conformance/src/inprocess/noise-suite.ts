/**
 * specs/noise/SPEC.md §1–§4 as in-process cases against the public API of `@hush/noise`,
 * beside its vectors (§5, vector-suite.ts): the protocol names it takes and refuses
 * (`unknown-protocol`), the cipher nonces checked against node:crypto's ChaCha20-Poly1305 and
 * AES-256-GCM (§1), the patterns it knows (§2), the initial handshake hash, the 65,535-byte
 * message limit, the exhausted nonce and `rekey` (§3), and the API's safety: turns, transport
 * ciphers only after the handshake, a failed decryption that leaves the nonce (§4).
 */
import { createCipheriv, createHash } from 'node:crypto';
import {
  CIPHERS,
  CipherState,
  HandshakeState,
  MAX_MESSAGE_LENGTH,
  noiseProtocol,
  PATTERN_NAMES,
} from '@hush/noise';
import { type ConformanceCase, caseBuilder, expectEqual } from '../suite/model.js';
import { expectAccepted, expectBytes, expectRefused, hexOf } from './expect-refusal.js';
import type { InProcessContext } from './vector-suite.js';

/** The spec's folder under specs/. */
export const NOISE_SPEC = 'noise';

const noiseError = (code: string) => ({ name: 'NoiseError', code });
const EMPTY = new Uint8Array(0);
const KEY = new Uint8Array(32).fill(0x4b);
const AD = Uint8Array.of(0xad);
const PLAINTEXT = new TextEncoder().encode('hush-noise conformance');
const MAX_NONCE = 2n ** 64n - 1n;

/** The 12-byte nonce of §1: 32 zero bits, then the counter (little-endian for ChaChaPoly). */
function nonceBytes(counter: bigint, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, counter, littleEndian);
  return out;
}

/** node:crypto's AEAD of the same key, nonce and associated data: ciphertext ‖ tag. */
function nodeAead(
  cipher: 'chacha20-poly1305' | 'aes-256-gcm',
  key: Uint8Array,
  counter: bigint,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const nonce = nonceBytes(counter, cipher === 'chacha20-poly1305');
  const c =
    cipher === 'chacha20-poly1305'
      ? createCipheriv(cipher, key, nonce, { authTagLength: 16 })
      : createCipheriv(cipher, key, nonce);
  c.setAAD(ad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return new Uint8Array(Buffer.concat([body, c.getAuthTag()]));
}

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

/** An NN handshake run to its end: both sides, their transport ciphers. */
function completedNN() {
  const protocol = 'Noise_NN_25519_ChaChaPoly_SHA256';
  const initiator = new HandshakeState({ protocol, initiator: true });
  const responder = new HandshakeState({ protocol, initiator: false });
  responder.readMessage(initiator.writeMessage());
  initiator.readMessage(responder.writeMessage());
  return { initiator, responder, i: initiator.transportCiphers(), r: responder.transportCiphers() };
}

/** The patterns of SPEC §2, as it lists them. */
const SPEC_PATTERNS = [
  ...['N', 'K', 'X'],
  ...['NN', 'NK', 'NX', 'XN', 'XK', 'XX', 'KN', 'KK', 'KX', 'IN', 'IK', 'IX'],
  ...['NK1', 'NX1', 'X1N', 'X1K', 'XK1', 'X1K1', 'X1X', 'XX1', 'X1X1', 'K1N', 'K1K', 'KK1'],
  ...['K1K1', 'K1X', 'KX1', 'K1X1', 'I1N', 'I1K', 'IK1', 'I1K1', 'I1X', 'IX1', 'I1X1'],
];

/**
 * The cases of specs/noise §1–§4, in the order they run.
 *
 * @throws nothing: each case decides its own outcome when run
 */
export function noiseCases(): ConformanceCase<InProcessContext>[] {
  const make = caseBuilder<InProcessContext>(NOISE_SPEC, 'in-process', 'api/');
  return [
    make('§1', 'names-known', 'every DH (25519, 448), cipher and hash of §1 is taken', async () => {
      for (const dh of ['25519', '448'])
        for (const cipher of ['ChaChaPoly', 'AESGCM'])
          for (const hash of ['SHA256', 'SHA512', 'BLAKE2s', 'BLAKE2b']) {
            const name = `Noise_XX_${dh}_${cipher}_${hash}`;
            const protocol = await expectAccepted(name, () => noiseProtocol(name));
            expectEqual(`${name}: DHLEN`, dh === '25519' ? 32 : 56, protocol.dh.dhLen);
          }
    }),
    ...(
      [
        ['cipher', 'Noise_XX_25519_Twofish_SHA256'],
        ['dh', 'Noise_XX_secp256k1_ChaChaPoly_SHA256'],
        ['hash', 'Noise_XX_25519_ChaChaPoly_SHA3'],
        ['pattern', 'Noise_ZZ_25519_ChaChaPoly_SHA256'],
        ['prefix', 'NoiseX_XX_25519_ChaChaPoly_SHA256'],
      ] as const
    ).map(([what, name]) =>
      make(
        '§1',
        `unknown-${what}`,
        `a name with an unknown ${what} is refused: unknown-protocol`,
        async () => {
          await expectRefused(name, noiseError('unknown-protocol'), () => noiseProtocol(name));
        },
      ),
    ),
    make(
      '§1',
      'chachapoly-nonce',
      'ChaChaPoly: nonce = 32 zero bits ‖ the counter little-endian (node:crypto agrees)',
      async () => {
        for (const counter of [0n, 1n, 0x0102_0304_0506_0708n])
          expectBytes(
            `counter ${counter}`,
            nodeAead('chacha20-poly1305', KEY, counter, AD, PLAINTEXT),
            CIPHERS.ChaChaPoly!.encrypt(KEY, counter, AD, PLAINTEXT),
          );
      },
    ),
    make(
      '§1',
      'aesgcm-nonce',
      'AESGCM: nonce = 32 zero bits ‖ the counter big-endian (node:crypto agrees)',
      async () => {
        for (const counter of [0n, 1n, 0x0102_0304_0506_0708n])
          expectBytes(
            `counter ${counter}`,
            nodeAead('aes-256-gcm', KEY, counter, AD, PLAINTEXT),
            CIPHERS.AESGCM!.encrypt(KEY, counter, AD, PLAINTEXT),
          );
      },
    ),
    make(
      '§2',
      'patterns',
      'the one-way, fundamental and deferred patterns of §2, and no other',
      async () => {
        expectEqual('patterns', [...SPEC_PATTERNS].sort(), [...PATTERN_NAMES].sort());
      },
    ),
    make(
      '§2',
      'psk-modifiers',
      'psk0 puts a psk token first in the first message, pskN last in message N; several join with +',
      async () => {
        const p = noiseProtocol('Noise_XXpsk0+psk3_25519_ChaChaPoly_SHA256').pattern;
        expectEqual('message 1', 'psk', p.messages[0]?.[0]);
        expectEqual('message 3', 'psk', p.messages[2]?.at(-1));
        expectEqual('message 2 has none', false, p.messages[1]?.includes('psk'));
      },
    ),
    make(
      '§3',
      'initial-hash',
      'h starts as the name zero-padded to HASHLEN, or its hash when longer, then mixes the prologue',
      async () => {
        const prologue = Uint8Array.of(1, 2, 3);
        for (const name of [
          'Noise_NN_25519_ChaChaPoly_SHA256',
          'Noise_N_25519_AESGCM_SHA256',
          'Noise_NNpsk0_25519_ChaChaPoly_SHA256',
        ]) {
          const bytes = new TextEncoder().encode(name);
          const h0 = new Uint8Array(32);
          if (bytes.length <= 32) h0.set(bytes);
          else h0.set(sha256(bytes));
          const state = new HandshakeState({
            protocol: name,
            initiator: true,
            prologue,
            ...(name.includes('_N_') ? { remoteStaticKey: new Uint8Array(32).fill(9) } : {}),
            ...(name.includes('psk') ? { psks: [new Uint8Array(32)] } : {}),
          });
          const expected = name.includes('_N_')
            ? sha256(concat(sha256(concat(h0, prologue)), new Uint8Array(32).fill(9)))
            : sha256(concat(h0, prologue));
          expectBytes(`${name} (${bytes.length} bytes)`, expected, state.handshakeHash);
        }
      },
    ),
    make(
      '§3',
      'message-limit',
      'a handshake message never exceeds 65,535 bytes (bad-message)',
      async () => {
        expectEqual('MAX_MESSAGE_LENGTH', 65_535, MAX_MESSAGE_LENGTH);
        const protocol = 'Noise_NN_25519_ChaChaPoly_SHA256';
        const writer = new HandshakeState({ protocol, initiator: true });
        // 32 bytes of e, then the payload in clear (no key yet): 65,503 is the most that fits.
        await expectAccepted('a first message of 65,535 bytes', () =>
          writer.writeMessage(new Uint8Array(65_503)),
        );
        const over = new HandshakeState({ protocol, initiator: true });
        await expectRefused('a first message of 65,536 bytes', noiseError('bad-message'), () =>
          over.writeMessage(new Uint8Array(65_504)),
        );
        const reader = new HandshakeState({ protocol, initiator: false });
        await expectRefused('reading 65,536 bytes', noiseError('bad-message'), () =>
          reader.readMessage(new Uint8Array(65_536)),
        );
      },
    ),
    make('§3', 'nonce-exhausted', 'nonce 2⁶⁴ − 1 is never used (nonce-exhausted)', async () => {
      const cipher = new CipherState(CIPHERS.ChaChaPoly!, KEY);
      cipher.setNonce(MAX_NONCE - 1n);
      await expectAccepted('nonce 2⁶⁴ − 2', () => cipher.encryptWithAd(EMPTY, PLAINTEXT));
      await expectRefused('nonce 2⁶⁴ − 1', noiseError('nonce-exhausted'), () =>
        cipher.encryptWithAd(EMPTY, PLAINTEXT),
      );
    }),
    make(
      '§3',
      'rekey',
      'rekey: the new key is the first 32 bytes of the encryption of 32 zero bytes under nonce 2⁶⁴ − 1',
      async () => {
        const cipher = new CipherState(CIPHERS.ChaChaPoly!, KEY);
        cipher.rekey();
        const next = nodeAead('chacha20-poly1305', KEY, MAX_NONCE, EMPTY, new Uint8Array(32)).slice(
          0,
          32,
        );
        expectBytes(
          'a message under the new key',
          nodeAead('chacha20-poly1305', next, 0n, AD, PLAINTEXT),
          cipher.encryptWithAd(AD, PLAINTEXT),
        );
      },
    ),
    make(
      '§4',
      'turns',
      'a side writes only on its turn and reads only on the other side’s (out-of-turn)',
      async () => {
        const protocol = 'Noise_NN_25519_ChaChaPoly_SHA256';
        const responder = new HandshakeState({ protocol, initiator: false });
        await expectRefused('the responder writing first', noiseError('out-of-turn'), () =>
          responder.writeMessage(),
        );
        const initiator = new HandshakeState({ protocol, initiator: true });
        await expectRefused('the initiator reading first', noiseError('out-of-turn'), () =>
          initiator.readMessage(new Uint8Array(48)),
        );
        const done = completedNN();
        await expectRefused('writing after the handshake', noiseError('out-of-turn'), () =>
          done.initiator.writeMessage(),
        );
      },
    ),
    make(
      '§4',
      'transport-after-handshake',
      'transport ciphers exist only once the last handshake message is processed',
      async () => {
        const protocol = 'Noise_NN_25519_ChaChaPoly_SHA256';
        const initiator = new HandshakeState({ protocol, initiator: true });
        const responder = new HandshakeState({ protocol, initiator: false });
        responder.readMessage(initiator.writeMessage());
        await expectRefused('before the last message', noiseError('out-of-turn'), () =>
          initiator.transportCiphers(),
        );
        const last = responder.writeMessage();
        await expectAccepted("the responder's, having written the last", () =>
          responder.transportCiphers(),
        );
        initiator.readMessage(last);
        await expectAccepted("the initiator's, having read it", () => initiator.transportCiphers());
      },
    ),
    make(
      '§4',
      'failed-decrypt-keeps-nonce',
      'a failed decryption (decrypt-failed) leaves the nonce where it was',
      async () => {
        const { i, r } = completedNN();
        const first = i.send.encryptWithAd(EMPTY, PLAINTEXT);
        const tampered = first.slice();
        tampered[0]! ^= 1;
        await expectRefused('a flipped byte', noiseError('decrypt-failed'), () =>
          r.receive.decryptWithAd(EMPTY, tampered),
        );
        const read = await expectAccepted('the genuine message after it', () =>
          r.receive.decryptWithAd(EMPTY, first),
        );
        expectBytes('its plaintext', PLAINTEXT, read);
        await expectRefused('a replay of it', noiseError('decrypt-failed'), () =>
          r.receive.decryptWithAd(EMPTY, first),
        );
        expectEqual(
          'the next message',
          hexOf(PLAINTEXT),
          hexOf(r.receive.decryptWithAd(EMPTY, i.send.encryptWithAd(EMPTY, PLAINTEXT))),
        );
      },
    ),
  ];
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
