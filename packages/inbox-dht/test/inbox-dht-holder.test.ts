/**
 * specs/inbox-dht/SPEC.md §5–§7: the holder's rules, each both ways (accepted, and refused
 * with its DhtError code and counted by reason): descriptors (signature, strictly higher seq,
 * compare-and-swap, epoch), deposits (descriptor held, PoW, size, TTL, expiry, duplicates,
 * room, per-location and per-peer quotas), signed fetch and delete (window, replay, forgery),
 * tombstones against resurrection, and expiry by a ManualClock.
 */
import { createEnvelope, type Envelope, envelopePow, sealEnvelope } from '@hush/envelope';
import { ManualClock, MemoryMetrics, MemoryStore } from '@hush/interface';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  type DescriptorFields,
  EPOCH_MS,
  encodeDescriptor,
  encodeRequest,
  generateInboxKey,
  Holder,
  type HolderLimits,
  type InboxKeyPair,
  inboxLocation,
  type RefusalReason,
  requestNonce,
  type SignedRequest,
  signDescriptor,
  signRequest,
  type UnsignedRequest,
} from '../src/index.js';

const EPOCH = 20_000;
/** Noon of the epoch. */
const T0 = EPOCH * EPOCH_MS + EPOCH_MS / 2;
const NOW_S = T0 / 1000;
const TOPIC = Uint8Array.of(1, 2, 3, 4);
const MIN_POW = 0.01;
const encryptionKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);

let made = 0;
/** A fresh envelope (distinct data), created now unless told. */
function envelope(
  options: { ttl?: number; size?: number; sent?: number; topic?: Uint8Array } = {},
): Envelope {
  const ttl = options.ttl ?? 3600;
  const data = new Uint8Array(options.size ?? 16);
  new DataView(data.buffer).setUint32(0, ++made);
  return createEnvelope({
    expiry: (options.sent ?? NOW_S) + ttl,
    ttl,
    topic: options.topic ?? TOPIC,
    data,
  });
}

/** The envelope sealed to `pow` with a real search. */
const sealed = (e: Envelope, pow = MIN_POW) => sealEnvelope(e, { pow, workTime: 10 });

/** The envelope with a nonce whose PoW is below `pow`. */
function underPow(e: Envelope, pow = MIN_POW): Envelope {
  for (let nonce = 0n; ; nonce++) {
    const candidate = { ...e, nonce };
    if (envelopePow(candidate) < pow) return candidate;
  }
}

