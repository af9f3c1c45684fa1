/**
 * History from the serving node's mailserver (apps/web/src/mailserver-history.ts;
 * specs/mailserver/SPEC.md §2.1, §4.3, §5, §6.1, §6.3, §6.4) in Node, against a real
 * in-process hush node started with `mailserver: true`: envelopes archived before the page's
 * gossip node connects come back page by page with progress, into the client's filters that
 * allow p2p (and not into one that does not); the refusals: a bad peer, a peer not
 * connected, the mailserver's failure form, no password, more pages than `maxPages`.
 */
import { HushClient } from '@hush/client';
import { defaultBackend } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import { waitFor } from '@hush/interface-compliance';
import { Archive } from '@hush/mailserver';
import {
  generatePrivateKey,
  generateSymKey,
  type ReceivedMessage,
  symKeyFromPassword,
  wrapMessage,
} from '@hush/message';
import type { HushNode } from '@hush/node';
import { createGossipNode, type GossipNode, webSocketTransport } from '@hush/transport-gossip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordKey } from '../src/channels.js';
import {
  DEFAULT_MAX_PAGES,
  type HistoryProgress,
  mailserverPeer,
  requestHistory,
} from '../src/mailserver-history.js';
import { hushNode, type InProcessNode } from './support/in-process-node.js';

