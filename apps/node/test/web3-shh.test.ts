/**
 * Issue 6's compatibility promise: the unmodified web3-shh 1.10.4 package drives `hush` over
 * WebSocket (keys, password keys, symmetric and asymmetric posts, subscriptions, polling
 * filters, bad input) and every result comes back as it would from geth.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HushNode } from '../src/index.js';
import { eventually, testNode } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: web3-shh ships no usable types for this use
type Any = any;
const Shh = createRequire(import.meta.url)('web3-shh') as new (provider: string) => Any;

let node: HushNode;
let shh: Any;
beforeAll(async () => {
  node = await testNode();
  shh = new Shh(node.rpc.wsUrl);
});
afterAll(async () => {
  shh?.clearSubscriptions?.(() => {});
  shh?.currentProvider?.disconnect?.();
  await node?.stop();
});

describe('web3-shh 1.10.4 against hush', () => {
  it('reads version and info, and changes settings', async () => {
    expect(await shh.getVersion()).toBe('6.0');
    expect(await shh.getInfo()).toMatchObject({ minPow: 0.2, maxMessageSize: 1048576 });
    expect(await shh.setMaxMessageSize(1048576)).toBe(true);
    expect(await shh.setMinPoW(0.2)).toBe(true);
  });

  it('manages keys', async () => {
    const sym = await shh.newSymKey();
    expect(await shh.hasSymKey(sym)).toBe(true);
    const bytes = await shh.getSymKey(sym);
    const again = await shh.addSymKey(bytes);
    expect(await shh.getSymKey(again)).toBe(bytes);
    expect(await shh.deleteSymKey(sym)).toBe(true);
    expect(await shh.hasSymKey(sym)).toBe(false);
    const fromPassword = await shh.generateSymKeyFromPassword('');
    expect(await shh.getSymKey(fromPassword)).toBe(
      '0xffe46925eca10a1c333a2f37eaea7cafbb7fa5f1f8e097010f93d73ae7fb7e67',
    );
    const pair = await shh.newKeyPair();
    expect(await shh.hasKeyPair(pair)).toBe(true);
    const pub = await shh.getPublicKey(pair);
    expect(pub).toMatch(/^0x04[0-9a-f]{128}$/);
    const priv = await shh.getPrivateKey(pair);
    const imported = await shh.addPrivateKey(priv);
    expect(await shh.getPublicKey(imported)).toBe(pub);
    expect(await shh.deleteKeyPair(pair)).toBe(true);
  });

  it('posts symmetric messages to a subscription, signed', async () => {
    const sym = await shh.generateSymKeyFromPassword('web3-shh test');
    const signer = await shh.newKeyPair();
    const received: Any[] = [];
    const subscription = shh.subscribe('messages', { symKeyID: sym, topics: ['0xffaadd11'] });
    subscription.on('data', (message: Any) => received.push(message));
    await new Promise((resolve) => subscription.on('connected', resolve));
    const hash = await shh.post({
      symKeyID: sym,
      sig: signer,
      ttl: 10,
      topic: '0xffaadd11',
      payload: '0xffffffdddddd1122',
      powTime: 3,
      powTarget: 0.5,
    });
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    await eventually(() => received.length === 1, 20_000, 'subscription data');
    expect(received[0]).toMatchObject({
      topic: '0xffaadd11',
      payload: '0xffffffdddddd1122',
      ttl: 10,
      hash,
      sig: await shh.getPublicKey(signer),
    });
    expect(received[0].pow).toBeGreaterThanOrEqual(0.5);
    await new Promise((resolve) => subscription.unsubscribe(resolve));
  });

  it('posts asymmetric messages to a polling filter', async () => {
    const pair = await shh.newKeyPair();
    const pubKey = await shh.getPublicKey(pair);
    const filter = await shh.newMessageFilter({ privateKeyID: pair });
    const hash = await shh.post({
      pubKey,
      ttl: 20,
      topic: '0x01020304',
      payload: '0x6869',
      powTime: 3,
      powTarget: 0.3,
    });
    let messages: Any[] = [];
    await eventually(async () => {
      messages = messages.concat(await shh.getFilterMessages(filter));
      return messages.length > 0;
    });
    expect(messages[0]).toMatchObject({
      hash,
      payload: '0x6869',
      recipientPublicKey: pubKey,
      topic: '0x01020304',
    });
    expect(messages[0].sig).toBeUndefined();
    expect(await shh.deleteMessageFilter(filter)).toBe(true);
  });

  it('gets errors for bad input, and the node keeps serving', async () => {
    await expect(
      shh.post({
        symKeyID: 'missing',
        topic: '0x01020304',
        payload: '0x00',
        powTarget: 1,
        powTime: 1,
      }),
    ).rejects.toThrow(/non-existent key ID/);
    await expect(shh.post({ ttl: 1, topic: '0x01020304', payload: '0x00' })).rejects.toThrow(
      /symmetric or an asymmetric key/,
    );
    await expect(shh.getSymKey('nope')).rejects.toThrow(/non-existent key ID/);
    await expect(shh.addSymKey('0x1234')).rejects.toThrow(/wrong key size/);
    await expect(shh.newMessageFilter({})).rejects.toThrow(/symmetric or an asymmetric key/);
    await expect(shh.getFilterMessages('unknown')).rejects.toThrow(/filter not found/);
    expect(await shh.getVersion()).toBe('6.0');
  });
});
