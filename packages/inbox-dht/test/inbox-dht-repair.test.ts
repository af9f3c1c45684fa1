/**
 * specs/inbox-dht/SPEC.md §8, repair under churn, over DhtNodes joined by real hush-dht/1
 * Noise links on in-memory channel pairs, with a ManualClock and r = 4 so that who holds
 * what is decided by distance: holders that leave are replaced by the next closest, a
 * holder back from an absence gives up what the owner deleted meanwhile, a closer node that
 * joins is handed the items, and a holder no longer among the r closest lets go of them.
 * Also the OFFER / OFFERED codec (§8.2) and the holder's side of an offer.
 */
import { randomBytes } from '@hush/crypto';
import { createEnvelope, type Envelope, sealEnvelope } from '@hush/envelope';
import { ManualClock, MemoryMetrics, MemoryStore, type PeerId } from '@hush/interface';
import { rawChannelPair } from '@hush/interface-compliance';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  compareDistance,
  DhtNode,
  decodeInboxBody,
  EPOCH_MS,
  envelopeItemId,
  generateInboxKey,
  HANDOVER_DELAY_MS,
  Holder,
  InboxAnswer,
  inboxAnswer,
  inboxLocation,
  MAX_OFFER_IDS,
  nodeIdOfPublicKey,
  offeredMessage,
  offerMessage,
  Repair,
  requestNonce,
  signDescriptor,
  signRequest,
} from '../src/index.js';
import { type Party, party } from './inbox-dht-link-support.js';

const EPOCH = 20_000;
const T0 = EPOCH * EPOCH_MS + EPOCH_MS / 2;
const R = 4;
const MIN_POW = 0.01;
const encryptionKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);
let made = 0;

function envelopeAt(nowMs: number): Promise<Envelope> {
  const data = new Uint8Array(16);
  new DataView(data.buffer).setUint32(0, ++made);
  const sent = Math.floor(nowMs / 1000);
  return sealEnvelope(
    createEnvelope({ expiry: sent + 3600, ttl: 3600, topic: Uint8Array.of(1, 2, 3, 4), data }),
    { pow: MIN_POW, workTime: 10 },
  );
}

/** Nodes that reach each other while running; a stopped node keeps its holder to come back. */
function world() {
  const clock = new ManualClock(T0);
  const live = new Map<PeerId, { node: DhtNode; party: Party }>();
  const holders = new Map<PeerId, Holder>();
  const make = async (p: Party): Promise<DhtNode> => {
    let holder = holders.get(p.peer);
    if (!holder) {
      holder = await Holder.open(new MemoryStore(), { clock });
      holders.set(p.peer, holder);
    }
    const node: DhtNode = new DhtNode({
      publicKey: p.identity.publicKey,
      holder,
      clock,
      replicas: R,
      repairIntervalMs: 0,
      endpoints: [`memory:${p.peer.slice(0, 8)}`],
      router: { refreshIntervalMs: 0, rateLimit: { perSecond: 1e6, burst: 1e6 } },
      dial: async (contact) => {
        const other = live.get(contact.peer);
        if (!other) throw new Error('nobody there');
        const [ra, rb] = rawChannelPair();
        const [outbound, inbound] = await Promise.all([
          p.encrypter.secureOutbound(ra, { remotePeer: other.party.peer }),
          other.party.encrypter.secureInbound(rb),
        ]);
        other.node.accept(inbound);
        return outbound;
      },
    });
    live.set(p.peer, { node, party: p });
    return node;
  };
  const stop = (node: DhtNode) => {
    node.stop();
    live.delete(node.peer);
  };
  /** Nodes that hold a live copy of `id` at `location`. */
  const copies = async (location: Uint8Array, id: Uint8Array) => {
    const at: PeerId[] = [];
    for (const [peer, holder] of holders) {
      const items = await holder.heldItems(location);
      if (items.some((item) => item.id.every((b, i) => b === id[i]))) at.push(peer);
    }
    return at.sort();
  };
  return { clock, live, holders, make, stop, copies };
}

