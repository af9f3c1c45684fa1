/**
 * The page's offline inbox (apps/web/src/offline-inbox.ts; specs/inbox-dht/SPEC.md §2.4,
 * §4.2–§4.5, §5.2, §6.7–§6.8) in Node, with the Node carrier, against a real in-process hush
 * node whose DHT is the only other node (the page's setup): the page joins through it,
 * publishes today's and tomorrow's descriptors, goes away; a contact deposits; the page comes
 * back with the same inbox secret and drains into a client's filter with progress, the
 * holders deleting what was read. Then the refusals: an inbox never published, a node that
 * holds nothing (no --inbox), a DHT address that answers nothing, use before start; a drain
 * aborted half-way, and `stop` during a publish. Then the page's offline services
 * (offline-service.ts) with the app and the peer faked: a lock during the drain deletes
 * nothing more and reports nothing more, a failed drain is still followed by the publication,
 * a contact's descriptor asking for absurd PoW is refused as too-costly.
 */
import { HushClient } from '@hush/client';
import { defaultBackend } from '@hush/crypto';
import { type Envelope, encodeEnvelope } from '@hush/envelope';
import { epochOf, inboxLocation, signDescriptor } from '@hush/inbox-dht';
import { waitFor } from '@hush/interface-compliance';
import type { ReceivedMessage } from '@hush/message';
import { generatePrivateKey, generateSymKey, wrapMessage } from '@hush/message';
import type { HushNode } from '@hush/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfflineProgress, UnlockContext, UnlockHooks } from '../src/app.js';
import { INBOX_WRAP_TOPIC } from '../src/channels.js';
import type { WebConfig } from '../src/config.js';
import {
  type DrainProgress,
  generateInboxSecret,
  inboxEncryptionKey,
  PageInbox,
  PageInboxError,
  parseDhtBootstrap,
  sealForInbox,
} from '../src/offline-inbox.js';
import { maxDepositPow, offlineServices } from '../src/offline-service.js';
import { hushNode, type InProcessNode } from './support/in-process-node.js';

