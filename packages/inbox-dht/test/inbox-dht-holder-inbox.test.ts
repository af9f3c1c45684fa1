/**
 * specs/inbox-dht/SPEC.md §6.6: HolderInbox, the owner's `Inbox` over one holder and one
 * location, runs the inbox compliance suite with deposits carrying real (small) PoW; it signs
 * its own requests, and a deposit of what it deleted goes through a signed restore.
 */
import { createEnvelope, type Envelope, envelopePow } from '@hush/envelope';
import { InboxError, ManualClock, MemoryStore } from '@hush/interface';
import { inboxCompliance } from '@hush/interface-compliance';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  encodeRequest,
  generateInboxKey,
  Holder,
  HolderInbox,
  inboxLocation,
  requestNonce,
  type SignedRequest,
  signDescriptor,
  signRequest,
  verifyRequest,
} from '../src/index.js';

/** The compliance envelopes are created at 0 … ~2,000 s: the holder's clock is at 2,000 s. */
const START_MS = 2_000_000;
const TTL = 86_400;
const MIN_POW = 1e-6;
const encryptionKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);

async function holderInbox(minPow = MIN_POW) {
  const clock = new ManualClock(START_MS);
  const store = new MemoryStore();
  const holder = await Holder.open(store, { clock });
  const key = generateInboxKey();
  await holder.put(
    signDescriptor(
      { epoch: 0, seq: 1n, minPow, maxSize: 64 * 1024, maxTtl: TTL, encryptionKey },
      key.secretKey,
    ),
  );
  const location = inboxLocation(key.publicKey, 0);
  const inbox = new HolderInbox({ holder, key, location, clock, peer: 'me' });
  return { clock, store, holder, key, location, inbox };
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

inboxCompliance('HolderInbox over a Holder over MemoryStore', async () => {
  const { inbox, store } = await holderInbox();
  return { inbox, makeEnvelope, close: () => store.close() };
});

describe('HolderInbox', () => {
  it("maps the holder's refusals to InboxError", async () => {
    const { inbox } = await holderInbox(1e9);
    const e = makeEnvelope({ sent: 1000, topic: Uint8Array.of(1, 2, 3, 4) });
    await expect(inbox.deposit(e)).rejects.toEqual(
      expect.objectContaining({ name: 'InboxError', code: 'refused' }),
    );
    await expect(inbox.deposit(e)).rejects.toBeInstanceOf(InboxError);
  });

  it('refuses a deleted envelope from anyone else, and restores it for the owner', async () => {
    const { inbox, holder, location } = await holderInbox();
    const e = makeEnvelope({ sent: 1000, topic: Uint8Array.of(1, 2, 3, 4) });
    await inbox.deposit(e);
    const [item] = (await inbox.fetch({ limit: 10 })).items;
    expect(await inbox.delete([item!.id])).toBe(1);
    await expect(holder.deposit(location, e, { peer: 'repairer' })).rejects.toMatchObject({
      code: 'refused',
    });
    await inbox.deposit(e);
    expect((await inbox.fetch({ limit: 10 })).items).toHaveLength(1);
  });

  it('serves two identical fetches in the same millisecond (each request has its own nonce)', async () => {
    const { inbox } = await holderInbox();
    await inbox.fetch({ limit: 1 });
    await inbox.fetch({ limit: 1 });
  });

  it('reports a closed store as InboxError closed', async () => {
    const { inbox, store } = await holderInbox();
    await store.close();
    await expect(inbox.fetch({ limit: 1 })).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('request codec (§6.1)', () => {
  const key = generateInboxKey();
  const location = inboxLocation(key.publicKey, 1);
  it('round-trips fetch, delete and restore requests and verifies them', () => {
    const head = { location, timestamp: 1_700_000_000_123, nonce: requestNonce() };
    const requests = [
      signRequest(
        {
          ...head,
          op: 'fetch',
          query: {
            from: 1,
            to: 0xffffffff,
            topics: [Uint8Array.of(1, 2, 3, 4)],
            bloom: new Uint8Array(64).fill(3),
            limit: 7,
            cursor: new Uint8Array(36).fill(1),
          },
        },
        key.secretKey,
      ),
      signRequest({ ...head, op: 'delete', ids: [new Uint8Array(36).fill(2)] }, key.secretKey),
      signRequest({ ...head, op: 'restore', ids: [] }, key.secretKey),
    ];
    for (const request of requests) {
      const decoded = decodeRequest(encodeRequest(request));
      expect(decoded).toEqual(request);
      verifyRequest(decoded, key.publicKey);
      expect(() => verifyRequest(decoded, generateInboxKey().publicKey)).toThrow(
        expect.objectContaining({ code: 'bad-signature' }),
      );
    }
    // The same fields under another operation do not verify.
    const asRestore = { ...requests[1]!, op: 'restore' } as SignedRequest;
    expect(() => verifyRequest(asRestore, key.publicKey)).toThrow(
      expect.objectContaining({ code: 'bad-signature' }),
    );
  });

  it("decodes strictly ('malformed')", () => {
    const good = encodeRequest(
      signRequest(
        { location, timestamp: 5, nonce: requestNonce(), op: 'delete', ids: [] },
        key.secretKey,
      ),
    );
    for (const bytes of [
      new Uint8Array(0),
      Uint8Array.of(...good, 0),
      good.subarray(0, good.length - 1),
      Uint8Array.of(0xc0),
      new Uint8Array(20_000),
    ])
      expect(() => decodeRequest(bytes)).toThrow(
        expect.objectContaining({ name: 'DhtError', code: 'malformed' }),
      );
    expect(() =>
      signRequest(
        { location, timestamp: 5, nonce: new Uint8Array(3), op: 'delete', ids: [] },
        key.secretKey,
      ),
    ).toThrow(expect.objectContaining({ code: 'malformed' }));
  });
});
