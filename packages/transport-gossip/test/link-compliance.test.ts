/**
 * SPEC §7.6: the in-memory carrier runs the carrier suite (the WebSocket carrier runs it in
 * @hush/carrier-websocket), the gossip Noise link runs the encrypter suite of
 * @hush/interface-compliance (XX and IK), and the gossip node runs the envelope
 * sender/receiver suite, alone and as two linked nodes.
 */
import { defaultBackend } from '@hush/crypto';
import { createEnvelope, sealEnvelope } from '@hush/envelope';
import { peerIdFromPublicKey } from '@hush/interface';
import {
  carrierCompliance,
  encrypterCompliance,
  envelopeExchangeCompliance,
} from '@hush/interface-compliance';
import { createGossipNode, gossipLinkEncrypter, MemoryNetwork } from '../src/index.js';
import { eventually, generatePrivateKey } from './helpers.js';

const network = new MemoryNetwork();
carrierCompliance('memory', { create: () => network.carrier(), unreachable: 'memory://nobody' });

encrypterCompliance('gossip Noise link (hush-gossip/2)', {
  create() {
    const privateKey = generatePrivateKey();
    return {
      encrypter: gossipLinkEncrypter({ privateKey }),
      peerId: peerIdFromPublicKey(defaultBackend.publicKeyCreate(privateKey)),
    };
  },
  knownKeyHandshake: true,
});

async function sealedEnvelope() {
  const now = Math.floor(Date.now() / 1000);
  return sealEnvelope(
    createEnvelope({
      expiry: now + 60,
      ttl: 60,
      topic: Uint8Array.of(1, 2, 3, 4),
      data: crypto.getRandomValues(new Uint8Array(48)),
    }),
    { pow: 0.2, workTime: 10 },
  );
}

envelopeExchangeCompliance('gossip node, posted and accepted locally', async () => {
  const key = generatePrivateKey();
  const node = createGossipNode({ key, transport: network.transport({ privateKey: key }) });
  await node.start();
  return { sender: node, receiver: node, makeEnvelope: sealedEnvelope, close: () => node.stop() };
});

envelopeExchangeCompliance('gossip nodes over a Noise link', async () => {
  const keyA = generatePrivateKey();
  const keyB = generatePrivateKey();
  const a = createGossipNode({ key: keyA, transport: network.transport({ privateKey: keyA }) });
  const b = createGossipNode({ key: keyB, transport: network.transport({ privateKey: keyB }) });
  await a.start();
  await b.start();
  b.connect(a.addresses[0]!);
  await eventually(() => a.stats().peers.some((p) => p.ready), 20_000, 'linked');
  await eventually(() => b.stats().peers.some((p) => p.ready), 20_000, 'linked');
  return {
    sender: a,
    receiver: b,
    makeEnvelope: sealedEnvelope,
    close: async () => {
      await a.stop();
      await b.stop();
    },
  };
});