const topic = Uint8Array.of(0x0f, 0xf1, 0x1e, 0x00);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);
/** Small PoW and TTL: a deposit seals in a few hashes. */
const MIN_POW = 0.001;

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
  let hush: InProcessNode;
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

  it('stops a drain aborted half-way: nothing more is delivered or deleted', async () => {
    const secret = generateInboxSecret();
    const page = open({ inboxSecret: secret });
    await page.start();
    await page.publish();
    const contact = open();
    await contact.start();
    for (const n of [1, 2, 3])
      await contact.deposit(page.inboxPublicKey, (descriptor) =>
        sealForInbox(descriptor, { topic, payload: bytes(`page ${n}`), ttl: 600 }),
      );
    const held = node.dht!.holder.stats.items;
    const abort = new AbortController();
    const delivered: string[] = [];
    const progress: DrainProgress[] = [];
    // One envelope a page: the first page is delivered and deleted; the lock comes while the
    // second is handed out.
    await expect(
      page.drain({
        pageSize: 1,
        signal: abort.signal,
        onProgress: (p) => progress.push(p),
        deliver: (r) => {
          delivered.push(Buffer.from(r.hash).toString('hex'));
          if (delivered.length === 2) abort.abort(new Error('locked'));
        },
      }),
    ).rejects.toThrow('locked');
    expect(delivered).toHaveLength(2);
    expect(node.dht!.holder.stats.items).toBe(held - 1);
    expect(progress.at(-1)).toMatchObject({ fetched: 1, deleted: 1 });
    // What was not deleted is there for the next drain (the second envelope again).
    const again: string[] = [];
    const next = await page.drain({
      deliver: (r) => {
        again.push(Buffer.from(r.hash).toString('hex'));
      },
    });
    expect(next).toMatchObject({ fetched: 2, deleted: 2 });
    expect(again).toContain(delivered[1]);
    expect(again).not.toContain(delivered[0]);
    expect(node.dht!.holder.stats.items).toBe(held - 3);
  });

  it('stop ends a publish in flight instead of waiting for it', async () => {
    const page = open();
    await page.start();
    // The holder takes the descriptor only when told to: the publish hangs there.
    const holder = node.dht!.holder;
    const put = holder.put;
    let reached!: () => void;
    const atHolder = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    holder.put = async (...args: Parameters<typeof put>) => {
      reached();
      await gate;
      return put.apply(holder, args);
    };
    try {
      const publishing = page.publish();
      publishing.catch(() => undefined);
      await atHolder;
      const stopped = await Promise.race([
        page.stop().then(() => 'stopped'),
        new Promise((resolve) => setTimeout(resolve, 3000, 'still waiting')),
      ]);
      expect(stopped).toBe('stopped');
      await expect(publishing).rejects.toMatchObject({
        name: 'PageInboxError',
        code: 'not-started',
      });
    } finally {
      holder.put = put;
      release();
    }
    await expect(page.publish()).rejects.toMatchObject({ code: 'not-started' });
  });

  it('seals no deposit for a descriptor over maxPow (too-costly), before any PoW', async () => {
    const contact = open({ minPow: 1000 });
    await contact.start();
    await contact.publish();
    const sender = open();
    await sender.start();
    const started = Date.now();
    await expect(
      sender.deposit(contact.inboxPublicKey, (descriptor, { signal }) =>
        sealForInbox(descriptor, { topic, payload: bytes('x'), maxPow: 4, signal }),
      ),
    ).rejects.toMatchObject({ name: 'PageInboxError', code: 'too-costly' });
    expect(Date.now() - started).toBeLessThan(5000);
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

describe('the offline services of a session against one hush node', () => {
  let hush: InProcessNode;
  let node: HushNode;
  let config: WebConfig;
  const opened: PageInbox[] = [];

  beforeAll(async () => {
    hush = await hushNode({ inbox: true });
    node = hush.node;
    config = {
      version: 1,
      gossip: 'ws://127.0.0.1:1#00',
      gossipPublicKey: '0x04',
      minPow: MIN_POW,
      maxMessageSize: 1024 * 1024,
      dht: node.dht!.address,
      mailserver: null,
      relay: null,
      stun: [],
    };
  });
  afterAll(async () => {
    await Promise.all(opened.map((inbox) => inbox.stop()));
    await hush?.stop();
  });

  /** An inbox published (today's and tomorrow's descriptors) and left, as an earlier session. */
  async function published(minPow = MIN_POW) {
    const secret = generateInboxSecret();
    const page = new PageInbox({ bootstrap: config.dht!, inboxSecret: secret, minPow });
    opened.push(page);
    await page.start();
    const [today] = await page.publish();
    await page.stop();
    return { secret, inboxKey: page.inboxPublicKey, seq: today!.seq };
  }

  /** A contact deposits 1:1 envelopes (wrapped as the page does) into `inboxKey`. */
  async function deposit(inboxKey: Uint8Array, texts: string[]): Promise<Envelope[]> {
    const contact = new PageInbox({
      bootstrap: config.dht!,
      inboxSecret: generateInboxSecret(),
      minPow: MIN_POW,
    });
    opened.push(contact);
    await contact.start();
    const inners: Envelope[] = [];
    for (const t of texts) {
      const inner = await wrapMessage({
        topic,
        payload: bytes(t),
        symKey: generateSymKey(),
        ttl: 600,
        pow: 0,
        workTime: 0,
      });
      inners.push(inner);
      await contact.deposit(inboxKey, (descriptor) =>
        sealForInbox(descriptor, { topic: INBOX_WRAP_TOPIC, payload: encodeEnvelope(inner) }),
      );
    }
    await contact.stop();
    return inners;
  }

  /** A session of the hooks with the app and the peer faked. */
  function session(secret: Uint8Array, deliver: (envelope: Envelope) => void) {
    const lock = new AbortController();
    const reports: OfflineProgress[] = [];
    const hooks: UnlockHooks = offlineServices(config);
    const context = {
      app: { offlineProgress: (p: OfflineProgress) => reports.push(p) },
      peer: { deliver, powPool: undefined },
      identityKey: generatePrivateKey(),
      inboxSecret: secret,
      signal: lock.signal,
      contacts: [],
      topics: [],
    } as unknown as UnlockContext;
    return { hooks, context, lock, reports };
  }

  const inboxReports = (reports: OfflineProgress[]) => reports.filter((r) => r.source === 'inbox');

  it('a lock during the drain deletes nothing more and reports nothing more', async () => {
    const { secret, inboxKey } = await published();
    await deposit(inboxKey, ['one', 'two', 'three']);
    const held = node.dht!.holder.stats.items;
    let locked!: () => void;
    const lockedNow = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const delivered: Envelope[] = [];
    const s = session(secret, (envelope) => {
      delivered.push(envelope);
      // The user locks while the first deposit is being shown: the rest of the page is
      // neither shown nor deleted.
      s.lock.abort();
      locked();
    });
    await s.hooks.unlocked(s.context);
    await lockedNow;
    const reported = s.reports.length;
    await s.hooks.locked!();
    expect(delivered).toHaveLength(1);
    expect(node.dht!.holder.stats.items).toBe(held);
    expect(s.reports).toHaveLength(reported);
    expect(s.reports.some((r) => r.phase === 'done' || r.phase === 'failed')).toBe(false);
    expect(await s.hooks.card!()).toBeUndefined();
    expect(await s.hooks.deposit!(inboxKey, delivered[0]!)).toBe(0);

    // The next session finds all three, shows them, deletes them, says done.
    const shown: Envelope[] = [];
    const next = session(secret, (envelope) => shown.push(envelope));
    await next.hooks.unlocked(next.context);
    await waitFor(
      () => inboxReports(next.reports).some((r) => r.phase === 'done'),
      'the drain to finish',
    );
    expect(shown).toHaveLength(3);
    expect(inboxReports(next.reports).at(-1)).toMatchObject({
      phase: 'done',
      received: 3,
      detail: '3 deleted from holders',
    });
    expect(node.dht!.holder.stats.items).toBe(held - 3);
    expect(await next.hooks.card!()).toEqual({ inbox: Buffer.from(inboxKey).toString('hex') });
    next.lock.abort();
    await next.hooks.locked!();
  });

  it('publishes the descriptor even when the drain failed', async () => {
    const { secret, inboxKey, seq } = await published();
    await deposit(inboxKey, ['kept']);
    const held = node.dht!.holder.stats.items;
    const s = session(secret, () => {
      throw new Error('the filters are closed');
    });
    await s.hooks.unlocked(s.context);
    const location = inboxLocation(inboxKey, epochOf(Date.now()));
    await waitFor(
      async () => ((await node.dht!.holder.descriptor(location))?.seq ?? 0n) > seq,
      'the descriptor published again',
    );
    expect(inboxReports(s.reports).find((r) => r.phase === 'failed')).toMatchObject({
      received: 0,
      detail: 'the filters are closed',
    });
    // Not shown, so not deleted.
    expect(node.dht!.holder.stats.items).toBe(held);
    s.lock.abort();
    await s.hooks.locked!();
  });

  it('refuses to deposit to a descriptor whose minPow is absurd (too-costly)', async () => {
    expect(maxDepositPow(MIN_POW)).toBe(4);
    expect(maxDepositPow(2)).toBe(20);
    const costly = await published(50);
    const mine = await published();
    const s = session(mine.secret, () => undefined);
    await s.hooks.unlocked(s.context);
    const envelope = await wrapMessage({
      topic,
      payload: bytes('hello'),
      symKey: generateSymKey(),
      ttl: 60,
      pow: 0,
      workTime: 0,
    });
    const started = Date.now();
    await expect(s.hooks.deposit!(costly.inboxKey, envelope)).rejects.toMatchObject({
      name: 'PageInboxError',
      code: 'too-costly',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    s.lock.abort();
    await s.hooks.locked!();
  });
});
