#!/usr/bin/env node
/**
 * The by-hand interop run of specs/rlpx against a real geth v1.8.27 (issue 19), as a script so
 * that anyone can repeat it: given the JSON-RPC URLs of a geth node and of a Hush node that are
 * peered over RLPx (one dialed the other's enode:// URL), it drives both through `shh_*` only,
 * as any DApp would, and prints one line per check:
 *
 *   - a symmetric message posted on either reaches a filter on the other, both directions;
 *   - an asymmetric, signed message likewise, the signer seen by the receiver;
 *   - a PoW requirement set on one is honoured by the other (the envelope below it is withheld,
 *     not sent to be dropped for: the peers stay connected), one above it passes;
 *   - a bloom filter set on one is honoured by the other (a topic outside it is withheld).
 *
 * Usage: node tools/geth-interop/interop.mjs http://127.0.0.1:18645 http://127.0.0.1:28545
 * Exit status 0 when every check held.
 */
const [gethUrl, hushUrl] = process.argv.slice(2);
if (!gethUrl || !hushUrl) {
  console.error('usage: interop.mjs GETH_RPC_URL HUSH_RPC_URL');
  process.exit(2);
}
let id = 0;
async function call(url, method, ...params) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
  });
  const answer = await response.json();
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result;
}
const nodes = { geth: gethUrl, hush: hushUrl };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let failed = 0;
function check(what, ok, detail = '') {
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
}
const hex = (text) => `0x${Buffer.from(text).toString('hex')}`;
const unhex = (h) => Buffer.from(h.slice(2), 'hex').toString();
const randomTopic = () =>
  `0x${[...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;

/** Polls a filter until `n` messages came or `ms` passed. */
async function messages(url, filter, ms, n = 1) {
  const got = [];
  for (const start = Date.now(); Date.now() - start < ms && got.length < n; await sleep(250))
    got.push(...(await call(url, 'shh_getFilterMessages', filter)));
  return got;
}
async function peers(url) {
  return Number.parseInt(await call(url, 'net_peerCount'), 16);
}

console.log(`geth: ${await call(gethUrl, 'web3_clientVersion')}`);
console.log(`hush: ${await call(hushUrl, 'web3_clientVersion')}`);
check('geth and hush are peered', (await peers(gethUrl)) >= 1 && (await peers(hushUrl)) >= 1);

const password = `interop ${Date.now()}`;
const sym = {
  geth: await call(gethUrl, 'shh_generateSymKeyFromPassword', password),
  hush: await call(hushUrl, 'shh_generateSymKeyFromPassword', password),
};
const pair = {
  geth: await call(gethUrl, 'shh_newKeyPair'),
  hush: await call(hushUrl, 'shh_newKeyPair'),
};
const pub = {
  geth: await call(gethUrl, 'shh_getPublicKey', pair.geth),
  hush: await call(hushUrl, 'shh_getPublicKey', pair.hush),
};

for (const [from, to] of [
  ['geth', 'hush'],
  ['hush', 'geth'],
]) {
  const topic = randomTopic();
  const filter = await call(nodes[to], 'shh_newMessageFilter', {
    symKeyID: sym[to],
    topics: [topic],
  });
  const text = `sym ${from} to ${to}`;
  await call(nodes[from], 'shh_post', {
    symKeyID: sym[from],
    topic,
    payload: hex(text),
    ttl: 60,
    powTarget: 2.5,
    powTime: 2,
  });
  const got = await messages(nodes[to], filter, 15_000);
  check(
    `symmetric, ${from} → ${to}`,
    got.length === 1 && unhex(got[0].payload) === text,
    got.length ? `"${unhex(got[0].payload)}", PoW ${got[0].pow.toFixed(2)}` : 'nothing came',
  );

  const atopic = randomTopic();
  const afilter = await call(nodes[to], 'shh_newMessageFilter', {
    privateKeyID: pair[to],
    topics: [atopic],
  });
  const atext = `asym ${from} to ${to}, signed`;
  await call(nodes[from], 'shh_post', {
    pubKey: pub[to],
    sig: pair[from],
    topic: atopic,
    payload: hex(atext),
    ttl: 60,
    powTarget: 2.5,
    powTime: 2,
  });
  const agot = await messages(nodes[to], afilter, 15_000);
  check(
    `asymmetric signed, ${from} → ${to}`,
    agot.length === 1 && unhex(agot[0].payload) === atext && agot[0].sig === pub[from],
    agot.length
      ? `"${unhex(agot[0].payload)}", signer ${agot[0].sig === pub[from] ? 'is' : 'is NOT'} ${from}'s key`
      : 'nothing came',
  );
}

