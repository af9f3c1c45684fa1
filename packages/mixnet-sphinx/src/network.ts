/**
 * A mix network's configuration and epochs (specs/mixnet-sphinx/SPEC.md §10.2): what every
 * authority of a network agrees on before any epoch — the epoch length, the packet geometry,
 * the Loopix parameters, the authorities and how many signatures make a document, and which
 * identities are the mixes of each layer and the gateways — and how an authority builds the
 * document of an epoch from the descriptors uploaded for it. Building is deterministic: two
 * authorities holding the same uploads make the same bytes, which is what lets their
 * signatures add up to the threshold.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { MixDescriptorUpload } from './descriptor.js';
import {
  type DirectoryDocument,
  DirectoryError,
  IDENTITY_LENGTH,
  type LoopixParameters,
  type SphinxParameters,
  sphinxOf,
} from './directory.js';

/** One directory authority: its ed25519 key and where it serves (http:// or https://). */
export interface AuthorityInfo {
  readonly publicKey: Uint8Array;
  readonly url: string;
}

/** What a network's authorities agree on. */
export interface NetworkConfig {
  /** Epoch length, ms: epoch E runs from E·epochMs to (E+1)·epochMs, Unix time. */
  readonly epochMs: number;
  readonly sphinx: SphinxParameters;
  readonly parameters: LoopixParameters;
  readonly authorities: readonly AuthorityInfo[];
  /** Signatures of distinct authorities a document needs. */
  readonly threshold: number;
  /** The mixes' identities (64 bytes) by layer. */
  readonly layers: readonly (readonly Uint8Array[])[];
  readonly gateways: readonly Uint8Array[];
}

const bad = (why: string) => new DirectoryError('malformed', `network: ${why}`);

function identityOf(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${IDENTITY_LENGTH * 2}}$`).test(value))
    throw bad(`${what} must be a 64-byte identity in lowercase hex`);
  return hexToBytes(value);
}

/**
 * Reads a network configuration (the JSON file every authority, mix and client of the
 * network is given).
 *
 * @example
 * ```ts
 * const network = parseNetworkConfig(JSON.parse(readFileSync('network.json', 'utf8')));
 * ```
 * @throws DirectoryError 'malformed' naming the field that is wrong: an epoch length outside
 *   1 s … 1 day, hops that are not the layers plus two, a threshold that is not a majority of
 *   the authorities, an identity twice, a URL that is not http(s)
 */
export function parseNetworkConfig(value: unknown): NetworkConfig {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') throw bad('not an object');
  const epochMs = v.epochMs;
  if (!Number.isInteger(epochMs) || (epochMs as number) < 1000 || (epochMs as number) > 86_400_000)
    throw bad('epochMs must be a whole number of ms in 1 s … 1 day');
  const sphinx = sphinxOf(v.sphinx);
  const p = v.parameters as Record<string, unknown> | null;
  if (!p || typeof p !== 'object') throw bad('parameters missing');
  const rate = (name: keyof LoopixParameters) => {
    const x = p[name];
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x))
      throw bad(`parameters.${name} must be positive`);
    return x;
  };
  const parameters: LoopixParameters = {
    lambdaP: rate('lambdaP'),
    lambdaL: rate('lambdaL'),
    lambdaD: rate('lambdaD'),
    lambdaM: rate('lambdaM'),
    meanDelayMs: rate('meanDelayMs'),
  };
  if (!Array.isArray(v.authorities) || v.authorities.length < 1 || v.authorities.length > 32)
    throw bad('1 to 32 authorities');
  const authorities = v.authorities.map((a: Record<string, unknown> | null, i) => {
    if (!a || typeof a.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(a.publicKey))
      throw bad(`authorities[${i}].publicKey must be a 32-byte ed25519 key in hex`);
    if (typeof a.url !== 'string' || !/^https?:\/\/\S{1,250}$/.test(a.url))
      throw bad(`authorities[${i}].url must be an http:// or https:// URL`);
    return { publicKey: hexToBytes(a.publicKey), url: a.url.replace(/\/+$/, '') };
  });
  if (new Set(authorities.map((a) => bytesToHex(a.publicKey))).size !== authorities.length)
    throw bad('an authority appears twice');
  const threshold = v.threshold;
  // A majority: two disjoint sets of authorities can never both make a document.
  if (
    !Number.isInteger(threshold) ||
    (threshold as number) <= authorities.length / 2 ||
    (threshold as number) > authorities.length
  )
    throw bad('threshold must be a majority of the authorities');
  if (!Array.isArray(v.layers) || v.layers.length < 1 || v.layers.length > 16)
    throw bad('1 to 16 layers');
  const layers = v.layers.map((layer, i) => {
    if (!Array.isArray(layer) || layer.length < 1 || layer.length > 1000)
      throw bad(`layers[${i}] must hold 1 to 1000 identities`);
    return layer.map((x, j) => identityOf(x, `layers[${i}][${j}]`));
  });
  if (!Array.isArray(v.gateways) || v.gateways.length < 1 || v.gateways.length > 1000)
    throw bad('1 to 1000 gateways');
  const gateways = v.gateways.map((x, j) => identityOf(x, `gateways[${j}]`));
  const all = [...layers.flat(), ...gateways].map((x) => bytesToHex(x));
  if (new Set(all).size !== all.length) throw bad('an identity appears twice');
  if (sphinx.hops !== layers.length + 2)
    throw bad('sphinx.hops must be the layers plus two gateways (in and out)');
  return {
    epochMs: epochMs as number,
    sphinx,
    parameters,
    authorities,
    threshold: threshold as number,
    layers,
    gateways,
  };
}

