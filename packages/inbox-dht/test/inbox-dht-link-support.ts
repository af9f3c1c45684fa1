/**
 * Helpers of the tests that run real `hush-dht/1` links (SPEC §3.1): a party (a node's
 * identity and its Noise encrypter), an authenticated connection pair between two parties
 * over an in-memory channel pair, a signed fetch of a whole inbox (SPEC §6.1), and envelopes
 * sealed to a small minimum PoW (or just under it) in one epoch of the tests.
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { createEnvelope, type Envelope, envelopePow, sealEnvelope } from '@hush/envelope';
import type { Connection, PeerId } from '@hush/interface';
import { rawChannelPair } from '@hush/interface-compliance';
import {
  dhtLinkEncrypter,
  EPOCH_MS,
  requestNonce,
  type SignedRequest,
  signRequest,
} from '../src/index.js';

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

/** The epoch of the tests, the middle of it, their topic and their descriptors' minimum PoW. */
export const EPOCH = 20_000;
export const T0 = EPOCH * EPOCH_MS + EPOCH_MS / 2;
export const TOPIC = Uint8Array.of(1, 2, 3, 4);
export const MIN_POW = 0.01;

let made = 0;
/** A fresh envelope created at `nowMs`, sealed to `pow`. */
export function envelopeAt(nowMs: number, pow = MIN_POW): Promise<Envelope> {
  const data = new Uint8Array(16);
  new DataView(data.buffer).setUint32(0, ++made);
  const sent = Math.floor(nowMs / 1000);
  return sealEnvelope(createEnvelope({ expiry: sent + 3600, ttl: 3600, topic: TOPIC, data }), {
    pow,
    workTime: 10,
  });
}

/** The envelope with a nonce whose PoW is below the minimum. */
export function underPow(e: Envelope): Envelope {
  for (let nonce = 0n; ; nonce++) {
    const candidate = { ...e, nonce };
    if (envelopePow(candidate) < MIN_POW) return candidate;
  }
}
