/**
 * The gossip link (specs/whisper-v6 SPEC §7.6): the Noise link of `@hush/noise` with the
 * protocol name `hush-gossip/2`, keyed by the node's secp256k1 key. The Noise static key is
 * derived from the node key (SHA-256 of a label and the key), so it is the same at every
 * start and a peer that knows it can dial with IK.
 */
import {
  type CryptoBackend,
  defaultBackend,
  secp256k1Identity,
  secp256k1Verifier,
} from '@hush/crypto';
import type { Clock, ConnectionLimits } from '@hush/interface';
import { type NoiseLinkEncrypter, noiseLinkEncrypter } from '@hush/noise';

/** The protocol name of gossip links, the Noise prologue of every gossip handshake. */
export const GOSSIP_LINK_PROTOCOL = 'hush-gossip/2';
const STATIC_KEY_LABEL = new TextEncoder().encode('hush-gossip/2 noise static key');

/** The node's key and the connections' settings. */
export interface GossipLinkOptions {
  /** 32-byte secp256k1 node private key. */
  readonly privateKey: Uint8Array;
  readonly limits?: ConnectionLimits;
  readonly clock?: Clock;
  readonly backend?: CryptoBackend;
}

/** The X25519 static private key a node key's gossip links use. */
export function gossipStaticKey(privateKey: Uint8Array, backend: CryptoBackend = defaultBackend) {
  const input = new Uint8Array(STATIC_KEY_LABEL.length + privateKey.length);
  input.set(STATIC_KEY_LABEL, 0);
  input.set(privateKey, STATIC_KEY_LABEL.length);
  return backend.sha256(input);
}

/**
 * The encrypter of a node's gossip links.
 *
 * @throws RangeError when `privateKey` is not a valid secp256k1 private key
 */
export function gossipLinkEncrypter(options: GossipLinkOptions): NoiseLinkEncrypter {
  const backend = options.backend ?? defaultBackend;
  return noiseLinkEncrypter({
    identity: secp256k1Identity(options.privateKey, backend),
    verifier: secp256k1Verifier(backend),
    staticKey: gossipStaticKey(options.privateKey, backend),
    protocol: GOSSIP_LINK_PROTOCOL,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
