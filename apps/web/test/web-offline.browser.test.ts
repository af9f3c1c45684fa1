/**
 * Offline history in a real browser (issue 15; apps/web/src/offline-inbox.ts and
 * mailserver-history.ts in Chromium, over the native WebSocket carrier): one in-process hush
 * node with the DHT inbox (--inbox) and a mailserver serves a page built by Vite. The page
 * publishes its inbox and goes away (a reload); meanwhile a contact in Node deposits a
 * message for it, and the node archives envelopes on the page's topic. Back, the page drains
 * its DHT inbox and asks the mailserver for history: both come back into its filters, with
 * progress events.
 */
import { fileURLToPath } from 'node:url';
import { Archive } from '@hush/mailserver';
import { generatePrivateKey, generateSymKey, wrapMessage } from '@hush/message';
import type { HushNode } from '@hush/node';
import { type BrowserPage, openBuiltPage } from '@hush/test-support/browser';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInboxSecret, PageInbox, sealForInbox } from '../src/offline-inbox.js';
import type { OfflinePage, PageConfig } from './offline-page/main.js';
import { hushNode, type InProcessNode } from './support/in-process-node.js';

const topic = Uint8Array.of(0x0f, 0xf1, 0x1e, 0x0b);
const MIN_POW = 0.001;

describe('offline history in Chromium', () => {
  let served: InProcessNode | undefined;
  let node: HushNode;
  let browser: BrowserPage;

  /** Calls the page's `hushOffline[name](...args)`. */
  function call<K extends keyof OfflinePage>(
    name: K,
    ...args: Parameters<OfflinePage[K]>
  ): Promise<Awaited<ReturnType<OfflinePage[K]>>> {
    return browser.page.evaluate(
      ([n, a]) =>
        (globalThis as unknown as { hushOffline: Record<string, (...x: unknown[]) => unknown> })
          .hushOffline[n]!(...a),
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<OfflinePage[K]>>>;
  }

  beforeAll(async () => {
    served = await hushNode({ inbox: true, mailserver: true, minPow: 0 });
    node = served.node;
    browser = await openBuiltPage(fileURLToPath(new URL('./offline-page', import.meta.url)));
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('brings back a deposit made while away and the archived history, with progress', async () => {
    const config: PageConfig = {
      gossip: node.gossip.linkAddresses[0]!,
      gossipPublicKey: `0x${node.id}`,
      minPow: MIN_POW,
      dht: node.dht!.address,
      mailserver: { peer: `0x${node.id}`, password: 'status-offline-inbox' },
    };
    const secret = generateInboxSecret();
    const published = await call('publish', config, bytesToHex(secret));
    expect(published.accepted).toEqual([1, 1]);
    // The page goes away.
    await browser.page.reload();
    await browser.page.waitForFunction(
      () => (globalThis as { hushReady?: boolean }).hushReady === true,
    );

    // While it is away: a contact deposits into its inbox, and the node archives three
    // envelopes on its topic (symmetric, the key the page will have).
    const contact = new PageInbox({
      bootstrap: config.dht,
      inboxSecret: generateInboxSecret(),
      minPow: MIN_POW,
    });
    try {
      await contact.start();
      const inboxKey = Uint8Array.from(Buffer.from(published.inboxKey, 'hex'));
      const deposited = await contact.deposit(inboxKey, (descriptor) =>
        sealForInbox(descriptor, {
          topic,
          payload: new TextEncoder().encode('deposited while away'),
          signingKey: generatePrivateKey(),
          ttl: 600,
        }),
      );
      expect(deposited.accepted).toBe(1);
    } finally {
      await contact.stop();
    }
    const symKey = generateSymKey();
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 3; i++)
      node.gossip.post(
        await wrapMessage({
          topic,
          payload: new TextEncoder().encode(`archived ${i}`),
          symKey,
          ttl: 600,
          pow: 0,
          workTime: 0,
          now,
        }),
      );
    const archive = new Archive(node.archiveStore!);
    for (;;) {
      if ((await archive.fetch({ limit: 10 })).items.length === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Back: the inbox drained, the history paged in (two per page), into the page's filters.
    const back = await call(
      'connect',
      config,
      bytesToHex(secret),
      bytesToHex(symKey),
      bytesToHex(topic),
    );
    expect(back.drained).toEqual({ fetched: 1, deleted: 1 });
    expect(back.history).toEqual({ pages: 2, envelopes: 3 });
    expect(back.messages).toEqual(
      expect.arrayContaining([
        { payload: 'deposited while away', via: 'inbox' },
        { payload: 'archived 0', via: 'history' },
        { payload: 'archived 1', via: 'history' },
        { payload: 'archived 2', via: 'history' },
      ]),
    );
    expect(back.messages).toHaveLength(4);
    expect(back.inboxProgress.at(-1)).toMatchObject({ fetched: 1, deleted: 1 });
    expect(back.inboxProgress.some((p) => p.fetched === 1 && p.deleted === 0)).toBe(true);
    expect(back.historyProgress).toEqual([
      { pages: 1, envelopes: 2, pageEnvelopes: 2, done: false },
      { pages: 2, envelopes: 3, pageEnvelopes: 1, done: true },
    ]);
    // Deleted at the holder once read.
    expect(node.dht!.holder.stats.items).toBe(0);
  });
});
