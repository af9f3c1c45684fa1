/** Node ids, the routing table, rate limits, lookups against bad answers, the codec (SPEC §2–§3). */
import { ManualClock, MemoryMetrics, peerIdFromPublicKey } from '@hush/interface';
import { keccak256 } from '@hush/keccak';
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Contact,
  compareDistance,
  contactOf,
  DhtError,
  DhtRouter,
  decodeMessage,
  encodeMessage,
  type FindNodeRpc,
  idEquals,
  ipv4Group,
  logDistance,
  lookup,
  MemoryDhtNetwork,
  MessageType,
  nodeIdOfPeer,
  nodeIdOfPublicKey,
  PeerRateLimiter,
  RoutingTable,
  randomIdAtDistance,
  routerHandler,
  runOnClock,
  xorDistance,
} from '../src/index.js';
import { byDistance, publicKeyOf, testContact } from './inbox-dht-routing-support.js';

const id32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const big = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);

describe('node ids and XOR distance (§2.1)', () => {
  it('an id is Keccak-256 of the 64-byte public key, from the authenticated peer id', () => {
    const key = publicKeyOf(1, 0);
    const peer = peerIdFromPublicKey(key);
    expect(nodeIdOfPublicKey(key)).toEqual(keccak256(key.subarray(1)));
    expect(nodeIdOfPublicKey(key.subarray(1))).toEqual(keccak256(key.subarray(1)));
    expect(nodeIdOfPeer(peer)).toEqual(keccak256(key.subarray(1)));
    expect(contactOf(peer).id).toEqual(keccak256(key.subarray(1)));
    expect(() => nodeIdOfPublicKey(new Uint8Array(33))).toThrow(RangeError);
  });

  it('XOR is a metric: d(a,a) = 0, symmetric, triangle inequality, unidirectional', () => {
    fc.assert(
      fc.property(id32, id32, id32, (a, b, c) => {
        expect(big(xorDistance(a, a))).toBe(0n);
        expect(big(xorDistance(a, b))).toBe(big(xorDistance(b, a)));
        expect(big(xorDistance(a, c)) <= big(xorDistance(a, b)) + big(xorDistance(b, c))).toBe(
          true,
        );
        // For a and a distance Δ there is exactly one b: b = a ⊕ Δ.
        expect(xorDistance(a, xorDistance(a, b))).toEqual(b);
      }),
    );
  });

  it('compareDistance orders as the numbers a ⊕ t and b ⊕ t; logDistance is their bit length', () => {
    fc.assert(
      fc.property(id32, id32, id32, (t, a, b) => {
        const da = big(xorDistance(a, t));
        const db = big(xorDistance(b, t));
        expect(Math.sign(compareDistance(t, a, b))).toBe(da < db ? -1 : da > db ? 1 : 0);
        expect(logDistance(a, t)).toBe(da === 0n ? 0 : da.toString(2).length);
      }),
    );
  });

  it('randomIdAtDistance lands at the asked log distance', () => {
    fc.assert(
      fc.property(id32, id32, fc.integer({ min: 1, max: 256 }), (self, random, distance) => {
        expect(logDistance(self, randomIdAtDistance(self, distance, random))).toBe(distance);
      }),
    );
  });
});

const clockAt = () => new ManualClock(1_800_000_000_000);
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Contacts at log distance 256 from `self` (the far half), in the same bucket. */
function farHalf(self: Uint8Array, count: number, seed: number): Contact[] {
  const out: Contact[] = [];
  for (let i = 0; out.length < count; i++) {
    const c = testContact(seed, i);
    if (logDistance(self, c.id) === 256) out.push(c);
  }
  return out;
}

