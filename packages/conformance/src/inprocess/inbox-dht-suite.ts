/**
 * specs/inbox-dht/SPEC.md as in-process cases against the public API of `@hush/inbox-dht`
 * (the spec has no vector files): ids and distance (§2.1), the routing table's Kademlia
 * update rule, failures, group limits and closest contacts (§2.2), the rate limit of §2.5, the
 * message framing, types and strict decoding of §3.1–§3.4 (malformed bytes refused as
 * DhtError 'malformed'), the inbox key, epoch, location, descriptor encoding and signature of
 * §4 (signatures checked independently with node:crypto's Ed25519), deposit admission rule by
 * rule with its refusal code and counted reason (§5.1, PoW included), the signed requests and
 * their acceptance (§6.1–§6.5), and what a holder keeps: descriptors, tombstones, limits,
 * expiry (§7.1–§7.4). Every case drives a fresh `Holder` over a `MemoryStore` on a
 * `ManualClock`, so each can fail on its own. Lookups (§2.3), joining (§2.4), the network
 * operations of §5.2/§6.7 and repair (§8) need several nodes and links: they are not
 * in-process cases here.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import {
  createEnvelope,
  type Envelope,
  encodeEnvelope,
  envelopeHash,
  envelopePow,
  sealEnvelope,
} from '@hush/envelope';
import {
  type Contact,
  checkEndpoints,
  compareDistance,
  contactOf,
  DEFAULT_HOLDER_LIMITS,
  DESCRIPTOR_DOMAIN,
  type DescriptorFields,
  DHT_LINK_PROTOCOL,
  type DhtMessage,
  decodeDescriptor,
  decodeInboxBody,
  decodeMessage,
  decodeRequest,
  depositMessage,
  encodeDescriptor,
  encodeMessage,
  encodeRequest,
  envelopeItemId,
  epochOf,
  epochSalt,
  type FetchQuery,
  Holder,
  type HolderLimits,
  holderServer,
  InboxAnswer,
  inboxKeyFromSecret,
  inboxLocation,
  inboxLocationsAround,
  logDistance,
  MessageType,
  nodeIdOfPublicKey,
  PeerRateLimiter,
  pageMessage,
  REQUEST_DOMAIN,
  RoutingTable,
  type SignedRequest,
  saltEpoch,
  signDescriptor,
  signRequest,
  verifyDescriptor,
} from '@hush/inbox-dht';
import { ManualClock, MemoryMetrics, MemoryStore, peerIdFromPublicKey } from '@hush/interface';
import { keccak256 } from '@hush/keccak';
import { decode as decodeRlp, encodeBytes, encodeList, encodeUint, type RlpValue } from '@hush/rlp';
import {
  type ConformanceCase,
  caseBuilder,
  expectEqual,
  expectThat,
  Mismatch,
} from '../suite/model.js';
import {
  expectAccepted,
  expectBytes,
  expectRefused,
  expectThrown,
  hexOf,
} from './expect-refusal.js';
import type { InProcessContext } from './vector-suite.js';

/** The spec's folder under specs/. */
export const INBOX_DHT_SPEC = 'inbox-dht';

const MALFORMED = { name: 'DhtError', code: 'malformed' } as const;
const dhtError = (code: string) => ({ name: 'DhtError', code });

/** The holder's clock in every case: noon (UTC) of 15 June 2026. */
const T0 = Date.UTC(2026, 5, 15, 12);
const NOW_S = T0 / 1000;
const EPOCH = Math.floor(T0 / 86_400_000);
const TOPIC = Uint8Array.of(1, 2, 3, 4);
const OTHER_TOPIC = Uint8Array.of(9, 9, 9, 9);
const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

const OWNER = inboxKeyFromSecret(new Uint8Array(32).fill(0x11));
const STRANGER = inboxKeyFromSecret(new Uint8Array(32).fill(0x22));

/** A secp256k1 key pair from a fixed private key (byte `seed` 32 times). */
function secp256k1Key(context: InProcessContext, seed: number): Uint8Array {
  return context.backend.publicKeyCreate(new Uint8Array(32).fill(seed));
}

function fieldsOf(
  context: InProcessContext,
  over: Partial<DescriptorFields> = {},
): DescriptorFields {
  return {
    epoch: EPOCH,
    seq: 1n,
    minPow: 0,
    maxSize: 4096,
    maxTtl: 86_400,
    encryptionKey: secp256k1Key(context, 0x33),
    ...over,
  };
}

/** An envelope sent at `sent` (default 10 s before the holder's now) with `data` bytes of `fill`. */
function envelopeAt(
  options: { sent?: number; ttl?: number; topic?: Uint8Array; data?: number; fill?: number } = {},
): Envelope {
  const ttl = options.ttl ?? 3600;
  const sent = options.sent ?? NOW_S - 10;
  return createEnvelope({
    expiry: sent + ttl,
    ttl,
    topic: options.topic ?? TOPIC,
    data: new Uint8Array(options.data ?? 16).fill(options.fill ?? 0xab),
    nonce: 0n,
  });
}

/** A fresh holder on the case clock, the owner's descriptor published unless told not to. */
async function holderFixture(
  context: InProcessContext,
  options: {
    limits?: Partial<HolderLimits>;
    fields?: Partial<DescriptorFields>;
    publish?: boolean;
  } = {},
) {
  const clock = new ManualClock(T0);
  const metrics = new MemoryMetrics();
  const holder = await Holder.open(new MemoryStore(), {
    clock,
    metrics,
    limits: options.limits ?? {},
  });
  const descriptor = signDescriptor(fieldsOf(context, options.fields), OWNER.secretKey);
  if (options.publish !== false) await holder.put(descriptor);
  const refusals = (reason: string) => metrics.value('hush_dht_holder_refusals_total', { reason });
  return {
    clock,
    metrics,
    holder,
    descriptor,
    location: inboxLocation(OWNER.publicKey, EPOCH),
    refusals,
  };
}

type HolderFixture = Awaited<ReturnType<typeof holderFixture>>;

/**
 * Fails unless `run` is refused with DhtError `code` and the holder counts the refusal under
 * `reason` (`hush_dht_holder_refusals_total{reason}`, SPEC §7.6).
 */
async function expectHolderRefusal(
  f: HolderFixture,
  what: string,
  code: string,
  reason: string,
  run: () => unknown,
): Promise<void> {
  const before = f.refusals(reason);
  await expectRefused(what, dhtError(code), run);
  expectEqual(`refusals counted with reason ${reason}`, before + 1, f.refusals(reason));
}

const ALL: FetchQuery = {
  from: 0,
  to: 0xffffffff,
  topics: [],
  bloom: EMPTY,
  limit: 1000,
  cursor: EMPTY,
};

let nonceCounter = 0;
/** A fresh 16-byte nonce (distinct per request, so no two requests replay each other). */
function nonce(): Uint8Array {
  const out = new Uint8Array(16);
  new DataView(out.buffer).setUint32(12, ++nonceCounter);
  return out;
}

function fetchRequest(
  over: {
    query?: Partial<FetchQuery>;
    timestamp?: number;
    key?: Uint8Array;
    location?: Uint8Array;
  } = {},
): SignedRequest {
  return signRequest(
    {
      op: 'fetch',
      location: over.location ?? inboxLocation(OWNER.publicKey, EPOCH),
      timestamp: over.timestamp ?? T0,
      nonce: nonce(),
      query: { ...ALL, ...over.query },
    },
    over.key ?? OWNER.secretKey,
  );
}

function idsRequest(op: 'delete' | 'restore', ids: readonly Uint8Array[]): SignedRequest {
  return signRequest(
    { op, location: inboxLocation(OWNER.publicKey, EPOCH), timestamp: T0, nonce: nonce(), ids },
    OWNER.secretKey,
  );
}

// --- Ed25519 and SHA-256 from node:crypto, to check the package's signatures independently.

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: base64url(publicKey) },
    format: 'jwk',
  });
  return verify(null, message, key, signature);
}

function ed25519Sign(
  pair: { secretKey: Uint8Array; publicKey: Uint8Array },
  message: Uint8Array,
): Uint8Array {
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: base64url(pair.secretKey), x: base64url(pair.publicKey) },
    format: 'jwk',
  });
  return new Uint8Array(sign(null, message, key));
}

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

/**
 * This node's id and `n` contacts all in its farthest bucket (log distance 256), from fixed
 * secp256k1 keys, so that every case sees the same table.
 */
