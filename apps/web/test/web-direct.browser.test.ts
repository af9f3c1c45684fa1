/**
 * Direct channels between two pages (issue 15; specs/transport-direct §2, §5.4, §7) in real
 * Chromium: two isolated browser contexts (two users, each with its own IndexedDB) load the
 * harness page, whose gossip node is a light client of a Node.js gossip node. They add each
 * other as contacts, introductions cross the Node node as Whisper envelopes, one page opens a
 * channel, the offer and answer travel in introductions, and the channel is WebRTC (host
 * candidates only, no STUN, no relay); a message goes each way. Then store-and-forward: with
 * B's page closed, A sends; B comes back (a new page in the same context, the same IndexedDB
 * and identity key) and gets it, and A's outbox lets it go once acknowledged, each message
 * reported acknowledged on its own (by envelope hash); what either page keeps in IndexedDB is
 * sealed (no text, a 61-byte sealed static key). A stranger's
 * introduction is never answered. Last, two pages whose WebRTC fails reach each other through
 * a relay (a Node.js `hush-relay/1` server) both are told of, the last path of §5.4.
 *
 * Chromium hides host candidates behind mDNS names, which nothing resolves in this container:
 * the browser runs with that hiding off, so the two pages see each other's addresses.
 */
import { fileURLToPath } from 'node:url';
import { defaultBackend, randomBytes } from '@hush/crypto';
import { type BuiltSite, openBuiltSite } from '@hush/test-support/browser';
import {
  INTRODUCTION_TOPIC,
  RelayServer,
  type ServedRelay,
  serveRelay,
} from '@hush/transport-direct';
import { createGossipNode, type GossipNode, webSocketTransport } from '@hush/transport-gossip';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HushDirectPage } from './direct-page/main.js';

