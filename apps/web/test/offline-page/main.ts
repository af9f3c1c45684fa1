/**
 * The page web-offline.browser.test.ts drives: the offline inbox and the mailserver history
 * of apps/web in the browser's build (the native WebSocket carrier, no Node built-ins). It
 * publishes its inbox and goes away (the test reloads it); back, it joins the DHT, drains
 * its inbox into a client's filters and asks the node's mailserver for its topic's history
 * over a light gossip node (the mailserver's key derived once by WebCrypto, as the app does),
 * reporting every progress event and every message opened.
 */
import { topicsToBloom } from '@hush/bloom';
import { HushClient } from '@hush/client';
import { generatePrivateKey } from '@hush/message';
import { createGossipNode, webSocketTransport } from '@hush/transport-gossip';
import { passwordKey } from '../../src/channels.js';
import { type HistoryProgress, requestHistory } from '../../src/mailserver-history.js';
import { type DrainProgress, PageInbox } from '../../src/offline-inbox.js';

/** What the test gives the page: `/hush-web.json`'s fields it needs. */
export interface PageConfig {
  readonly gossip: string;
  readonly gossipPublicKey: string;
  readonly minPow: number;
  readonly dht: string;
  readonly mailserver: { readonly peer: string; readonly password: string };
}

const fromHex = (hex: string) =>
  Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

const api = {
  /** Joins, publishes today's and tomorrow's descriptors, and leaves. */
  async publish(config: PageConfig, secretHex: string) {
    const inbox = new PageInbox({
      bootstrap: config.dht,
      inboxSecret: fromHex(secretHex),
      minPow: config.minPow,
      maxTtl: 3600,
    });
    try {
      await inbox.start();
      const published = await inbox.publish();
      return {
        inboxKey: toHex(inbox.inboxPublicKey),
        accepted: published.map((p) => p.outcome.accepted),
      };
    } finally {
      await inbox.stop();
    }
  },

  /**
   * Back from away: the inbox drained into a keyPair filter (the inbox encryption key), the
   * history of `topicHex` into a symKey filter, both with allowP2P.
   */
  async connect(config: PageConfig, secretHex: string, symKeyHex: string, topicHex: string) {
    const topic = fromHex(topicHex);
    const client = new HushClient();
    const messages: { payload: string; via: string }[] = [];
    const inbox = new PageInbox({
      bootstrap: config.dht,
      inboxSecret: fromHex(secretHex),
      minPow: config.minPow,
    });
    const inboxKeyId = await client.keys.add('keyPair', inbox.encryptionKey.privateKey);
    await client.subscribe({ privateKeyId: inboxKeyId, topics: [topic], allowP2P: true }, (m) =>
      messages.push({ payload: new TextDecoder().decode(m.payload), via: 'inbox' }),
    );
    const symKeyId = await client.keys.add('symKey', fromHex(symKeyHex));
    await client.subscribe({ symKeyId, topics: [topic], allowP2P: true }, (m) =>
      messages.push({ payload: new TextDecoder().decode(m.payload), via: 'history' }),
    );
    const key = generatePrivateKey();
    const gossip = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key }),
      lightClient: true,
      minPow: config.minPow,
      bootstrap: [config.gossip],
    });
    gossip.setBloomFilter(topicsToBloom([topic]));
    client.attach(gossip);
    await gossip.start();
    const inboxProgress: DrainProgress[] = [];
    const historyProgress: Omit<HistoryProgress, 'cursor'>[] = [];
    const session = new AbortController();
    try {
      const symKey = await passwordKey(config.mailserver.password);
      await inbox.start();
      const drained = await inbox.drain({
        signal: session.signal,
        deliver: (received) => client.deliver(received),
        onProgress: (p) => inboxProgress.push(p),
      });
      const history = await requestHistory({
        gossip,
        mailserverPeer: config.mailserver.peer,
        symKey,
        signal: session.signal,
        topics: [topic],
        from: Math.floor(Date.now() / 1000) - 3600,
        pageSize: 2,
        onProgress: ({ cursor: _cursor, ...p }) => historyProgress.push(p),
      });
      return {
        drained: { fetched: drained.fetched, deleted: drained.deleted },
        history: { pages: history.pages, envelopes: history.envelopes },
        inboxProgress,
        historyProgress,
        messages,
      };
    } finally {
      session.abort();
      await inbox.stop();
      await gossip.stop();
      client.close();
    }
  },
};

/** The page's API, as the test calls it. */
export type OfflinePage = typeof api;

Object.assign(globalThis, { hushOffline: api, hushReady: true });