function bucketOf(context: InProcessContext, n: number) {
  const self = new Uint8Array(32);
  const contacts: Contact[] = [];
  for (let seed = 1; contacts.length < n && seed < 255; seed++) {
    const contact = contactOf(peerIdFromPublicKey(secp256k1Key(context, seed)));
    if (logDistance(self, contact.id) === 256) contacts.push(contact);
  }
  if (contacts.length < n) throw new Error('not enough fixed keys at distance 256');
  return { self, contacts };
}

/** Lets the table's pings settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An RLP value's items (a decoded list), or a Mismatch. */
function listItems(what: string, value: RlpValue): readonly RlpValue[] {
  if (!Array.isArray(value)) throw new Mismatch(what, 'an RLP list', 'a byte string');
  return value as readonly RlpValue[];
}

const int = (n: number | bigint) => encodeUint(n);
const str = (bytes: Uint8Array) => encodeBytes(bytes);
const text = (s: string) => encodeBytes(utf8.encode(s));

/** A DHT message frame from its encoded items. */
const frame = (...items: Uint8Array[]) => encodeList(items);
const ENDPOINT = 'ws://127.0.0.1:30400';

/**
 * The cases of specs/inbox-dht, in the order they run.
 *
 * @throws nothing: each case decides its own outcome when run
 */
