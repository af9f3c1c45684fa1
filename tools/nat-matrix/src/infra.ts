/**
 * The matrix's "internet" services, run in its namespace: the STUN server, a Hush gossip node
 * the contacts join through their NATs, and the relay. Prints one JSON line when ready.
 */
import { randomBytes } from '@hush/crypto';
import { RelayServer, serveRelay } from '@hush/transport-direct';
import { createGossipNode, webSocketTransport } from '@hush/transport-gossip';
import { startStun } from './stun.js';

const host = process.argv[2] ?? '0.0.0.0';
const publicHost = process.argv[3] ?? '127.0.0.1';
await startStun(host, 3478);
let key: Uint8Array;
do key = randomBytes(32);
while (key[0] === 0);
const transport = webSocketTransport({ privateKey: key, host, port: 30303 });
const node = createGossipNode({
  key,
  transport,
  minPow: 0,
  maxPeers: 200,
  maxInboundPerAddress: 200,
});
await node.start();
const relay = await serveRelay(new RelayServer(), { host, port: 8080 });
const staticKey = Buffer.from(transport.staticKey).toString('hex');
process.stdout.write(
  `${JSON.stringify({
    ready: true,
    gossip: `ws://${publicHost}:30303#${staticKey}`,
    relay: relay.url.replace(host, publicHost),
    stun: `stun:${publicHost}:3478`,
  })}\n`,
);
process.on('SIGTERM', () => process.exit(0));
