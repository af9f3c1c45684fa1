#!/usr/bin/env node
/**
 * Records one RLPx session between a Hush node and a real geth v1.8.27, so that CI, which
 * cannot build geth, replays geth's side (packages/transport-rlpx/test/rlpx-geth-replay.test.ts).
 * The Hush side dials through a recording TCP proxy with fixed keys and handshake randomness,
 * so that a replay makes the same auth packet and so the same secrets; geth posts one
 * envelope while the session is up, so its side holds a snappy-compressed messages packet.
 *
 * Usage: node tools/geth-interop/capture-rlpx.mjs GETH_ENODE GETH_RPC_URL OUT.json
 * (run from packages/transport-rlpx so that its workspace imports resolve, after `pnpm build`)
 */
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createGossipNode } from '@hush/transport-gossip';
import { parseEnode, rlpxTransport } from '@hush/transport-rlpx';

const [gethEnode, gethRpc, out] = process.argv.slice(2);
if (!gethEnode || !gethRpc || !out) {
  console.error('usage: capture-rlpx.mjs GETH_ENODE GETH_RPC_URL OUT.json');
  process.exit(2);
}
const hex = (b) => Buffer.from(b).toString('hex');
const fixed = (byte, n) => new Uint8Array(n).fill(byte);
// Fixed and documented in the fixture: a replay must make the same auth packet.
const hushKey = fixed(0x11, 32);
const randomness = {
  ephemeralKey: fixed(0x22, 32),
  nonce: fixed(0x33, 32),
  padding: new Uint8Array(150),
  ecies: { ephemeralKey: fixed(0x44, 32), iv: fixed(0x55, 16) },
};
const clientName = 'Hush/v0.1.0/replay/node20';
const geth = parseEnode(gethEnode);

const fromHush = [];
const fromGeth = [];
const proxy = createServer((client) => {
  const upstream = connect({ host: geth.host, port: geth.port });
  client.on('data', (d) => {
    fromHush.push(d);
    upstream.write(d);
  });
  upstream.on('data', (d) => {
    // Each chunk of geth's with how many bytes Hush had sent by then: a replay sends it no
    // sooner, so that what geth sent in answer comes after what it answered.
    fromGeth.push({ afterHushBytes: fromHush.reduce((n, c) => n + c.length, 0), bytes: d });
    client.write(d);
  });
  // Either side may write after the other ended (geth answers a disconnect with its own).
  client.on('error', () => {});
  upstream.on('error', () => {});
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxied = gethEnode
  .replace(/@[^?]+/, `@127.0.0.1:${proxy.address().port}`)
  .replace(/\?.*$/, '');

let id = 0;
const call = async (method, ...params) => {
  const r = await (
    await fetch(gethRpc, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    })
  ).json();
  if (r.error) throw new Error(`${method}: ${r.error.message}`);
  return r.result;
};

const startedMs = Date.now();
const node = createGossipNode({
  key: hushKey,
  transport: rlpxTransport({ privateKey: hushKey, clientName, randomness }),
  bootstrap: [proxied],
  minPow: 0.2,
});
await node.start();
for (let i = 0; i < 100 && !node.stats().peers.some((p) => p.ready); i++)
  await new Promise((r) => setTimeout(r, 100));
if (!node.stats().peers.some((p) => p.ready)) throw new Error('no peer');
const sym = await call('shh_generateSymKeyFromPassword', 'rlpx replay');
const hash = await call('shh_post', {
  symKeyID: sym,
  topic: '0x5265706c',
  payload: `0x${Buffer.from('from geth, for the replay').toString('hex')}`,
  ttl: 600,
  powTarget: 0.5,
  powTime: 3,
});
for (let i = 0; i < 100 && node.stats().pool.envelopes === 0; i++)
  await new Promise((r) => setTimeout(r, 100));
// Let the last frames of both sides through, well before the first 15 s ping.
await new Promise((r) => setTimeout(r, 1000));
const peer = node.stats().peers[0];
await node.stop();
// The disconnect the stop sends is part of the session: let it through the proxy.
await new Promise((r) => setTimeout(r, 1500));
proxy.close();
writeFileSync(
  out,
  `${JSON.stringify(
    {
      about:
        'One RLPx session of a Hush node dialing geth v1.8.27 (Geth/v1.8.27-stable/linux-amd64/go1.19.8), recorded by tools/geth-interop/capture-rlpx.mjs through a TCP proxy: every byte each side sent, in order. The Hush side ran with the fixed key and handshake randomness below, so a replay makes the same auth packet; geth posted one envelope (its hash below) while the session was up.',
      recorded: new Date().toISOString().slice(0, 10),
      // The replay runs its node's clock from here: geth's envelope must not have expired.
      startedMs,
      gethEnode: gethEnode.replace(/@.*/, '@127.0.0.1:30399'),
      hushKey: hex(hushKey),
      clientName,
      randomness: {
        ephemeralKey: hex(randomness.ephemeralKey),
        nonce: hex(randomness.nonce),
        padding: randomness.padding.length,
        eciesEphemeralKey: hex(randomness.ecies.ephemeralKey),
        eciesIv: hex(randomness.ecies.iv),
      },
      gethMinPow: peer?.powRequirement,
      gethEnvelope: hash,
      fromHush: hex(Buffer.concat(fromHush)),
      fromGeth: fromGeth.map((c) => ({ afterHushBytes: c.afterHushBytes, bytes: hex(c.bytes) })),
    },
    null,
    2,
  )}\n`,
);
console.log(
  `recorded ${Buffer.concat(fromHush).length} bytes from Hush, ${fromGeth.reduce((n, c) => n + c.bytes.length, 0)} from geth in ${fromGeth.length} chunks; geth's envelope ${hash}; pool ${node.stats().pool.envelopes}`,
);
process.exit(0);
