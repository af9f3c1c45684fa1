/**
 * The directory (specs/mixnet-sphinx/SPEC.md §10): one document per epoch naming the mixes by
 * layer and the gateways, each with its node id, the identity its links prove, its X25519 key
 * for the epoch and where it listens, the packet geometry and the Loopix parameters of the
 * network; signed by the directory authorities
 * (ed25519), and accepted by clients and mixes only with signatures of at least `threshold`
 * distinct known authorities, within its validity. The signed bytes are the document's
 * canonical JSON: fields in a fixed order, byte strings as lowercase hex.
 */

import { HushError } from '@hush/interface';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { GROUP_ELEMENT_LENGTH, geometry, NODE_ID_LENGTH } from './geometry.js';

/** Why a directory document was refused. */
export type DirectoryErrorCode =
  | 'malformed'
  | 'bad-signature'
  | 'too-few-signatures'
  | 'not-yet-valid'
  | 'expired'
  | 'unavailable';

/** A directory failure. */
export class DirectoryError extends HushError<DirectoryErrorCode> {
  override readonly name = 'DirectoryError';
}

/** Bytes of a node's identity: its secp256k1 public key without the 0x04 (its peer id). */
export const IDENTITY_LENGTH = 64;

/**
 * A mix's node id, the id routing commands name: SHA-256 of its identity.
 *
 * @throws RangeError when `identity` is not 64 bytes
 */
export function mixNodeId(identity: Uint8Array): Uint8Array {
  if (!(identity instanceof Uint8Array) || identity.length !== IDENTITY_LENGTH)
    throw new RangeError(`identity must be ${IDENTITY_LENGTH} bytes`);
  return sha256(identity);
}

/** One mix or gateway of an epoch. */
export interface MixDescriptor {
  /** SHA-256 of `identity` ({@link mixNodeId}). */
  readonly id: Uint8Array;
  /** The secp256k1 public key (64 bytes, no 0x04) its Noise links prove. */
  readonly identity: Uint8Array;
  /** Its X25519 public key for the epoch. */
  readonly publicKey: Uint8Array;
  /** Where its Noise links listen (ws:// or wss://). */
  readonly endpoints: readonly string[];
}

/** Loopix's rates and delay (Piotrowska et al., 2017): means, in the units named. */
export interface LoopixParameters {
  /** λP: payload packets per second per client. */
  readonly lambdaP: number;
  /** λL: loop packets per second per client. */
  readonly lambdaL: number;
  /** λD: drop packets per second per client. */
  readonly lambdaD: number;
  /** λM: loop packets per second per mix. */
  readonly lambdaM: number;
  /** 1/μ: the mean per-hop delay, ms. */
  readonly meanDelayMs: number;
}

/** The packets of a network: hops per route and the user payload (§2). */
export interface SphinxParameters {
  readonly hops: number;
  readonly userPayloadLength: number;
}

/** The directory of one epoch. */
export interface DirectoryDocument {
  readonly version: 1;
  readonly epoch: number;
  /** Unix ms. */
  readonly validFrom: number;
  readonly validUntil: number;
  /** Mixes by layer: a route takes one of each layer, in order. */
  readonly layers: readonly (readonly MixDescriptor[])[];
  readonly gateways: readonly MixDescriptor[];
  readonly sphinx: SphinxParameters;
  readonly parameters: LoopixParameters;
}

/** A document and its authorities' signatures. */
export interface SignedDirectory {
  /** The canonical JSON the signatures are over. */
  readonly document: string;
  readonly signatures: readonly { readonly authority: string; readonly signature: string }[];
}

const DOMAIN = new TextEncoder().encode('hush-directory/1\0');

function signed(document: string): Uint8Array {
  const body = new TextEncoder().encode(document);
  const out = new Uint8Array(DOMAIN.length + body.length);
  out.set(DOMAIN);
  out.set(body, DOMAIN.length);
  return out;
}

/** A descriptor's canonical JSON value. */
export const descriptorJson = (d: MixDescriptor) => ({
  id: bytesToHex(d.id),
  identity: bytesToHex(d.identity),
  publicKey: bytesToHex(d.publicKey),
  endpoints: [...d.endpoints],
});

