/**
 * Whether a node takes an envelope into its pool: geth's Whisper.add rules, in geth's order,
 * with uint32 arithmetic (specs/whisper-v6 SPEC §6.1).
 */
import { bloomFilterMatch } from '@hush/bloom';
import { type Envelope, envelopeBloom, envelopePow, envelopeSize } from '@hush/envelope';
import { DEFAULT_SYNC_ALLOWANCE } from './protocol.js';

/** What the rules need to know about the node at the moment of the check. */
export interface AdmissionSettings {
  readonly maxMessageSize: number;
  readonly minPow: number;
  /** A lower minimum still honoured for a while after the minimum was raised. */
  readonly minPowTolerance: number;
  /** null = no filter (everything matches). */
  readonly bloom: Uint8Array | null;
  /** The previous filter, still honoured for a while after a change. */
  readonly bloomTolerance: Uint8Array | null;
}

/** The verdict on one envelope. */
export type Admission =
  | { readonly verdict: 'accept'; readonly pow: number }
  | { readonly verdict: 'drop'; readonly reason: 'expired' }
  | {
      readonly verdict: 'reject';
      readonly code: 'future' | 'very-old' | 'too-large' | 'low-pow' | 'bloom-mismatch';
      readonly message: string;
    };

/**
 * Applies the admission rules at `now` (unix seconds). `pow` is the envelope's PoW (computed
 * on arrival); it is recomputed for envelopes from the future, as geth does. `bloom` is the
 * envelope's topic bloom, when the caller has it.
 */
export function admit(
  envelope: Envelope,
  pow: number,
  settings: AdmissionSettings,
  now: number,
  bloom: Uint8Array = envelopeBloom(envelope),
): Admission {
  const sent = (envelope.expiry - envelope.ttl) >>> 0;
  let effectivePow = pow;
  if (sent > now) {
    if ((sent - DEFAULT_SYNC_ALLOWANCE) >>> 0 > now) {
      return { verdict: 'reject', code: 'future', message: 'envelope created in the future' };
    }
    // Allow for the clock difference, plus a second of latency.
    effectivePow = envelopePow(envelope, (sent - now + 1) >>> 0);
  }
  if (envelope.expiry < now) {
    if ((envelope.expiry + 2 * DEFAULT_SYNC_ALLOWANCE) >>> 0 < now) {
      return { verdict: 'reject', code: 'very-old', message: 'very old message' };
    }
    return { verdict: 'drop', reason: 'expired' };
  }
  if (envelopeSize(envelope) > settings.maxMessageSize) {
    return { verdict: 'reject', code: 'too-large', message: 'huge messages are not allowed' };
  }
  if (effectivePow < settings.minPow && effectivePow < settings.minPowTolerance) {
    return {
      verdict: 'reject',
      code: 'low-pow',
      message: `envelope with low PoW received: PoW=${effectivePow}`,
    };
  }
  if (
    !bloomFilterMatch(settings.bloom, bloom) &&
    !bloomFilterMatch(settings.bloomTolerance, bloom)
  ) {
    return {
      verdict: 'reject',
      code: 'bloom-mismatch',
      message: 'envelope does not match bloom filter',
    };
  }
  return { verdict: 'accept', pow: effectivePow };
}
