/**
 * SPEC §7.6: the carriers (in-memory, WebSocket) run the carrier suite and the gossip Noise
 * link runs the encrypter suite of @hush/interface-compliance, with XX and with IK.
 */
import { defaultBackend } from '@hush/crypto';
import { peerIdFromPublicKey } from '@hush/interface';
import { carrierCompliance, encrypterCompliance } from '@hush/interface-compliance';
import { gossipLinkEncrypter, MemoryNetwork, webSocketCarrier } from '../src/index.js';
import { generatePrivateKey } from './helpers.js';

const network = new MemoryNetwork();
carrierCompliance('memory', { create: () => network.carrier(), unreachable: 'memory://nobody' });
carrierCompliance('websocket', {
  create: () => webSocketCarrier(),
  // Port 1 on loopback: nothing listens there (tcpmux), so the dial is refused at once.
  unreachable: 'ws://127.0.0.1:1',
});

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