async function setup(
  options: { limits?: Partial<HolderLimits>; fields?: Partial<DescriptorFields> } = {},
) {
  const clock = new ManualClock(T0);
  const metrics = new MemoryMetrics();
  const store = new MemoryStore();
  const holder = await Holder.open(store, {
    clock,
    metrics,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const key = generateInboxKey();
  const fields: DescriptorFields = {
    epoch: EPOCH,
    seq: 1n,
    minPow: MIN_POW,
    maxSize: 1024,
    maxTtl: 86_400,
    encryptionKey,
    ...options.fields,
  };
  await holder.put(signDescriptor(fields, key.secretKey));
  const location = inboxLocation(key.publicKey, fields.epoch);
  const refusals = (reason: RefusalReason) =>
    metrics.value('hush_dht_holder_refusals_total', { reason });
  type Body =
    | { op: 'fetch'; query?: Partial<Extract<UnsignedRequest, { op: 'fetch' }>['query']> }
    | { op: 'delete' | 'restore'; ids: Uint8Array[] };
  const sign = (
    body: Body,
    over: { timestamp?: number; key?: InboxKeyPair; location?: Uint8Array } = {},
  ) => {
    const head = {
      location: over.location ?? location,
      timestamp: over.timestamp ?? clock.now(),
      nonce: requestNonce(),
    };
    const request: UnsignedRequest =
      body.op === 'fetch'
        ? {
            ...head,
            op: 'fetch',
            query: {
              from: 0,
              to: 0xffffffff,
              topics: [],
              bloom: new Uint8Array(0),
              limit: 100,
              cursor: new Uint8Array(0),
              ...body.query,
            },
          }
        : { ...head, op: body.op, ids: body.ids };
    return signRequest(request, (over.key ?? key).secretKey);
  };
  const fetchAll = async () => (await holder.fetch(sign({ op: 'fetch' }))).items;
  return { clock, metrics, store, holder, key, fields, location, refusals, sign, fetchAll };
}

const code = (c: string) => expect.objectContaining({ name: 'DhtError', code: c });

describe('descriptors (§7.1)', () => {
  it('takes a signed descriptor, then only a strictly higher seq', async () => {
    const { holder, key, fields, location, refusals, metrics } = await setup();
    expect((await holder.descriptor(location))?.seq).toBe(1n);
    await expect(holder.put(signDescriptor({ ...fields, seq: 1n }, key.secretKey))).rejects.toEqual(
      code('stale'),
    );
    await expect(holder.put(signDescriptor({ ...fields, seq: 0n }, key.secretKey))).rejects.toEqual(
      code('stale'),
    );
    expect(refusals('seq')).toBe(2);
    const next = signDescriptor({ ...fields, seq: 7n, minPow: 2 }, key.secretKey);
    await holder.put(encodeDescriptor(next));
    expect(await holder.descriptor(location)).toEqual(next);
    expect(metrics.value('hush_dht_holder_descriptors_total')).toBe(2);
    expect(holder.stats.descriptors).toBe(1);
  });

  it('compares and swaps: cas must be the held seq, and is ignored when none is held', async () => {
    const { holder, key, fields, location, refusals } = await setup();
    await expect(
      holder.put(signDescriptor({ ...fields, seq: 5n }, key.secretKey), { cas: 2n }),
    ).rejects.toEqual(code('stale'));
    expect(refusals('cas')).toBe(1);
    await holder.put(signDescriptor({ ...fields, seq: 5n }, key.secretKey), { cas: 1n });
    expect((await holder.descriptor(location))?.seq).toBe(5n);
    // No descriptor held for the next epoch: cas ignored.
    await holder.put(signDescriptor({ ...fields, epoch: EPOCH + 1 }, key.secretKey), { cas: 99n });
    expect(holder.stats.descriptors).toBe(2);
  });

  it("refuses a forged descriptor ('bad-signature') and malformed bytes ('malformed')", async () => {
    const { holder, key, fields, refusals } = await setup();
    const good = signDescriptor({ ...fields, seq: 2n }, key.secretKey);
    await expect(holder.put({ ...good, seq: 3n })).rejects.toEqual(code('bad-signature'));
    const mallory = signDescriptor({ ...fields, seq: 9n }, generateInboxKey().secretKey);
    await expect(holder.put({ ...mallory, inboxKey: key.publicKey })).rejects.toEqual(
      code('bad-signature'),
    );
    expect(refusals('bad-signature')).toBe(2);
    await expect(holder.put(Uint8Array.of(0xc0))).rejects.toEqual(code('malformed'));
    expect(refusals('malformed')).toBe(1);
  });

  it("refuses an epoch far from the holder's clock ('refused')", async () => {
    const { holder, key, fields, refusals } = await setup();
    for (const epoch of [EPOCH - 2, EPOCH + 2])
      await expect(holder.put(signDescriptor({ ...fields, epoch }, key.secretKey))).rejects.toEqual(
        code('refused'),
      );
    expect(refusals('epoch')).toBe(2);
  });

  it("refuses a new location past the descriptor quota ('full')", async () => {
    const { holder, fields } = await setup({ limits: { maxDescriptors: 1 } });
    await expect(holder.put(signDescriptor(fields, generateInboxKey().secretKey))).rejects.toEqual(
      code('full'),
    );
  });
});

describe('deposits (§5.1)', () => {
  it('takes an envelope with enough PoW, and refuses one below the minimum', async () => {
    const { holder, location, refusals, metrics, fetchAll } = await setup();
    const good = await sealed(envelope());
    expect(envelopePow(good)).toBeGreaterThanOrEqual(MIN_POW);
    const result = await holder.deposit(location, good, { peer: 'p1' });
    expect(result.stored).toBe(true);
    expect(result.id).toHaveLength(36);
    const poor = underPow(envelope());
    await expect(holder.deposit(location, poor, { peer: 'p1' })).rejects.toEqual(code('refused'));
    expect(refusals('pow')).toBe(1);
    expect(metrics.value('hush_dht_holder_deposits_total')).toBe(1);
    expect((await fetchAll()).map((item) => item.envelope)).toEqual([good]);
  });

  it('changes nothing when an envelope is deposited again', async () => {
    const { holder, location, metrics, fetchAll } = await setup();
    const e = await sealed(envelope());
    await holder.deposit(location, e, { peer: 'p1' });
    const again = await holder.deposit(location, e, { peer: 'p2' });
    expect(again.stored).toBe(false);
    expect(holder.stats).toMatchObject({ items: 1, bytes: 36 });
    expect(metrics.value('hush_dht_holder_duplicates_total')).toBe(1);
    expect(await fetchAll()).toHaveLength(1);
  });

  it("refuses without a descriptor at the location ('refused')", async () => {
    const { holder, refusals } = await setup();
    const elsewhere = inboxLocation(generateInboxKey().publicKey, EPOCH);
    await expect(
      holder.deposit(elsewhere, await sealed(envelope()), { peer: 'p' }),
    ).rejects.toEqual(code('refused'));
    expect(refusals('no-descriptor')).toBe(1);
  });

  it('caps size and TTL at the descriptor (and at the holder), each both ways', async () => {
    const { holder, location, refusals } = await setup({ limits: { maxTtl: 7200 } });
    // maxSize 1024: 20 + 1004 fits, 20 + 1005 does not.
    await holder.deposit(location, await sealed(envelope({ size: 1004 })), { peer: 'p' });
    await expect(
      holder.deposit(location, await sealed(envelope({ size: 1005 })), { peer: 'p' }),
    ).rejects.toEqual(code('refused'));
    expect(refusals('size')).toBe(1);
    // The descriptor allows a day, the holder two hours.
    await holder.deposit(location, await sealed(envelope({ ttl: 7200, size: 4 })), {
      peer: 'p',
    });
    await expect(
      holder.deposit(location, await sealed(envelope({ ttl: 7201, size: 4 })), { peer: 'p' }),
    ).rejects.toEqual(code('refused'));
    expect(refusals('ttl')).toBe(1);
  });

  it('refuses an expired envelope and one expiring too far ahead', async () => {
    const { holder, location, refusals } = await setup();
    const past = await sealed(envelope({ sent: NOW_S - 3601 }));
    await expect(holder.deposit(location, past, { peer: 'p' })).rejects.toEqual(code('refused'));
    expect(refusals('expired')).toBe(1);
    // Expiring exactly now is not yet expired.
    await holder.deposit(location, await sealed(envelope({ sent: NOW_S - 3600 })), { peer: 'p' });
    const ahead = await sealed(envelope({ sent: NOW_S + 86_400, ttl: 3600 }));
    await expect(holder.deposit(location, ahead, { peer: 'p' })).rejects.toEqual(code('refused'));
    expect(refusals('future')).toBe(1);
  });

  it("refuses malformed bytes ('malformed') and takes an envelope's encoding", async () => {
    const { holder, location, refusals, fetchAll } = await setup();
    await expect(
      holder.deposit(location, Uint8Array.of(0xc1, 0x80), { peer: 'p' }),
    ).rejects.toEqual(code('malformed'));
    await expect(
      holder.deposit(new Uint8Array(31), await sealed(envelope()), { peer: 'p' }),
    ).rejects.toEqual(code('malformed'));
    expect(refusals('malformed')).toBe(2);
    const { encodeEnvelope } = await import('@hush/envelope');
    const e = await sealed(envelope());
    await holder.deposit(location, encodeEnvelope(e), { peer: 'p' });
    expect((await fetchAll())[0]!.envelope).toEqual(e);
  });

  it("refuses when full rather than evict ('full'), and has room again once items expire", async () => {
    const { holder, location, clock, refusals } = await setup({
      limits: { maxItems: 3 },
      fields: { minPow: 0 },
    });
    const short = envelope({ ttl: 60 });
    await holder.deposit(location, short, { peer: 'a' });
    await holder.deposit(location, envelope(), { peer: 'b' });
    await holder.deposit(location, envelope(), { peer: 'c' });
    await expect(holder.deposit(location, envelope(), { peer: 'd' })).rejects.toEqual(code('full'));
    expect(refusals('full')).toBe(1);
    expect(holder.stats.items).toBe(3);
    clock.advance(61_000);
    // The expired one is pruned to make room; nothing unexpired was evicted.
    await holder.deposit(location, envelope(), { peer: 'd' });
    expect(holder.stats.items).toBe(3);
  });

  it("keeps per-location and per-peer quotas ('quota')", async () => {
    const { holder, location, key, fields, refusals } = await setup({
      limits: { maxItemsPerLocation: 2, maxItemsPerPeer: 3 },
      fields: { minPow: 0 },
    });
    const second = generateInboxKey();
    await holder.put(signDescriptor(fields, second.secretKey));
    const other = inboxLocation(second.publicKey, EPOCH);
    await holder.deposit(location, envelope(), { peer: 'a' });
    await holder.deposit(location, envelope(), { peer: 'a' });
    await expect(holder.deposit(location, envelope(), { peer: 'b' })).rejects.toEqual(
      code('quota'),
    );
    expect(refusals('quota-location')).toBe(1);
    await holder.deposit(other, envelope(), { peer: 'a' });
    await expect(holder.deposit(other, envelope(), { peer: 'a' })).rejects.toEqual(code('quota'));
    expect(refusals('quota-peer')).toBe(1);
    await holder.deposit(other, envelope(), { peer: 'b' });
    expect(key.publicKey).not.toEqual(second.publicKey);
  });

  it('reopens over the same store with the same counts', async () => {
    const { holder, location, store, clock } = await setup({ fields: { minPow: 0 } });
    await holder.deposit(location, envelope(), { peer: 'a' });
    await holder.deposit(location, envelope({ size: 100 }), { peer: 'a' });
    const reopened = await Holder.open(store, { clock });
    expect(reopened.stats).toEqual(holder.stats);
    expect(reopened.stats).toEqual({ descriptors: 1, items: 2, bytes: 36 + 120 });
  });
});

describe('signed fetch and delete (§6)', () => {
  it('serves pages oldest first with cursors, filtered by time and topic', async () => {
    const { holder, location, sign } = await setup({ fields: { minPow: 0 } });
    const other = Uint8Array.of(9, 9, 9, 9);
    const deposited = [5, 1, 4, 2, 3].map((d) =>
      envelope({ sent: NOW_S - d, topic: d % 2 ? TOPIC : other }),
    );
    for (const e of deposited) await holder.deposit(location, e, { peer: 'a' });
    const first = await holder.fetch(sign({ op: 'fetch', query: { limit: 2 } }));
    expect(first.items.map((i) => i.envelope.expiry - i.envelope.ttl)).toEqual([
      NOW_S - 5,
      NOW_S - 4,
    ]);
    expect(first.cursor).toEqual(first.items[1]!.id);
    const rest = await holder.fetch(sign({ op: 'fetch', query: { cursor: first.cursor } }));
    expect(rest.items).toHaveLength(3);
    expect(rest.cursor).toHaveLength(0);
    const odd = await holder.fetch(sign({ op: 'fetch', query: { topics: [TOPIC] } }));
    expect(odd.items).toHaveLength(3);
    const window = await holder.fetch(
      sign({ op: 'fetch', query: { from: NOW_S - 4, to: NOW_S - 2 } }),
    );
    expect(window.items).toHaveLength(3);
  });

  it("refuses a request outside ±60 s ('bad-signature'), and takes one at the edges", async () => {
    const { holder, clock, sign, refusals } = await setup();
    const now = clock.now();
    await holder.fetch(sign({ op: 'fetch' }, { timestamp: now - 60_000 }));
    await holder.fetch(sign({ op: 'fetch' }, { timestamp: now + 60_000 }));
    for (const timestamp of [now - 60_001, now + 60_001])
      await expect(holder.fetch(sign({ op: 'fetch' }, { timestamp }))).rejects.toEqual(
        code('bad-signature'),
      );
    expect(refusals('window')).toBe(2);
    // Signed now, presented 61 s later.
    const late = sign({ op: 'fetch' });
    clock.advance(61_000);
    await expect(holder.fetch(late)).rejects.toEqual(code('bad-signature'));
  });

  it("refuses a replayed request ('bad-signature'), in any form", async () => {
    const { holder, location, sign, refusals } = await setup({ fields: { minPow: 0 } });
    const fetch = sign({ op: 'fetch' });
    await holder.fetch(fetch);
    await expect(holder.fetch(fetch)).rejects.toEqual(code('bad-signature'));
    await expect(holder.fetch(encodeRequest(fetch))).rejects.toEqual(code('bad-signature'));
    const { id } = await holder.deposit(location, envelope(), { peer: 'a' });
    const del = sign({ op: 'delete', ids: [id] });
    expect(await holder.delete(del)).toBe(1);
    await expect(holder.delete(del)).rejects.toEqual(code('bad-signature'));
    expect(refusals('replay')).toBe(3);
  });

  it("refuses a request not signed by the inbox key, or altered ('bad-signature')", async () => {
    const { holder, location, sign, refusals, fetchAll } = await setup({ fields: { minPow: 0 } });
    const { id } = await holder.deposit(location, envelope(), { peer: 'a' });
    const mallory = generateInboxKey();
    await expect(
      holder.delete(sign({ op: 'delete', ids: [id] }, { key: mallory })),
    ).rejects.toEqual(code('bad-signature'));
    await expect(holder.fetch(sign({ op: 'fetch' }, { key: mallory }))).rejects.toEqual(
      code('bad-signature'),
    );
    const signed = sign({ op: 'delete', ids: [] });
    await expect(holder.delete({ ...signed, ids: [id] } as SignedRequest)).rejects.toEqual(
      code('bad-signature'),
    );
    expect(refusals('bad-signature')).toBe(3);
    // A fetch presented as a delete is malformed.
    await expect(holder.delete(sign({ op: 'fetch' }))).rejects.toEqual(code('malformed'));
    expect(await fetchAll()).toHaveLength(1);
  });

  it('deletes the items named and counts those held', async () => {
    const { holder, location, sign, metrics, fetchAll } = await setup({ fields: { minPow: 0 } });
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push((await holder.deposit(location, envelope(), { peer: 'a' })).id);
    expect(await holder.delete(sign({ op: 'delete', ids: [ids[0]!, ids[0]!, ids[2]!] }))).toBe(2);
    expect((await fetchAll()).map((i) => i.id)).toEqual([ids[1]]);
    expect(holder.stats.items).toBe(1);
    expect(metrics.value('hush_dht_holder_deleted_total')).toBe(2);
  });
});

describe('tombstones and expiry (§7.2–§7.3)', () => {
  it('refuses a deleted envelope until its expiry, then forgets the tombstone', async () => {
    const { holder, location, sign, refusals, clock } = await setup();
    const e = await sealed(envelope({ ttl: 600 }));
    const { id } = await holder.deposit(location, e, { peer: 'a' });
    await holder.delete(sign({ op: 'delete', ids: [id] }));
    expect(await holder.tombstoned(location, id)).toBe(true);
    await expect(holder.deposit(location, e, { peer: 'b' })).rejects.toEqual(code('refused'));
    expect(refusals('tombstone')).toBe(1);
    clock.advance(600_000);
    await expect(holder.deposit(location, e, { peer: 'b' })).rejects.toEqual(code('refused'));
    clock.advance(1_000);
    expect(await holder.tombstoned(location, id)).toBe(false);
    expect(await holder.prune()).toBe(1);
  });

  it('tombstones an id it never held, so that a later repair of it is refused', async () => {
    const { holder, location, sign } = await setup();
    const e = await sealed(envelope());
    const { envelopeHash } = await import('@hush/envelope');
    const id = new Uint8Array(36);
    new DataView(id.buffer).setUint32(0, NOW_S);
    id.set(envelopeHash(e), 4);
    expect(await holder.delete(sign({ op: 'delete', ids: [id] }))).toBe(0);
    await expect(holder.deposit(location, e, { peer: 'repairer' })).rejects.toEqual(
      code('refused'),
    );
  });

  it('lifts a tombstone only by a signed restore', async () => {
    const { holder, location, sign, fetchAll } = await setup();
    const e = await sealed(envelope());
    const { id } = await holder.deposit(location, e, { peer: 'a' });
    await holder.delete(sign({ op: 'delete', ids: [id] }));
    await expect(
      holder.restore(sign({ op: 'restore', ids: [id] }, { key: generateInboxKey() })),
    ).rejects.toEqual(code('bad-signature'));
    expect(await holder.restore(sign({ op: 'restore', ids: [id] }))).toBe(1);
    await holder.deposit(location, e, { peer: 'a' });
    expect(await fetchAll()).toHaveLength(1);
  });

  it('stops serving an item at expiry and prunes it, freeing its quota', async () => {
    const { holder, location, clock, fetchAll, metrics } = await setup({
      fields: { minPow: 0 },
    });
    await holder.deposit(location, envelope({ ttl: 10 }), { peer: 'a' });
    await holder.deposit(location, envelope({ ttl: 100 }), { peer: 'a' });
    clock.advance(11_000);
    expect(await fetchAll()).toHaveLength(1);
    expect(await holder.prune()).toBe(1);
    expect(holder.stats.items).toBe(1);
    expect(metrics.value('hush_dht_holder_items')).toBe(1);
    const stop = holder.startPruning(30_000);
    clock.advance(100_000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(holder.stats.items).toBe(0);
    stop();
  });

  it("drops the descriptor once its epoch and every deposit's TTL are over", async () => {
    const { holder, location, clock, fields } = await setup();
    clock.advance(EPOCH_MS / 2 + 3_600_000 + fields.maxTtl * 1000);
    await holder.prune();
    expect(await holder.descriptor(location)).toBeDefined();
    clock.advance(61_000);
    await holder.prune();
    expect(await holder.descriptor(location)).toBeUndefined();
    expect(holder.stats.descriptors).toBe(0);
  });

  it("takes no deposits past the epoch's grace hour ('refused')", async () => {
    const { holder, location, clock, refusals } = await setup({ fields: { minPow: 0 } });
    clock.advance(EPOCH_MS / 2 + 3_600_000 + 1);
    await expect(
      holder.deposit(location, envelope({ sent: Math.floor(clock.now() / 1000) }), { peer: 'a' }),
    ).rejects.toEqual(code('refused'));
    expect(refusals('epoch')).toBe(1);
  });
});