describe('routing table (§2.2)', () => {
  it('buckets by log distance hold at most k; closest() is the true n closest', () => {
    const self = testContact(2, 0).id;
    const table = new RoutingTable({ self, clock: clockAt(), ping: async () => true });
    const all = Array.from({ length: 300 }, (_, i) => testContact(2, i + 1));
    for (const c of all) table.seen(c);
    for (let d = 1; d <= 256; d++) expect(table.bucketContacts(d).length).toBeLessThanOrEqual(20);
    for (const c of table.contacts())
      expect(table.bucketContacts(logDistance(self, c.id))).toContain(c);
    const target = keccak256(new Uint8Array([7]));
    const kept = table.contacts();
    expect(table.closest(target, 20).map((c) => c.peer)).toEqual(
      byDistance(target, kept)
        .slice(0, 20)
        .map((c) => c.peer),
    );
    expect(table.seen(testContact(2, 0))).toBe('refused'); // itself
  });

  it('a full bucket pings its least recently seen entry: kept if it answers, replaced if not', async () => {
    const self = testContact(3, 0).id;
    const answers: Array<(alive: boolean) => void> = [];
    const pinged: Contact[] = [];
    const table = new RoutingTable({
      self,
      clock: clockAt(),
      ping: (c) => {
        pinged.push(c);
        return new Promise((resolve) => answers.push(resolve));
      },
    });
    const contacts = farHalf(self, 23, 3);
    for (const c of contacts.slice(0, 20)) expect(table.seen(c)).toBe('added');
    // Seen again: moves to the most recently seen end, no ping.
    expect(table.seen(contacts[0]!)).toBe('updated');
    expect(table.bucketContacts(256).at(-1)).toBe(contacts[0]);
    // A 21st: the oldest (now contacts[1]) is pinged, the newcomer waits.
    expect(table.seen(contacts[20]!)).toBe('pending');
    expect(table.seen(contacts[21]!)).toBe('pending'); // one ping at a time per bucket
    expect(pinged).toEqual([contacts[1]]);
    answers.shift()!(true);
    await settle();
    expect(table.has(contacts[1]!.id)).toBe(true);
    expect(table.has(contacts[20]!.id)).toBe(false);
    expect(table.bucketContacts(256).at(-1)).toBe(contacts[1]);
    // Another newcomer: the oldest is now contacts[2]; it fails, the newest replacement enters.
    expect(table.seen(contacts[22]!)).toBe('pending');
    expect(pinged.at(-1)).toBe(contacts[2]);
    answers.shift()!(false);
    await settle();
    expect(table.has(contacts[2]!.id)).toBe(false);
    expect(table.has(contacts[22]!.id)).toBe(true);
    expect(table.size).toBe(20);
    expect(table.evicted).toBe(1);
  });

  it('drops an entry after 3 failed requests and promotes a replacement', async () => {
    const self = testContact(4, 0).id;
    const table = new RoutingTable({ self, clock: clockAt(), ping: () => new Promise(() => {}) });
    const contacts = farHalf(self, 21, 4);
    for (const c of contacts) table.seen(c);
    const victim = contacts[5]!;
    table.failed(victim.id);
    table.failed(victim.id);
    expect(table.has(victim.id)).toBe(true);
    table.failed(victim.id);
    expect(table.has(victim.id)).toBe(false);
    expect(table.has(contacts[20]!.id)).toBe(true);
  });

  it('limits contacts of one public /24 to 2 per bucket and 10 per table; LAN is exempt', () => {
    expect(ipv4Group(testContact(5, 1, ['ws://203.0.113.7:30303']))).toBe('203.0.113');
    expect(ipv4Group(testContact(5, 1, ['ws://127.0.0.1:30303']))).toBeUndefined();
    expect(ipv4Group(testContact(5, 1, ['192.168.1.2:1']))).toBeUndefined();
    const self = testContact(5, 0).id;
    const table = new RoutingTable({ self, clock: clockAt(), ping: async () => true });
    const same = farHalf(self, 3, 5).map((c) => contactOf(c.peer, ['ws://203.0.113.9:1']));
    expect(same.map((c) => table.seen(c))).toEqual(['added', 'added', 'refused']);
    let added = 0;
    for (let i = 1; i < 400; i++)
      if (
        table.seen(contactOf(testContact(6, i).peer, [`ws://198.51.100.${i % 250}:1`])) === 'added'
      )
        added++;
    expect(added).toBe(10);
    const lan = Array.from({ length: 30 }, (_, i) =>
      contactOf(testContact(7, i).peer, ['ws://127.0.0.1:1']),
    );
    expect(lan.filter((c) => table.seen(c) === 'added').length).toBeGreaterThan(10);
  });

  it('staleBuckets names buckets with no lookup for the refresh age, from the nearest filled', () => {
    const clock = clockAt();
    const self = testContact(8, 0).id;
    const table = new RoutingTable({ self, clock, ping: async () => true });
    expect(table.staleBuckets(1000)).toEqual([]);
    for (let i = 1; i < 50; i++) table.seen(testContact(8, i));
    clock.advance(1000);
    const nearest = Math.min(...table.contacts().map((c) => logDistance(self, c.id)));
    const stale = table.staleBuckets(1000);
    expect(stale[0]).toBe(nearest);
    expect(stale.at(-1)).toBe(256);
    table.touched(randomIdAtDistance(self, 256, new Uint8Array(32)));
    expect(table.staleBuckets(1000)).not.toContain(256);
  });
});

