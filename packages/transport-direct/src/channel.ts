/**
 * The direct channel's link (specs/transport-direct/SPEC.md §3): the Noise link of
 * `@hush/noise` with the protocol name `hush-direct/1`, so it never completes with a gossip
 * link; IK when the dialer knows the contact's static key (from its introduction), XX
 * otherwise; and a peer that is not a contact is refused as soon as it is authenticated,
 * before any frame, let alone an envelope, is read.
 */
import type { Clock, ConnectionLimits, Identity, IdentityVerifier } from '@hush/interface';
import { type NoiseLinkEncrypter, noiseLinkEncrypter } from '@hush/noise';

/** The protocol name of direct channels: the Noise prologue of their handshakes. */
export const DIRECT_LINK_PROTOCOL = 'hush-direct/1';

/** What a node brings to its direct channels. */
export interface DirectLinkOptions {
  readonly identity: Identity;
  readonly verifier: IdentityVerifier;
  /** 32-byte X25519 static private key (its public key goes in introductions). */
  readonly staticKey: Uint8Array;
  /** Whether a 65-byte public key is a contact (a `ContactBook`'s `has`). */
  isContact(publicKey: Uint8Array): boolean;
  readonly limits?: ConnectionLimits;
  readonly clock?: Clock;
}

/**
 * The encrypter of a node's direct channels.
 *
 * @throws RangeError when `staticKey` is not 32 bytes
 * @example
 * ```ts
 * const encrypter = directLinkEncrypter({ identity, verifier, staticKey, isContact: (k) => contacts.has(k) });
 * const channel = await encrypter.secureOutbound(raw, { remoteStaticKey: intro.staticKey, remotePeer });
 * ```
 */
export function directLinkEncrypter(options: DirectLinkOptions): NoiseLinkEncrypter {
  return noiseLinkEncrypter({
    identity: options.identity,
    verifier: options.verifier,
    staticKey: options.staticKey,
    protocol: DIRECT_LINK_PROTOCOL,
    authorize: (_peer, remoteKey) => options.isContact(remoteKey),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
