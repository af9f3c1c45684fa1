/**
 * Checks for message-sym.json, message-asym.json, message-parse.json, symkey-password.json and
 * the open, parse, wrap and filter layers of invalid.json (specs/whisper-v6 SPEC §5): open what
 * geth sealed and compare every field; re-seal from the inputs and compare the bytes.
 */
import type { CryptoBackend } from '@hush/crypto';
import { decodeEnvelope, type Envelope, encodeEnvelope } from '@hush/envelope';
import {
  deliverToFilter,
  messageHash,
  openAsymmetric,
  openSymmetric,
  publicKeyToAddress,
  type ReceivedMessage,
  symKeyFromPassword,
  wrapMessage,
} from '@hush/message';
import { field, hex, mismatch, powNumber, same, toHex } from '../expect.js';
import { checkEnvelope } from './envelope.js';
import type { CaseHandler, VectorCase } from './types.js';

const optionalHex = (value: unknown, name: string) =>
  value === null || value === undefined ? null : hex(value, name);

/** Opens a case's envelope with the key it carries. */
export function openCase(
  c: VectorCase,
  envelope: Envelope,
  backend: CryptoBackend,
): ReceivedMessage {
  if (typeof c.symKey === 'string')
    return openSymmetric(envelope, hex(c.symKey, 'symKey'), { backend });
  if (typeof c.recipientPrivateKey === 'string') {
    return openAsymmetric(envelope, hex(c.recipientPrivateKey, 'recipientPrivateKey'), { backend });
  }
  throw mismatch(
    'case has neither symKey nor recipientPrivateKey',
    'the vector case',
    'a symKey or a recipientPrivateKey',
    'neither',
  );
}

/** Compares an opened message with a case's `expected` (geth's ReceivedMessage). */
export function checkReceived(message: ReceivedMessage, expectedValue: unknown): void {
  const e = expectedValue as VectorCase;
  same('flags', message.flags, field(e, 'flags'));
  same(
    'payloadSizeFieldLength',
    message.payloadSizeFieldLength,
    field(e, 'payloadSizeFieldLength'),
  );
  same('payload', message.payload, hex(field(e, 'payload'), 'expected.payload'));
  same('padding', message.padding, hex(field(e, 'padding'), 'expected.padding'));
  same('signature', message.signature && toHex(message.signature), field(e, 'signature'));
  same('signer', message.signer && toHex(message.signer), field(e, 'signerPublicKey'));
  if ('signerAddress' in e) {
    same(
      'signerAddress',
      message.signer && toHex(publicKeyToAddress(message.signer)),
      e.signerAddress,
    );
  }
  same('signedHash', messageHash(message), hex(field(e, 'signedHash'), 'expected.signedHash'));
  if (typeof e.symKeyHash === 'string')
    same('symKeyHash', message.symKeyHash && toHex(message.symKeyHash), e.symKeyHash);
  if (typeof e.recipientPublicKey === 'string') {
    same(
      'recipientPublicKey',
      message.recipientPublicKey && toHex(message.recipientPublicKey),
      e.recipientPublicKey,
    );
  }
  same('topic', message.topic, hex(field(e, 'topic'), 'expected.topic'));
  same('ttl', message.ttl, field(e, 'ttl'));
  same('sent', message.sent, field(e, 'sent'));
  same('pow', message.pow, powNumber(field(e, 'pow')));
  same(
    'envelopeHash',
    message.envelopeHash,
    hex(field(e, 'envelopeHash'), 'expected.envelopeHash'),
  );
}

/**
 * Re-seals a message case from its inputs. Symmetric cases and deterministic ECIES cases use
 * the recorded salt, padding, ephemeral key and IV, so the result must equal geth's bytes.
 */
export function resealCase(
  c: VectorCase,
  backend: CryptoBackend,
  exact: boolean,
): Promise<Envelope> {
  const envelope = field<VectorCase>(c, 'envelope');
  const expected = field<VectorCase>(c, 'expected');
  const ecies = c.ecies as VectorCase | undefined;
  const signing = optionalHex(c.signingPrivateKey, 'signingPrivateKey');
  return wrapMessage({
    topic: hex(field(c, 'topic'), 'topic'),
    payload: hex(field(c, 'payload'), 'payload'),
    ttl: field(c, 'ttl'),
    padding: hex(c.padding ?? expected.padding, 'padding'),
    ...(signing ? { signingKey: signing } : {}),
    ...(typeof c.symKey === 'string'
      ? { symKey: hex(c.symKey, 'symKey'), salt: hex(field(c, 'salt'), 'salt') }
      : {}),
    ...(typeof c.recipientPublicKey === 'string'
      ? { publicKey: hex(c.recipientPublicKey, 'recipientPublicKey') }
      : {}),
    ...(exact && ecies?.deterministic
      ? {
          ephemeralKey: hex(ecies.ephemeralPrivateKey, 'ecies.ephemeralPrivateKey'),
          iv: hex(ecies.iv, 'ecies.iv'),
        }
      : {}),
    pow: field(c, 'powTarget'),
    workTime: Math.max(field<number>(c, 'workTime'), 60),
    now: (field<number>(envelope, 'expiry') - field<number>(envelope, 'ttl')) >>> 0,
    backend,
  });
}

