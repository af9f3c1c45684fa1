/**
 * specs/whisper-v6 SPEC §5: message-sym.json, message-asym.json, message-parse.json and the
 * open, parse, wrap and filter layers of invalid.json, one test per case, in both directions
 * (open what geth sealed; re-seal from the inputs and get geth's bytes), on both backends.
 */
import { type CryptoBackend, defaultBackend, nobleBackend } from '@hush/crypto';
import { decodeEnvelope, encodeEnvelope } from '@hush/envelope';
import {
  type ExpectedMessage,
  hex,
  type InvalidMessageCase,
  loadVectors,
  type MessageCase,
  type ParseCase,
  toHex,
} from '@hush/test-support';
import { describe, expect, it } from 'vitest';
import {
  deliverToFilter,
  MessageError,
  messageHash,
  openAsymmetric,
  openSymmetric,
  publicKeyToAddress,
  type ReceivedMessage,
  wrapMessage,
} from '../src/index.js';

const backends: [string, CryptoBackend][] = [
  ['native', defaultBackend],
  ['noble', nobleBackend],
];

const orNull = (value: Uint8Array | null) => (value === null ? null : toHex(value));

function checkExpected(message: ReceivedMessage, expected: ExpectedMessage): void {
  expect({
    flags: message.flags,
    payloadSizeFieldLength: message.payloadSizeFieldLength,
    payload: toHex(message.payload),
    padding: toHex(message.padding),
    signature: orNull(message.signature),
    signerPublicKey: orNull(message.signer),
    signerAddress: message.signer ? toHex(publicKeyToAddress(message.signer)) : null,
    signedHash: toHex(messageHash(message)),
    topic: toHex(message.topic),
    ttl: message.ttl,
    sent: message.sent,
    pow: message.pow,
    envelopeHash: toHex(message.envelopeHash),
  }).toEqual({
    flags: expected.flags,
    payloadSizeFieldLength: expected.payloadSizeFieldLength,
    payload: expected.payload,
    padding: expected.padding,
    signature: expected.signature,
    signerPublicKey: expected.signerPublicKey,
    signerAddress: expected.signerAddress,
    signedHash: expected.signedHash,
    topic: expected.topic,
    ttl: expected.ttl,
    sent: expected.sent,
    pow: expected.pow ?? Number.POSITIVE_INFINITY,
    envelopeHash: expected.envelopeHash,
  });
  if (expected.symKeyHash) expect(orNull(message.symKeyHash)).toBe(expected.symKeyHash);
  if (expected.recipientPublicKey)
    expect(orNull(message.recipientPublicKey)).toBe(expected.recipientPublicKey);
}

function open(
  c: { symKey?: string; recipientPrivateKey?: string; envelope: { rlp: string } },
  backend: CryptoBackend,
) {
  const envelope = decodeEnvelope(hex(c.envelope.rlp));
  return c.symKey
    ? openSymmetric(envelope, hex(c.symKey), { backend })
    : openAsymmetric(envelope, hex(c.recipientPrivateKey!), { backend });
}

/** Re-seals a message case from its inputs, with the randomness the vector records. */
function reseal(c: MessageCase, backend: CryptoBackend) {
  return wrapMessage({
    topic: hex(c.topic),
    payload: hex(c.payload),
    ttl: c.ttl,
    padding: hex(c.padding ?? c.expected.padding),
    ...(c.signingPrivateKey ? { signingKey: hex(c.signingPrivateKey) } : {}),
    ...(c.symKey ? { symKey: hex(c.symKey), salt: hex(c.salt!) } : {}),
    ...(c.recipientPublicKey ? { publicKey: hex(c.recipientPublicKey) } : {}),
    ...(c.ecies?.deterministic
      ? { ephemeralKey: hex(c.ecies.ephemeralPrivateKey!), iv: hex(c.ecies.iv) }
      : {}),
    pow: c.powTarget,
    workTime: c.workTime,
    now: c.envelope.expiry - c.envelope.ttl,
    backend,
  });
}