describe('per-peer rate limits (§2.5)', () => {
  it('a token bucket per peer: a burst, then the rate; bounded peers', () => {
    const clock = clockAt();
    const limiter = new PeerRateLimiter(clock, { perSecond: 10, burst: 5, maxPeers: 3 });
    const a = testContact(9, 1).peer;
    expect(Array.from({ length: 7 }, () => limiter.take(a))).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    clock.advance(100);
    expect(limiter.take(a)).toBe(true);
    expect(limiter.take(a)).toBe(false);
    for (let i = 2; i < 10; i++) limiter.take(testContact(9, i).peer);
    expect(limiter.tracked).toBe(3);
  });

  it('a FIND_NODE flood is refused with quota and counted; others are still served', async () => {
    const clock = clockAt();
    const metrics = new MemoryMetrics();
    const network = new MemoryDhtNetwork({ clock });
    const server = new DhtRouter({
      publicKey: publicKeyOf(10, 0),
      rpc: network.rpc(peerIdFromPublicKey(publicKeyOf(10, 0))),
      clock,
      metrics,
      rateLimit: { perSecond: 1, burst: 10 },
    });
    network.attach(server.peer, routerHandler(server));
    const flooder = network.rpc(testContact(10, 1).peer);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        flooder.findNode(server.self, new Uint8Array(32), { signal: new AbortController().signal }),
      ),
    );
    const refused = outcomes.filter(
      (o) => o.status === 'rejected' && (o.reason as DhtError).code === 'quota',
    ).length;
    expect(refused).toBe(40);
    expect(metrics.value('hush_dht_requests_refused_total', { type: 'find-node' })).toBe(40);
    expect(metrics.value('hush_dht_requests_total', { type: 'find-node' })).toBe(10);
    const other = network.rpc(testContact(10, 2).peer);
    const answer = await other.findNode(server.self, new Uint8Array(32), {
      signal: new AbortController().signal,
    });
    expect(answer.map((c) => c.peer)).toEqual([testContact(10, 1).peer]); // the flooder, from its key
  });

  it('inbox requests take from a bucket of their own: 1,000 at once, then 100 a second', () => {
    const clock = clockAt();
    const metrics = new MemoryMetrics();
    const network = new MemoryDhtNetwork({ clock });
    const server = new DhtRouter({
      publicKey: publicKeyOf(10, 0),
      rpc: network.rpc(peerIdFromPublicKey(publicKeyOf(10, 0))),
      clock,
      metrics,
    });
    const sender = testContact(10, 3).peer;
    let served = 0;
    while (server.admit(sender, 'inbox')) served++;
    expect(served).toBe(1_000);
    // The routing bucket is untouched: FIND_NODE and PING still have their burst of 40.
    expect(server.admit(sender, 'find-node')).toBe(true);
    clock.advance(1_000);
    served = 0;
    while (server.admit(sender, 'inbox')) served++;
    expect(served).toBe(100);
    expect(metrics.value('hush_dht_requests_refused_total', { type: 'inbox' })).toBe(2);
  });
});

