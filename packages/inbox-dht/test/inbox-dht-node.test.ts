/**
 * specs/inbox-dht/SPEC.md §3 over real links: requests and answers as frames of a Noise link
 * named `hush-dht/1` over in-memory channel pairs (ids matched, unknown ids ignored, wrong
 * types, timeouts on a ManualClock, requests in flight bounded, malformed frames closing the
 * connection, all counted).
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { encodeEnvelope as encodeEnvelopeOf } from '@hush/envelope';
import {
  type Connection,
  ManualClock,
  MemoryMetrics,
  MemoryStore,
  type PeerId,
  systemClock as systemClockOf,
} from '@hush/interface';
import { rawChannelPair } from '@hush/interface-compliance';
import { noiseLinkEncrypter } from '@hush/noise';
import { encodeBytes, encodeList } from '@hush/rlp';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  ConnectionRpc,
  type Contact,
  combineServers,
  contactOf,
  type DescriptorFields,
  DHT_LINK_PROTOCOL,
  DhtError,
  DhtNode,
  DhtRouter,
  type DhtServer,
  decodeInboxBody,
  decodeMessage as decodeMessageOf,
  depositMessage,
  encodeMessage,
  encodeRequest as encodeRequestOf,
  envelopeItemId,
  epochOf,
  generateInboxKey,
  getDescriptorMessage,
  Holder,
  holderServer,
  InboxAnswer,
  inboxAnswer,
  inboxLocation,
  MessageType,
  mergePages,
  pageMessage,
  RpcConnection,
  requestNonce,
  routerServer,
  signDescriptor,
  signedRequestMessage,
  signRequest,
  storeDescriptorMessage,
} from '../src/index.js';
import {
  EPOCH,
  envelopeAt,
  fetchRequest,
  link,
  MIN_POW,
  type Party,
  party,
  T0,
  underPow,
} from './inbox-dht-link-support.js';

const verifier = secp256k1Verifier();

const code = (c: string) => expect.objectContaining({ name: 'DhtError', code: c });

describe('the hush-dht/1 link', () => {
  it('names its protocol, and never completes with a link of another protocol', async () => {
    const a = party();
    expect(a.encrypter.protocol).toContain(DHT_LINK_PROTOCOL);
    const identity = secp256k1Identity(randomBytes(32));
    const gossip = noiseLinkEncrypter({
      identity,
      verifier,
      staticKey: randomBytes(32),
      protocol: 'hush-gossip/2',
    });
    const [ra, rb] = rawChannelPair();
    const results = await Promise.allSettled([
      a.encrypter.secureOutbound(ra),
      gossip.secureInbound(rb),
    ]);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
  });
});

describe('ConnectionRpc (§3.1)', () => {
  it('sends FIND_NODE and PING as frames of the link, served by the router', async () => {
    const a = party();
    const b = party();
    const connections = new Map<PeerId, Connection>();
    const rpcA = new ConnectionRpc({
      dial: async (contact) => {
        const [outbound, inbound] = await link(a, b);
        expect(contact.peer).toBe(b.peer);
        connections.set(b.peer, inbound);
        rpcB.add(inbound);
        return outbound;
      },
      endpoints: ['memory:a'],
    });
    const rpcB = new ConnectionRpc({ dial: () => Promise.reject(new Error('no dialing')) });
    const routerB = new DhtRouter({ publicKey: b.identity.publicKey, rpc: rpcB });
    rpcB.setServer(routerServer(routerB));
    const known = party();
    routerB.table.seen(contactOf(known.peer, ['memory:known']));
    const signal = new AbortController().signal;
    const contacts = await rpcA.findNode(contactOf(b.peer), routerB.id, { signal });
    // B's table knows `known` and now A; the answer leaves A (the asker) out.
    expect(contacts.map((c) => c.peer)).toEqual([known.peer]);
    // B recorded A, with the endpoint it announced.
    expect(routerB.table.closest(routerB.id, 20).find((c) => c.peer === a.peer)?.endpoints).toEqual(
      ['memory:a'],
    );
    await rpcA.ping(contactOf(b.peer), { signal });
    expect(rpcA.size).toBe(1);
    rpcA.close();
    await expect(rpcA.ping(contactOf(b.peer), { signal })).rejects.toEqual(code('closed'));
  });

  it('ignores answers with unknown ids, fails answers of another type as malformed', async () => {
    const a = party();
    const b = party();
    const [ca, cb] = await link(a, b);
    const metrics = new MemoryMetrics();
    const rpc = new RpcConnection(ca, undefined, { metrics });
    // The other side answers a PING with NODES, after a PONG of an id nobody asked for.
    cb.onFrame(() => {
      cb.send(encodeMessage({ type: MessageType.Pong, requestId: 4242 }));
      cb.send(encodeMessage({ type: MessageType.Nodes, requestId: 1, contacts: [] }));
    });
    await expect(
      rpc.request({ type: MessageType.Ping, requestId: 0, endpoints: [] }),
    ).rejects.toEqual(code('malformed'));
    expect(metrics.value('hush_dht_unmatched_answers_total')).toBe(1);
    expect(rpc.isClosed).toBe(false);
  });

  it('times requests out on the injected clock and bounds those in flight', async () => {
    const a = party();
    const b = party();
    const [ca, cb] = await link(a, b);
    cb.onFrame(() => {}); // never answers
    const clock = new ManualClock(0);
    const metrics = new MemoryMetrics();
    const rpc = new RpcConnection(ca, undefined, {
      clock,
      metrics,
      timeoutMs: 500,
      maxInFlight: 2,
    });
    const ping = () => rpc.request({ type: MessageType.Ping, requestId: 0, endpoints: [] });
    const first = ping();
    const second = ping();
    await expect(ping()).rejects.toEqual(code('quota'));
    expect(rpc.inFlight).toBe(2);
    clock.advance(499);
    expect(rpc.inFlight).toBe(2);
    clock.advance(1);
    await expect(first).rejects.toEqual(code('closed'));
    await expect(second).rejects.toEqual(code('closed'));
    expect(metrics.value('hush_dht_request_timeouts_total')).toBe(2);
    expect(rpc.inFlight).toBe(0);
  });

  it('answers a refused request with ERROR, and closes on a malformed frame (counted)', async () => {
    const a = party();
    const b = party();
    const [ca, cb] = await link(a, b);
    const serve: DhtServer = () => {
      throw new DhtError('quota', 'slow down');
    };
    const metrics = new MemoryMetrics();
    const server = new RpcConnection(cb, serve, { metrics });
    const client = new RpcConnection(ca, undefined);
    await expect(
      client.request({ type: MessageType.Ping, requestId: 0, endpoints: [] }),
    ).rejects.toEqual(code('quota'));
    const pending = client.request({ type: MessageType.Ping, requestId: 0, endpoints: [] });
    ca.send(Uint8Array.of(0xc1, 0x02)); // not a message of §3
    await expect(pending).rejects.toEqual(code('closed'));
    expect(metrics.value('hush_dht_malformed_frames_total')).toBe(1);
    expect(server.isClosed).toBe(true);
    expect(client.isClosed).toBe(true);
  });

  it('refuses a dialed connection that proves another peer', async () => {
    const a = party();
    const b = party();
    const c = party();
    const rpc = new ConnectionRpc({ dial: async () => (await link(a, c))[0] });
    const contact: Contact = contactOf(b.peer);
    await expect(rpc.ping(contact, { signal: new AbortController().signal })).rejects.toEqual(
      code('malformed'),
    );
  });
});

const encryptionKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);

function fieldsOf(epoch: number): DescriptorFields {
  return { epoch, seq: 1n, minPow: MIN_POW, maxSize: 1024, maxTtl: 86_400, encryptionKey };
}

describe('inbox messages (§3.4)', () => {
  it('round-trips every body, and refuses bodies that break a rule', async () => {
    const key = generateInboxKey();
    const descriptor = signDescriptor(fieldsOf(EPOCH), key.secretKey);
    const location = inboxLocation(key.publicKey, EPOCH);
    const round = (m: ReturnType<typeof depositMessage>) =>
      decodeInboxBody(decodeMessageOf(encodeMessage(m)));
    expect(round(storeDescriptorMessage(descriptor))).toEqual({ type: 0x10, descriptor });
    expect(round(storeDescriptorMessage(descriptor, 7n))).toEqual({
      type: 0x10,
      descriptor,
      cas: 7n,
    });
    expect(round(getDescriptorMessage(location))).toEqual({ type: 0x11, location });
    const e = await envelopeAt(T0);
    const deposit = round(depositMessage(location, e));
    expect(deposit.type).toBe(0x12);
    const request = fetchRequest(key.secretKey, location, T0);
    expect(round(signedRequestMessage(request))).toEqual({ type: 0x13, request });
    const restore = signRequest(
      { op: 'restore', location, timestamp: T0, nonce: requestNonce(), ids: [new Uint8Array(36)] },
      key.secretKey,
    );
    expect(round(signedRequestMessage(restore))).toEqual({ type: 0x1a, request: restore });
    expect(round(inboxAnswer(InboxAnswer.Restored, 3))).toEqual({ type: 0x1b, count: 3 });
    const page = { items: [{ id: envelopeItemId(e), envelope: e }], cursor: new Uint8Array(0) };
    expect(round(pageMessage(page))).toEqual({ type: 0x18, page });
    // A page cut to its budget: one item, the cursor its id.
    const e2 = await envelopeAt(T0 + 1000);
    const two = {
      items: [...page.items, { id: envelopeItemId(e2), envelope: e2 }],
      cursor: new Uint8Array(0),
    };
    expect(round(pageMessage(two, 100))).toEqual({
      type: 0x18,
      page: { items: page.items, cursor: envelopeItemId(e) },
    });

    const bad = (type: number, items: Uint8Array[]) => () =>
      decodeInboxBody({ type, requestId: 1, body: encodeList(items) });
    expect(bad(0x11, [encodeBytes(new Uint8Array(31))])).toThrow(code('malformed'));
    expect(bad(0x11, [encodeBytes(location), encodeBytes(location)])).toThrow(code('malformed'));
    expect(bad(0x12, [encodeBytes(location)])).toThrow(code('malformed'));
    // A page item whose id is not its envelope's.
    const wrongId = envelopeItemId(e2);
    expect(
      bad(0x18, [
        encodeList([encodeList([encodeBytes(wrongId), encodeBytes(encodeEnvelopeOf(e))])]),
        encodeBytes(new Uint8Array(0)),
      ]),
    ).toThrow(code('malformed'));
    // A fetch request sent as DELETE.
    expect(bad(0x14, [encodeBytes(encodeRequestOf(request))])).toThrow(code('malformed'));
    // A fetch request sent as RESTORE, a restore sent as DELETE, a RESTORED count over 256.
    expect(bad(0x1a, [encodeBytes(encodeRequestOf(request))])).toThrow(code('malformed'));
    expect(bad(0x14, [encodeBytes(encodeRequestOf(restore))])).toThrow(code('malformed'));
    expect(bad(0x1b, [Uint8Array.of(0x82, 0x01, 0x01)])).toThrow(code('malformed'));
    expect(bad(0x17, [Uint8Array.of(0x02)])).toThrow(code('malformed'));
  });

  it('are served by a Holder over a hush-dht/1 link: refusals come back as ERROR codes', async () => {
    const clock = new ManualClock(T0);
    const holder = await Holder.open(new MemoryStore(), { clock });
    const a = party();
    const b = party();
    const [ca, cb] = await link(a, b);
    new RpcConnection(
      cb,
      combineServers(holderServer(holder), () => undefined),
    );
    const client = new RpcConnection(ca, undefined);
    const key = generateInboxKey();
    const descriptor = signDescriptor(fieldsOf(EPOCH), key.secretKey);
    const location = inboxLocation(key.publicKey, EPOCH);
    const ask = async (m: ReturnType<typeof depositMessage>) =>
      decodeInboxBody(await client.request(m));

    expect(await ask(getDescriptorMessage(location))).toEqual({
      type: 0x16,
      descriptor: undefined,
    });
    expect(await ask(storeDescriptorMessage(descriptor))).toEqual({ type: InboxAnswer.Stored });
    await expect(ask(storeDescriptorMessage(descriptor))).rejects.toEqual(code('stale'));
    expect(await ask(getDescriptorMessage(location))).toEqual({ type: 0x16, descriptor });

    const e = await envelopeAt(T0);
    expect(await ask(depositMessage(location, e))).toEqual({ type: 0x17, stored: true });
    expect(await ask(depositMessage(location, e))).toEqual({ type: 0x17, stored: false });
    await expect(ask(depositMessage(location, underPow(await envelopeAt(T0, 0))))).rejects.toEqual(
      code('refused'),
    );

    const fetched = await ask(signedRequestMessage(fetchRequest(key.secretKey, location, T0)));
    expect(fetched.type === 0x18 && fetched.page.items.map((i) => i.id)).toEqual([
      envelopeItemId(e),
    ]);
    const forged = generateInboxKey();
    await expect(
      ask(signedRequestMessage(fetchRequest(forged.secretKey, location, T0))),
    ).rejects.toEqual(code('bad-signature'));
    const del = signRequest(
      { op: 'delete', location, timestamp: T0, nonce: requestNonce(), ids: [envelopeItemId(e)] },
      key.secretKey,
    );
    expect(await ask(signedRequestMessage(del))).toEqual({
      type: 0x19,
      count: 1,
      ids: [envelopeItemId(e)],
    });
    expect(await holder.tombstoned(location, envelopeItemId(e))).toBe(true);
    // A replayed delete is refused (§6.2).
    await expect(ask(signedRequestMessage(del))).rejects.toEqual(code('bad-signature'));
    await expect(ask(depositMessage(location, e))).rejects.toEqual(code('refused'));

    // RESTORE lifts the tombstone (§6.5); the envelope may be deposited again.
    const restore = signRequest(
      { op: 'restore', location, timestamp: T0, nonce: requestNonce(), ids: [envelopeItemId(e)] },
      key.secretKey,
    );
    const restoreMessage = signedRequestMessage(restore);
    expect(restoreMessage.type).toBe(MessageType.Restore);
    expect(await ask(restoreMessage)).toEqual({ type: InboxAnswer.Restored, count: 1 });
    expect(await holder.tombstoned(location, envelopeItemId(e))).toBe(false);
    await expect(ask(signedRequestMessage(restore))).rejects.toEqual(code('bad-signature'));
    const forgedRestore = signRequest(
      { op: 'restore', location, timestamp: T0, nonce: requestNonce(), ids: [envelopeItemId(e)] },
      forged.secretKey,
    );
    await expect(ask(signedRequestMessage(forgedRestore))).rejects.toEqual(code('bad-signature'));
    expect(await ask(depositMessage(location, e))).toEqual({ type: 0x17, stored: true });
  });
});

describe('mergePages', () => {
  it('keeps each item once, oldest first, and stops at the earliest cut', async () => {
    const es = await Promise.all([1, 2, 3].map((i) => envelopeAt(T0 + i * 1000)));
    const items = es.map((envelope) => ({ id: envelopeItemId(envelope), envelope }));
    const none = new Uint8Array(0);
    expect(
      mergePages(
        [
          { items: [items[2]!, items[0]!], cursor: none },
          { items: [items[0]!, items[1]!], cursor: none },
        ],
        10,
      ),
    ).toEqual({ items, cursor: none });
    expect(
      mergePages(
        [
          { items: [items[0]!], cursor: items[0]!.id },
          { items, cursor: none },
        ],
        10,
      ),
    ).toEqual({ items: [items[0]], cursor: items[0]!.id });
    expect(mergePages([{ items, cursor: none }], 2)).toEqual({
      items: items.slice(0, 2),
      cursor: items[1]!.id,
    });
  });
});

describe('DhtNode: 20 nodes over real hush-dht/1 Noise links', () => {
  it('publishes, deposits, loses the depositor, then fetches and deletes; holders keep tombstones', async () => {
    const nodes = new Map<PeerId, { node: DhtNode; party: Party }>();
    const make = async () => {
      const p = party();
      const holder = await Holder.open(new MemoryStore(), { clock: systemClockOf });
      const node: DhtNode = new DhtNode({
        publicKey: p.identity.publicKey,
        holder,
        endpoints: [`memory:${p.peer.slice(0, 8)}`],
        router: { refreshIntervalMs: 0 },
        dial: async (contact) => {
          const other = nodes.get(contact.peer);
          if (!other) throw new Error('nobody there');
          const [outbound, inbound] = await link(p, other.party);
          other.node.accept(inbound);
          return outbound;
        },
      });
      nodes.set(p.peer, { node, party: p });
      return node;
    };
    const all: DhtNode[] = [];
    for (let i = 0; i < 20; i++) all.push(await make());
    const [first, ...rest] = all;
    for (const node of rest) await node.start([first!.self]);
    for (const node of all) await node.router.refresh();
    for (const node of all) expect(node.router.table.size).toBe(19);

    const owner = all[3]!;
    const depositor = all[11]!;
    const reader = all[17]!;
    const key = generateInboxKey();
    const epoch = epochOf(Date.now());
    const descriptor = signDescriptor(fieldsOf(epoch), key.secretKey);
    const location = inboxLocation(key.publicKey, epoch);

    const published = await owner.publish(descriptor);
    expect(published).toMatchObject({ accepted: 20, failed: 0, refused: {} });
    expect(published.holders).toHaveLength(20);
    // Publishing the same seq again is stale everywhere.
    expect((await owner.publish(descriptor)).refused).toEqual({ stale: 20 });

    const e = await envelopeAt(Date.now());
    const id = envelopeItemId(e);
    expect(await depositor.deposit(location, e)).toMatchObject({ accepted: 20, failed: 0 });
    expect(
      (await depositor.deposit(location, underPow(await envelopeAt(Date.now(), 0)))).refused,
    ).toEqual({
      refused: 20,
    });

    // The depositor leaves, taking its copy with it.
    depositor.stop();
    nodes.delete(depositor.peer);
    const live = all.filter((n) => n !== depositor);

    const fetched = await reader.fetch(key.secretKey, location);
    expect(fetched.page.items.map((item) => item.id)).toEqual([id]);
    expect(fetched.page.items[0]!.envelope).toEqual(e);
    expect(fetched.holders.map((h) => h.peer)).not.toContain(depositor.peer);
    expect(fetched.accepted).toBe(19);
    // A forged fetch is refused by every holder.
    const forged = generateInboxKey();
    expect((await reader.fetch(forged.secretKey, location)).refused).toEqual({
      'bad-signature': 19,
    });

    const deleted = await reader.delete(key.secretKey, location, [id]);
    expect(deleted).toMatchObject({ deleted: 19, accepted: 19, removed: [id] });
    for (const node of live) expect(await node.holder.tombstoned(location, id)).toBe(true);
    expect((await reader.fetch(key.secretKey, location)).page.items).toEqual([]);
    // Repair cannot bring it back: a deposit of the same envelope is refused as tombstoned.
    expect((await owner.deposit(location, e)).refused).toEqual({ refused: 19 });
    // The owner's signed RESTORE lifts the tombstones everywhere; the envelope goes back in.
    expect(await owner.restore(key.secretKey, location, [id])).toMatchObject({
      restored: 19,
      accepted: 19,
    });
    for (const node of live) expect(await node.holder.tombstoned(location, id)).toBe(false);
    expect(await owner.deposit(location, e)).toMatchObject({ accepted: 19, refused: {} });
    expect((await reader.fetch(key.secretKey, location)).page.items.map((i) => i.id)).toEqual([id]);
    // A forged restore is refused by every holder.
    expect((await reader.restore(forged.secretKey, location, [id])).refused).toEqual({
      'bad-signature': 19,
    });
    for (const node of live) node.stop();
  });
});
