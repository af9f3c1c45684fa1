/**
 * SPEC §7.6 in a real browser: the gossip package bundles for browsers (no Node built-ins on
 * its path), the page's node dials a Node.js node over the browser's native WebSocket,
 * authenticates, receives an envelope and sends one back.
 */
import { fileURLToPath } from 'node:url';
import { createEnvelope } from '@hush/envelope';
import { type BrowserPage, openBuiltPage } from '@hush/test-support/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AcceptedEnvelope,
  createGossipNode,
  type GossipNode,
  webSocketTransport,
} from '../src/index.js';
import { eventually, generatePrivateKey } from './helpers.js';

describe('@hush/transport-gossip in Chromium', () => {
  let browser: BrowserPage;
  let server: GossipNode;
  beforeAll(async () => {
    const key = generatePrivateKey();
    server = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key }),
      minPow: 0,
    });
    await server.start();
    browser = await openBuiltPage(fileURLToPath(new URL('./browser', import.meta.url)));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('gossips with a Node.js node over WebSocket, both ways', async () => {
    const topic = Uint8Array.of(0xb0, 0x0b, 0x1e, 0x5);
    const seen: AcceptedEnvelope[] = [];
    server.engine.on('envelope', (e) => seen.push(e));
    const now = Math.floor(Date.now() / 1000);
    server.post(
      createEnvelope({
        expiry: now + 60,
        ttl: 60,
        topic,
        data: new TextEncoder().encode('from node'),
      }),
    );
    const result = (await browser.page.evaluate(
      ([address, topicHex]) =>
        (
          globalThis as unknown as { hushGossip: { run(a: string, t: string): Promise<unknown> } }
        ).hushGossip.run(address!, topicHex!),
      [server.addresses[0]!, Buffer.from(topic).toString('hex')] as const,
    )) as { id: string; receivedData: string; replyHash: string; peers: number };
    expect(result.receivedData).toBe('from node');
    expect(result.peers).toBe(1);
    await eventually(
      () => seen.some((e) => Buffer.from(e.hash).toString('hex') === result.replyHash),
      20_000,
      'reply',
    );
    expect(seen.find((e) => Buffer.from(e.hash).toString('hex') === result.replyHash)!.from).toBe(
      result.id,
    );
  });
});
