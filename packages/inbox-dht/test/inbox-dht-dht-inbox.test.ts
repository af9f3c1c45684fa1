/**
 * specs/inbox-dht/SPEC.md §6.8: DhtInbox, the network `Inbox` of one inbox key, runs the
 * inbox compliance suite over 8 DhtNodes joined by real hush-dht/1 Noise links over
 * in-memory channel pairs: the descriptor published in setup, envelopes sealed with small
 * real PoW, each deposit, fetch and delete going to the location's holders.
 */
import { createEnvelope, type Envelope, envelopePow } from '@hush/envelope';
import { type Clock, MemoryStore, type PeerId, systemClock } from '@hush/interface';
import { inboxCompliance } from '@hush/interface-compliance';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  DhtInbox,
  DhtNode,
  envelopeItemId,
  generateInboxKey,
  Holder,
  inboxLocation,
  signDescriptor,
} from '../src/index.js';
import { link, type Party, party } from './inbox-dht-link-support.js';

/** The compliance envelopes are created at 0 … ~2,000 s: every clock starts at 2,000 s. */
const START_MS = 2_000_000;
const TTL = 86_400;
const MIN_POW = 1e-6;
const NODES = 8;
const encryptionKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);

/** Real timers, the time moved back to START_MS when made. */
function offsetClock(): Clock {
  const t0 = Date.now();
  return { ...systemClock, now: () => START_MS + (Date.now() - t0) };
}

/** `count` DhtNodes that know each other, and what stops them. */
async function network(count: number, minPow = MIN_POW) {
  const clock = offsetClock();
  const nodes = new Map<PeerId, { node: DhtNode; party: Party }>();
  const stores: MemoryStore[] = [];
  const all: DhtNode[] = [];
  for (let i = 0; i < count; i++) {
    const p = party();
    const store = new MemoryStore();
    stores.push(store);
    const holder = await Holder.open(store, { clock });
    const node: DhtNode = new DhtNode({
      publicKey: p.identity.publicKey,
      holder,
      clock,
      endpoints: [`memory:${p.peer.slice(0, 8)}`],
      router: { refreshIntervalMs: 0, rateLimit: { perSecond: 1e6, burst: 1e6 } },
      dial: async (contact) => {
        const other = nodes.get(contact.peer);
        if (!other) throw new Error('nobody there');
        const [outbound, inbound] = await link(p, other.party);
        other.node.accept(inbound);
        return outbound;
      },
    });
    nodes.set(p.peer, { node, party: p });
    all.push(node);
  }
  const [first, ...rest] = all;
  for (const node of rest) await node.start([first!.self]);
  for (const node of all) await node.router.refresh();
  const key = generateInboxKey();
  const location = inboxLocation(key.publicKey, 0);
  const published = await all[0]!.publish(
    signDescriptor(
      { epoch: 0, seq: 1n, minPow, maxSize: 64 * 1024, maxTtl: TTL, encryptionKey },
      key.secretKey,
    ),
  );
  expect(published.accepted).toBe(count);
  const owner = all[1]!;
  const inbox = new DhtInbox({ node: owner, key, location });
  const close = async () => {
    for (const node of all) node.stop();
    for (const store of stores) await store.close();
  };
  return { all, owner, key, location, inbox, close };
}

let n = 0;
/** An envelope created at `sent`, its nonce picked for PoW ≥ MIN_POW. */
function makeEnvelope({ sent, topic, size }: { sent: number; topic: Uint8Array; size?: number }) {
  const data = new Uint8Array(Math.max(size ?? 8, 8));
  new DataView(data.buffer).setUint32(0, ++n);
  const e = createEnvelope({ expiry: sent + TTL, ttl: TTL, topic, data });
  for (let nonce = 0n; ; nonce++) {
    const candidate: Envelope = { ...e, nonce };
    if (envelopePow(candidate) >= MIN_POW) return candidate;
  }
}

inboxCompliance(`DhtInbox over ${NODES} DhtNodes on hush-dht/1 Noise links`, async () => {
  const { inbox, close } = await network(NODES);
  return { inbox, makeEnvelope, close };
});

describe('DhtInbox', () => {
  it('deposits to every holder, and counts an item deleted at all of them once', async () => {
    const { all, inbox, location, close } = await network(NODES);
    try {
      const e = makeEnvelope({ sent: 1000, topic: Uint8Array.of(1, 2, 3, 4) });
      await inbox.deposit(e);
      const id = envelopeItemId(e);
      for (const node of all) expect(node.holder.stats.items).toBe(1);
      expect(await inbox.delete([id, id])).toBe(1);
      for (const node of all) expect(await node.holder.tombstoned(location, id)).toBe(true);
      // Deposited again by the owner: restored at every holder, then held again.
      await inbox.deposit(e);
      for (const node of all) expect(await node.holder.tombstoned(location, id)).toBe(false);
      expect((await inbox.fetch({ limit: 10 })).items.map((item) => item.id)).toEqual([id]);
    } finally {
      await close();
    }
  });

  it('deletes at holders it is given, and sends nothing once its signal is aborted', async () => {
    const { all, owner, key, location, close } = await network(NODES);
    try {
      const e = makeEnvelope({ sent: 1000, topic: Uint8Array.of(1, 2, 3, 4) });
      const id = envelopeItemId(e);
      const holders = await owner.holders(location);
      const known = new DhtInbox({ node: owner, key, location, holders: holders.slice(0, 1) });
      await known.deposit(e);
      const aborted = new AbortController();
      aborted.abort(new Error('locked'));
      await expect(known.delete([id], { signal: aborted.signal })).rejects.toThrow('locked');
      for (const node of all) expect(await node.holder.tombstoned(location, id)).toBe(false);
      // Given one holder, it deletes there only: no lookup of its own.
      expect(await known.delete([id])).toBe(1);
      const tombstoned = await Promise.all(all.map((node) => node.holder.tombstoned(location, id)));
      expect(tombstoned.filter(Boolean)).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("maps the holders' refusals to InboxError 'refused'", async () => {
    const { inbox, close } = await network(4, 1e9);
    try {
      const e = makeEnvelope({ sent: 1000, topic: Uint8Array.of(1, 2, 3, 4) });
      await expect(inbox.deposit(e)).rejects.toMatchObject({ name: 'InboxError', code: 'refused' });
    } finally {
      await close();
    }
  });

  it("fails with InboxError 'closed' once its node is stopped", async () => {
    const { owner, inbox, close } = await network(4);
    try {
      owner.stop();
      const e = makeEnvelope({ sent: 1000, topic: Uint8Array.of(1, 2, 3, 4) });
      await expect(inbox.deposit(e)).rejects.toMatchObject({ name: 'InboxError', code: 'closed' });
      await expect(inbox.fetch({ limit: 1 })).rejects.toMatchObject({ code: 'closed' });
    } finally {
      await close();
    }
  });
});
