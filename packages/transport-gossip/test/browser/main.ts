/** The page the browser test drives: a gossip node in the page, dialing a Node.js node. */
import { defaultBackend, randomBytes } from '@hush/crypto';
import { createEnvelope } from '@hush/envelope';
import { createGossipNode, webSocketTransport } from '../../src/index.js';

const hex = (data: Uint8Array) => Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');

const api = {
  async run(address: string, topicHex: string) {
    let key = randomBytes(32);
    while (!defaultBackend.isValidPrivateKey(key)) key = randomBytes(32);
    const node = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key }),
      minPow: 0,
    });
    await node.start();
    node.connect(address);
    const topic = Uint8Array.from(topicHex.match(/../g)!, (b) => Number.parseInt(b, 16));
    const subscription = node.subscribe({ topics: [topic] });
    const received = await subscription.next();
    const now = Math.floor(Date.now() / 1000);
    const reply = createEnvelope({
      expiry: now + 60,
      ttl: 60,
      topic,
      data: new TextEncoder().encode('from the browser'),
    });
    const replyHash = hex(node.post(reply));
    // Give the transmission cycle time to forward the reply before leaving.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const peers = node.stats().peers.length;
    subscription.close();
    await node.stop();
    return {
      id: node.id,
      receivedData: new TextDecoder().decode(received.value!.envelope.data),
      replyHash,
      peers,
    };
  },
};

Object.assign(globalThis, { hushGossip: api, hushReady: true });
