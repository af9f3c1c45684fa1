/**
 * The DHT's link (specs/inbox-dht/SPEC.md §3.1): the Noise link of `@hush/noise` under the
 * protocol name `hush-dht/1`, so that it never completes with a gossip or direct link; every
 * DHT message is one frame of it, and the peer id it proves is the one node ids come from.
 */
import type { Clock, ConnectionLimits, Identity, IdentityVerifier, PeerId } from '@hush/interface';
import { type NoiseLinkEncrypter, noiseLinkEncrypter } from '@hush/noise';

/** The protocol name of DHT links: the Noise prologue of their handshakes. */
export const DHT_LINK_PROTOCOL = 'hush-dht/1';

/** What a node brings to its DHT links. */
export interface DhtLinkOptions {
  readonly identity: Identity;
  readonly verifier: IdentityVerifier;
  /** 32-byte X25519 static private key. */
  readonly staticKey: Uint8Array;
  /** Whether to keep an authenticated peer (default: everyone, as a DHT must). */
  readonly authorize?: (peer: PeerId, remoteKey: Uint8Array) => boolean;
  readonly limits?: ConnectionLimits;
  readonly clock?: Clock;
}

/**
 * The encrypter of a node's DHT links: the Noise link under `hush-dht/1`.
 *
 * @throws RangeError when `staticKey` is not 32 bytes
 * @example
 * ```ts
 * const encrypter = dhtLinkEncrypter({ identity, verifier, staticKey });
 * const connection = await encrypter.secureOutbound(raw, { remotePeer: contact.peer });
 * ```
 */
export function dhtLinkEncrypter(options: DhtLinkOptions): NoiseLinkEncrypter {
  return noiseLinkEncrypter({
    identity: options.identity,
    verifier: options.verifier,
    staticKey: options.staticKey,
    protocol: DHT_LINK_PROTOCOL,
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
