/**
 * A mix's descriptor upload (specs/mixnet-sphinx/SPEC.md §10.1): each epoch, every mix and
 * gateway tells the authorities its X25519 key for that epoch and where it listens, in a
 * canonical JSON body signed by its secp256k1 identity (the one its Noise links prove), with
 * the time it signed it (a mix that moved uploads again; the later upload counts). The
 * digest is SHA-256 of `hush-mix-descriptor/1\0` ‖ body, signed as geth signs (r ‖ s ‖ v).
 */
import type { Identity, IdentityVerifier } from '@hush/interface';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  DirectoryError,
  descriptorJson,
  descriptorOf,
  type MixDescriptor,
  mixNodeId,
} from './directory.js';

/** A descriptor as a mix uploads it. */
export interface SignedMixDescriptor {
  /** Canonical JSON: `{"version":1,"epoch":E,"issuedAt":ms,"descriptor":{…}}`. */
  readonly body: string;
  /** 65 bytes, hex: the identity's signature of the body's digest. */
  readonly signature: string;
}

/** What a verified upload says. */
export interface MixDescriptorUpload {
  readonly epoch: number;
  /** When the mix signed it, Unix ms: of two uploads of one node, the later counts. */
  readonly issuedAt: number;
  readonly descriptor: MixDescriptor;
}

const DOMAIN = new TextEncoder().encode('hush-mix-descriptor/1\0');

function digestOf(body: string): Uint8Array {
  const text = new TextEncoder().encode(body);
  const message = new Uint8Array(DOMAIN.length + text.length);
  message.set(DOMAIN);
  message.set(text, DOMAIN.length);
  return sha256(message);
}

/**
 * A mix's signed descriptor for `epoch`.
 *
 * @example
 * ```ts
 * const upload = signMixDescriptor(identity, epoch, { publicKey, endpoints: ['ws://10.0.0.1:7000'] });
 * ```
 * @throws RangeError for an epoch or `issuedAt` that is not a whole number; DirectoryError
 *   'malformed' for a key or endpoints the directory would refuse
 */
export function signMixDescriptor(
  identity: Identity,
  epoch: number,
  descriptor: Pick<MixDescriptor, 'publicKey' | 'endpoints'>,
  issuedAt: number = Date.now(),
): SignedMixDescriptor {
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new RangeError('epoch must be a whole number');
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0)
    throw new RangeError('issuedAt must be a whole number of ms');
  const body64 = identity.publicKey.subarray(1);
  const full: MixDescriptor = {
    id: mixNodeId(body64),
    identity: body64,
    publicKey: descriptor.publicKey,
    endpoints: descriptor.endpoints,
  };
  const body = JSON.stringify({ version: 1, epoch, issuedAt, descriptor: descriptorJson(full) });
  descriptorOf(JSON.parse(body).descriptor, 'descriptor');
  return { body, signature: bytesToHex(identity.sign(digestOf(body))) };
}

/**
 * Checks an upload: its body decodes and its signature is its own identity's.
 *
 * @throws DirectoryError 'malformed' for a body that does not decode or is not canonical,
 *   'bad-signature' for a signature that is not the descriptor's identity's
 */
export function verifyMixDescriptor(
  upload: SignedMixDescriptor,
  verifier: IdentityVerifier,
): MixDescriptorUpload {
  const malformed = (why: string) => new DirectoryError('malformed', `descriptor: ${why}`);
  if (!upload || typeof upload.body !== 'string' || typeof upload.signature !== 'string')
    throw malformed('an upload is { body, signature }');
  if (upload.body.length > 4096) throw malformed('the body is too long');
  let value: { version?: unknown; epoch?: unknown; issuedAt?: unknown; descriptor?: unknown };
  try {
    value = JSON.parse(upload.body);
  } catch {
    throw malformed('the body is not JSON');
  }
  if (!value || typeof value !== 'object' || value.version !== 1)
    throw malformed('not a version-1 descriptor');
  const epoch = value.epoch;
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0)
    throw malformed('epoch must be a whole number');
  const issuedAt = value.issuedAt;
  if (!Number.isSafeInteger(issuedAt) || (issuedAt as number) < 0)
    throw malformed('issuedAt must be a whole number of ms');
  const descriptor = descriptorOf(value.descriptor, 'descriptor');
  const canonical = JSON.stringify({
    version: 1,
    epoch,
    issuedAt,
    descriptor: descriptorJson(descriptor),
  });
  if (canonical !== upload.body) throw malformed('the body is not in canonical form');
  let signer: Uint8Array | null = null;
  if (/^[0-9a-f]{130}$/.test(upload.signature)) {
    try {
      signer = verifier.recover(digestOf(upload.body), hexToBytes(upload.signature));
    } catch {
      signer = null;
    }
  }
  if (!signer || bytesToHex(signer.subarray(1)) !== bytesToHex(descriptor.identity))
    throw new DirectoryError('bad-signature', 'descriptor: not signed by its identity');
  return { epoch: epoch as number, issuedAt: issuedAt as number, descriptor };
}
