/**
 * The node's filter registry: delivery by topic, bounded queues, and one delivery per
 * envelope even when the same envelope arrives twice (live gossip, then mailserver history).
 */
import { nobleBackend } from '@hush/crypto';
import { envelopeHashAndPow } from '@hush/envelope';
import { generateSymKey, wrapMessage } from '@hush/message';
import type { AcceptedEnvelope } from '@hush/transport-gossip';
import { describe, expect, it } from 'vitest';
import { FilterRegistry } from '../src/index.js';

const topic = Uint8Array.of(1, 2, 3, 4);

async function accepted(
  symKey: Uint8Array,
  payload: number,
  p2p = false,
): Promise<AcceptedEnvelope> {
  const envelope = await wrapMessage({
    topic,
    payload: Uint8Array.of(payload),
    symKey,
    pow: 0,
    workTime: 0,
  });
  const { hash, pow } = envelopeHashAndPow(envelope);
  return { envelope, hash, pow, p2p, from: undefined };
}

describe('FilterRegistry', () => {
  it('delivers an envelope once per filter, even when it arrives twice', async () => {
    const symKey = generateSymKey();
    const registry = new FilterRegistry(nobleBackend);
    const id = registry.add({ symKey, topics: [topic], allowP2P: true }, 0);
    const first = await accepted(symKey, 7);
    registry.deliver(first);
    registry.deliver({ ...first, p2p: true });
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

  it('refuses a filter beyond maxFilters with a RangeError', () => {
    const registry = new FilterRegistry(nobleBackend, { maxFilters: 1 });
    registry.add({ symKey: generateSymKey() }, 0);
    expect(() => registry.add({ symKey: generateSymKey() }, 0)).toThrow(RangeError);
  });
});
