/**
 * Sealing an envelope with proof of work as geth's `Envelope.Seal` does (specs/whisper-v6
 * SPEC §4.4–§4.5): PoW > 0 seals to that target, PoW < 0 seals for the work time after adding
 * it to the expiry, PoW 0 leaves the envelope as it is.
 */
import { type SealOptions, type SealProgress, sealForTime, sealToTarget } from '@hush/pow';
import { assertEnvelope, type Envelope, envelopePowWork } from './envelope.js';

/** How to seal: geth's MessageParams.PoW and WorkTime, plus this library's controls. */
export interface SealEnvelopeOptions extends Omit<SealOptions, 'workTime'> {
  /** > 0: target PoW; < 0: seal for `workTime`; 0: no sealing. */
  readonly pow: number;
  /** Seconds (uint32): the limit in target mode, the budget in timed mode. */
  readonly workTime: number;
}

export type { SealProgress };

/**
 * Seals `envelope`, returning a new envelope with the found nonce (and, in timed mode, the
 * expiry moved by the work time, in uint32 as geth does).
 *
 * @throws PowError with code 'pow-unreachable' if the target is not reached in time
 * @throws the signal's reason when aborted
 * @throws TypeError / RangeError naming a bad argument
 */
export async function sealEnvelope(
  envelope: Envelope,
  options: SealEnvelopeOptions,
): Promise<Envelope> {
  assertEnvelope(envelope);
  const { pow } = options;
  if (typeof pow !== 'number' || Number.isNaN(pow) || !Number.isFinite(pow)) {
    throw new RangeError(`options.pow must be a finite number, got ${String(pow)}`);
  }
  if (pow === 0) return envelope;
  if (pow > 0) {
    const { nonce } = await sealToTarget(envelopePowWork(envelope), pow, options);
    return { ...envelope, nonce };
  }
  if (
    !Number.isInteger(options.workTime) ||
    options.workTime < 0 ||
    options.workTime > 0xffffffff
  ) {
    throw new RangeError(`options.workTime must be a uint32, got ${options.workTime}`);
  }
  const timed = { ...envelope, expiry: (envelope.expiry + options.workTime) >>> 0 };
  const result = await sealForTime(envelopePowWork(timed), options);
  return result ? { ...timed, nonce: result.nonce } : timed;
}