describe('lookups against bad answers (§2.3)', () => {
  const target = keccak256(new Uint8Array([1, 2, 3]));
  const honest = Array.from({ length: 60 }, (_, i) => testContact(11, i));
  const truth = byDistance(target, honest).slice(0, 20);
  /** Honest nodes know everyone: each answers with the true 20 closest. */
  const answerOf = (peer: Contact) =>
    byDistance(
      target,
      honest.filter((c) => c.peer !== peer.peer),
    ).slice(0, 20);

  async function run(bad: (peer: Contact) => Promise<readonly Contact[]> | undefined, paths = 4) {
    const clock = clockAt();
    const penalties: string[] = [];
    const rpc: FindNodeRpc = {
      findNode: (peer) => bad(peer) ?? Promise.resolve(answerOf(peer)),
    };
    const result = await runOnClock(
      clock,
      lookup({
        target,
        seeds: byDistance(target, honest).slice(-20),
        rpc,
        clock,
        paths,
        onPenalty: (c, reason) => penalties.push(`${c.peer.slice(0, 4)} ${reason}`),
      }),
    );
    return { result, penalties };
  }

  it('honest answers: the true k closest', async () => {
    const { result, penalties } = await run(() => undefined);
    expect(result.closest.map((c) => c.peer)).toEqual(truth.map((c) => c.peer));
    expect(penalties).toEqual([]);
    expect(result.hops).toBe(2);
  });

  it('garbage, too many contacts and misrouting are penalised, not trusted, counted', async () => {
    const liars = new Set(truth.slice(0, 3).map((c) => c.peer));
    const sybils = Array.from({ length: 30 }, (_, i) => testContact(12, i));
    const far = byDistance(target, sybils).slice(-5);
    const { result, penalties } = await run((peer) => {
      if (peer.peer === truth[0]!.peer) return Promise.reject(new DhtError('malformed', 'garbage'));
      if (peer.peer === truth[1]!.peer) return Promise.resolve([...honest, ...sybils]);
      if (peer.peer === truth[2]!.peer) return Promise.resolve(far);
      return undefined;
    });
    expect(penalties.map((p) => p.split(' ')[1]).sort()).toEqual([
      'malformed',
      'misrouted',
      'too-many',
    ]);
    for (const c of result.closest) expect(liars.has(c.peer)).toBe(false);
    // Nothing the liars sent was asked.
    for (const c of result.closest) expect(sybils.some((s) => idEquals(s.id, c.id))).toBe(false);
    expect(result.penalised).toBe(3);
    const found = result.closest.map((c) => c.peer);
    for (const c of truth) if (!liars.has(c.peer)) expect(found).toContain(c.peer);
    expect(found).toHaveLength(20);
  });

  it('a node that never answers times out (virtual clock) and the lookup goes on', async () => {
    const silent = truth[0]!;
    const { result } = await run((peer) =>
      peer.peer === silent.peer ? new Promise<never>(() => {}) : undefined,
    );
    expect(result.failed).toBe(1);
    expect(result.closest.map((c) => c.peer)).not.toContain(silent.peer);
    expect(result.closest).toHaveLength(20);
  });

  it('an aborted lookup rejects with closed', async () => {
    const controller = new AbortController();
    const clock = clockAt();
    const running = lookup({
      target,
      seeds: honest.slice(0, 5),
      rpc: { findNode: () => new Promise(() => {}) },
      clock,
      signal: controller.signal,
    });
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('router: self-lookup at start and refresh (§2.4)', () => {
  it('joins through a bootstrap node, refreshes on the clock, and stops', async () => {
    const clock = clockAt();
    const network = new MemoryDhtNetwork({ clock, latencyMs: 20 });
    const routers = Array.from({ length: 40 }, (_, i) => {
      const publicKey = publicKeyOf(13, i);
      const peer = peerIdFromPublicKey(publicKey);
      const router = new DhtRouter({
        publicKey,
        rpc: network.rpc(peer, [`memory://${i}`]),
        endpoints: [`memory://${i}`],
        clock,
        refreshIntervalMs: 60_000,
        bucketRefreshMs: 120_000,
      });
      network.attach(peer, routerHandler(router));
      return router;
    });
    for (const router of routers.slice(1))
      await runOnClock(clock, router.start([routers[0]!.self]));
    expect(routers[0]!.table.size).toBe(39);
    for (const router of routers) expect(router.table.size).toBeGreaterThan(10);
    const before = network.messages;
    await runOnClock(
      clock,
      new Promise((resolve) => clock.setTimeout(() => resolve(null), 130_000)),
      1000,
    );
    expect(network.messages).toBeGreaterThan(before); // refresh lookups ran
    for (const router of routers) router.stop();
    clock.advance(10_000); // what was on the wire lands
    await settle();
    const after = network.messages;
    clock.advance(600_000);
    await settle();
    expect(network.messages).toBe(after);
    await expect(routers[1]!.lookup(new Uint8Array(32))).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('messages (§3)', () => {
  const contacts = Array.from({ length: 20 }, (_, i) =>
    testContact(14, i, [`ws://10.0.0.${i}:30303`]),
  );

  it('round-trips every routing message; contacts travel as keys, ids are recomputed', () => {
    const messages = [
      { type: MessageType.Ping, requestId: 1, endpoints: ['ws://a:1'] },
      { type: MessageType.Pong, requestId: 2 },
      {
        type: MessageType.FindNode,
        requestId: 0xffff_ffff,
        target: new Uint8Array(32).fill(9),
        endpoints: [],
      },
      { type: MessageType.Nodes, requestId: 4, contacts },
      { type: MessageType.Error, requestId: 5, code: 'quota' as const },
      {
        type: MessageType.Deposit,
        requestId: 6,
        body: encodeList([encodeBytes(new Uint8Array([1]))]),
      },
    ];
    for (const message of messages) expect(decodeMessage(encodeMessage(message))).toEqual(message);
    const nodes = decodeMessage(encodeMessage(messages[3]!));
    if (!('contacts' in nodes)) throw new Error('not NODES');
    for (const c of nodes.contacts) expect(c.id).toEqual(nodeIdOfPeer(c.peer));
  });

  const header = (type: number, body: Uint8Array, version = 1) =>
    encodeList([encodeUint(version), encodeUint(type), encodeUint(7), body]);
  const contactItem = (key: Uint8Array, endpoints: Uint8Array[] = []) =>
    encodeList([encodeBytes(key), encodeList(endpoints.map(encodeBytes))]);
  const key = (c: Contact) => Uint8Array.from(Buffer.from(c.peer, 'hex'));

  it.each([
    ['another version', header(3, encodeList([]), 2)],
    ['an unknown type', header(0x09, encodeList([]))],
    ['a short target', header(3, encodeList([encodeBytes(new Uint8Array(31)), encodeList([])]))],
    [
      '21 contacts',
      header(4, encodeList([...contacts, testContact(14, 99)].map((c) => contactItem(key(c))))),
    ],
    ['a 65-byte key', header(4, encodeList([contactItem(new Uint8Array(65).fill(4))]))],
    ['a key off the curve', header(4, encodeList([contactItem(new Uint8Array(64).fill(1))]))],
    [
      'a contact twice',
      header(4, encodeList([contactItem(key(contacts[0]!)), contactItem(key(contacts[0]!))])),
    ],
    [
      '5 endpoints',
      header(
        1,
        encodeList([
          encodeList(Array.from({ length: 5 }, () => encodeBytes(new Uint8Array([97])))),
        ]),
      ),
    ],
    [
      'an endpoint not UTF-8',
      header(1, encodeList([encodeList([encodeBytes(new Uint8Array([0xff, 0xfe]))])])),
    ],
    ['an empty endpoint', header(1, encodeList([encodeList([encodeBytes(new Uint8Array(0))])]))],
    ['an unknown error code', header(0x0f, encodeList([encodeUint(99)]))],
    ['items after the body', header(2, encodeList([encodeUint(1)]))],
    ['bytes after the message', Uint8Array.of(...header(2, encodeList([])), 0)],
    [
      'a non-canonical integer',
      encodeList([encodeUint(1), encodeBytes(Uint8Array.of(0, 2)), encodeUint(7), encodeList([])]),
    ],
    ['garbage', Uint8Array.of(0xff, 1, 2, 3)],
  ])('refuses %s with malformed', (_name, bytes) => {
    expect(() => decodeMessage(bytes)).toThrow(DhtError);
    try {
      decodeMessage(bytes);
    } catch (error) {
      expect((error as DhtError).code).toBe('malformed');
    }
  });

  it('refuses to encode what it would not decode', () => {
    expect(() =>
      encodeMessage({
        type: MessageType.Nodes,
        requestId: 1,
        contacts: [...contacts, testContact(14, 50)],
      }),
    ).toThrow(RangeError);
    expect(() => encodeMessage({ type: 0x30, requestId: 1, body: encodeList([]) })).toThrow(
      RangeError,
    );
    expect(() => encodeMessage({ type: MessageType.Pong, requestId: -1 })).toThrow(RangeError);
  });
});