/**
 * The canonical JSON of a document.
 *
 * @throws DirectoryError 'malformed' for a document that would not verify (see parse)
 */
export function encodeDirectory(document: DirectoryDocument): string {
  const p = document.parameters;
  const text = JSON.stringify({
    version: 1,
    epoch: document.epoch,
    validFrom: document.validFrom,
    validUntil: document.validUntil,
    layers: document.layers.map((layer) => layer.map(descriptorJson)),
    gateways: document.gateways.map(descriptorJson),
    sphinx: { hops: document.sphinx.hops, userPayloadLength: document.sphinx.userPayloadLength },
    parameters: {
      lambdaP: p.lambdaP,
      lambdaL: p.lambdaL,
      lambdaD: p.lambdaD,
      lambdaM: p.lambdaM,
      meanDelayMs: p.meanDelayMs,
    },
  });
  decodeDirectory(text);
  return text;
}

const bad = (why: string) => new DirectoryError('malformed', `directory: ${why}`);

function hexField(value: unknown, length: number, what: string): Uint8Array {
  if (typeof value !== 'string' || value.length !== length * 2 || !/^[0-9a-f]*$/.test(value))
    throw bad(`${what} must be ${length} bytes of lowercase hex`);
  return hexToBytes(value);
}

/**
 * A descriptor from its JSON value.
 *
 * @throws DirectoryError 'malformed' naming the field (`what`) that is wrong, or an id that is
 *   not its identity's
 */
export function descriptorOf(value: unknown, what: string): MixDescriptor {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') throw bad(`${what} is not an object`);
  const endpoints = v.endpoints;
  if (
    !Array.isArray(endpoints) ||
    endpoints.length < 1 ||
    endpoints.length > 4 ||
    !endpoints.every((e) => typeof e === 'string' && /^wss?:\/\/\S{1,250}$/.test(e))
  )
    throw bad(`${what}.endpoints must be 1 to 4 ws:// or wss:// addresses`);
  const id = hexField(v.id, NODE_ID_LENGTH, `${what}.id`);
  const identity = hexField(v.identity, IDENTITY_LENGTH, `${what}.identity`);
  if (bytesToHex(mixNodeId(identity)) !== bytesToHex(id))
    throw bad(`${what}.id is not SHA-256 of its identity`);
  return {
    id,
    identity,
    publicKey: hexField(v.publicKey, GROUP_ELEMENT_LENGTH, `${what}.publicKey`),
    endpoints: endpoints as string[],
  };
}

/**
 * The packet parameters from their JSON value.
 *
 * @throws DirectoryError 'malformed' when they make no geometry
 */
