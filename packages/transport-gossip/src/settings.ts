/**
 * The node's settings and their tolerance windows (specs/whisper-v6 SPEC §6.3): the minimum
 * PoW, the bloom filter, the light-client flag and the largest message. After a change the
 * previous minimum PoW and bloom are still honoured for DEFAULT_SYNC_ALLOWANCE seconds, while
 * the peers adjust. The admission settings of a moment are computed once and kept until a
 * setting changes or a window closes: every received envelope needs them.
 */
import { BLOOM_FILTER_SIZE } from '@hush/bloom';
import type { AdmissionSettings } from './admission.js';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MINIMUM_POW,
  DEFAULT_SYNC_ALLOWANCE,
  MAX_MESSAGE_SIZE,
} from './protocol.js';

interface Tolerance<T> {
  value: T;
  until: number;
}

const toleranceWindow = DEFAULT_SYNC_ALLOWANCE * 1000;

function checkMaxMessageSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_MESSAGE_SIZE) {
    throw new RangeError(`maxMessageSize must be an integer in [1, ${MAX_MESSAGE_SIZE}]`);
  }
}

function checkPow(pow: number, name: string): void {
  if (typeof pow !== 'number' || !Number.isFinite(pow) || pow < 0) {
    throw new RangeError(`${name} must be a finite non-negative number`);
  }
}

function checkBloom(bloom: Uint8Array | null, name: string): void {
  if (bloom !== null && (!(bloom instanceof Uint8Array) || bloom.length !== BLOOM_FILTER_SIZE)) {
    throw new RangeError(`${name} must be 64 bytes or null`);
  }
}

/** The node's current settings. */
export interface NodeSettingsSnapshot {
  readonly minPow: number;
  readonly bloomFilter: Uint8Array | null;
  readonly lightClient: boolean;
  readonly maxMessageSize: number;
}

/** The settings with their tolerance windows. */
export class NodeSettings {
  private maxMessageSizeValue: number;
  private minPowValue: number;
  private minPowTolerance: Tolerance<number>;
  private bloomValue: Uint8Array | null;
  private bloomTolerance: Tolerance<Uint8Array | null>;
  lightClient: boolean;
  /** What `at` computed last, and until when it holds; cleared by every setter. */
  private cached: { settings: AdmissionSettings; from: number; validUntil: number } | undefined;

  /** @throws RangeError if a setting is out of range */
  constructor(initial: {
    maxMessageSize?: number | undefined;
    minPow?: number | undefined;
    bloomFilter?: Uint8Array | null | undefined;
    lightClient?: boolean | undefined;
  }) {
    this.maxMessageSizeValue = initial.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    checkMaxMessageSize(this.maxMessageSizeValue);
    this.minPowValue = initial.minPow ?? DEFAULT_MINIMUM_POW;
    checkPow(this.minPowValue, 'minPow');
    this.bloomValue = initial.bloomFilter ?? null;
    checkBloom(this.bloomValue, 'bloomFilter');
    this.minPowTolerance = { value: this.minPowValue, until: 0 };
    this.bloomTolerance = { value: this.bloomValue, until: 0 };
    this.lightClient = initial.lightClient ?? false;
  }

  get minPow(): number {
    return this.minPowValue;
  }

  get bloom(): Uint8Array | null {
    return this.bloomValue;
  }

  get maxMessageSize(): number {
    return this.maxMessageSizeValue;
  }

  /** @throws RangeError if `pow` is not a finite non-negative number */
  setMinPow(pow: number, now: number): void {
    checkPow(pow, 'pow');
    this.minPowTolerance = { value: this.minPowValue, until: now + toleranceWindow };
    this.minPowValue = pow;
    this.cached = undefined;
  }

  /** @throws RangeError if `bloom` is not 64 bytes or null */
  setBloomFilter(bloom: Uint8Array | null, now: number): void {
    checkBloom(bloom, 'bloom');
    this.bloomTolerance = { value: this.bloomValue, until: now + toleranceWindow };
    this.bloomValue = bloom ? bloom.slice() : null;
    this.cached = undefined;
  }

  /** @throws RangeError if `size` is not in [1, 10 MiB] */
  setMaxMessageSize(size: number): void {
    checkMaxMessageSize(size);
    this.maxMessageSizeValue = size;
    this.cached = undefined;
  }

  snapshot(): NodeSettingsSnapshot {
    return {
      minPow: this.minPowValue,
      bloomFilter: this.bloomValue,
      lightClient: this.lightClient,
      maxMessageSize: this.maxMessageSizeValue,
    };
  }

  /** The admission settings at `now` (ms). */
  at(now: number): AdmissionSettings {
    const cached = this.cached;
    // (A clock set back, as tests may, recomputes too.)
    if (cached && now < cached.validUntil && now >= cached.from) return cached.settings;
    const powTolerant = now < this.minPowTolerance.until;
    const bloomTolerant = now < this.bloomTolerance.until;
    const settings: AdmissionSettings = {
      maxMessageSize: this.maxMessageSizeValue,
      minPow: this.minPowValue,
      minPowTolerance: powTolerant ? this.minPowTolerance.value : this.minPowValue,
      bloom: this.bloomValue,
      bloomTolerance: bloomTolerant ? this.bloomTolerance.value : this.bloomValue,
    };
    const validUntil = Math.min(
      powTolerant ? this.minPowTolerance.until : Number.POSITIVE_INFINITY,
      bloomTolerant ? this.bloomTolerance.until : Number.POSITIVE_INFINITY,
    );
    this.cached = { settings, from: now, validUntil };
    return settings;
  }
}
