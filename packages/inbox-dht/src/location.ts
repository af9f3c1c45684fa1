/**
 * The inbox key and where an inbox lives in the keyspace (specs/inbox-dht/SPEC.md §4.1–§4.2):
 * the recipient's own ed25519 key pair, an epoch of one UTC day, the 4-byte salt of an epoch
 * and the location SHA-256(inbox public key ‖ salt), the DHT key of the inbox that day.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { DhtError } from './errors.js';

/** Bytes of an ed25519 public key, secret key (seed) and signature. */
export const INBOX_PUBLIC_KEY_LENGTH = 32;
export const INBOX_SECRET_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
/** Bytes of a location (a DHT key). */
export const LOCATION_LENGTH = 32;
/** Bytes of an epoch's salt. */
export const SALT_LENGTH = 4;
/** Milliseconds of an epoch (one UTC day). */
export const EPOCH_MS = 86_400_000;
/** The last epoch a salt can name (uint32 days). */
export const MAX_EPOCH = 0xffffffff;

/** The recipient's own inbox key pair (not its node key). */
export interface InboxKeyPair {
  /** 32-byte ed25519 seed. */
  readonly secretKey: Uint8Array;
  /** 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** A fresh random inbox key pair. */
export function generateInboxKey(): InboxKeyPair {
  const { secretKey, publicKey } = ed25519.keygen();
  return { secretKey, publicKey };
}

/**
 * The key pair of a 32-byte ed25519 seed.
 *
 * @throws RangeError if the seed is not 32 bytes
 */
export function inboxKeyFromSecret(secretKey: Uint8Array): InboxKeyPair {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== INBOX_SECRET_KEY_LENGTH)
    throw new RangeError(`an inbox secret key is ${INBOX_SECRET_KEY_LENGTH} bytes`);
  return { secretKey: secretKey.slice(), publicKey: ed25519.getPublicKey(secretKey) };
}

function assertEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH)
    throw new RangeError(`an epoch is a uint32 number of days, not ${epoch}`);
}

/**
 * The epoch (UTC day since 1970-01-01) of a time in milliseconds since the Unix epoch.
 *
 * @throws RangeError for a time before 1970 or past the last epoch
 */
export function epochOf(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`time must be ≥ 0 ms, not ${ms}`);
  const epoch = Math.floor(ms / EPOCH_MS);
  assertEpoch(epoch);
  return epoch;
}

/** When an epoch begins and ends, ms since the Unix epoch: [start, end). */
export function epochBounds(epoch: number): { start: number; end: number } {
  assertEpoch(epoch);
  return { start: epoch * EPOCH_MS, end: (epoch + 1) * EPOCH_MS };
}

/**
 * The salt of an epoch: its day number as 4 bytes big-endian (one encoding per epoch).
 *
 * @throws RangeError if `epoch` is not a uint32
 */
export function epochSalt(epoch: number): Uint8Array {
  assertEpoch(epoch);
  const salt = new Uint8Array(SALT_LENGTH);
  new DataView(salt.buffer).setUint32(0, epoch);
  return salt;
}

/**
 * The epoch a salt names.
 *
 * @throws DhtError 'malformed' if the salt is not 4 bytes
 */
export function saltEpoch(salt: Uint8Array): number {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_LENGTH)
    throw new DhtError('malformed', `a salt is ${SALT_LENGTH} bytes`);
  return new DataView(salt.buffer, salt.byteOffset, SALT_LENGTH).getUint32(0);
}

/**
 * The location of an inbox in an epoch: SHA-256(inbox public key ‖ salt), 32 bytes.
 *
 * @throws RangeError if the key is not 32 bytes or the epoch not a uint32
 */
export function inboxLocation(inboxPublicKey: Uint8Array, epoch: number): Uint8Array {
  if (!(inboxPublicKey instanceof Uint8Array) || inboxPublicKey.length !== INBOX_PUBLIC_KEY_LENGTH)
    throw new RangeError(`an inbox public key is ${INBOX_PUBLIC_KEY_LENGTH} bytes`);
  const input = new Uint8Array(INBOX_PUBLIC_KEY_LENGTH + SALT_LENGTH);
  input.set(inboxPublicKey, 0);
  input.set(epochSalt(epoch), INBOX_PUBLIC_KEY_LENGTH);
  return sha256(input);
}

/** The locations of an inbox around a time: the epoch before, the current one, the next. */
export interface InboxLocations {
  readonly epoch: number;
  readonly previous: Uint8Array | undefined;
  readonly current: Uint8Array;
  readonly next: Uint8Array | undefined;
}

/**
 * The inbox's locations around `ms`: a recipient fetches from the previous and the current
 * epoch and publishes its descriptor for the current and the next (§4.2).
 *
 * @throws RangeError as `inboxLocation` and `epochOf`
 */
export function inboxLocationsAround(inboxPublicKey: Uint8Array, ms: number): InboxLocations {
  const epoch = epochOf(ms);
  return {
    epoch,
    previous: epoch > 0 ? inboxLocation(inboxPublicKey, epoch - 1) : undefined,
    current: inboxLocation(inboxPublicKey, epoch),
    next: epoch < MAX_EPOCH ? inboxLocation(inboxPublicKey, epoch + 1) : undefined,
  };
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Bytes of lower-case hex (the caller checks the length). */
export function fromHex(text: string): Uint8Array {
  return hexToBytes(text);
}

/** Whether two byte strings are equal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
