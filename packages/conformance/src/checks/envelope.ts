/**
 * Checks for envelope-rlp.json, seal-pow.json and the rlp-decode layer of invalid.json
 * (specs/whisper-v6 SPEC §3–§4), in both directions: fields → bytes and bytes → fields.
 */
import {
  createEnvelope,
  decodeEnvelope,
  decodeMessagesPacket,
  type Envelope,
  EnvelopeDecodeError,
  encodeEnvelope,
  envelopeBloom,
  envelopeHash,
  envelopePow,
  envelopeSize,
  rlpWithoutNonce,
  sealEnvelope,
} from '@hush/envelope';
import { keccak256 } from '@hush/keccak';
import { powBits, powBuffer, targetBits, trailingZeroBits } from '@hush/pow';
import { field, hex, mismatch, powNumber, same, uint64 } from '../expect.js';
import type { CaseHandler, VectorCase } from './types.js';

/** Builds the envelope a vector describes. */
export function vectorEnvelope(value: unknown): Envelope {
  const v = value as VectorCase;
  return createEnvelope({
    expiry: field(v, 'expiry'),
    ttl: field(v, 'ttl'),
    topic: hex(field(v, 'topic'), 'envelope.topic'),
    data: hex(field(v, 'data'), 'envelope.data'),
    nonce: uint64(field(v, 'nonce'), 'envelope.nonce'),
  });
}

/** Checks every derived field a vector envelope carries, from fields and from bytes. */
export function checkEnvelope(value: unknown): Envelope {
  const v = value as VectorCase;
  const envelope = vectorEnvelope(v);
  const rlp = hex(field(v, 'rlp'), 'envelope.rlp');
  same('encoding', encodeEnvelope(envelope), rlp);
  const decoded = decodeEnvelope(rlp);
  same('decoded encoding', encodeEnvelope(decoded), rlp);
  same('decoded nonce', decoded.nonce, envelope.nonce);
  if ('hash' in v) same('hash', envelopeHash(decoded), hex(v.hash, 'envelope.hash'));
  if ('size' in v) same('size', envelopeSize(decoded), v.size);
  if ('bloom' in v) same('bloom', envelopeBloom(decoded), hex(v.bloom, 'envelope.bloom'));
  if ('pow' in v) same('pow', envelopePow(decoded), powNumber(v.pow));
  return decoded;
}

/** Checks the PoW internals listed beside an envelope (envelope-rlp.json, seal-pow.json). */
function checkPowInternals(c: VectorCase, envelope: Envelope): void {
  if ('rlpWithoutNonce' in c) {
    same('rlpWithoutNonce', rlpWithoutNonce(envelope), hex(c.rlpWithoutNonce, 'rlpWithoutNonce'));
  }
  const prefix = keccak256(rlpWithoutNonce(envelope));
  if ('rlpWithoutNonceHash' in c)
    same('rlpWithoutNonceHash', prefix, hex(c.rlpWithoutNonceHash, 'rlpWithoutNonceHash'));
  if ('powBuffer' in c)
    same('powBuffer', powBuffer(prefix, envelope.nonce), hex(c.powBuffer, 'powBuffer'));
  if ('powHash' in c) {
    same('powHash', keccak256(powBuffer(prefix, envelope.nonce)), hex(c.powHash, 'powHash'));
    same('powBits of powHash', trailingZeroBits(hex(c.powHash, 'powHash')), c.powBits);
  }
  if ('powBits' in c) same('powBits', powBits(prefix, envelope.nonce), c.powBits);
}

export const envelopeRlp: CaseHandler = async (c) => {
  checkPowInternals(c, checkEnvelope(field(c, 'envelope')));
};

export const sealPow: CaseHandler = async (c) => {
  const sealed = checkEnvelope(field(c, 'envelope'));
  checkPowInternals(c, sealed);
  const mode = field<string>(c, 'mode');
  const pow = field<number>(c, 'powTarget');
  const workTime = field<number>(c, 'workTime');
  const unsealed = { ...sealed, expiry: field<number>(c, 'unsealedExpiry'), nonce: 0n };
  if (mode === 'target') {
    if (c.targetBits !== undefined && c.targetBits !== null) {
      same('targetBits', targetBits(pow, sealed.data.length + 20, sealed.ttl), c.targetBits);
    }
    // geth's nonce is the smallest that reaches the target: Hush must find the same one.
    const result = await sealEnvelope(unsealed, { pow, workTime: Math.max(workTime, 60) });
    same('sealed nonce', result.nonce, sealed.nonce);
  } else if (mode === 'none') {
    const result = await sealEnvelope(unsealed, { pow: 0, workTime });
    same('unsealed envelope', encodeEnvelope(result), encodeEnvelope({ ...sealed, nonce: 0n }));
    same('nonce left as is', sealed.nonce, 0n);
  } else if (mode === 'timed') {
    // The nonce depends on speed; check that timed sealing moves expiry by the work time and
    // yields a nonce whose PoW the envelope API reports consistently. A short clock keeps the
    // check quick whatever the work time.
    let ticks = 0;
    const result = await sealEnvelope(unsealed, {
      pow,
      workTime,
      chunkSize: 4096,
      now: () => (ticks++ < 4 ? 0 : Number.MAX_SAFE_INTEGER),
    });
    same('timed expiry', result.expiry, sealed.expiry);
    if (result.nonce === 0n)
      throw mismatch('timed sealing found no nonce', 'timed nonce', 'a nonce found', result.nonce);
  } else {
    throw mismatch(`unknown seal mode ${String(mode)}`, 'seal mode', 'target, none or timed', mode);
  }
};

/**
 * Whether a decode error corresponds to a vector's reason: the same code, or the field-named
 * form of a type error (a hypothetical `nonce-type` for our `integer-type` on the nonce).
 */
export function codeMatchesReason(error: EnvelopeDecodeError, reason: string): boolean {
  if (error.code === reason) return true;
  return (
    error.code.endsWith('-type') && error.field !== undefined && reason === `${error.field}-type`
  );
}

function decodeError(run: () => unknown): EnvelopeDecodeError | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvelopeDecodeError) return error;
    throw mismatch(
      `untyped error: ${String(error)}`,
      'error',
      'an EnvelopeDecodeError',
      String(error),
    );
  }
  return undefined;
}

/** invalid.json, layer rlp-decode: the envelope and its messages packet are refused. */
export const rlpDecodeInvalid: CaseHandler = async (c) => {
  const reason = field<string>(c, 'reason');
  const error = decodeError(() => decodeEnvelope(hex(field(c, 'rlp'), 'rlp')));
  if (!error)
    throw mismatch(
      'accepted an envelope geth refuses',
      'decoding',
      `refused: ${reason}`,
      'accepted',
    );
  if (!codeMatchesReason(error, reason))
    throw mismatch(
      `refused with code ${error.code}, expected ${reason}`,
      'code',
      reason,
      error.code,
    );
  if (typeof c.messagesPacket === 'string') {
    const packetError = decodeError(() =>
      decodeMessagesPacket(hex(c.messagesPacket, 'messagesPacket')),
    );
    const gethRefused = typeof c.gethPacketError === 'string' && c.gethPacketError !== '';
    if (gethRefused && !packetError)
      throw mismatch(
        'accepted a messages packet geth refuses',
        'messages packet',
        `refused (${String(c.gethPacketError)})`,
        'accepted',
      );
    if (!gethRefused && packetError)
      throw mismatch(
        `refused a packet geth accepts (${packetError.code})`,
        'messages packet',
        'accepted',
        `refused: ${packetError.code}`,
      );
  }
};
