/**
 * The page's offline inbox (apps/web/src/offline-inbox.ts; specs/inbox-dht/SPEC.md §2.4,
 * §4.2–§4.5, §5.2, §6.7–§6.8) in Node, with the Node carrier, against a real in-process hush
 * node whose DHT is the only other node (the page's setup): the page joins through it,
 * publishes today's and tomorrow's descriptors, goes away; a contact deposits; the page comes
 * back with the same inbox secret and drains into a client's filter with progress, the
 * holders deleting what was read. Then the refusals: an inbox never published, a node that
 * holds nothing (no --inbox), a DHT address that answers nothing, use before start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HushClient } from '@hush/client';
import { defaultBackend } from '@hush/crypto';
import { epochOf, signDescriptor } from '@hush/inbox-dht';
import type { ReceivedMessage } from '@hush/message';
import { generatePrivateKey } from '@hush/message';
import { DEFAULT_CONFIG, type HushNode, startNode } from '@hush/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DrainProgress,
  generateInboxSecret,
  inboxEncryptionKey,
  PageInbox,
  PageInboxError,
  parseDhtBootstrap,
  sealForInbox,
} from '../src/offline-inbox.js';

const topic = Uint8Array.of(0x0f, 0xf1, 0x1e, 0x00);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);
/** Small PoW and TTL: a deposit seals in a few hashes. */
const MIN_POW = 0.001;