// PoW requirement: the receiver raises its minimum; the sender must withhold what is below it
// (a node that sent it anyway would be dropped by the receiver: geth drops a peer for an
// envelope under its minimum PoW), and still send what is above it.
for (const [setter, sender] of [
  ['geth', 'hush'],
  ['hush', 'geth'],
]) {
  await call(nodes[setter], 'shh_setMinPoW', 5);
  await sleep(1500);
  const topic = randomTopic();
  const filter = await call(nodes[setter], 'shh_newMessageFilter', {
    symKeyID: sym[setter],
    topics: [topic],
  });
  await call(nodes[sender], 'shh_post', {
    symKeyID: sym[sender],
    topic,
    payload: hex('low pow'),
    ttl: 60,
    powTarget: 0.5,
    powTime: 1,
  });
  const low = await messages(nodes[setter], filter, 5_000);
  check(
    `PoW requirement of ${setter} honoured by ${sender}: below it withheld`,
    low.length === 0 && (await peers(nodes[setter])) >= 1,
    `${low.length} came, ${await peers(nodes[setter])} peer(s) still connected`,
  );
  await call(nodes[sender], 'shh_post', {
    symKeyID: sym[sender],
    topic,
    payload: hex('high pow'),
    ttl: 60,
    powTarget: 6,
    powTime: 20,
  });
  const high = await messages(nodes[setter], filter, 30_000);
  check(
    `PoW requirement of ${setter} honoured by ${sender}: above it passes`,
    high.length === 1 && unhex(high[0].payload) === 'high pow',
    high.length ? `PoW ${high[0].pow.toFixed(2)}` : 'nothing came',
  );
  await call(nodes[setter], 'shh_setMinPoW', 0.2);
  await sleep(1500);
}

// Bloom filter: the receiver admits one topic; a filter without topics (which adds nothing
// to the bloom) shows what arrives.
function bloomOf(topic) {
  const t = Buffer.from(topic.slice(2), 'hex');
  const bloom = new Uint8Array(64);
  for (let j = 0; j < 3; j++) {
    const index = (t[j] + ((t[3] & (1 << j)) !== 0 ? 256 : 0)) & 511;
    bloom[Math.floor(index / 8)] |= 1 << (index % 8);
  }
  return `0x${Buffer.from(bloom).toString('hex')}`;
}
for (const [setter, sender] of [
  ['geth', 'hush'],
  ['hush', 'geth'],
]) {
  const inside = randomTopic();
  const outside = randomTopic();
  await call(nodes[setter], 'shh_setBloomFilter', bloomOf(inside));
  await sleep(1500);
  const filter = await call(nodes[setter], 'shh_newMessageFilter', { symKeyID: sym[setter] });
  await call(nodes[sender], 'shh_post', {
    symKeyID: sym[sender],
    topic: outside,
    payload: hex('outside'),
    ttl: 60,
    powTarget: 2.5,
    powTime: 2,
  });
  await call(nodes[sender], 'shh_post', {
    symKeyID: sym[sender],
    topic: inside,
    payload: hex('inside'),
    ttl: 60,
    powTarget: 2.5,
    powTime: 2,
  });
  const got = await messages(nodes[setter], filter, 8_000, 2);
  const texts = got.map((m) => unhex(m.payload));
  check(
    `bloom filter of ${setter} honoured by ${sender}`,
    texts.length === 1 && texts[0] === 'inside',
    `came: ${JSON.stringify(texts)}`,
  );
  await call(nodes[setter], 'shh_setBloomFilter', `0x${'ff'.repeat(64)}`);
  await sleep(1500);
}

check('still peered at the end', (await peers(gethUrl)) >= 1 && (await peers(hushUrl)) >= 1);
console.log(failed === 0 ? 'every check held' : `${failed} check(s) failed`);
process.exit(failed === 0 ? 0 : 1);
