/**
 * specs/transport-direct/SPEC.md §4, §7: direct channels with store-and-forward. The inbox
 * runs the inbox compliance suite; a node's sender to a contact and the contact's node run
 * the envelope sender/receiver suite; messages accepted while the contact is offline arrive
 * when it is back, each once, across restarts of either side; a link that drops or damages
 * frames loses nothing; strangers, malformed frames and floods are refused and counted.
 */
import { createEnvelope } from '@hush/envelope';
import { MemoryStore } from '@hush/interface';
import {
  envelopeExchangeCompliance,
  inboxCompliance,
  rawChannelPair,
} from '@hush/interface-compliance';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DirectError,
  DirectInbox,
  directMessage,
  encodeFrame,
  type ReceivedMessage,
} from '../src/index.js';
import { DirectWorld, makeEnvelope, type Party, peerOf, waitFor } from './direct-harness.js';

inboxCompliance('DirectInbox over MemoryStore', async () => {
  const store = new MemoryStore();
  const inbox = await DirectInbox.open(store, { now: 0 });
  let n = 0;
  return {
    inbox,
    makeEnvelope: ({ sent, topic, size }) =>
      createEnvelope({
        expiry: sent + 100,
        ttl: 100,
        topic,
        data: new Uint8Array(Math.max(size ?? 8, 8))
          .fill(7)
          .map((b, i) => (i < 4 ? (n >> (8 * i)) & 0xff : b)),
        nonce: BigInt(n++),
      }),
    close: () => store.close(),
  };
});