/** The `n` of `peers` closest to `location` (node ids from their keys). */
function closestOf(location: Uint8Array, parties: readonly Party[], n: number): PeerId[] {
  return [...parties]
    .sort((a, b) =>
      compareDistance(
        location,
        nodeIdOfPublicKey(a.identity.publicKey),
        nodeIdOfPublicKey(b.identity.publicKey),
      ),
    )
    .slice(0, n)
    .map((p) => p.peer)
    .sort();
}

async function join(nodes: readonly DhtNode[]) {
  const [first, ...rest] = nodes;
  for (const node of rest) await node.start([first!.self]);
  for (const node of nodes) await node.router.refresh();
}

describe('OFFER and OFFERED (§8.2)', () => {
  it('round-trip, and refuse bodies that break a rule', () => {
    const location = randomBytes(32);
    const ids = [randomBytes(36), randomBytes(36)];
    expect(decodeInboxBody(offerMessage(location, ids))).toEqual({ type: 0x1c, location, ids });
    expect(decodeInboxBody(offeredMessage([ids[0]!], [ids[1]!]))).toEqual({
      type: 0x1d,
      wanted: [ids[0]],
      deleted: [ids[1]],
    });
    expect(() => offerMessage(location, [randomBytes(35)])).toThrow(RangeError);
    expect(() =>
      offerMessage(
        location,
        Array.from({ length: MAX_OFFER_IDS + 1 }, () => randomBytes(36)),
      ),
    ).toThrow(RangeError);
    expect(() => offerMessage(randomBytes(31), ids)).toThrow(RangeError);
    const bad = offerMessage(location, ids);
    const body = (bad as { body: Uint8Array }).body;
    // One byte more after the body.
    const longer = { ...bad, body: Uint8Array.of(...body, 0x80) };
    expect(() => decodeInboxBody(longer)).toThrow(
      expect.objectContaining({ name: 'DhtError', code: 'malformed' }),
    );
  });

  it('a holder answers what it lacks and what it holds a tombstone for', async () => {
    const clock = new ManualClock(T0);
    const metrics = new MemoryMetrics();
    const holder = await Holder.open(new MemoryStore(), { clock, metrics });
    const key = generateInboxKey();
    const location = inboxLocation(key.publicKey, EPOCH);
    await holder.put(
      signDescriptor(
        { epoch: EPOCH, seq: 1n, minPow: MIN_POW, maxSize: 1024, maxTtl: 86_400, encryptionKey },
        key.secretKey,
      ),
    );
    const [held, deleted, missing] = await Promise.all([
      envelopeAt(T0),
      envelopeAt(T0),
      envelopeAt(T0),
    ]);
    for (const e of [held!, deleted!]) await holder.deposit(location, e, { peer: 'p' });
    const deletedId = envelopeItemId(deleted!);
    await holder.delete(
      signRequest(
        { op: 'delete', location, timestamp: T0, nonce: requestNonce(), ids: [deletedId] },
        key.secretKey,
      ),
    );
    const answer = await holder.offered(location, [
      envelopeItemId(held!),
      deletedId,
      envelopeItemId(missing!),
    ]);
    expect(answer).toEqual({ wanted: [envelopeItemId(missing!)], deleted: [deletedId] });
    expect((await holder.heldLocations()).map((l) => Buffer.from(l).toString('hex'))).toEqual([
      Buffer.from(location).toString('hex'),
    ]);
    // Giving up a copy as deleted leaves a tombstone; handing it over does not.
    expect(await holder.relinquish(location, [envelopeItemId(held!)], { tombstone: true })).toBe(1);
    expect(await holder.tombstoned(location, envelopeItemId(held!))).toBe(true);
    expect(holder.stats.items).toBe(0);
    expect(metrics.value('hush_dht_holder_relinquished_total', { why: 'deleted' })).toBe(1);
  });
});