describe.each(backends)('SPEC §5 on the %s backend', (_, backend) => {
  describe('symmetric messages (message-sym.json)', () => {
    it.each(loadVectors<MessageCase>('message-sym.json').cases)('$name', async (c) => {
      const message = open(c, backend);
      checkExpected(message, c.expected);
      expect(toHex(message.raw)).toBe(c.plaintext);
      expect(orNull(message.salt)).toBe(c.salt);
      const resealed = await reseal(c, backend);
      expect(toHex(encodeEnvelope(resealed))).toBe(c.envelope.rlp);
    });
  });

  describe('asymmetric messages (message-asym.json)', () => {
    it.each(loadVectors<MessageCase>('message-asym.json').cases)('$name', async (c) => {
      const message = open(c, backend);
      checkExpected(message, c.expected);
      expect(toHex(message.raw)).toBe(c.plaintext);
      const data = hex(c.envelope.data);
      expect(toHex(data.subarray(0, 65))).toBe(c.ecies!.ephemeralPublicKey);
      const resealed = await reseal(c, backend);
      if (c.ecies!.deterministic) {
        expect(toHex(encodeEnvelope(resealed))).toBe(c.envelope.rlp);
      } else {
        // Fresh randomness: a different envelope that opens to the same message.
        const reopened = openAsymmetric(resealed, hex(c.recipientPrivateKey!), { backend });
        expect(toHex(reopened.raw)).toBe(c.plaintext);
      }
    });
  });

  describe('what geth accepts beyond its sender (message-parse.json)', () => {
    it.each(loadVectors<ParseCase>('message-parse.json').cases)('$name', (c) => {
      const message = open(c, backend);
      checkExpected(message, c.expected);
      expect(toHex(message.raw)).toBe(c.plaintext);
    });
  });
});

/**
 * The code each refusal carries. The vectors name the cause (wrong key, flipped bit); an
 * authenticated cipher only knows the authentication failed, so several reasons share a code.
 */
const openCodes: Record<string, string[]> = {
  'wrong-key': ['decrypt-failed'],
  'corrupted-ciphertext': ['decrypt-failed'],
  'corrupted-tag': ['decrypt-failed'],
  'corrupted-salt': ['decrypt-failed'],
  'corrupted-mac': ['decrypt-failed'],
  'corrupted-iv': ['decrypt-failed'],
  'wrong-scheme': ['decrypt-failed', 'bad-ephemeral-key'],
  'too-short': ['too-short'],
  'bad-key-size': ['bad-key-size'],
  'bad-ephemeral-key': ['bad-ephemeral-key'],
  'short-ecies-body': ['too-short'],
};

const invalid = loadVectors<InvalidMessageCase>('invalid.json').cases;

describe.each(backends)('SPEC §5 refusals (invalid.json) on the %s backend', (_, backend) => {
  it.each(invalid.filter((c) => c.layer === 'open' || c.layer === 'parse'))(
    '$layer: $name',
    (c) => {
      let error: unknown;
      try {
        open(
          c as { symKey?: string; recipientPrivateKey?: string; envelope: { rlp: string } },
          backend,
        );
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(MessageError);
      const allowed = c.layer === 'parse' ? [c.reason] : openCodes[c.reason];
      expect(allowed).toContain((error as MessageError).code);
    },
  );

  it.each(invalid.filter((c) => c.layer === 'wrap'))('wrap: $name', async (c) => {
    const w = c.wrap!;
    await expect(
      wrapMessage({
        topic: hex(w.topic),
        payload: hex(w.payload),
        ttl: w.ttl,
        ...(w.padding ? { padding: hex(w.padding) } : {}),
        ...(w.symKey ? { symKey: hex(w.symKey) } : {}),
        ...(w.recipientPublicKey ? { publicKey: hex(w.recipientPublicKey) } : {}),
        ...(w.signingPrivateKey ? { signingKey: hex(w.signingPrivateKey) } : {}),
        pow: w.powTarget,
        workTime: w.workTime,
        backend,
      }),
    ).rejects.toMatchObject({ code: c.reason });
  });

  it.each(invalid.filter((c) => c.layer === 'filter'))('filter: $name', (c) => {
    const f = c.filter!;
    const envelope = decodeEnvelope(hex(c.envelope!.rlp));
    expect(() =>
      deliverToFilter(
        envelope,
        {
          symKey: hex(c.symKey!),
          topics: f.topics.map(hex),
          pow: f.pow,
          ...(f.src ? { src: hex(f.src) } : {}),
        },
        { backend },
      ),
    ).toThrow(expect.objectContaining({ code: c.reason }));
    // Without the refusing condition the same envelope is delivered.
    expect(
      deliverToFilter(envelope, { symKey: hex(c.symKey!) }, { backend }).payload,
    ).toBeInstanceOf(Uint8Array);
  });
});
