/**
 * Helpers of the tests that run real `hush-dht/1` links (SPEC §3.1): a party (a node's
 * identity and its Noise encrypter), an authenticated connection pair between two parties
 * over an in-memory channel pair, and a signed fetch of a whole inbox (SPEC §6.1).
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import type { Connection, PeerId } from '@hush/interface';
import { rawChannelPair } from '@hush/interface-compliance';
import { dhtLinkEncrypter, requestNonce, type SignedRequest, signRequest } from '../src/index.js';

const verifier = secp256k1Verifier();

/** A node's identity and its `hush-dht/1` encrypter. */
export function party() {
  const identity = secp256k1Identity(randomBytes(32));
  const encrypter = dhtLinkEncrypter({ identity, verifier, staticKey: randomBytes(32) });
  return { identity, encrypter, peer: identity.peerId as PeerId };
}
export type Party = ReturnType<typeof party>;

/** An authenticated connection pair over an in-memory channel pair: [a's end, b's end]. */
export async function link(a: Party, b: Party): Promise<[Connection, Connection]> {
  const [ra, rb] = rawChannelPair();
  return Promise.all([
    a.encrypter.secureOutbound(ra, { remotePeer: b.peer }),
    b.encrypter.secureInbound(rb),
  ]);
}

/** A fetch of everything at `location`, signed with `secretKey`, made at `timestamp`. */
export function fetchRequest(
  secretKey: Uint8Array,
  location: Uint8Array,
  timestamp: number,
): SignedRequest {
  return signRequest(
    {
      op: 'fetch',
      location,
      timestamp,
      nonce: requestNonce(),
      query: {
        from: 0,
        to: 0xffffffff,
        topics: [],
        bloom: new Uint8Array(0),
        limit: 100,
        cursor: new Uint8Array(0),
      },
    },
    secretKey,
  );
}