describe('repair under churn (§8)', () => {
  it('replaces holders that left, and a holder back from an absence gives up what was deleted', async () => {
    const w = world();
    const parties = Array.from({ length: 12 }, party);
    const nodes = await Promise.all(parties.map(w.make));
    try {
      await join(nodes);
      const key = generateInboxKey();
      const location = inboxLocation(key.publicKey, EPOCH);
      const descriptor = signDescriptor(
        { epoch: EPOCH, seq: 1n, minPow: MIN_POW, maxSize: 1024, maxTtl: 86_400, encryptionKey },
        key.secretKey,
      );
      expect((await nodes[0]!.publish(descriptor)).accepted).toBe(R);
      const e = await envelopeAt(T0);
      const id = envelopeItemId(e);
      expect((await nodes[1]!.deposit(location, e)).accepted).toBe(R);
      const first = closestOf(location, parties, R);
      expect(await w.copies(location, id)).toEqual(first);

      // Two of the four holders leave; a survivor's pass copies to the next two closest.
      const byPeer = new Map(nodes.map((n) => [n.peer, n]));
      const [gone, away, survivor] = first.map((peer) => byPeer.get(peer)!);
      w.stop(gone!);
      w.stop(away!);
      const pass = await survivor!.repair();
      expect(pass.locations).toBe(1);
      expect(pass.copied).toBeGreaterThanOrEqual(2);
      const remaining = parties.filter((p) => p.peer !== gone!.peer && p.peer !== away!.peer);
      const second = closestOf(location, remaining, R);
      for (const peer of second) expect(await w.copies(location, id)).toContain(peer);

      // The owner deletes while `away` is away: the current holders keep tombstones.
      const deleted = await survivor!.delete(key.secretKey, location, [id]);
      expect(deleted.accepted).toBe(R);
      expect((await w.copies(location, id)).filter((p) => p !== gone!.peer)).toEqual([away!.peer]);

      // `away` comes back with its store; its first pass sees most holders say deleted.
      const back = await w.make(parties.find((p) => p.peer === away!.peer)!);
      await back.start([survivor!.self]);
      const outcome = await back.repair();
      expect(outcome.deleted).toBe(1);
      expect((await w.copies(location, id)).filter((p) => p !== gone!.peer)).toEqual([]);
      expect(await w.holders.get(back.peer)!.tombstoned(location, id)).toBe(true);
      // Nothing brings it back: a second pass anywhere copies nothing.
      expect((await survivor!.repair()).copied).toBe(0);
      expect((await w.copies(location, id)).filter((p) => p !== gone!.peer)).toEqual([]);
    } finally {
      for (const { node } of w.live.values()) node.stop();
    }
  });

  it('hands items to closer nodes that join, and a holder no longer among the r closest lets go', async () => {
    const w = world();
    const key = generateInboxKey();
    const location = inboxLocation(key.publicKey, EPOCH);
    const parties = Array.from({ length: 10 }, party);
    const nodes = await Promise.all(parties.map(w.make));
    try {
      await join(nodes);
      const descriptor = signDescriptor(
        { epoch: EPOCH, seq: 1n, minPow: MIN_POW, maxSize: 1024, maxTtl: 86_400, encryptionKey },
        key.secretKey,
      );
      await nodes[0]!.publish(descriptor);
      const e = await envelopeAt(T0);
      const id = envelopeItemId(e);
      expect((await nodes[1]!.deposit(location, e)).accepted).toBe(R);
      const before = closestOf(location, parties, R);

      // Four newcomers, each of which would be among the r closest.
      const candidates = Array.from({ length: 300 }, party);
      const chosen = candidates
        .filter((p) => closestOf(location, [...parties, p], R).includes(p.peer))
        .slice(0, R);
      expect(chosen.length).toBe(R);
      const joiners = await Promise.all(chosen.map(w.make));
      for (const node of joiners) await node.start([nodes[0]!.self]);
      const everyone = [...parties, ...chosen];
      const after = closestOf(location, everyone, R);
      expect(after).not.toEqual(before);

      // The holders heard of them; after the handover delay they are offered the item.
      w.clock.advance(HANDOVER_DELAY_MS);
      const newClosest = joiners.filter((j) => after.includes(j.peer));
      for (let tries = 0; ; tries++) {
        const at = await w.copies(location, id);
        if (newClosest.every((j) => at.includes(j.peer))) break;
        if (tries === 2_000) throw new Error('the joiners were never handed the item');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }

      // Old holders no longer among the r closest let go once the r closest hold it.
      const byPeer = new Map(nodes.map((n) => [n.peer, n]));
      let handedOver = 0;
      for (const peer of before.filter((p) => !after.includes(p)))
        handedOver += (await byPeer.get(peer)!.repair()).handedOver;
      expect(handedOver).toBe(before.filter((p) => !after.includes(p)).length);
      expect(await w.copies(location, id)).toEqual(after);
    } finally {
      for (const { node } of w.live.values()) node.stop();
    }
  });
});