/** The Node node's minimum PoW, and so the introductions': the network default. */
const MIN_POW = 0.2;

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function newKey(): Uint8Array {
  let key = randomBytes(32);
  while (!defaultBackend.isValidPrivateKey(key)) key = randomBytes(32);
  return key;
}

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Calls `hushDirect[name](...args)` in `page`. */
function call<K extends keyof HushDirectPage>(
  page: Page,
  name: K,
  ...args: Parameters<HushDirectPage[K]>
): Promise<Awaited<ReturnType<HushDirectPage[K]>>> {
  return page.evaluate(
    ([n, a]) =>
      (globalThis as unknown as { hushDirect: Record<string, (...x: unknown[]) => unknown> })
        .hushDirect[n]!(...a),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<HushDirectPage[K]>>>;
}

describe('@hush/web direct channels between two Chromium pages', () => {
  let site: BuiltSite;
  let server: GossipNode;
  let contextA: BrowserContext;
  let contextB: BrowserContext;
  let pageA: Page;
  let pageB: Page;
  const keyA = toHex(newKey());
  const keyB = toHex(newKey());
  let publicA: string;
  let publicB: string;
  /** Page A's gossip node id (its 65-byte key in hex), as the Node node names its peer. */
  let gossipA: string;
  let relay: { server: RelayServer; served: ServedRelay } | undefined;

  beforeAll(async () => {
    const key = newKey();
    server = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key }),
      minPow: MIN_POW,
    });
    await server.start();
    site = await openBuiltSite(fileURLToPath(new URL('./direct-page', import.meta.url)), {
      args: ['--disable-features=WebRtcHideLocalIpsWithMdns'],
    });
    contextA = await site.newContext();
    contextB = await site.newContext();
    pageA = await site.open(contextA);
    pageB = await site.open(contextB);
  }, 120_000);
  afterAll(async () => {
    await site?.close();
    await server?.stop();
    relay?.server.close();
    await relay?.served.close();
  });

  it('two contacts open a WebRTC channel through introductions over gossip, and message both ways', async () => {
    const address = server.addresses[0]!;
    ({ publicKey: publicA, gossipId: gossipA } = await call(
      pageA,
      'start',
      address,
      'hush-a',
      keyA,
      MIN_POW,
    ));
    ({ publicKey: publicB } = await call(pageB, 'start', address, 'hush-b', keyB, MIN_POW));
    // The app core's bloom held only its own topic: PageDirect added the introduction topic.
    expect(await call(pageA, 'bloom')).not.toBeNull();
    expect(await call(pageA, 'addContact', publicB)).toEqual([publicB]);
    expect(await call(pageB, 'addContact', publicA)).toEqual([publicA]);
    // Each has the other's introduction (the first answered), before any channel is asked for.
    await waitFor(
      async () => [await call(pageA, 'channels'), await call(pageB, 'channels')],
      ([a, b]) => a!.states[0]?.introduced === true && b!.states[0]?.introduced === true,
      'the introductions',
    );
    await call(pageA, 'open', publicB);
    const [atA, atB] = await waitFor(
      async () => [await call(pageA, 'channels'), await call(pageB, 'channels')],
      ([a, b]) => a!.states[0]?.state === 'open' && b!.states[0]?.state === 'open',
      'the channel',
    );
    expect(atA!.states).toEqual([
      {
        publicKey: publicB,
        state: 'open',
        pending: 0,
        path: 'webrtc',
        wanted: true,
        introduced: true,
      },
    ]);
    expect(atB!.states[0]).toMatchObject({ publicKey: publicA, state: 'open', path: 'webrtc' });
    expect(atA!.reports).toBeGreaterThan(0);

    const hello = await call(pageA, 'send', publicB, 'hello from A');
    expect(hello).toMatchObject({ accepted: true });
    expect(await call(pageB, 'send', publicA, 'hello from B')).toMatchObject({ accepted: true });
    await waitFor(
      () => call(pageB, 'received'),
      (r) => r.length === 1,
      "A's message at B",
    );
    await waitFor(
      () => call(pageA, 'received'),
      (r) => r.length === 1,
      "B's message at A",
    );
    expect(await call(pageB, 'received')).toEqual([{ from: publicA, data: 'hello from A' }]);
    expect(await call(pageA, 'received')).toEqual([{ from: publicB, data: 'hello from B' }]);
    expect(await call(pageB, 'sources')).toEqual([`direct ${publicA.slice(2)}`]);
    // Both acknowledged: nothing pending either side.
    await waitFor(
      async () => [await call(pageA, 'channels'), await call(pageB, 'channels')],
      ([a, b]) => a!.states[0]?.pending === 0 && b!.states[0]?.pending === 0,
      'the acknowledgements',
    );
    // A's message, acknowledged on its own, by its envelope hash.
    await waitFor(
      () => call(pageA, 'acks'),
      (acks) => acks.some((ack) => ack.hash === hello.hash),
      "B's acknowledgement of A's message",
    );
    expect(await call(pageA, 'acks')).toEqual([{ publicKey: publicB, hash: hello.hash }]);
    expect(await call(pageA, 'acknowledged', publicB, hello.hash)).toBe(true);
    expect(await call(pageA, 'acknowledged', publicB, '00'.repeat(32))).toBe(false);
  });

  it('refuses bad keys and strangers, and never answers a stranger’s introduction', async () => {
    const stranger = toHex(defaultBackend.publicKeyCreate(newKey()));
    expect(await call(pageA, 'refusals', stranger)).toEqual({
      ownKey: { name: 'PageDirectError', code: 'own-key' },
      notAKey: { name: 'PageDirectError', code: 'invalid-key' },
      sendToStranger: { name: 'DirectError', code: 'not-a-contact' },
      openStranger: { name: 'DirectError', code: 'not-a-contact' },
    });
    // C has A as a contact, A does not have C: C's introduction reaches A, and A says nothing.
    const fromA: string[] = [];
    const stop = server.engine.on('envelope', ({ envelope, from }) => {
      if (from === gossipA && Buffer.from(envelope.topic).equals(INTRODUCTION_TOPIC))
        fromA.push(toHex(envelope.data));
    });
    const contextC = await site.newContext();
    const pageC = await site.open(contextC);
    try {
      await call(pageC, 'start', server.addresses[0]!, 'hush-c', toHex(newKey()), MIN_POW);
      await call(pageC, 'addContact', publicA);
      await waitFor(
        () => call(pageA, 'log'),
        (log) => log.some((entry) => entry.because === 'stranger'),
        "C's introduction, ignored at A",
      );
      // A transmission cycle or more for anything A would have posted to reach the Node node.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(fromA).toEqual([]);
      expect((await call(pageC, 'channels')).states).toMatchObject([
        { publicKey: publicA, introduced: false },
      ]);
    } finally {
      stop();
      await call(pageC, 'stop');
      await contextC.close();
    }
  });

  it("stores and forwards: A sends while B's page is closed, B's next page gets it", async () => {
    await pageB.close();
    // A sees the channel go, and keeps trying (it wants the channel).
    await waitFor(
      () => call(pageA, 'channels'),
      (c) => c.states[0]?.state !== 'open',
      'the channel to close at A',
    );
    const away = await call(pageA, 'send', publicB, 'while you were away');
    expect(away).toMatchObject({ accepted: true });
    expect(await call(pageA, 'acknowledged', publicB, away.hash)).toBe(false);
    expect((await call(pageA, 'channels')).states[0]?.pending).toBe(1);

    // B comes back: the same context (its IndexedDB), the same identity.
    pageB = await site.open(contextB);
    const address = server.addresses[0]!;
    expect(await call(pageB, 'start', address, 'hush-b', keyB, MIN_POW)).toMatchObject({
      publicKey: publicB,
    });
    // The contact list came back from IndexedDB.
    expect((await call(pageB, 'channels')).states.map((s) => s.publicKey)).toEqual([publicA]);
    const received = await waitFor(
      () => call(pageB, 'received'),
      (r) => r.length === 1,
      'the stored message at B',
      90_000,
    );
    expect(received).toEqual([{ from: publicA, data: 'while you were away' }]);
    await waitFor(
      () => call(pageA, 'channels'),
      (c) => c.states[0]?.pending === 0 && c.states[0]?.state === 'open',
      "B's acknowledgement at A",
    );
    expect((await call(pageA, 'channels')).states[0]).toMatchObject({ path: 'webrtc' });
    await waitFor(
      () => call(pageA, 'acknowledged', publicB, away.hash),
      (acknowledged) => acknowledged,
      'the stored message acknowledged, by its hash',
    );
    expect((await call(pageA, 'acks')).map((ack) => ack.hash)).toContain(away.hash);
    // Neither page keeps a text, or its static key, in clear: only sealed values.
    const texts = ['hello from A', 'hello from B', 'while you were away'];
    for (const [page, database] of [
      [pageA, 'hush-a'],
      [pageB, 'hush-b'],
    ] as const) {
      const raw = await call(page, 'raw', database, texts);
      expect(raw.clear).toEqual([]);
      expect(raw.staticKeyBytes).toBe(32 + 29);
      expect(raw.entries).toBeGreaterThan(2);
    }
    await call(pageA, 'stop');
    await call(pageB, 'stop');
  }, 150_000);

  it('falls back to the relay when WebRTC fails, and still delivers', async () => {
    const relayServer = new RelayServer();
    relay = {
      server: relayServer,
      served: await serveRelay(relayServer, { host: '127.0.0.1', port: 0 }),
    };
    const contextD = await site.newContext();
    const contextE = await site.newContext();
    const pageD = await site.open(contextD);
    const pageE = await site.open(contextE);
    const address = server.addresses[0]!;
    const paths = { relay: relay.served.url, webrtcBroken: true };
    try {
      const { publicKey: publicD } = await call(
        pageD,
        'start',
        address,
        'hush-d',
        toHex(newKey()),
        MIN_POW,
        paths,
      );
      const { publicKey: publicE } = await call(
        pageE,
        'start',
        address,
        'hush-e',
        toHex(newKey()),
        MIN_POW,
        paths,
      );
      await call(pageD, 'addContact', publicE);
      await call(pageE, 'addContact', publicD);
      expect(await call(pageD, 'send', publicE, 'over the relay')).toMatchObject({
        accepted: true,
      });
      await waitFor(
        () => call(pageE, 'received'),
        (r) => r.length === 1,
        'the relayed message',
      );
      expect(await call(pageE, 'received')).toEqual([{ from: publicD, data: 'over the relay' }]);
      const atD = await waitFor(
        () => call(pageD, 'channels'),
        (c) => c.states[0]?.pending === 0,
        "E's acknowledgement",
      );
      expect(atD.states[0]).toMatchObject({ state: 'open', path: 'relay' });
      expect((await call(pageE, 'channels')).states[0]).toMatchObject({
        state: 'open',
        path: 'relay',
      });
    } finally {
      await call(pageD, 'stop');
      await call(pageE, 'stop');
      await contextD.close();
      await contextE.close();
    }
  });
});