/** A hush node on free loopback ports with a fresh data directory, removed by `stop`. */
async function hushNode(overrides: Partial<typeof DEFAULT_CONFIG> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hush-web-inbox-'));
  const node = await startNode({
    ...DEFAULT_CONFIG,
    dataDir,
    listen: '127.0.0.1:0',
    rpcPort: 0,
    wsPort: 0,
    metricsPort: -1,
    direct: false,
    ...overrides,
  });
  return {
    node,
    async stop() {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('offline inbox keys and addresses', () => {
  it('derive one valid encryption key per inbox secret', () => {
    const secret = generateInboxSecret();
    expect(secret).toHaveLength(32);
    const a = inboxEncryptionKey(secret);
    expect(inboxEncryptionKey(secret.slice())).toEqual(a);
    expect(defaultBackend.isValidPrivateKey(a.privateKey)).toBe(true);
    expect(a.publicKey).toEqual(defaultBackend.publicKeyCreate(a.privateKey));
    expect(inboxEncryptionKey(generateInboxSecret()).publicKey).not.toEqual(a.publicKey);
    expect(() => inboxEncryptionKey(new Uint8Array(31))).toThrow(RangeError);
  });

  it('read <128 hex>@ws://host:port and refuse anything else as bad-address', () => {
    const peer = 'ab'.repeat(64);
    expect(parseDhtBootstrap(`${peer}@ws://127.0.0.1:30305`)).toMatchObject({
      peer,
      endpoints: ['ws://127.0.0.1:30305'],
    });
    expect(parseDhtBootstrap(`0x04${peer.toUpperCase()}@wss://dht.example`).peer).toBe(peer);
    for (const bad of ['ws://127.0.0.1:1', `${peer}@http://x`, `${peer.slice(2)}@ws://x`])
      expect(() => parseDhtBootstrap(bad), bad).toThrow(
        expect.objectContaining({ name: 'PageInboxError', code: 'bad-address' }),
      );
  });
});

describe('the page inbox against one hush node', () => {
  let hush: Awaited<ReturnType<typeof hushNode>>;
  let node: HushNode;
  let address: string;
  const opened: PageInbox[] = [];
  const open = (options: Partial<ConstructorParameters<typeof PageInbox>[0]> = {}) => {
    const inbox = new PageInbox({
      bootstrap: address,
      inboxSecret: generateInboxSecret(),
      minPow: MIN_POW,
      maxTtl: 3600,
      ...options,
    });
    opened.push(inbox);
    return inbox;
  };

  beforeAll(async () => {
    hush = await hushNode({ inbox: true });
    node = hush.node;
    address = node.dht!.address;
  });
  afterAll(async () => {
    await Promise.all(opened.map((inbox) => inbox.stop()));
    await hush?.stop();
  });

  it('publishes, is away while a contact deposits, comes back and drains with progress', async () => {
    const secret = generateInboxSecret();
    const page = open({ inboxSecret: secret });
    await page.start();
    expect(page.isJoined).toBe(true);
    expect(page.contacts).toBe(1);
    const published = await page.publish();
    const today = epochOf(Date.now());
    expect(published.map((p) => p.epoch)).toEqual([today, today + 1]);
    for (const { outcome } of published) expect(outcome).toMatchObject({ accepted: 1 });
    // The node holds both days' descriptors; the page holds nothing.
    expect(node.dht!.holder.stats.descriptors).toBe(2);
    await page.stop();

    // A contact deposits while the page is away: three messages, signed by the contact.
    const contact = open();
    await contact.start();
    const contactKey = generatePrivateKey();
    const hashes: string[] = [];
    for (const n of [1, 2, 3]) {
      const deposited = await contact.deposit(page.inboxPublicKey, (descriptor) =>
        sealForInbox(descriptor, {
          topic,
          payload: bytes(`while away ${n}`),
          signingKey: contactKey,
          ttl: 600,
        }),
      );
      expect(deposited.accepted).toBe(1);
      expect(deposited.descriptor.encryptionKey).toEqual(page.encryptionKey.publicKey);
      expect(deposited.descriptor.minPow).toBe(MIN_POW);
      hashes.push(Buffer.from(deposited.hash).toString('hex'));
    }

    // Back with the same secret (a reload): a new link key, no publish needed to drain.
    const back = open({ inboxSecret: secret });
    expect(back.peer).not.toBe(page.peer);
    expect(back.inboxPublicKey).toEqual(page.inboxPublicKey);
    await back.start();
    const client = new HushClient();
    const keyId = await client.keys.add('keyPair', back.encryptionKey.privateKey);
    const messages: ReceivedMessage[] = [];
    await client.subscribe({ privateKeyId: keyId, topics: [topic], allowP2P: true }, (m) =>
      messages.push(m),
    );
    // A filter without allowP2P gets nothing from an inbox (source 'inbox' is p2p).
    const live: ReceivedMessage[] = [];
    await client.subscribe({ privateKeyId: keyId, topics: [topic] }, (m) => live.push(m));
    const progress: DrainProgress[] = [];
    const drained = await back.drain({
      deliver: (received) => client.deliver(received),
      onProgress: (p) => progress.push(p),
      pageSize: 2,
    });
    expect(drained).toMatchObject({ fetched: 3, deleted: 3 });
    expect(drained.pages).toBeGreaterThanOrEqual(2);
    expect(drained.epochs).toEqual([
      { epoch: today - 1, published: false, fetched: 0, deleted: 0, pages: 0 },
      expect.objectContaining({ epoch: today, published: true, fetched: 3, deleted: 3 }),
      { epoch: today + 1, published: true, fetched: 0, deleted: 0, pages: 1 },
    ]);
    expect(messages.map((m) => text(m.payload)).sort()).toEqual([
      'while away 1',
      'while away 2',
      'while away 3',
    ]);
    for (const m of messages) {
      expect(m.signer).toEqual(defaultBackend.publicKeyCreate(contactKey));
      expect(hashes).toContain(Buffer.from(m.envelopeHash).toString('hex'));
    }
    expect(live).toHaveLength(0);
    // Progress counts up to the totals, envelope by envelope and delete by delete.
    expect(progress.map((p) => p.fetched)).toEqual(
      [...progress.map((p) => p.fetched)].sort((a, b) => a - b),
    );
    expect(progress.at(-1)).toMatchObject({ fetched: 3, deleted: 3, epoch: today + 1 });
    expect(progress.some((p) => p.epoch === today && p.fetched === 1 && p.deleted === 0)).toBe(
      true,
    );
    // Deleted at the holder: a second drain finds nothing.
    expect(await back.drain({ deliver: (r) => client.deliver(r) })).toMatchObject({
      fetched: 0,
      deleted: 0,
    });
    expect(node.dht!.holder.stats.items).toBe(0);
    // Publishing again from the new session goes above the earlier seq.
    const again = await back.publish();
    expect(again[0]!.seq).toBeGreaterThan(published[0]!.seq);
    expect(again[0]!.outcome.accepted).toBe(1);
    await client.close();
  });

  it('publishes above a higher seq a holder keeps (a clock that went back)', async () => {
    const secret = generateInboxSecret();
    const page = open({ inboxSecret: secret });
    const today = epochOf(Date.now());
    const ahead = BigInt(Date.now()) + 10n ** 9n;
    await node.dht!.holder.put(
      signDescriptor(
        {
          epoch: today,
          seq: ahead,
          ...page.parameters,
          encryptionKey: page.encryptionKey.publicKey,
        },
        secret,
      ),
    );
    await page.start();
    const [first, second] = await page.publish();
    expect(first).toMatchObject({ epoch: today, seq: ahead + 1n, outcome: { accepted: 1 } });
    expect(second!.seq).toBeGreaterThan(ahead + 1n);
  });

  it('refuses a deposit to an inbox never published, and use before start', async () => {
    const contact = open();
    await expect(contact.publish()).rejects.toMatchObject({ code: 'not-started' });
    await expect(contact.drain({ deliver: () => undefined })).rejects.toBeInstanceOf(
      PageInboxError,
    );
    await contact.start();
    const stranger = open();
    await expect(
      contact.deposit(stranger.inboxPublicKey, () => {
        throw new Error('never sealed: there is no descriptor');
      }),
    ).rejects.toMatchObject({ name: 'PageInboxError', code: 'no-descriptor' });
    await expect(
      contact.deposit(new Uint8Array(31), async () => undefined as never),
    ).rejects.toThrow(RangeError);
    await contact.stop();
    await expect(contact.start()).rejects.toMatchObject({ code: 'not-started' });
  });

  it('says unreachable when the DHT address answers nothing', async () => {
    const peer = address.slice(0, address.indexOf('@'));
    const page = open({ bootstrap: `${peer}@ws://127.0.0.1:1` });
    await expect(page.start()).rejects.toMatchObject({
      name: 'PageInboxError',
      code: 'unreachable',
    });
    expect(page.isJoined).toBe(false);
  });
});

describe('the page inbox against a hush node that holds nothing (no --inbox)', () => {
  it('joins, but publishing is refused as not-held', async () => {
    const hush = await hushNode({ inbox: false });
    const page = new PageInbox({
      bootstrap: hush.node.dht!.address,
      inboxSecret: generateInboxSecret(),
      minPow: MIN_POW,
    });
    try {
      await page.start();
      await expect(page.publish()).rejects.toMatchObject({
        name: 'PageInboxError',
        code: 'not-held',
        message: expect.stringContaining('--inbox'),
      });
    } finally {
      await page.stop();
      await hush.stop();
    }
  });
});