describe('repair against hostile holders (§8.3)', () => {
  /** A holder with one item, and a Repair whose peers answer as `answer` says. */
  async function setup(answer: (peer: string, ids: readonly Uint8Array[]) => Uint8Array[][]) {
    const clock = new ManualClock(T0);
    const holder = await Holder.open(new MemoryStore(), { clock });
    const key = generateInboxKey();
    const location = inboxLocation(key.publicKey, EPOCH);
    await holder.put(
      signDescriptor(
        { epoch: EPOCH, seq: 1n, minPow: MIN_POW, maxSize: 1024, maxTtl: 86_400, encryptionKey },
        key.secretKey,
      ),
    );
    const e = await envelopeAt(T0);
    await holder.deposit(location, e, { peer: 'p' });
    const self = party();
    const peers = Array.from({ length: 3 }, party);
    const contactOf = (p: Party) => ({
      peer: p.peer,
      id: nodeIdOfPublicKey(p.identity.publicKey),
      endpoints: [],
    });
    const repair = new Repair({
      holder,
      peer: self.peer,
      replicas: 4,
      clock,
      holders: async () => [contactOf(self), ...peers.map(contactOf)],
      request: async (contact, message) => {
        const body = decodeInboxBody(message);
        if (body.type === 0x10) return inboxAnswer(InboxAnswer.Stored);
        if (body.type === 0x1c) {
          const [wanted, deleted] = answer(contact.peer, body.ids);
          return offeredMessage(wanted!, deleted!);
        }
        return inboxAnswer(InboxAnswer.Deposited, true);
      },
    });
    return { repair, holder, location, id: envelopeItemId(e), peers };
  }

  it('one peer repeating an id as deleted is one vote, not a majority', async () => {
    const { repair, holder, location, id, peers } = await setup((peer, ids) =>
      peer === peers[0]!.peer ? [[], Array(MAX_OFFER_IDS).fill(ids[0])] : [[], []],
    );
    expect((await repair.pass()).deleted).toBe(0);
    expect(await holder.tombstoned(location, id)).toBe(false);
    expect(holder.stats.items).toBe(1);
  });

  it('a handover to a joiner that says deleted gives nothing up', async () => {
    const { repair, holder, peers } = await setup((_peer, ids) => [[], [ids[0]!]]);
    const joined = [peers[0]!].map((p) => ({
      peer: p.peer,
      id: nodeIdOfPublicKey(p.identity.publicKey),
      endpoints: [],
    }));
    const outcome = await repair.handover(joined, () => joined);
    expect(outcome).toMatchObject({ locations: 1, deleted: 0, handedOver: 0 });
    expect(holder.stats.items).toBe(1);
  });

  it('most holders saying deleted do take the copy away, with a tombstone', async () => {
    const { repair, holder, location, id } = await setup((_peer, ids) => [[], [ids[0]!]]);
    expect((await repair.pass()).deleted).toBe(1);
    expect(await holder.tombstoned(location, id)).toBe(true);
  });
});