envelopeExchangeCompliance('direct channel, two contacts', async () => {
  const world = new DirectWorld();
  const alice = await world.party();
  const bob = await world.party();
  await world.befriend();
  return {
    sender: alice.node.sender(peerOf(bob)),
    receiver: bob.node,
    makeEnvelope: () => makeEnvelope(),
    close: () => world.close(),
  };
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHexBytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/** A store whose batches take 30 ms: a receiver slower than its contact. */
class SlowStore extends MemoryStore {
  override async batch(operations: Parameters<MemoryStore['batch']>[0]): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return super.batch(operations);
  }
}

describe('store-and-forward between contacts', () => {
  let world: DirectWorld;
  afterEach(async () => {
    await world?.close();
  });

  async function pair() {
    world = new DirectWorld();
    const alice = await world.party();
    const bob = await world.party();
    await world.befriend();
    return { alice, bob };
  }

  /** Every envelope hash bob's node has handed out, with counts. */
  function received(party: Party) {
    const counts = new Map<string, number>();
    const listen = () =>
      party.node.onEnvelope(({ hash, source, peer }) => {
        expect(source).toBe('direct');
        expect(peer).toBeDefined();
        counts.set(hex(hash), (counts.get(hex(hash)) ?? 0) + 1);
      });
    let stop = listen();
    return {
      counts,
      relisten: () => {
        stop();
        stop = listen();
      },
    };
  }

  async function inboxHashes(party: Party): Promise<string[]> {
    const out: string[] = [];
    let cursor: Uint8Array | undefined;
    do {
      const page: { items: ReceivedMessage[]; cursor: Uint8Array } = await party.node.inbox.page({
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.items.map((item) => hex(item.hash)));
      cursor = page.cursor.length ? page.cursor : undefined;
    } while (cursor);
    return out;
  }

  it('keeps what is sent while the contact is offline and delivers it once when it is back', async () => {
    const { alice, bob } = await pair();
    const got = received(bob);
    world.offline(bob);
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      const result = await alice.node.send(peerOf(bob), makeEnvelope(64));
      expect(result.accepted).toBe(true);
      sent.push(hex(result.hash));
    }
    expect(alice.node.pending(peerOf(bob))).toBe(300);
    expect(alice.node.channel(peerOf(bob)).state).not.toBe('open');
    world.onlineAgain(bob);
    await waitFor(() => alice.node.pending(peerOf(bob)) === 0, 'every message acknowledged');
    expect([...got.counts.keys()].sort()).toEqual([...sent].sort());
    expect([...got.counts.values()].every((c) => c === 1)).toBe(true);
    expect((await inboxHashes(bob)).sort()).toEqual([...sent].sort());
  });

  it('survives restarts of either side: every accepted message kept once', async () => {
    const { alice, bob } = await pair();
    const sent = new Set<string>();
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 50; i++)
        sent.add(hex((await alice.node.send(peerOf(bob), makeEnvelope())).hash));
      // Restart one side mid-flight, alternately, then let them meet again.
      await world.restart(round % 2 ? alice : bob);
      world.onlineAgain(alice);
      world.onlineAgain(bob);
    }
    await waitFor(
      () => alice.node.pending(peerOf(bob)) === 0,
      'every message acknowledged',
      20_000,
    );
    const kept = await inboxHashes(bob);
    expect(kept.length).toBe(sent.size);
    expect(new Set(kept)).toEqual(sent);
  });

  it('tells each acknowledgement by envelope hash, and remembers it after a restart', async () => {
    const { alice, bob } = await pair();
    world.offline(bob);
    const sent = new Set<string>();
    for (let i = 0; i < 3; i++)
      sent.add(hex((await alice.node.send(peerOf(bob), makeEnvelope())).hash));
    const told = new Set<string>();
    alice.node.on('acknowledged', ({ peer, hashes }) => {
      expect(peer).toBe(peerOf(bob));
      for (const hash of hashes) told.add(hex(hash));
    });
    for (const hash of sent)
      expect(alice.node.acknowledged(peerOf(bob), fromHexBytes(hash))).toBe(false);
    world.onlineAgain(bob);
    await waitFor(() => alice.node.pending(peerOf(bob)) === 0, 'the acknowledgements');
    expect(told).toEqual(sent);
    await world.restart(alice);
    for (const hash of sent)
      expect(alice.node.acknowledged(peerOf(bob), fromHexBytes(hash))).toBe(true);
    expect(alice.node.acknowledged(peerOf(bob), new Uint8Array(32))).toBe(false);
    expect(() => alice.node.acknowledged(peerOf(bob), new Uint8Array(31))).toThrow(RangeError);
  });

  it('a message sent again is not accepted again, pending or delivered', async () => {
    const { alice, bob } = await pair();
    world.offline(bob);
    const envelope = makeEnvelope();
    const first = await alice.node.send(peerOf(bob), envelope);
    const pending = await alice.node.send(peerOf(bob), envelope);
    expect([first.accepted, pending.accepted]).toEqual([true, false]);
    expect(pending.hash).toEqual(first.hash);
    world.onlineAgain(bob);
    await waitFor(() => alice.node.pending(peerOf(bob)) === 0, 'the acknowledgement');
    await world.restart(alice);
    expect((await alice.node.send(peerOf(bob), envelope)).accepted).toBe(false);
  });

  it('loses nothing over a link that drops, reorders or damages frames, and keeps nothing twice', async () => {
    const { alice, bob } = await pair();
    let n = 0;
    let held: Uint8Array | undefined;
    world.tap = ({ bytes }) => {
      n++;
      if (held) {
        const late = held;
        held = undefined;
        return [bytes, late]; // reordered
      }
      if (n % 13 === 0) {
        held = bytes;
        return [];
      }
      if (n % 7 === 0) return []; // dropped
      if (n % 11 === 0) {
        const flipped = bytes.slice();
        flipped[flipped.length >> 1]! ^= 1;
        return [flipped];
      }
      return [bytes];
    };
    const sent = new Set<string>();
    for (let i = 0; i < 200; i++)
      sent.add(hex((await alice.node.send(peerOf(bob), makeEnvelope())).hash));
    for (let i = 0; i < 100; i++)
      sent.add(hex((await alice.node.send(peerOf(bob), makeEnvelope())).hash));
    await waitFor(
      () => alice.node.pending(peerOf(bob)) === 0,
      'every message acknowledged',
      20_000,
    );
    const kept = await inboxHashes(bob);
    expect(kept.length).toBe(sent.size);
    expect(new Set(kept)).toEqual(sent);
  });

  it('refuses to send to a stranger, and a closed node refuses to send', async () => {
    const { alice } = await pair();
    const stranger = await world.party();
    await expect(alice.node.send(peerOf(stranger), makeEnvelope())).rejects.toMatchObject({
      code: 'not-a-contact',
    });
    await alice.node.close();
    await expect(alice.node.send(peerOf(stranger), makeEnvelope())).rejects.toBeInstanceOf(
      DirectError,
    );
  });

  it('closes a connection from a key that is not a contact before reading a frame', async () => {
    const { alice } = await pair();
    const stranger = await world.party(); // not befriended
    await stranger.contacts.add(alice.identity.publicKey, 'alice', 1);
    const [a, b] = rawChannelPair();
    // Alice's encrypter would refuse it; attach refuses on its own too (a connection handed
    // by some other listener).
    const lenient = world.encrypter({
      ...alice,
      contacts: { has: () => true },
    } as unknown as Party);
    const [outbound, inbound] = await Promise.all([
      world.encrypter(stranger).secureOutbound(a, { remoteStaticKey: lenient.staticKey }),
      lenient.secureInbound(b),
    ]);
    const closed = new Promise((resolve) => outbound.onClose(resolve));
    alice.node.attach(inbound);
    await closed;
    expect(alice.metrics.value('hush_direct_connections_total', { result: 'refused' })).toBe(1);
  });

  it('closes on a malformed frame and on a flood, counting each, and still delivers after', async () => {
    const { alice, bob } = await pair();
    const [a, b] = rawChannelPair();
    const [outbound, inbound] = await Promise.all([
      world.encrypter(alice).secureOutbound(a, { remoteStaticKey: world.encrypter(bob).staticKey }),
      world.encrypter(bob).secureInbound(b),
    ]);
    bob.node.attach(inbound);
    const closed = new Promise((resolve) => outbound.onClose((reason) => resolve(reason)));
    outbound.send(Uint8Array.of(0xc3, 0x02, 0xc0, 0xc0));
    expect(await closed).toBe('remote');
    expect(bob.metrics.value('hush_direct_frames_refused_total', { reason: 'malformed' })).toBe(1);

    const result = await alice.node.send(peerOf(bob), makeEnvelope());
    await waitFor(() => alice.node.pending(peerOf(bob)) === 0, 'delivery after the bad frame');
    expect(result.accepted).toBe(true);
  });

  it('closes on a contact that floods frames faster than they are kept, and loses nothing', async () => {
    world = new DirectWorld();
    const alice = await world.party();
    const bob = await world.party(new SlowStore());
    await world.befriend();
    const [a, b] = rawChannelPair();
    const [outbound, inbound] = await Promise.all([
      world.encrypter(alice).secureOutbound(a, { remoteStaticKey: world.encrypter(bob).staticKey }),
      world.encrypter(bob).secureInbound(b),
    ]);
    bob.node.attach(inbound);
    const closed = new Promise((resolve) => outbound.onClose((reason) => resolve(reason)));
    for (let i = 0; i < 100; i++)
      outbound.send(encodeFrame({ acks: [], messages: [directMessage(makeEnvelope())] }));
    expect(await closed).toBe('remote');
    expect(bob.metrics.value('hush_direct_frames_refused_total', { reason: 'flood' })).toBe(1);
    expect(bob.metrics.value('hush_direct_channel_closes_total', { reason: 'slow-consumer' })).toBe(
      1,
    );
    // An honest sender's window never floods, even into the slow store.
    const sent = new Set<string>();
    for (let i = 0; i < 3000; i++)
      sent.add(hex((await alice.node.send(peerOf(bob), makeEnvelope())).hash));
    await waitFor(
      () => alice.node.pending(peerOf(bob)) === 0,
      'every message acknowledged',
      30_000,
    );
    const kept = new Set(await inboxHashes(bob));
    for (const hash of sent) expect(kept.has(hash)).toBe(true);
    expect(bob.metrics.value('hush_direct_frames_refused_total', { reason: 'flood' })).toBe(1);
  });

  it('refuses an envelope over the size limit before storing it', async () => {
    world = new DirectWorld({ maxEnvelopeBytes: 1000 });
    const alice = await world.party();
    const bob = await world.party();
    await world.befriend();
    await expect(alice.node.send(peerOf(bob), makeEnvelope(2000))).rejects.toThrow(RangeError);
    expect(alice.node.pending(peerOf(bob))).toBe(0);
  });

  it('keeps one channel when both sides dial at once', async () => {
    const { alice, bob } = await pair();
    alice.node.connect(peerOf(bob));
    bob.node.connect(peerOf(alice));
    await waitFor(
      () =>
        alice.node.channel(peerOf(bob)).state === 'open' &&
        bob.node.channel(peerOf(alice)).state === 'open',
      'both open',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const a = alice.node.channel(peerOf(bob));
    const b = bob.node.channel(peerOf(alice));
    expect(a.state).toBe('open');
    expect(b.state).toBe('open');
    expect(a.outbound).toBe(!b.outbound);
    const sent = await alice.node.send(peerOf(bob), makeEnvelope());
    await waitFor(() => alice.node.pending(peerOf(bob)) === 0, 'delivery on the kept channel');
    expect(sent.accepted).toBe(true);
  });

  it('refuses past the outbox limit with outbox-full, losing nothing accepted', async () => {
    world = new DirectWorld({ outbox: { maxPendingPerContact: 5 } });
    const alice = await world.party();
    const bob = await world.party();
    await world.befriend();
    world.offline(bob);
    for (let i = 0; i < 5; i++) await alice.node.send(peerOf(bob), makeEnvelope());
    await expect(alice.node.send(peerOf(bob), makeEnvelope())).rejects.toMatchObject({
      code: 'outbox-full',
    });
    world.onlineAgain(bob);
    await waitFor(() => alice.node.pending(peerOf(bob)) === 0, 'the five delivered');
    expect(bob.node.inbox.size).toBe(5);
  });
});
