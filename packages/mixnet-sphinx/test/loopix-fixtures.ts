/**
 * Fixtures of the Loopix tests (specs/mixnet-sphinx/SPEC.md §11–§13): a seeded RandomBytes and
 * a one-epoch directory of one mix per layer and two gateways, with a `carry` that unwraps a
 * packet hop by hop with each node's key, as the mixes would.
 */
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  aezSprp,
  buildDirectory,
  type DirectoryDocument,
  type Geometry,
  geometry,
  mixNodeId,
  parseNetworkConfig,
  signMixDescriptor,
  unwrapPacket,
  verifyMixDescriptor,
} from '../src/index.js';

export const GEO = geometry(5, 512);

/** A deterministic RandomBytes: ChaCha20's keystream of a seed. */
export function seeded(seed: number) {
  const key = new Uint8Array(32).fill(seed);
  let counter = 0;
  return (length: number) => {
    const out = chacha20(key, new Uint8Array(12), new Uint8Array(length), undefined, counter);
    counter += Math.ceil(length / 64);
    return out;
  };
}

/** A directory of one mix per layer and two gateways, with their private keys. */
export function network(geo: Geometry = GEO) {
  const nodes = [1, 2, 3, 4, 5].map((n) => ({
    identity: secp256k1Identity(new Uint8Array(32).fill(n)),
    key: x25519.utils.randomSecretKey(),
  }));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const config = parseNetworkConfig({
    epochMs: 60_000,
    sphinx: { hops: geo.hops, userPayloadLength: geo.userPayloadLength },
    parameters: { lambdaP: 2, lambdaL: 1, lambdaD: 0.5, lambdaM: 1, meanDelayMs: 100 },
    authorities: [{ publicKey: 'ab'.repeat(32), url: 'http://127.0.0.1:1' }],
    threshold: 1,
    layers: [0, 1, 2].map((i) => [hex(nodes[i]!.identity.publicKey.subarray(1))]),
    gateways: [3, 4].map((i) => hex(nodes[i]!.identity.publicKey.subarray(1))),
  });
  const doc = buildDirectory(
    config,
    1,
    nodes.map((n) => {
      const upload = signMixDescriptor(n.identity, 1, {
        publicKey: x25519.getPublicKey(n.key),
        endpoints: ['ws://127.0.0.1:1'],
      });
      return { ...verifyMixDescriptor(upload, secp256k1Verifier()), body: upload.body };
    }),
  ) as DirectoryDocument;
  const keys = new Map(nodes.map((n) => [hex(mixNodeId(n.identity.publicKey.subarray(1))), n.key]));
  /** Carries a packet through every hop: the final hop's recipient, SURB id and payload. */
  const carry = (firstHop: Uint8Array, packet: Uint8Array) => {
    let hop = firstHop;
    let current = packet;
    for (;;) {
      const step = unwrapPacket(geo, keys.get(hex(hop))!, current, aezSprp);
      if (step.kind === 'final') {
        const recipient = step.commands.find((c) => c.type === 'recipient');
        const surbReply = step.commands.find((c) => c.type === 'surb-reply');
        return {
          at: hop,
          recipient: recipient?.type === 'recipient' ? recipient.id : undefined,
          surbId: surbReply?.type === 'surb-reply' ? surbReply.id : undefined,
          payload: step.payload,
        };
      }
      hop = step.nextHop;
      current = step.packet;
    }
  };
  return { doc, carry, nodes, gateways: doc.gateways.map((g) => g.id) };
}