const topic = Uint8Array.of(0x4a, 0x11, 0x5e, 0x77);
const other = Uint8Array.of(0x4a, 0x11, 0x5e, 0x78);
const PASSWORD = 'status-offline-inbox';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('history from the mailserver of one hush node', () => {
  let served: InProcessNode | undefined;
  let node: HushNode;
  let page: GossipNode;
  const symKey = generateSymKey();

  beforeAll(async () => {
    served = await hushNode({ dht: false, mailserver: true, minPow: 0 });
    node = served.node;
    // Archived before the page connects: five on the page's topic, two on another.
    const now = Math.floor(Date.now() / 1000);
    const wrap = (payload: string, t: Uint8Array): Promise<Envelope> =>
      wrapMessage({
        topic: t,
        payload: new TextEncoder().encode(payload),
        symKey,
        ttl: 600,
        pow: 0,
        workTime: 0,
        now,
      });
    for (let i = 0; i < 5; i++) node.gossip.post(await wrap(`archived ${i}`, topic));
    for (let i = 0; i < 2; i++) node.gossip.post(await wrap(`elsewhere ${i}`, other));
    const archive = new Archive(node.archiveStore!);
    await waitFor(
      async () => (await archive.fetch({ limit: 100 })).items.length === 7,
      'the archive writes',
    );
    // The page's gossip node, as the app makes it: light, dialing the node's link address.
    const key = generatePrivateKey();
    page = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key }),
      lightClient: true,
      minPow: 0,
      bootstrap: [node.gossip.linkAddresses[0]!],
    });
    await page.start();
  });
  afterAll(async () => {
    await page?.stop();
    await served?.stop();
  });

  it('pages through the topic with cursors, reporting progress, into allowP2P filters', async () => {
    const client = new HushClient();
    client.attach(page);
    const keyId = await client.keys.add('symKey', symKey);
    const history: ReceivedMessage[] = [];
    const notP2P: ReceivedMessage[] = [];
    await client.subscribe({ symKeyId: keyId, topics: [topic], allowP2P: true }, (m) =>
      history.push(m),
    );
    await client.subscribe({ symKeyId: keyId, topics: [topic] }, (m) => notP2P.push(m));
    const progress: HistoryProgress[] = [];
    const arrived: string[] = [];
    const result = await requestHistory({
      gossip: page,
      mailserverPeer: `0x${node.id}`,
      password: PASSWORD,
      topics: [topic],
      from: Math.floor(Date.now() / 1000) - 3600,
      pageSize: 2,
      onProgress: (p) => progress.push(p),
      onEnvelope: (e) => arrived.push(Buffer.from(e.hash).toString('hex')),
    });
    expect(result).toMatchObject({ pages: 3, envelopes: 5 });
    expect(result.requestIds).toHaveLength(3);
    expect(
      progress.map(({ pages, envelopes, pageEnvelopes, done }) => ({
        pages,
        envelopes,
        pageEnvelopes,
        done,
      })),
    ).toEqual([
      { pages: 1, envelopes: 2, pageEnvelopes: 2, done: false },
      { pages: 2, envelopes: 4, pageEnvelopes: 2, done: false },
      { pages: 3, envelopes: 5, pageEnvelopes: 1, done: true },
    ]);
    expect(progress[0]!.cursor).toHaveLength(36);
    expect(progress[2]!.cursor).toHaveLength(0);
    expect(new Set(arrived).size).toBe(5);
    expect(history.map((m) => text(m.payload)).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => `archived ${i}`),
    );
    expect(notP2P).toHaveLength(0);

    // Again, with every topic and the password's key given (WebCrypto's, as the page derives
    // it once per session: the same bytes as geth's): the same five, plus the two elsewhere;
    // the filter already delivered the five and shows none twice.
    const mailserverKey = await passwordKey(PASSWORD);
    expect(mailserverKey).toEqual(symKeyFromPassword(PASSWORD));
    const all = await requestHistory({
      gossip: page,
      mailserverPeer: `enode://${node.id.slice(2)}@127.0.0.1:1`,
      symKey: mailserverKey,
      identityKey: generatePrivateKey(),
    });
    expect(all).toMatchObject({ pages: 1, envelopes: 7 });
    expect(history).toHaveLength(5);
    client.close();
  });

  it('stops at maxPages (default 50) with too-many-pages, what came so far delivered', async () => {
    expect(DEFAULT_MAX_PAGES).toBe(50);
    const progress: HistoryProgress[] = [];
    await expect(
      requestHistory({
        gossip: page,
        mailserverPeer: node.id,
        symKey: await passwordKey(PASSWORD),
        topics: [topic],
        from: Math.floor(Date.now() / 1000) - 3600,
        pageSize: 2,
        maxPages: 2,
        onProgress: (p) => progress.push(p),
      }),
    ).rejects.toMatchObject({
      name: 'HistoryError',
      code: 'too-many-pages',
      message: expect.stringContaining('more than 2 pages: 4 messages came'),
    });
    expect(progress.map((p) => p.envelopes)).toEqual([2, 4]);
  });

  it('refuses a bad peer, a peer not connected, the failure form and a missing password', async () => {
    expect(() => mailserverPeer('0x1234')).toThrow(
      expect.objectContaining({ name: 'HistoryError', code: 'bad-peer' }),
    );
    await expect(
      requestHistory({ gossip: page, mailserverPeer: 'nope', password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'bad-peer' });
    const stranger = `0x${Buffer.from(defaultBackend.publicKeyCreate(generatePrivateKey())).toString('hex')}`;
    await expect(
      requestHistory({
        gossip: page,
        mailserverPeer: stranger,
        password: PASSWORD,
        timeoutMs: 200,
      }),
    ).rejects.toMatchObject({ name: 'HistoryError', code: 'timeout' });
    // lower > upper: the mailserver answers its failure form (§2.2).
    await expect(
      requestHistory({
        gossip: page,
        mailserverPeer: node.id,
        password: PASSWORD,
        from: 2000,
        to: 1000,
      }),
    ).rejects.toMatchObject({
      name: 'HistoryError',
      code: 'mailserver-error',
      message: expect.stringContaining('lower > upper'),
    });
    await expect(requestHistory({ gossip: page, mailserverPeer: node.id })).rejects.toThrow(
      RangeError,
    );
    const aborted = new AbortController();
    aborted.abort(new Error('left the page'));
    await expect(
      requestHistory({
        gossip: page,
        mailserverPeer: node.id,
        password: PASSWORD,
        signal: aborted.signal,
      }),
    ).rejects.toThrow('left the page');
  });
});