/**
 * The JSON value of a configuration ({@link parseNetworkConfig} reads it back).
 *
 * @throws DirectoryError 'malformed' for a configuration that would not parse
 */
export function encodeNetworkConfig(config: NetworkConfig): Record<string, unknown> {
  const value = {
    epochMs: config.epochMs,
    sphinx: { hops: config.sphinx.hops, userPayloadLength: config.sphinx.userPayloadLength },
    parameters: { ...config.parameters },
    authorities: config.authorities.map((a) => ({
      publicKey: bytesToHex(a.publicKey),
      url: a.url,
    })),
    threshold: config.threshold,
    layers: config.layers.map((layer) => layer.map((x) => bytesToHex(x))),
    gateways: config.gateways.map((x) => bytesToHex(x)),
  };
  parseNetworkConfig(value);
  return value;
}

/**
 * An epoch as 12 digits, for store keys: keys sort in epoch order, so the keys of the epochs
 * before one are a range.
 */
export function epochLabel(epoch: number): string {
  return epoch.toString().padStart(12, '0');
}

/** The epoch `now` (Unix ms) falls in. */
export function epochAt(now: number, epochMs: number): number {
  return Math.floor(now / epochMs);
}

/** When `epoch` starts, Unix ms. */
export function epochStart(epoch: number, epochMs: number): number {
  return epoch * epochMs;
}

/** Which configured nodes a set of uploads for `epoch` lacks (their identities, hex). */
export function missingNodes(
  network: NetworkConfig,
  epoch: number,
  uploads: Iterable<MixDescriptorUpload>,
): string[] {
  const have = new Set<string>();
  for (const u of uploads) if (u.epoch === epoch) have.add(bytesToHex(u.descriptor.identity));
  return [...network.layers.flat(), ...network.gateways]
    .map((x) => bytesToHex(x))
    .filter((x) => !have.has(x));
}

/**
 * Of two uploads of one node for one epoch, whether `a` counts over `b`: the later signed, and
 * of two signed at the same ms the one whose body sorts first, so every authority takes the
 * same.
 */
export function preferredUpload(
  a: { readonly issuedAt: number; readonly body: string },
  b: { readonly issuedAt: number; readonly body: string },
): boolean {
  return a.issuedAt !== b.issuedAt ? a.issuedAt > b.issuedAt : a.body < b.body;
}

/**
 * The document of `epoch` from the uploads an authority holds: each configured node that
 * uploaded for the epoch, in the configuration's order (an upload from an identity not in
 * the configuration, or for another epoch, is left out; of two uploads from one node the one
 * {@link preferredUpload} picks).
 *
 * @returns the document, or undefined when a layer or the gateways would be empty
 */
export function buildDirectory(
  network: NetworkConfig,
  epoch: number,
  uploads: Iterable<MixDescriptorUpload & { readonly body: string }>,
): DirectoryDocument | undefined {
  const chosen = new Map<string, MixDescriptorUpload & { readonly body: string }>();
  for (const u of uploads) {
    if (u.epoch !== epoch) continue;
    const key = bytesToHex(u.descriptor.identity);
    const held = chosen.get(key);
    if (!held || preferredUpload(u, held)) chosen.set(key, u);
  }
  const pick = (ids: readonly Uint8Array[]) =>
    ids.flatMap((x) => {
      const held = chosen.get(bytesToHex(x));
      return held ? [held.descriptor] : [];
    });
  const layers = network.layers.map(pick);
  const gateways = pick(network.gateways);
  if (gateways.length === 0 || layers.some((layer) => layer.length === 0)) return undefined;
  return {
    version: 1,
    epoch,
    validFrom: epochStart(epoch, network.epochMs),
    validUntil: epochStart(epoch + 1, network.epochMs),
    layers,
    gateways,
    sphinx: network.sphinx,
    parameters: network.parameters,
  };
}