export function sphinxOf(value: unknown): SphinxParameters {
  const s = value as Record<string, unknown> | null;
  if (!s || typeof s !== 'object') throw bad('sphinx parameters missing');
  try {
    const { hops, userPayloadLength } = geometry(s.hops as number, s.userPayloadLength as number);
    return { hops, userPayloadLength };
  } catch (cause) {
    throw new DirectoryError('malformed', `directory: sphinx: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Reads a document's canonical JSON (without checking signatures).
 *
 * @throws DirectoryError 'malformed' for anything that is not a version-1 document: bad JSON,
 *   a missing or mistyped field, a bad key length, an id not its identity's, an empty layer,
 *   a node id twice, hops that are not the layers plus two, rates that are not positive, a
 *   validity that ends before it starts
 */
export function decodeDirectory(text: string): DirectoryDocument {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw bad('not JSON');
  }
  if (!v || typeof v !== 'object' || v.version !== 1) throw bad('not a version-1 document');
  const whole = (x: unknown, what: string) => {
    if (!Number.isSafeInteger(x) || (x as number) < 0) throw bad(`${what} must be a whole number`);
    return x as number;
  };
  const epoch = whole(v.epoch, 'epoch');
  const validFrom = whole(v.validFrom, 'validFrom');
  const validUntil = whole(v.validUntil, 'validUntil');
  if (validUntil <= validFrom) throw bad('validUntil must be after validFrom');
  if (!Array.isArray(v.layers) || v.layers.length < 1 || v.layers.length > 16)
    throw bad('1 to 16 layers');
  const layers = v.layers.map((layer, i) => {
    if (!Array.isArray(layer) || layer.length < 1 || layer.length > 1000)
      throw bad(`layer ${i} must hold 1 to 1000 mixes`);
    return layer.map((d, j) => descriptorOf(d, `layers[${i}][${j}]`));
  });
  if (!Array.isArray(v.gateways) || v.gateways.length < 1 || v.gateways.length > 1000)
    throw bad('1 to 1000 gateways');
  const gateways = v.gateways.map((d, j) => descriptorOf(d, `gateways[${j}]`));
  const ids = [...layers.flat(), ...gateways].map((d) => bytesToHex(d.id));
  if (new Set(ids).size !== ids.length) throw bad('a node id appears twice');
  const p = v.parameters as Record<string, unknown> | null;
  const rate = (x: unknown, what: string) => {
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x))
      throw bad(`parameters.${what} must be positive`);
    return x;
  };
  if (!p || typeof p !== 'object') throw bad('parameters missing');
  const sphinx = sphinxOf(v.sphinx);
  if (sphinx.hops !== layers.length + 2)
    throw bad('sphinx.hops must be the layers plus two gateways (in and out)');
  return {
    version: 1,
    epoch,
    validFrom,
    validUntil,
    layers,
    gateways,
    sphinx,
    parameters: {
      lambdaP: rate(p.lambdaP, 'lambdaP'),
      lambdaL: rate(p.lambdaL, 'lambdaL'),
      lambdaD: rate(p.lambdaD, 'lambdaD'),
      lambdaM: rate(p.lambdaM, 'lambdaM'),
      meanDelayMs: rate(p.meanDelayMs, 'meanDelayMs'),
    },
  };
}

/**
 * An authority's signature of a document (its canonical JSON), added to those it has.
 *
 * @throws DirectoryError 'malformed' for a document that does not decode
 */
export function signDirectory(
  directory: SignedDirectory | string,
  authoritySecret: Uint8Array,
): SignedDirectory {
  const text = typeof directory === 'string' ? directory : directory.document;
  decodeDirectory(text);
  const authority = bytesToHex(ed25519.getPublicKey(authoritySecret));
  const signature = bytesToHex(ed25519.sign(signed(text), authoritySecret));
  const others =
    typeof directory === 'string'
      ? []
      : directory.signatures.filter((s) => s.authority !== authority);
  return { document: text, signatures: [...others, { authority, signature }] };
}

/**
 * The document, when at least `threshold` distinct authorities among `authorities` signed
 * it (a signature that does not verify counts for nothing; unknown signers are ignored), and
 * `now` is within its validity.
 *
 * @throws DirectoryError 'malformed', 'too-few-signatures', 'not-yet-valid', 'expired'
 * @throws RangeError for a threshold below 1 or above the number of authorities
 */
export function verifyDirectory(
  directory: SignedDirectory,
  authorities: readonly Uint8Array[],
  threshold: number,
  now: number = Date.now(),
): DirectoryDocument {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > authorities.length)
    throw new RangeError('threshold must be between 1 and the number of authorities');
  const document = decodeDirectory(directory.document);
  const known = new Set(authorities.map((a) => bytesToHex(a)));
  const message = signed(directory.document);
  const valid = new Set<string>();
  for (const s of Array.isArray(directory.signatures) ? directory.signatures : []) {
    if (typeof s?.authority !== 'string' || !known.has(s.authority) || valid.has(s.authority))
      continue;
    try {
      if (ed25519.verify(hexToBytes(s.signature), message, hexToBytes(s.authority)))
        valid.add(s.authority);
    } catch {
      // Not hex, or not a signature: it counts for nothing.
    }
  }
  if (valid.size < threshold)
    throw new DirectoryError(
      'too-few-signatures',
      `${valid.size} valid signatures of known authorities, ${threshold} needed`,
    );
  if (now < document.validFrom)
    throw new DirectoryError('not-yet-valid', 'the document is not valid yet');
  if (now >= document.validUntil) throw new DirectoryError('expired', 'the document has expired');
  return document;
}
