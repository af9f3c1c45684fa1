/**
 * The filter registry: delivery by topic, bounded queues, one delivery per envelope even when
 * the same envelope arrives twice (live gossip, then mailserver history), p2p sources only to
 * filters that allow them, PoW computed when the receiver did not give it.
 */
import { nobleBackend } from '@hush/crypto';
import { envelopeHashAndPow } from '@hush/envelope';
import type { EnvelopeSource } from '@hush/interface';
import { generateSymKey, wrapMessage } from '@hush/message';
import { describe, expect, it } from 'vitest';
import { type DeliveredEnvelope, FilterRegistry, isP2PSource } from '../src/index.js';

const topic = Uint8Array.of(1, 2, 3, 4);

async function accepted(
  symKey: Uint8Array,
  payload: number,
  source: EnvelopeSource = 'gossip',
): Promise<DeliveredEnvelope> {
  const envelope = await wrapMessage({
    topic,
    payload: Uint8Array.of(payload),
    symKey,
    pow: 0,
    workTime: 0,
  });
  const { hash, pow } = envelopeHashAndPow(envelope);
  return { envelope, hash, pow, source };
}

describe('FilterRegistry', () => {
  it('delivers an envelope once per filter, even when it arrives twice', async () => {
    const symKey = generateSymKey();
    const registry = new FilterRegistry(nobleBackend);
    const id = registry.add({ symKey, topics: [topic], allowP2P: true }, 0);
    const first = await accepted(symKey, 7);
    registry.deliver(first);
    registry.deliver({ ...first, source: 'history' });
    registry.deliver(await accepted(symKey, 8));
    expect(registry.retrieve(id, 0)!.map((m) => m.payload[0])).toEqual([7, 8]);
    registry.deliver(first);
    expect(registry.retrieve(id, 0)).toEqual([]);
  });

  it('forgets the oldest hashes beyond maxSeen and drops the oldest queued beyond maxQueued', async () => {
    const symKey = generateSymKey();
    const registry = new FilterRegistry(nobleBackend, { maxSeen: 2, maxQueued: 2 });
    const id = registry.add({ symKey, topics: [topic] }, 0);
    const envelopes = await Promise.all([1, 2, 3].map((n) => accepted(symKey, n)));
    for (const e of envelopes) registry.deliver(e);
    expect(registry.retrieve(id, 0)!.map((m) => m.payload[0])).toEqual([2, 3]);
    registry.deliver(envelopes[0]!); // forgotten, so delivered again
    registry.deliver(envelopes[2]!); // remembered
    expect(registry.retrieve(id, 0)!.map((m) => m.payload[0])).toEqual([1]);
  });

  it('forgets the topics of a removed filter, so adding and removing filters leaves no residue', () => {
    const registry = new FilterRegistry(nobleBackend);
    const index = (registry as unknown as { byTopic: Map<number, Set<unknown>> }).byTopic;
    const shared = Uint8Array.of(9, 9, 9, 9);
    const keep = registry.add({ symKey: generateSymKey(), topics: [shared] }, 0);
    for (let round = 0; round < 3; round++) {
      const topics = Array.from({ length: 500 }, (_, i) =>
        Uint8Array.of(round, i >> 8, i & 0xff, 1),
      );
      const id = registry.add({ symKey: generateSymKey(), topics: [...topics, shared] }, 0);
      expect(index.size).toBe(501);
      registry.remove(id);
    }
    expect([...index.keys()]).toHaveLength(1);
    expect(registry.remove(keep)).toBe(true);
    expect(index.size).toBe(0);
  });

  it("refuses a filter beyond maxFilters with ClientError 'full', beyond an owner's share with 'quota'", () => {
    const registry = new FilterRegistry(nobleBackend, { maxFilters: 3, maxPerClient: 2 });
    registry.add({ symKey: generateSymKey() }, 0, 'a');
    registry.add({ symKey: generateSymKey() }, 0, 'a');
    expect(() => registry.add({ symKey: generateSymKey() }, 0, 'a')).toThrow(
      expect.objectContaining({ name: 'ClientError', code: 'quota' }),
    );
    registry.add({ symKey: generateSymKey() }, 0, 'b');
    expect(() => registry.add({ symKey: generateSymKey() }, 0, 'c')).toThrow(
      expect.objectContaining({ name: 'ClientError', code: 'full' }),
    );
    registry.clear();
    expect(registry.size).toBe(0);
    registry.add({ symKey: generateSymKey() }, 0, 'a');
  });

  it('delivers p2p sources only to filters that allow p2p, and computes a missing PoW', async () => {
    expect(['local', 'gossip', 'direct'].map((s) => isP2PSource(s as EnvelopeSource))).toEqual([
      false,
      false,
      false,
    ]);
    expect(['p2p', 'history', 'inbox'].every((s) => isP2PSource(s as EnvelopeSource))).toBe(true);
    const symKey = generateSymKey();
    const registry = new FilterRegistry(nobleBackend);
    const strict = registry.add({ symKey, topics: [topic] }, 0);
    const open = registry.add({ symKey, topics: [topic], allowP2P: true }, 0);
    const history = await accepted(symKey, 1, 'history');
    const { pow: _, ...withoutPow } = await accepted(symKey, 2, 'gossip');
    registry.deliver(history);
    registry.deliver(withoutPow);
    expect(registry.retrieve(strict, 0)!.map((m) => m.payload[0])).toEqual([2]);
    const got = registry.retrieve(open, 0)!;
    expect(got.map((m) => m.payload[0])).toEqual([1, 2]);
    expect(got[1]!.pow).toBe(envelopeHashAndPow(withoutPow.envelope).pow);
  });

  it('sweeps polling filters idle past idleMs, never listened ones', () => {
    const registry = new FilterRegistry(nobleBackend, { idleMs: 1000 });
    const polled = registry.add({ symKey: generateSymKey() }, 0);
    const listened = registry.add({ symKey: generateSymKey() }, 0);
    registry.listen(listened, () => {});
    registry.retrieve(polled, 500);
    registry.sweep(1400);
    expect(registry.size).toBe(2);
    registry.sweep(1501);
    expect(registry.retrieve(polled, 1501)).toBeUndefined();
    expect(registry.size).toBe(1);
  });
});
