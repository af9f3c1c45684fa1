/** specs/whisper-v6 SPEC §2: topic-bloom.json and bloom-match.json, one test per case. */
import { type BloomMatchCase, hex, loadVectors, type TopicBloomCase } from '@hush/test-support';
import { describe, expect, it } from 'vitest';
import {
  BLOOM_FILTER_SIZE,
  bloomFilterMatch,
  bytesToTopic,
  emptyBloom,
  fullBloom,
  isEmptyBloom,
  isFullBloom,
  mergeBlooms,
  topicsToBloom,
  topicToBloom,
} from '../src/index.js';

const popcount = (bytes: Uint8Array) =>
  bytes.reduce((n, b) => n + b.toString(2).replaceAll('0', '').length, 0);

describe('SPEC §2.2 topic to bloom (topic-bloom.json)', () => {
  it.each(loadVectors<TopicBloomCase>('topic-bloom.json').cases)('$name', (c) => {
    const bloom = topicToBloom(hex(c.topic));
    expect(bloom).toEqual(hex(c.bloom));
    expect(popcount(bloom)).toBe(c.bitsSet);
    for (const index of c.bitIndices.slice(-1)) {
      // The last index always survives the byte assignment.
      expect(bloom[index >> 3]! & (1 << (index & 7))).not.toBe(0);
    }
  });
});

describe('SPEC §2.3–2.4 aggregation and match (bloom-match.json)', () => {
  it.each(loadVectors<BloomMatchCase>('bloom-match.json').cases)('$name', (c) => {
    const sample = topicToBloom(hex(c.sampleTopic));
    expect(sample).toEqual(hex(c.sampleBloom));
    const filter = c.filter === null ? null : hex(c.filter);
    if (c.filterTopics && c.filterTopics.length > 0 && filter) {
      expect(topicsToBloom(c.filterTopics.map(hex))).toEqual(filter);
    }
    expect(bloomFilterMatch(filter, sample)).toBe(c.match);
  });
});

describe('SPEC §2.5 full and empty filters', () => {
  it('a full filter admits every topic, an empty one none with bits', () => {
    const sample = topicToBloom(Uint8Array.of(1, 2, 3, 4));
    expect(isFullBloom(fullBloom())).toBe(true);
    expect(isEmptyBloom(emptyBloom())).toBe(true);
    expect(bloomFilterMatch(fullBloom(), sample)).toBe(true);
    expect(bloomFilterMatch(emptyBloom(), sample)).toBe(false);
    expect(bloomFilterMatch(emptyBloom(), emptyBloom())).toBe(true);
  });

  it('merges blooms with OR', () => {
    const a = topicToBloom(Uint8Array.of(1, 0, 0, 0));
    const b = topicToBloom(Uint8Array.of(9, 0, 0, 0));
    const merged = mergeBlooms(a, b);
    expect(bloomFilterMatch(merged, a) && bloomFilterMatch(merged, b)).toBe(true);
    expect(merged).toEqual(topicsToBloom([Uint8Array.of(1, 0, 0, 0), Uint8Array.of(9, 0, 0, 0)]));
  });
});

describe('argument errors', () => {
  it('names the bad argument', () => {
    expect(() => topicToBloom(new Uint8Array(3))).toThrow(RangeError);
    expect(() => topicToBloom([1, 2, 3, 4] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => bloomFilterMatch(new Uint8Array(63), emptyBloom())).toThrow(/filter/);
    expect(() => bloomFilterMatch(null, new Uint8Array(BLOOM_FILTER_SIZE + 1))).toThrow(/sample/);
    expect(() => mergeBlooms(emptyBloom(), new Uint8Array(2))).toThrow(/blooms\[1\]/);
  });

  it('forms topics from short or long byte strings as geth does', () => {
    expect(bytesToTopic(Uint8Array.of(1, 2))).toEqual(Uint8Array.of(1, 2, 0, 0));
    expect(bytesToTopic(Uint8Array.of(1, 2, 3, 4, 5))).toEqual(Uint8Array.of(1, 2, 3, 4));
  });
});