export function inboxDhtCases(): ConformanceCase<InProcessContext>[] {
  const make = caseBuilder<InProcessContext>(INBOX_DHT_SPEC, 'in-process');
  const cases: ConformanceCase<InProcessContext>[] = [];
  const add = (...args: Parameters<typeof make>) => cases.push(make(...args));

  // §2.1 Ids, distance, contacts
  add(
    '§2.1',
    'ids/keccak-of-key',
    "a node's id is Keccak-256 of its 64-byte public key X ‖ Y",
    async (context) => {
      const key = secp256k1Key(context, 0x44);
      expectBytes('nodeIdOfPublicKey', keccak256(key.subarray(1)), nodeIdOfPublicKey(key));
      expectBytes(
        "a contact's id, computed from its peer id",
        keccak256(key.subarray(1)),
        contactOf(peerIdFromPublicKey(key)).id,
      );
    },
  );
  add(
    '§2.1',
    'ids/log-distance',
    'distance is XOR; the log distance is the bit length of the XOR',
    async () => {
      const a = new Uint8Array(32).fill(0x5a);
      const top = a.slice();
      top[0]! ^= 0x80;
      const low = a.slice();
      low[31]! ^= 0x01;
      expectEqual('log distance to itself', 0, logDistance(a, a));
      expectEqual('log distance, the top bit apart', 256, logDistance(a, top));
      expectEqual('log distance, the lowest bit apart', 1, logDistance(a, low));
      expectThat(
        'the lowest bit apart is closer than the top bit apart',
        compareDistance(a, low, top) < 0,
        '< 0',
        compareDistance(a, low, top),
      );
    },
  );
  add(
    '§2.1',
    'ids/endpoint-limits',
    'a contact has at most 4 endpoints of 1–256 bytes',
    async () => {
      await expectAccepted('4 endpoints of 256 bytes', () =>
        checkEndpoints(Array.from({ length: 4 }, () => 'w'.repeat(256))),
      );
      await expectThrown('5 endpoints', 'RangeError', () =>
        checkEndpoints(['a', 'b', 'c', 'd', 'e']),
      );
      await expectThrown('an empty endpoint', 'RangeError', () => checkEndpoints(['']));
      await expectThrown('an endpoint of 257 bytes', 'RangeError', () =>
        checkEndpoints(['w'.repeat(257)]),
      );
    },
  );

  // §2.2 The routing table
  add(
    '§2.2',
    'table/full-bucket-keeps-the-live',
    'a full bucket: the newcomer is a replacement and the least recently seen entry is pinged; it stays when it answers',
    async (context) => {
      const { self, contacts } = bucketOf(context, 22);
      const pinged: string[] = [];
      const table = new RoutingTable({
        self,
        clock: new ManualClock(T0),
        ping: async (c) => {
          pinged.push(c.peer);
          return true;
        },
      });
      for (const c of contacts.slice(0, 20))
        expectEqual('a contact of a bucket with room', 'added', table.seen(c));
      expectEqual('the 21st', 'pending', table.seen(contacts[20]!));
      await settle();
      expectEqual('pinged', [contacts[0]!.peer], pinged);
      const bucket = table.bucketContacts(256).map((c) => c.peer);
      expectEqual('the pinged entry, now the most recently seen', contacts[0]!.peer, bucket.at(-1));
      expectEqual('entries', 20, bucket.length);
      expectEqual(
        'replacements',
        [contacts[20]!.peer],
        table.bucketReplacements(256).map((c) => c.peer),
      );
    },
  );
  add(
    '§2.2',
    'table/full-bucket-evicts-the-dead',
    'a full bucket whose least recently seen entry does not answer: it is evicted, the newest replacement takes its place',
    async (context) => {
      const { self, contacts } = bucketOf(context, 22);
      const table = new RoutingTable({ self, clock: new ManualClock(T0), ping: async () => false });
      for (const c of contacts.slice(0, 20)) table.seen(c);
      table.seen(contacts[20]!);
      await settle();
      const bucket = table.bucketContacts(256).map((c) => c.peer);
      expectEqual('the unanswering entry kept', false, bucket.includes(contacts[0]!.peer));
      expectEqual('the replacement taken in', true, bucket.includes(contacts[20]!.peer));
      expectEqual('entries', 20, bucket.length);
    },
  );
  add(
    '§2.2',
    'table/three-failures',
    'an entry whose requests fail 3 times in a row is dropped, the newest replacement taking its place',
    async (context) => {
      const { self, contacts } = bucketOf(context, 22);
      const table = new RoutingTable({
        self,
        clock: new ManualClock(T0),
        ping: () => new Promise<boolean>(() => {}),
      });
      for (const c of contacts.slice(0, 21)) table.seen(c);
      table.failed(contacts[5]!.id);
      table.failed(contacts[5]!.id);
      expectEqual('kept after 2 failures', true, table.has(contacts[5]!.id));
      table.failed(contacts[5]!.id);
      expectEqual('kept after 3 failures', false, table.has(contacts[5]!.id));
      expectEqual('the replacement taken in', true, table.has(contacts[20]!.id));
    },
  );
  add(
    '§2.2',
    'table/group-limits',
    'at most 2 contacts of one public /24 per bucket; loopback and private endpoints are not limited',
    async (context) => {
      const { self, contacts } = bucketOf(context, 6);
      const table = new RoutingTable({ self, clock: new ManualClock(T0), ping: async () => true });
      const at = (i: number, endpoint: string) => contactOf(contacts[i]!.peer, [endpoint]);
      expectEqual('the first of 203.0.113.0/24', 'added', table.seen(at(0, 'ws://203.0.113.1:1')));
      expectEqual('the second', 'added', table.seen(at(1, 'ws://203.0.113.2:1')));
      expectEqual('the third', 'refused', table.seen(at(2, 'ws://203.0.113.3:1')));
      expectEqual('a loopback endpoint', 'added', table.seen(at(3, 'ws://127.0.0.1:1')));
      expectEqual('a private endpoint', 'added', table.seen(at(4, 'ws://10.0.0.1:1')));
      expectEqual('another /24', 'added', table.seen(at(5, 'ws://198.51.100.1:1')));
    },
  );
  add(
    '§2.2',
    'table/closest',
    'closest(target, n) is the n contacts closest to the target by XOR, closest first',
    async (context) => {
      const { self, contacts } = bucketOf(context, 8);
      const table = new RoutingTable({ self, clock: new ManualClock(T0), ping: async () => true });
      for (const c of contacts) table.seen(c);
      const target = contacts[3]!.id;
      const byXor = [...contacts].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, 5);
      expectEqual(
        'closest',
        byXor.map((c) => c.peer),
        table.closest(target, 5).map((c) => c.peer),
      );
    },
  );

  // §2.5 Serving requests
  add(
    '§2.5',
    'serving/routing-rate',
    'a peer gets a burst of 40 routing requests, then 10 per second',
    async (context) => {
      const clock = new ManualClock(T0);
      const limiter = new PeerRateLimiter(clock);
      const peer = peerIdFromPublicKey(secp256k1Key(context, 0x45));
      let taken = 0;
      while (taken < 100 && limiter.take(peer)) taken++;
      expectEqual('requests served in a burst', 40, taken);
      clock.advance(1000);
      let after = 0;
      while (after < 100 && limiter.take(peer)) after++;
      expectEqual('requests served one second later', 10, after);
    },
  );

  // §3.1 Framing
  add(
    '§3.1',
    'framing/ping-layout',
    'a message is the RLP list [version 1, type, request id, body]',
    async () => {
      const bytes = encodeMessage({ type: MessageType.Ping, requestId: 7, endpoints: [ENDPOINT] });
      expectBytes(
        'PING',
        frame(int(1), int(1), int(7), encodeList([encodeList([text(ENDPOINT)])])),
        bytes,
      );
      expectEqual(
        'decoded',
        { type: 1, requestId: 7, endpoints: [ENDPOINT] },
        decodeMessage(bytes),
      );
    },
  );
  add(
    '§3.1',
    'framing/request-id',
    'a request id is a canonical integer of at most 4 bytes',
    async () => {
      const bytes = encodeMessage({ type: MessageType.Pong, requestId: 0xffff_ffff });
      expectEqual('request id 2³² − 1', 0xffff_ffff, decodeMessage(bytes).requestId);
      await expectRefused('a 5-byte request id', MALFORMED, () =>
        decodeMessage(frame(int(1), int(2), int(0x1_0000_0000), encodeList([]))),
      );
      await expectThrown('encoding request id 2³²', 'RangeError', () =>
        encodeMessage({ type: MessageType.Pong, requestId: 0x1_0000_0000 }),
      );
    },
  );

  // §3.2 Types
  add('§3.2', 'types/numbers', "the type numbers of SPEC §3.2's table", async () => {
    expectEqual(
      'message types',
      {
        Ping: 1,
        Pong: 2,
        FindNode: 3,
        Nodes: 4,
        Error: 0x0f,
        StoreDescriptor: 0x10,
        GetDescriptor: 0x11,
        Deposit: 0x12,
        Fetch: 0x13,
        Delete: 0x14,
        Restore: 0x1a,
        Offer: 0x1c,
      },
      { ...MessageType },
    );
  });
  add(
    '§3.2',
    'types/error-codes',
    'ERROR codes 1–6 are malformed, bad-signature, stale, refused, full, quota',
    async () => {
      const codes = ['malformed', 'bad-signature', 'stale', 'refused', 'full', 'quota'] as const;
      for (const [i, code] of codes.entries()) {
        const bytes = encodeMessage({ type: MessageType.Error, requestId: 1, code });
        expectBytes(
          `ERROR ${code}`,
          frame(int(1), int(0x0f), int(1), encodeList([int(i + 1)])),
          bytes,
        );
        expectEqual(
          `ERROR ${i + 1} decoded`,
          code,
          (decodeMessage(bytes) as { code?: string }).code,
        );
      }
    },
  );
  add(
    '§3.2',
    'types/inbox-body-carried',
    "a reserved inbox type's body is one RLP item, carried as it came",
    async () => {
      const body = encodeList([str(new Uint8Array(32).fill(7))]);
      const decoded = decodeMessage(frame(int(1), int(0x11), int(3), body)) as {
        body?: Uint8Array;
      };
      expectBytes('GET_DESCRIPTOR body', body, decoded.body ?? EMPTY);
    },
  );

  // §3.3 Strict decoding: each of these is refused as DhtError 'malformed'.
  const key = (context: InProcessContext, seed: number) => secp256k1Key(context, seed).subarray(1);
  const ping = (...extra: Uint8Array[]) =>
    frame(int(1), int(1), int(7), encodeList([encodeList([text(ENDPOINT)]), ...extra]));
  const pingWith = (endpoints: Uint8Array[]) =>
    frame(int(1), int(1), int(7), encodeList([encodeList(endpoints)]));
  const nodes = (contacts: Uint8Array[]) => frame(int(1), int(4), int(7), encodeList(contacts));
  const contact = (k: Uint8Array) => encodeList([str(k), encodeList([])]);
  const malformedMessages: [string, string, (context: InProcessContext) => Uint8Array][] = [
    ['version-2', 'version 2', () => frame(int(2), int(1), int(7), encodeList([encodeList([])]))],
    [
      'unknown-type',
      'type 0x05, unknown (refused, not skipped)',
      () => frame(int(1), int(5), int(7), encodeList([])),
    ],
    [
      'type-outside-inbox-range',
      'type 0x20',
      () => frame(int(1), int(0x20), int(7), encodeList([])),
    ],
    ['not-a-list', 'a byte string, not a list', () => text('hush-dht/1')],
    [
      'bytes-after',
      'a byte after the message',
      () => {
        const p = ping();
        const out = new Uint8Array(p.length + 1);
        out.set(p);
        return out;
      },
    ],
    [
      'item-after-body',
      'a fifth item after the body',
      () => frame(int(1), int(1), int(7), encodeList([encodeList([])]), int(0)),
    ],
    ['body-extra-item', 'a PING body with an item too many', () => ping(int(0))],
    [
      'non-canonical-integer',
      'a request id with a leading zero byte',
      () => frame(int(1), int(1), str(Uint8Array.of(0, 7)), encodeList([encodeList([])])),
    ],
    [
      'non-canonical-size',
      'a one-byte type written as a string of length 1',
      () => frame(int(1), Uint8Array.of(0x81, 0x01), int(7), encodeList([encodeList([])])),
    ],
    [
      'target-31-bytes',
      'a FIND_NODE target of 31 bytes',
      () => frame(int(1), int(3), int(7), encodeList([str(new Uint8Array(31)), encodeList([])])),
    ],
    ['endpoints-5', 'five endpoints', () => pingWith(['a', 'b', 'c', 'd', 'e'].map(text))],
    ['endpoint-empty', 'an empty endpoint', () => pingWith([text('')])],
    ['endpoint-257-bytes', 'an endpoint of 257 bytes', () => pingWith([text('w'.repeat(257))])],
    [
      'endpoint-not-utf8',
      'an endpoint that is not UTF-8',
      () => pingWith([str(Uint8Array.of(0x77, 0xff, 0xfe))]),
    ],
    [
      'nodes-21-contacts',
      'a NODES answer of 21 contacts',
      (c) => nodes(Array.from({ length: 21 }, (_, i) => contact(key(c, 0x50 + i)))),
    ],
    [
      'nodes-key-twice',
      'a NODES answer naming one key twice',
      (c) => nodes([contact(key(c, 0x50)), contact(key(c, 0x50))]),
    ],
    [
      'nodes-key-off-curve',
      'a NODES key that is not a point of secp256k1',
      () => nodes([contact(new Uint8Array(64).fill(1))]),
    ],
    [
      'nodes-key-65-bytes',
      'a NODES key of 65 bytes',
      (c) => nodes([contact(secp256k1Key(c, 0x50))]),
    ],
    ['error-code-7', 'ERROR code 7', () => frame(int(1), int(0x0f), int(7), encodeList([int(7)]))],
    ['error-code-0', 'ERROR code 0', () => frame(int(1), int(0x0f), int(7), encodeList([int(0)]))],
  ];
  for (const [name, title, bytes] of malformedMessages)
    add('§3.3', `strict/${name}`, `refused as malformed: ${title}`, async (context) => {
      await expectRefused('decodeMessage', MALFORMED, () => decodeMessage(bytes(context)));
    });
  add(
    '§3.3',
    'strict/nodes-20-and-ids',
    '20 contacts decode, each id computed from its key',
    async (context) => {
      const keys = Array.from({ length: 20 }, (_, i) => key(context, 0x50 + i));
      const decoded = await expectAccepted('NODES of 20', () =>
        decodeMessage(nodes(keys.map(contact))),
      );
      const contacts = (decoded as { contacts?: { id: Uint8Array }[] }).contacts ?? [];
      expectEqual('contacts', 20, contacts.length);
      for (const [i, k] of keys.entries())
        expectBytes(`contact ${i}'s id`, keccak256(k), contacts[i]!.id);
    },
  );

  // §3.4 Inbox messages
  add(
    '§3.4',
    'inbox/answer-types',
    'each answer type is its request type + 5; RESTORED is 0x1b, OFFERED 0x1d',
    async () => {
      expectEqual(
        'answer types',
        {
          Stored: 0x15,
          Descriptor: 0x16,
          Deposited: 0x17,
          Page: 0x18,
          Deleted: 0x19,
          Restored: 0x1b,
          Offered: 0x1d,
        },
        { ...InboxAnswer },
      );
    },
  );
  add(
    '§3.4',
    'inbox/link-protocol',
    'the link is the Noise link under the protocol name hush-dht/1',
    async () => {
      expectEqual('DHT_LINK_PROTOCOL', 'hush-dht/1', DHT_LINK_PROTOCOL);
    },
  );
  const location = () => inboxLocation(OWNER.publicKey, EPOCH);
  const inbox = (type: number, ...items: Uint8Array[]): DhtMessage => ({
    type,
    requestId: 1,
    body: encodeList(items),
  });
  const malformedBodies: [string, string, () => DhtMessage][] = [
    [
      'deposit-location-31',
      'a DEPOSIT location of 31 bytes',
      () => inbox(0x12, str(new Uint8Array(31)), str(new Uint8Array(40))),
    ],
    [
      'deposit-extra-item',
      'a DEPOSIT with a third item',
      () => inbox(0x12, str(location()), str(encodeEnvelope(envelopeAt())), int(0)),
    ],
    [
      'get-descriptor-location-33',
      'a GET_DESCRIPTOR location of 33 bytes',
      () => inbox(0x11, str(new Uint8Array(33))),
    ],
    [
      'fetch-carrying-delete',
      'a FETCH that carries a delete request',
      () => inbox(0x13, str(encodeRequest(idsRequest('delete', [])))),
    ],
    [
      'page-id-not-its-envelope',
      "a PAGE item whose id is not its envelope's",
      () => {
        const e = envelopeAt();
        const wrong = envelopeItemId(e);
        wrong[35]! ^= 1;
        return inbox(
          0x18,
          encodeList([encodeList([str(wrong), str(encodeEnvelope(e))])]),
          str(EMPTY),
        );
      },
    ],
    [
      'page-cursor-35',
      'a PAGE cursor of 35 bytes',
      () => inbox(0x18, encodeList([]), str(new Uint8Array(35))),
    ],
    ['deposited-2', 'DEPOSITED [2]', () => inbox(0x17, int(2))],
    [
      'deleted-257-ids',
      'DELETED naming 257 ids',
      () => inbox(0x19, encodeList(Array.from({ length: 257 }, () => str(new Uint8Array(36))))),
    ],
    ['restored-257', 'RESTORED [257]', () => inbox(0x1b, int(257))],
    [
      'store-descriptor-3-items',
      'a STORE_DESCRIPTOR of three items',
      () => inbox(0x10, str(new Uint8Array(8)), int(1), int(0)),
    ],
    ['unassigned-type-0x1e', 'the reserved, unassigned type 0x1e', () => inbox(0x1e)],
  ];
  for (const [name, title, message] of malformedBodies)
    add('§3.4', `inbox/${name}`, `refused as malformed: ${title}`, async () => {
      await expectRefused('decodeInboxBody', MALFORMED, () => decodeInboxBody(message()));
    });
  add(
    '§3.4',
    'inbox/page-cut-to-frame',
    'a page is cut to what fits a frame, its cursor the id of its last item',
    async () => {
      const items = [0, 1, 2].map((i) => envelopeAt({ sent: NOW_S - 100 + i, data: 400 }));
      const page = {
        items: items.map((envelope) => ({ id: envelopeItemId(envelope), envelope })),
        cursor: EMPTY,
      };
      const cut = decodeInboxBody(pageMessage(page, 1000)) as {
        page?: { items: unknown[]; cursor: Uint8Array };
      };
      expectEqual('items that fit 1000 bytes', 2, cut.page?.items.length);
      expectBytes('the cut page cursor', envelopeItemId(items[1]!), cut.page?.cursor ?? EMPTY);
    },
  );
  add(
    '§3.4',
    'inbox/server-deposit',
    'a holder answers DEPOSIT with DEPOSITED [1], then [0] for an envelope it holds',
    async (context) => {
      const f = await holderFixture(context);
      const serve = holderServer(f.holder);
      const from = peerIdFromPublicKey(secp256k1Key(context, 0x46));
      const message = depositMessage(f.location, envelopeAt());
      const first = await serve(from, message);
      const second = await serve(from, message);
      expectEqual('first answer', { type: 0x17, stored: true }, first && decodeInboxBody(first));
      expectEqual(
        'second answer',
        { type: 0x17, stored: false },
        second && decodeInboxBody(second),
      );
    },
  );
  add(
    '§3.4',
    'inbox/server-refusal-code',
    "a refusal is the holder's DhtError code (a deposit without a descriptor: refused)",
    async (context) => {
      const f = await holderFixture(context, { publish: false });
      const serve = holderServer(f.holder);
      const from = peerIdFromPublicKey(secp256k1Key(context, 0x46));
      await expectRefused('DEPOSIT', dhtError('refused'), () =>
        serve(from, depositMessage(f.location, envelopeAt())),
      );
    },
  );

  // §4.1 Inbox key and epoch
  add(
    '§4.1',
    'key/epoch-and-salt',
    'an epoch is a UTC day; its salt is the day number as 4 bytes big-endian',
    async () => {
      expectEqual('epoch of noon, 15 June 2026', EPOCH, epochOf(T0));
      expectEqual('epoch of the day before', EPOCH - 1, epochOf(EPOCH * 86_400_000 - 1));
      const salt = new Uint8Array(4);
      new DataView(salt.buffer).setUint32(0, EPOCH);
      expectBytes('salt', salt, epochSalt(EPOCH));
      expectEqual('the epoch of a salt', EPOCH, saltEpoch(salt));
      await expectRefused('a salt of 3 bytes', MALFORMED, () => saltEpoch(new Uint8Array(3)));
    },
  );

  // §4.2 Location
  add('§4.2', 'location/sha256', 'location = SHA-256(inbox public key ‖ salt)', async () => {
    const salt = epochSalt(EPOCH);
    expectBytes(
      'inboxLocation',
      sha256(concat(OWNER.publicKey, salt)),
      inboxLocation(OWNER.publicKey, EPOCH),
    );
    const around = inboxLocationsAround(OWNER.publicKey, T0);
    expectBytes(
      'previous',
      sha256(concat(OWNER.publicKey, epochSalt(EPOCH - 1))),
      around.previous ?? EMPTY,
    );
    expectBytes(
      'next',
      sha256(concat(OWNER.publicKey, epochSalt(EPOCH + 1))),
      around.next ?? EMPTY,
    );
  });

  // §4.3 Descriptor encoding
  add(
    '§4.3',
    'descriptor/layout',
    'RLP [inbox key, salt, seq, minPow (IEEE 754 BE), maxSize, maxTtl, encryption key, signature]',
    async (context) => {
      const d = signDescriptor(fieldsOf(context, { minPow: 2.5, seq: 300n }), OWNER.secretKey);
      const minPow = new Uint8Array(8);
      new DataView(minPow.buffer).setFloat64(0, 2.5);
      expectBytes(
        'the encoding',
        encodeList([
          str(OWNER.publicKey),
          str(epochSalt(EPOCH)),
          int(300n),
          str(minPow),
          int(4096),
          int(86_400),
          str(d.encryptionKey),
          str(d.signature),
        ]),
        encodeDescriptor(d),
      );
      expectEqual('decoded', d, decodeDescriptor(encodeDescriptor(d)));
    },
  );
  const descriptorItems = (context: InProcessContext): Uint8Array[] => {
    const d = signDescriptor(fieldsOf(context), OWNER.secretKey);
    const minPow = new Uint8Array(8);
    return [
      str(d.inboxKey),
      str(epochSalt(EPOCH)),
      int(1),
      str(minPow),
      int(4096),
      int(86_400),
      str(d.encryptionKey),
      str(d.signature),
    ];
  };
  const withItem = (context: InProcessContext, index: number, item: Uint8Array) => {
    const items = descriptorItems(context);
    items[index] = item;
    return encodeList(items);
  };
  const float = (value: number) => {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, value);
    return str(out);
  };
  const malformedDescriptors: [string, string, (context: InProcessContext) => Uint8Array][] = [
    [
      'over-512-bytes',
      'an input over 512 bytes',
      (c) => {
        const d = encodeList(descriptorItems(c));
        const out = new Uint8Array(513);
        out.set(d);
        return out;
      },
    ],
    ['seven-items', 'seven items', (c) => encodeList(descriptorItems(c).slice(0, 7))],
    ['nine-items', 'nine items', (c) => encodeList([...descriptorItems(c), int(0)])],
    [
      'bytes-after',
      'a byte after the list',
      (c) => {
        const d = encodeList(descriptorItems(c));
        const out = new Uint8Array(d.length + 1);
        out.set(d);
        return out;
      },
    ],
    ['inbox-key-31', 'an inbox key of 31 bytes', (c) => withItem(c, 0, str(new Uint8Array(31)))],
    ['salt-3', 'a salt of 3 bytes', (c) => withItem(c, 1, str(new Uint8Array(3)))],
    [
      'seq-non-canonical',
      'a seq with a leading zero byte',
      (c) => withItem(c, 2, str(Uint8Array.of(0, 1))),
    ],
    ['min-pow-nan', 'a NaN minPow', (c) => withItem(c, 3, float(Number.NaN))],
    [
      'min-pow-infinite',
      'an infinite minPow',
      (c) => withItem(c, 3, float(Number.POSITIVE_INFINITY)),
    ],
    ['min-pow-negative', 'a negative minPow', (c) => withItem(c, 3, float(-1))],
    ['min-pow-minus-zero', 'minPow −0', (c) => withItem(c, 3, float(-0))],
    ['min-pow-7-bytes', 'a minPow of 7 bytes', (c) => withItem(c, 3, str(new Uint8Array(7)))],
    ['max-size-0', 'maxSize 0', (c) => withItem(c, 4, int(0))],
    ['max-ttl-2-32', 'maxTtl 2³²', (c) => withItem(c, 5, int(0x1_0000_0000))],
    [
      'key-off-curve',
      'an encryption key off the curve',
      (c) => {
        const k = secp256k1Key(c, 0x33).slice();
        k[64]! ^= 1;
        return withItem(c, 6, str(k));
      },
    ],
    [
      'key-compressed',
      'an encryption key of 33 bytes',
      (c) => withItem(c, 6, str(secp256k1Key(c, 0x33).subarray(0, 33))),
    ],
    ['signature-63', 'a signature of 63 bytes', (c) => withItem(c, 7, str(new Uint8Array(63)))],
  ];
  for (const [name, title, bytes] of malformedDescriptors)
    add('§4.3', `descriptor/${name}`, `refused as malformed: ${title}`, async (context) => {
      await expectRefused('decodeDescriptor', MALFORMED, () => decodeDescriptor(bytes(context)));
    });

  // §4.4 Signature: items 0–6 of §4.3, encoded as there, built here from the fields.
  const signedItems = (d: { inboxKey: Uint8Array } & DescriptorFields) => [
    str(d.inboxKey),
    str(epochSalt(d.epoch)),
    int(d.seq),
    float(d.minPow),
    int(d.maxSize),
    int(d.maxTtl),
    str(d.encryptionKey),
  ];
  const descriptorMessage = (d: { inboxKey: Uint8Array } & DescriptorFields) =>
    encodeList([str(DESCRIPTOR_DOMAIN), ...signedItems(d)]);
  add(
    '§4.4',
    'signature/domain-and-fields',
    'the inbox key signs RLP ["hush-dht/1 descriptor", items 0–6] (checked with node:crypto)',
    async (context) => {
      const d = signDescriptor(fieldsOf(context), OWNER.secretKey);
      expectEqual(
        'the domain',
        'hush-dht/1 descriptor',
        new TextDecoder().decode(DESCRIPTOR_DOMAIN),
      );
      expectThat(
        'Ed25519 verification of the signature over the domain and the fields',
        ed25519Verify(OWNER.publicKey, descriptorMessage(d), d.signature),
        'verifies',
        'does not verify',
      );
      await expectAccepted('verifyDescriptor', () => verifyDescriptor(d));
    },
  );
  add(
    '§4.4',
    'signature/wrong-key',
    'a descriptor signed by another key than its inbox key is refused',
    async (context) => {
      const d = signDescriptor(fieldsOf(context), STRANGER.secretKey);
      await expectRefused('verifyDescriptor', dhtError('bad-signature'), () =>
        verifyDescriptor({ ...d, inboxKey: OWNER.publicKey }),
      );
    },
  );
  add(
    '§4.4',
    'signature/field-changed',
    'a field changed after signing is refused',
    async (context) => {
      const d = signDescriptor(fieldsOf(context), OWNER.secretKey);
      await expectRefused('verifyDescriptor', dhtError('bad-signature'), () =>
        verifyDescriptor({ ...d, seq: 2n }),
      );
    },
  );
  add(
    '§4.4',
    'signature/without-domain',
    'a signature over the fields without the domain string is refused',
    async (context) => {
      const d = signDescriptor(fieldsOf(context), OWNER.secretKey);
      const bare = encodeList(signedItems(d));
      await expectRefused('verifyDescriptor', dhtError('bad-signature'), () =>
        verifyDescriptor({ ...d, signature: ed25519Sign(OWNER, bare) }),
      );
    },
  );
  add(
    '§4.4',
    'signature/request-domain',
    'a signature under the request domain does not verify as a descriptor',
    async (context) => {
      const d = signDescriptor(fieldsOf(context), OWNER.secretKey);
      const asRequest = encodeList([str(REQUEST_DOMAIN), ...signedItems(d)]);
      await expectRefused('verifyDescriptor', dhtError('bad-signature'), () =>
        verifyDescriptor({ ...d, signature: ed25519Sign(OWNER, asRequest) }),
      );
    },
  );

  // §4.5 Where a descriptor is stored
  add(
    '§4.5',
    'stored/derived-location',
    'a holder stores a descriptor at SHA-256(inbox key ‖ salt) of its own fields',
    async (context) => {
      const f = await holderFixture(context);
      expectEqual('held at its location', 1n, (await f.holder.descriptor(f.location))?.seq);
      expectEqual(
        "held at the next epoch's location",
        undefined,
        await f.holder.descriptor(inboxLocation(OWNER.publicKey, EPOCH + 1)),
      );
      expectEqual(
        "held at the stranger's location",
        undefined,
        await f.holder.descriptor(inboxLocation(STRANGER.publicKey, EPOCH)),
      );
    },
  );

  // §5.1 Admission, rule by rule, in order
  add(
    '§5.1',
    'admission/accepted-id',
    'a deposit that keeps every rule is held; its id is sent ‖ envelope hash',
    async (context) => {
      const f = await holderFixture(context);
      const e = envelopeAt();
      const result = await expectAccepted('deposit', () =>
        f.holder.deposit(f.location, e, { peer: 'p' }),
      );
      const id = new Uint8Array(36);
      new DataView(id.buffer).setUint32(0, e.expiry - e.ttl);
      id.set(envelopeHash(e), 4);
      expectBytes('id', id, result.id);
      expectEqual('stored', true, result.stored);
    },
  );
  add(
    '§5.1',
    'admission/1-malformed',
    'rule 1: a location not 32 bytes, or an envelope that does not decode',
    async (context) => {
      const f = await holderFixture(context);
      await expectHolderRefusal(f, 'a 31-byte location', 'malformed', 'malformed', () =>
        f.holder.deposit(new Uint8Array(31), envelopeAt(), { peer: 'p' }),
      );
      await expectHolderRefusal(
        f,
        'envelope bytes that do not decode',
        'malformed',
        'malformed',
        () => f.holder.deposit(f.location, Uint8Array.of(0xc0), { peer: 'p' }),
      );
    },
  );
  add(
    '§5.1',
    'admission/2-no-descriptor',
    'rule 2: no descriptor held at the location',
    async (context) => {
      const f = await holderFixture(context, { publish: false });
      await expectHolderRefusal(f, 'deposit', 'refused', 'no-descriptor', () =>
        f.holder.deposit(f.location, envelopeAt(), { peer: 'p' }),
      );
    },
  );
  add(
    '§5.1',
    'admission/3-epoch',
    "rule 3: now past the descriptor's epoch widened by an hour",
    async (context) => {
      const f = await holderFixture(context);
      const end = (EPOCH + 1) * 86_400_000;
      f.clock.advance(end + 3_600_000 - T0);
      await expectAccepted('deposit an hour after the epoch', () =>
        f.holder.deposit(f.location, envelopeAt({ sent: (end + 3_600_000) / 1000 - 10 }), {
          peer: 'p',
        }),
      );
      f.clock.advance(1000);
      await expectHolderRefusal(f, 'deposit an hour and a second after', 'refused', 'epoch', () =>
        f.holder.deposit(f.location, envelopeAt({ sent: (end + 3_601_000) / 1000 - 10, fill: 1 }), {
          peer: 'p',
        }),
      );
    },
  );
  add(
    '§5.1',
    'admission/4-expired',
    'rule 4: an envelope whose expiry is before now',
    async (context) => {
      const f = await holderFixture(context);
      await expectAccepted('expiry = now', () =>
        f.holder.deposit(f.location, envelopeAt({ sent: NOW_S - 3600 }), { peer: 'p' }),
      );
      await expectHolderRefusal(f, 'expiry = now − 1', 'refused', 'expired', () =>
        f.holder.deposit(f.location, envelopeAt({ sent: NOW_S - 3601 }), { peer: 'p' }),
      );
    },
  );
  add('§5.1', 'admission/5-ttl', "rule 5: a TTL over the descriptor's maxTtl", async (context) => {
    const f = await holderFixture(context, { fields: { maxTtl: 600 } });
    await expectAccepted('ttl = maxTtl', () =>
      f.holder.deposit(f.location, envelopeAt({ ttl: 600 }), { peer: 'p' }),
    );
    await expectHolderRefusal(f, 'ttl = maxTtl + 1', 'refused', 'ttl', () =>
      f.holder.deposit(f.location, envelopeAt({ ttl: 601 }), { peer: 'p' }),
    );
  });
  add(
    '§5.1',
    'admission/6-future',
    'rule 6: an expiry past now + the TTL cap + 60 s',
    async (context) => {
      const f = await holderFixture(context, { fields: { maxTtl: 600 } });
      await expectAccepted('expiry = now + 660', () =>
        f.holder.deposit(f.location, envelopeAt({ sent: NOW_S + 60, ttl: 600 }), { peer: 'p' }),
      );
      await expectHolderRefusal(f, 'expiry = now + 661', 'refused', 'future', () =>
        f.holder.deposit(f.location, envelopeAt({ sent: NOW_S + 61, ttl: 600 }), { peer: 'p' }),
      );
    },
  );
  add(
    '§5.1',
    'admission/7-size',
    "rule 7: a Whisper size (20 + data) over the descriptor's maxSize",
    async (context) => {
      const f = await holderFixture(context, { fields: { maxSize: 120 } });
      await expectAccepted('size = maxSize', () =>
        f.holder.deposit(f.location, envelopeAt({ data: 100 }), { peer: 'p' }),
      );
      await expectHolderRefusal(f, 'size = maxSize + 1', 'refused', 'size', () =>
        f.holder.deposit(f.location, envelopeAt({ data: 101 }), { peer: 'p' }),
      );
    },
  );
  add(
    '§5.1',
    'admission/8-pow-boundary',
    "rule 8: a Whisper PoW below the descriptor's minPow; exactly the minimum is enough",
    async (context) => {
      const e = envelopeAt();
      const pow = envelopePow(e);
      const exact = await holderFixture(context, { fields: { minPow: pow } });
      await expectAccepted('PoW = minPow', () =>
        exact.holder.deposit(exact.location, e, { peer: 'p' }),
      );
      const above = await holderFixture(context, { fields: { minPow: pow * (1 + 1e-9) } });
      await expectHolderRefusal(above, 'PoW just below minPow', 'refused', 'pow', () =>
        above.holder.deposit(above.location, e, { peer: 'p' }),
      );
    },
  );
  add(
    '§5.1',
    'admission/8-pow-sealed',
    'rule 8: an envelope sealed to the minimum PoW (W§4.4) is taken, the same unsealed is not',
    async (context) => {
      const f = await holderFixture(context, { fields: { minPow: 1 } });
      const unsealed = envelopeAt({ ttl: 60, data: 16 });
      const sealed = await sealEnvelope(unsealed, { pow: 1, workTime: 30 });
      expectThat('sealed PoW', envelopePow(sealed) >= 1, '≥ 1', envelopePow(sealed));
      await expectAccepted('the sealed envelope', () =>
        f.holder.deposit(f.location, sealed, { peer: 'p' }),
      );
      if (envelopePow(unsealed) < 1)
        await expectHolderRefusal(f, 'the envelope unsealed', 'refused', 'pow', () =>
          f.holder.deposit(f.location, unsealed, { peer: 'p' }),
        );
    },
  );
  add(
    '§5.1',
    'admission/9-duplicate',
    'rule 9: an envelope already held succeeds with stored: false',
    async (context) => {
      const f = await holderFixture(context);
      const e = envelopeAt();
      await f.holder.deposit(f.location, e, { peer: 'p' });
      const again = await f.holder.deposit(f.location, e, { peer: 'q' });
      expectEqual('stored', false, again.stored);
      expectEqual('items held', 1, f.holder.stats.items);
    },
  );
  add(
    '§5.1',
    'admission/11-quota-location',
    "rule 11: past the location's item quota: quota (quota-location)",
    async (context) => {
      const f = await holderFixture(context, { limits: { maxItemsPerLocation: 1 } });
      await f.holder.deposit(f.location, envelopeAt(), { peer: 'p' });
      await expectHolderRefusal(f, 'a second item', 'quota', 'quota-location', () =>
        f.holder.deposit(f.location, envelopeAt({ fill: 1 }), { peer: 'q' }),
      );
    },
  );
  add(
    '§5.1',
    'admission/11-quota-peer',
    "rule 11: past the peer's item quota: quota (quota-peer)",
    async (context) => {
      const f = await holderFixture(context, { limits: { maxItemsPerPeer: 1 } });
      await f.holder.deposit(f.location, envelopeAt(), { peer: 'p' });
      await expectHolderRefusal(f, "the peer's second item", 'quota', 'quota-peer', () =>
        f.holder.deposit(f.location, envelopeAt({ fill: 1 }), { peer: 'p' }),
      );
      await expectAccepted("another peer's item", () =>
        f.holder.deposit(f.location, envelopeAt({ fill: 2 }), { peer: 'q' }),
      );
    },
  );
  add(
    '§5.1',
    'admission/11-full',
    "rule 11: past the holder's total: full, nothing unexpired evicted",
    async (context) => {
      const f = await holderFixture(context, { limits: { maxItems: 1 } });
      await f.holder.deposit(f.location, envelopeAt(), { peer: 'p' });
      await expectHolderRefusal(f, 'a second item', 'full', 'full', () =>
        f.holder.deposit(f.location, envelopeAt({ fill: 1 }), { peer: 'q' }),
      );
      const page = await f.holder.fetch(fetchRequest());
      expectEqual('items still served', 1, page.items.length);
    },
  );

  // §6.1 Request encoding
  add(
    '§6.1',
    'request/layout',
    'RLP [op, location, timestamp, nonce, [from, to, [topic…], bloom, limit, cursor], signature]',
    async () => {
      const r = fetchRequest({ query: { from: 5, to: 9, topics: [TOPIC], limit: 3 } });
      const body = encodeList([
        int(5),
        int(9),
        encodeList([str(TOPIC)]),
        str(EMPTY),
        int(3),
        str(EMPTY),
      ]);
      const head = [int(1), str(r.location), int(r.timestamp), str(r.nonce), body];
      expectBytes('the encoding', encodeList([...head, str(r.signature)]), encodeRequest(r));
      expectThat(
        'Ed25519 verification over ["hush-dht/1 request", op, location, timestamp, nonce, body]',
        ed25519Verify(OWNER.publicKey, encodeList([str(REQUEST_DOMAIN), ...head]), r.signature),
        'verifies',
        'does not verify',
      );
      expectEqual('decoded', r, decodeRequest(encodeRequest(r)));
    },
  );
  add(
    '§6.1',
    'request/ops',
    'op 1 fetch, 2 delete, 3 restore; a delete or restore body is [id…]',
    async () => {
      const id = new Uint8Array(36).fill(5);
      for (const [op, code] of [
        ['delete', 2],
        ['restore', 3],
      ] as const) {
        const r = idsRequest(op, [id]);
        const items = listItems(op, decodeRlp(encodeRequest(r)));
        expectEqual(`${op}'s op`, hexOf(Uint8Array.of(code)), hexOf(items[0] as Uint8Array));
        expectBytes(`${op}'s body`, encodeList([str(id)]), encodeRlpValue(items[4]!));
      }
    },
  );
  const requestItems = (): Uint8Array[] => {
    const r = fetchRequest();
    return [
      int(1),
      str(r.location),
      int(r.timestamp),
      str(r.nonce),
      encodeList([int(0), int(0xffffffff), encodeList([]), str(EMPTY), int(1000), str(EMPTY)]),
      str(r.signature),
    ];
  };
  const requestWith = (index: number, item: Uint8Array) => {
    const items = requestItems();
    items[index] = item;
    return encodeList(items);
  };
  const fetchBody = (
    over: Partial<
      Record<'from' | 'to' | 'topics' | 'bloom' | 'limit' | 'cursor' | 'extra', Uint8Array>
    >,
  ) =>
    encodeList([
      over.from ?? int(0),
      over.to ?? int(1),
      over.topics ?? encodeList([]),
      over.bloom ?? str(EMPTY),
      over.limit ?? int(10),
      over.cursor ?? str(EMPTY),
      ...(over.extra ? [over.extra] : []),
    ]);
  const malformedRequests: [string, string, () => Uint8Array][] = [
    [
      'over-16-kib',
      'an input over 16 KiB',
      () => {
        const out = new Uint8Array(16 * 1024 + 1);
        out.set(encodeList(requestItems()));
        return out;
      },
    ],
    ['op-4', 'op 4', () => requestWith(0, int(4))],
    ['extra-item', 'a seventh item', () => encodeList([...requestItems(), int(0)])],
    [
      'bytes-after',
      'a byte after the list',
      () => {
        const r = encodeList(requestItems());
        const out = new Uint8Array(r.length + 1);
        out.set(r);
        return out;
      },
    ],
    ['location-31', 'a location of 31 bytes', () => requestWith(1, str(new Uint8Array(31)))],
    ['timestamp-7-bytes', 'a timestamp of 7 bytes', () => requestWith(2, int(2n ** 49n))],
    ['nonce-15', 'a nonce of 15 bytes', () => requestWith(3, str(new Uint8Array(15)))],
    ['limit-0', 'limit 0', () => requestWith(4, fetchBody({ limit: int(0) }))],
    ['limit-1001', 'limit 1001', () => requestWith(4, fetchBody({ limit: int(1001) }))],
    [
      'topics-65',
      '65 topics',
      () =>
        requestWith(
          4,
          fetchBody({ topics: encodeList(Array.from({ length: 65 }, () => str(TOPIC))) }),
        ),
    ],
    [
      'topic-3-bytes',
      'a topic of 3 bytes',
      () => requestWith(4, fetchBody({ topics: encodeList([str(Uint8Array.of(1, 2, 3))]) })),
    ],
    [
      'bloom-63',
      'a bloom of 63 bytes',
      () => requestWith(4, fetchBody({ bloom: str(new Uint8Array(63)) })),
    ],
    [
      'cursor-35',
      'a cursor of 35 bytes',
      () => requestWith(4, fetchBody({ cursor: str(new Uint8Array(35)) })),
    ],
    [
      'fetch-body-extra',
      'a fetch body of seven items',
      () => requestWith(4, fetchBody({ extra: int(0) })),
    ],
    ['signature-63', 'a signature of 63 bytes', () => requestWith(5, str(new Uint8Array(63)))],
    [
      'delete-257-ids',
      'a delete of 257 ids',
      () => {
        const items = requestItems();
        items[0] = int(2);
        items[4] = encodeList(Array.from({ length: 257 }, () => str(new Uint8Array(36))));
        return encodeList(items);
      },
    ],
    [
      'delete-id-35',
      'a delete id of 35 bytes',
      () => {
        const items = requestItems();
        items[0] = int(2);
        items[4] = encodeList([str(new Uint8Array(35))]);
        return encodeList(items);
      },
    ],
  ];
  for (const [name, title, bytes] of malformedRequests)
    add('§6.1', `request/${name}`, `refused as malformed: ${title}`, async () => {
      await expectRefused('decodeRequest', MALFORMED, () => decodeRequest(bytes()));
    });

  // §6.2 Acceptance, in order
  add(
    '§6.2',
    'acceptance/window-edges',
    "a request within ±60 s of the holder's clock is served",
    async (context) => {
      const f = await holderFixture(context);
      await expectAccepted('timestamp now − 60 s', () =>
        f.holder.fetch(fetchRequest({ timestamp: T0 - 60_000 })),
      );
      await expectAccepted('timestamp now + 60 s', () =>
        f.holder.fetch(fetchRequest({ timestamp: T0 + 60_000 })),
      );
    },
  );
  add(
    '§6.2',
    'acceptance/window',
    'a timestamp more than 60 s away: bad-signature (window)',
    async (context) => {
      const f = await holderFixture(context);
      await expectHolderRefusal(f, 'timestamp now − 60.001 s', 'bad-signature', 'window', () =>
        f.holder.fetch(fetchRequest({ timestamp: T0 - 60_001 })),
      );
      await expectHolderRefusal(f, 'timestamp now + 60.001 s', 'bad-signature', 'window', () =>
        f.holder.fetch(fetchRequest({ timestamp: T0 + 60_001 })),
      );
    },
  );
  add(
    '§6.2',
    'acceptance/wrong-op',
    'a delete request given as a fetch: malformed',
    async (context) => {
      const f = await holderFixture(context);
      await expectHolderRefusal(f, 'fetch(delete request)', 'malformed', 'malformed', () =>
        f.holder.fetch(encodeRequest(idsRequest('delete', []))),
      );
    },
  );
  add(
    '§6.2',
    'acceptance/no-descriptor',
    'no descriptor at the location: refused (no-descriptor)',
    async (context) => {
      const f = await holderFixture(context, { publish: false });
      await expectHolderRefusal(f, 'fetch', 'refused', 'no-descriptor', () =>
        f.holder.fetch(fetchRequest()),
      );
    },
  );
  add(
    '§6.2',
    'acceptance/wrong-key',
    "a request signed by another key than the descriptor's: bad-signature",
    async (context) => {
      const f = await holderFixture(context);
      await expectHolderRefusal(
        f,
        'fetch signed by a stranger',
        'bad-signature',
        'bad-signature',
        () => f.holder.fetch(fetchRequest({ key: STRANGER.secretKey })),
      );
    },
  );
  add(
    '§6.2',
    'acceptance/replay',
    'a request served once is refused again: bad-signature (replay)',
    async (context) => {
      const f = await holderFixture(context);
      const r = fetchRequest();
      await f.holder.fetch(r);
      await expectHolderRefusal(f, 'the same request again', 'bad-signature', 'replay', () =>
        f.holder.fetch(r),
      );
    },
  );
  add('§6.2', 'acceptance/order', 'the window is checked before the signature', async (context) => {
    const f = await holderFixture(context);
    await expectHolderRefusal(
      f,
      'a stale request signed by a stranger',
      'bad-signature',
      'window',
      () => f.holder.fetch(fetchRequest({ timestamp: T0 - 120_000, key: STRANGER.secretKey })),
    );
  });
  add(
    '§6.2',
    'acceptance/replay-cache',
    'past the remembered requests: quota (replay-cache)',
    async (context) => {
      const f = await holderFixture(context, { limits: { maxReplayEntries: 1 } });
      await f.holder.fetch(fetchRequest());
      await expectHolderRefusal(
        f,
        'a second request within the window',
        'quota',
        'replay-cache',
        () => f.holder.fetch(fetchRequest()),
      );
    },
  );

  // §6.3 Fetch
  add(
    '§6.3',
    'fetch/order-window-limit-cursor',
    'items oldest first, from–to inclusive, at most limit, then from the cursor',
    async (context) => {
      const f = await holderFixture(context);
      const sent = [NOW_S - 50, NOW_S - 40, NOW_S - 30, NOW_S - 20];
      for (const s of [...sent].reverse())
        await f.holder.deposit(f.location, envelopeAt({ sent: s }), { peer: 'p' });
      const sentOf = (items: readonly { envelope: Envelope }[]) =>
        items.map((i) => i.envelope.expiry - i.envelope.ttl);
      const window = await f.holder.fetch(
        fetchRequest({ query: { from: sent[1]!, to: sent[2]! } }),
      );
      expectEqual('sent times from–to', [sent[1], sent[2]], sentOf(window.items));
      const first = await f.holder.fetch(fetchRequest({ query: { limit: 2 } }));
      expectEqual('the first page', [sent[0], sent[1]], sentOf(first.items));
      expectBytes('its cursor', first.items[1]!.id, first.cursor);
      const second = await f.holder.fetch(
        fetchRequest({ query: { limit: 2, cursor: first.cursor } }),
      );
      expectEqual('the page after the cursor', [sent[2], sent[3]], sentOf(second.items));
      expectEqual("the last page's cursor, nothing following", '0x', hexOf(second.cursor));
    },
  );
  add('§6.3', 'fetch/topics', 'topics select exactly', async (context) => {
    const f = await holderFixture(context);
    await f.holder.deposit(f.location, envelopeAt({ topic: TOPIC }), { peer: 'p' });
    await f.holder.deposit(f.location, envelopeAt({ topic: OTHER_TOPIC }), { peer: 'p' });
    const page = await f.holder.fetch(fetchRequest({ query: { topics: [OTHER_TOPIC] } }));
    expectEqual(
      'topics served',
      [hexOf(OTHER_TOPIC)],
      page.items.map((i) => hexOf(i.envelope.topic)),
    );
  });

  // §6.4 Delete, §6.5 Restore, §7.2 Tombstones
  add(
    '§6.4',
    'delete/count-and-tombstone',
    'a delete removes what is held, returns how many, and tombstones it',
    async (context) => {
      const f = await holderFixture(context);
      const e = envelopeAt();
      const { id } = await f.holder.deposit(f.location, e, { peer: 'p' });
      expectEqual(
        'deleted',
        1,
        await f.holder.delete(idsRequest('delete', [id, new Uint8Array(36).fill(9)])),
      );
      expectEqual(
        'served after the delete',
        0,
        (await f.holder.fetch(fetchRequest())).items.length,
      );
      await expectHolderRefusal(
        f,
        'a deposit of the deleted envelope',
        'refused',
        'tombstone',
        () => f.holder.deposit(f.location, e, { peer: 'q' }),
      );
    },
  );
  add(
    '§6.4',
    'delete/never-held',
    'an id never held is tombstoned too: its later deposit is refused',
    async (context) => {
      const f = await holderFixture(context);
      const e = envelopeAt();
      expectEqual('deleted', 0, await f.holder.delete(idsRequest('delete', [envelopeItemId(e)])));
      await expectHolderRefusal(
        f,
        'a deposit of the id deleted before it came',
        'refused',
        'tombstone',
        () => f.holder.deposit(f.location, e, { peer: 'p' }),
      );
    },
  );
  add(
    '§6.5',
    'restore/lifts',
    'a signed restore lifts the tombstones named; the envelope is held again',
    async (context) => {
      const f = await holderFixture(context);
      const e = envelopeAt();
      const { id } = await f.holder.deposit(f.location, e, { peer: 'p' });
      await f.holder.delete(idsRequest('delete', [id]));
      expectEqual('tombstones lifted', 1, await f.holder.restore(idsRequest('restore', [id])));
      const again = await expectAccepted('a deposit after the restore', () =>
        f.holder.deposit(f.location, e, { peer: 'p' }),
      );
      expectEqual('stored', true, again.stored);
    },
  );
  add(
    '§7.2',
    'tombstones/until-expiry',
    "a tombstone is kept until the item's expiry, then the envelope is taken again",
    async (context) => {
      const f = await holderFixture(context);
      const e = envelopeAt({ sent: NOW_S - 10, ttl: 100 });
      await f.holder.deposit(f.location, e, { peer: 'p' });
      await f.holder.delete(idsRequest('delete', [envelopeItemId(e)]));
      await expectHolderRefusal(
        f,
        'a deposit while the tombstone is kept',
        'refused',
        'tombstone',
        () => f.holder.deposit(f.location, e, { peer: 'q' }),
      );
      f.clock.advance(91_000);
      await expectHolderRefusal(
        f,
        'a deposit once the envelope expired',
        'refused',
        'expired',
        () => f.holder.deposit(f.location, e, { peer: 'q' }),
      );
    },
  );

  // §7.1 Descriptors
  add(
    '§7.1',
    'descriptors/higher-seq',
    'a strictly higher seq replaces the descriptor held',
    async (context) => {
      const f = await holderFixture(context);
      await expectAccepted('seq 2', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { seq: 2n, maxSize: 999 }), OWNER.secretKey)),
      );
      expectEqual('maxSize held', 999, (await f.holder.descriptor(f.location))?.maxSize);
    },
  );
  add(
    '§7.1',
    'descriptors/equal-or-lower-seq',
    'an equal or lower seq: stale (seq)',
    async (context) => {
      const f = await holderFixture(context, { fields: { seq: 5n } });
      await expectHolderRefusal(f, 'seq 5 again', 'stale', 'seq', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { seq: 5n, maxSize: 999 }), OWNER.secretKey)),
      );
      await expectHolderRefusal(f, 'seq 4', 'stale', 'seq', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { seq: 4n }), OWNER.secretKey)),
      );
    },
  );
  add(
    '§7.1',
    'descriptors/cas',
    'with cas, only when cas is the held seq (else stale, cas); ignored when none is held',
    async (context) => {
      const f = await holderFixture(context, { publish: false });
      await expectAccepted('cas 7 with nothing held', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { seq: 1n }), OWNER.secretKey), { cas: 7n }),
      );
      await expectHolderRefusal(f, 'seq 3 with cas 2 over seq 1', 'stale', 'cas', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { seq: 3n }), OWNER.secretKey), { cas: 2n }),
      );
      await expectAccepted('seq 3 with cas 1', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { seq: 3n }), OWNER.secretKey), { cas: 1n }),
      );
    },
  );
  add(
    '§7.1',
    'descriptors/forged',
    'a descriptor whose signature does not verify: bad-signature',
    async (context) => {
      const f = await holderFixture(context, { publish: false });
      const forged = {
        ...signDescriptor(fieldsOf(context), STRANGER.secretKey),
        inboxKey: OWNER.publicKey,
      };
      await expectHolderRefusal(f, 'put', 'bad-signature', 'bad-signature', () =>
        f.holder.put(forged),
      );
    },
  );
  add(
    '§7.1',
    'descriptors/epoch',
    'an epoch beginning more than a day after now, or ended more than an hour ago: refused (epoch)',
    async (context) => {
      const f = await holderFixture(context, { publish: false });
      await expectAccepted('the next epoch', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { epoch: EPOCH + 1 }), OWNER.secretKey)),
      );
      await expectHolderRefusal(f, 'the epoch after next', 'refused', 'epoch', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { epoch: EPOCH + 2 }), OWNER.secretKey)),
      );
      await expectHolderRefusal(f, 'the epoch before', 'refused', 'epoch', () =>
        f.holder.put(signDescriptor(fieldsOf(context, { epoch: EPOCH - 1 }), OWNER.secretKey)),
      );
    },
  );
  add('§7.1', 'descriptors/quota', "past the holder's descriptor quota: full", async (context) => {
    const f = await holderFixture(context, { limits: { maxDescriptors: 1 } });
    await expectHolderRefusal(f, "a second inbox's descriptor", 'full', 'full', () =>
      f.holder.put(signDescriptor(fieldsOf(context), STRANGER.secretKey)),
    );
  });

  // §7.3 Limits
  add('§7.3', 'limits/defaults', 'the default limits of SPEC §7.3', async () => {
    expectEqual(
      'DEFAULT_HOLDER_LIMITS',
      {
        maxItems: 100_000,
        maxBytes: 256 * 1024 * 1024,
        maxItemsPerLocation: 1_000,
        maxBytesPerLocation: 16 * 1024 * 1024,
        maxItemsPerPeer: 1_000,
        maxDescriptors: 100_000,
        maxTombstonesPerLocation: 4_096,
        maxSize: 1024 * 1024,
        maxTtl: 14 * 86_400,
        maxReplayEntries: 100_000,
      },
      { ...DEFAULT_HOLDER_LIMITS },
    );
  });
  add(
    '§7.3',
    'limits/holder-caps',
    "the holder's 14-day TTL and size caps apply whatever a descriptor says",
    async (context) => {
      const f = await holderFixture(context, {
        fields: { maxTtl: 30 * 86_400, maxSize: 100_000 },
        limits: { maxSize: 1000 },
      });
      await expectHolderRefusal(f, 'a TTL of 14 days + 1 s', 'refused', 'ttl', () =>
        f.holder.deposit(f.location, envelopeAt({ ttl: 14 * 86_400 + 1 }), { peer: 'p' }),
      );
      await expectHolderRefusal(f, "a size over the holder's 1000", 'refused', 'size', () =>
        f.holder.deposit(f.location, envelopeAt({ data: 981 }), { peer: 'p' }),
      );
    },
  );

  // §7.4 Expiry
  add(
    '§7.4',
    'expiry/not-served',
    'an item is not served once expired by the clock',
    async (context) => {
      const f = await holderFixture(context);
      await f.holder.deposit(f.location, envelopeAt({ sent: NOW_S - 10, ttl: 100 }), { peer: 'p' });
      expectEqual(
        'served before its expiry',
        1,
        (await f.holder.fetch(fetchRequest())).items.length,
      );
      f.clock.advance(91_000);
      expectEqual(
        'served after it',
        0,
        (await f.holder.fetch(fetchRequest({ timestamp: T0 + 91_000 }))).items.length,
      );
    },
  );
  return cases;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** An RLP value encoded back (for comparing a decoded item with an expected encoding). */
function encodeRlpValue(value: RlpValue): Uint8Array {
  return value instanceof Uint8Array
    ? encodeBytes(value)
    : encodeList((value as readonly RlpValue[]).map(encodeRlpValue));
}