/** Whether a message case can be re-sealed byte for byte. */
export function isReproducible(c: VectorCase): boolean {
  if (typeof c.symKey === 'string') return true;
  return (c.ecies as VectorCase | undefined)?.deterministic === true;
}

export function messageCase(backend: CryptoBackend): CaseHandler {
  return async (c) => {
    const envelope = checkEnvelope(field(c, 'envelope'));
    const message = openCase(c, envelope, backend);
    checkReceived(message, field(c, 'expected'));
    same('plaintext', message.raw, hex(field(c, 'plaintext'), 'plaintext'));
    if (typeof c.salt === 'string') same('salt', message.salt, hex(c.salt, 'salt'));
    const resealed = await resealCase(c, backend, true);
    if (isReproducible(c)) {
      same(
        're-sealed envelope',
        encodeEnvelope(resealed),
        hex(field(field(c, 'envelope'), 'rlp'), 'envelope.rlp'),
      );
    } else {
      same('re-sealed plaintext', openCase(c, resealed, backend).raw, message.raw);
    }
  };
}

export function parseCase(backend: CryptoBackend): CaseHandler {
  return async (c) => {
    const envelope = checkEnvelope(field(c, 'envelope'));
    const message = openCase(c, envelope, backend);
    checkReceived(message, field(c, 'expected'));
    same('plaintext', message.raw, hex(field(c, 'plaintext'), 'plaintext'));
  };
}

export function passwordCase(backend: CryptoBackend): CaseHandler {
  return async (c) => {
    const password = field<string>(c, 'password');
    if ('passwordHex' in c)
      same('passwordHex', new TextEncoder().encode(password), hex(c.passwordHex, 'passwordHex'));
    same('symKey', symKeyFromPassword(password, backend), hex(field(c, 'symKey'), 'symKey'));
  };
}

/**
 * Which MessageError codes answer a vector reason. An authenticated cipher only learns that
 * authentication failed, so the causes the vectors name (wrong key, flipped bits, wrong
 * scheme) share a code (SPEC §5.8).
 */
const OPEN_REASONS: Record<string, readonly string[]> = {
  'wrong-key': ['decrypt-failed'],
  'corrupted-ciphertext': ['decrypt-failed'],
  'corrupted-tag': ['decrypt-failed'],
  'corrupted-salt': ['decrypt-failed'],
  'corrupted-mac': ['decrypt-failed'],
  'corrupted-iv': ['decrypt-failed'],
  'wrong-scheme': ['decrypt-failed', 'bad-ephemeral-key', 'too-short'],
  'short-ecies-body': ['too-short'],
};

/** Whether a MessageError code answers a vector reason. */
export function messageCodeMatchesReason(code: string, reason: string): boolean {
  return code === reason || (OPEN_REASONS[reason]?.includes(code) ?? false);
}

async function expectRefusal(reason: string, run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!(error instanceof Error) || typeof code !== 'string')
      throw mismatch(
        `untyped error: ${String(error)}`,
        'error',
        `a code for ${reason}`,
        String(error),
      );
    if (!messageCodeMatchesReason(code, reason))
      throw mismatch(`refused with code ${code}, expected ${reason}`, 'code', reason, code);
    return;
  }
  throw mismatch('accepted what geth refuses', 'outcome', `refused: ${reason}`, 'accepted');
}

export function invalidMessageCase(backend: CryptoBackend, layer: string): CaseHandler {
  return async (c) => {
    const reason = field<string>(c, 'reason');
    if (layer === 'wrap') {
      const w = field<VectorCase>(c, 'wrap');
      const optional = (name: string) => optionalHex(w[name], `wrap.${name}`);
      const symKey = optional('symKey');
      const publicKey = optional('recipientPublicKey');
      const signingKey = optional('signingPrivateKey');
      const padding = optional('padding');
      return expectRefusal(reason, () =>
        wrapMessage({
          topic: hex(field(w, 'topic'), 'wrap.topic'),
          payload: hex(field(w, 'payload'), 'wrap.payload'),
          ttl: field(w, 'ttl'),
          ...(padding ? { padding } : {}),
          ...(symKey ? { symKey } : {}),
          ...(publicKey ? { publicKey } : {}),
          ...(signingKey ? { signingKey } : {}),
          pow: field(w, 'powTarget'),
          workTime: field(w, 'workTime'),
          backend,
        }),
      );
    }
    const envelope = decodeEnvelope(hex(field(field(c, 'envelope'), 'rlp'), 'envelope.rlp'));
    if (layer === 'filter') {
      const f = field<VectorCase>(c, 'filter');
      const src = optionalHex(f.src, 'filter.src');
      const key =
        typeof c.symKey === 'string'
          ? { symKey: hex(c.symKey, 'symKey') }
          : { privateKey: hex(field(c, 'recipientPrivateKey'), 'recipientPrivateKey') };
      return expectRefusal(reason, () =>
        deliverToFilter(
          envelope,
          {
            ...key,
            topics: ((f.topics as string[] | null) ?? []).map((t, i) =>
              hex(t, `filter.topics[${i}]`),
            ),
            pow: (f.pow as number | undefined) ?? 0,
            ...(src ? { src } : {}),
          },
          { backend },
        ),
      );
    }
    return expectRefusal(reason, () => openCase(c, envelope, backend));
  };
}
