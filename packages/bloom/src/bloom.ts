/**
 * Topic bloom filters (specs/whisper-v6 SPEC §2.2–§2.5), byte-exact with go-ethereum v1.8.27.
 */
import { assertTopic } from './topic.js';

/** Size of a bloom filter in bytes. */
export const BLOOM_FILTER_SIZE = 64;

function assertBloom(bloom: unknown, name: string): asserts bloom is Uint8Array {
  if (!(bloom instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (bloom.length !== BLOOM_FILTER_SIZE) {
    throw new RangeError(`${name} must be ${BLOOM_FILTER_SIZE} bytes, got ${bloom.length}`);
  }
}

/**
 * The 64-byte bloom of one topic (SPEC §2.2). Three bit indices come from the topic; each
 * ASSIGNS its byte (as geth does) rather than OR-ing into it, so when two indices share a
 * byte only the later bit survives. Getting this "wrong" the natural way makes geth treat the
 * node as a spammer.
 *
 * @param topic - a 4-byte topic
 * @returns a new 64-byte bloom
 * @throws TypeError if `topic` is not a Uint8Array
 * @throws RangeError if `topic` is not 4 bytes
 */
export function topicToBloom(topic: Uint8Array): Uint8Array {
  assertTopic(topic);
  const bloom = new Uint8Array(BLOOM_FILTER_SIZE);
  for (let j = 0; j < 3; j++) {
    const index = topic[j]! + 256 * ((topic[3]! >> j) & 1);
    bloom[index >> 3] = 1 << (index & 7);
  }
  return bloom;
}

/**
 * The bloom of many topics: the bitwise OR of each topic's bloom (SPEC §2.3).
 *
 * @param topics - 4-byte topics
 * @returns a new 64-byte bloom (all zero for no topics)
 * @throws TypeError if a topic is not a Uint8Array
 * @throws RangeError if a topic is not 4 bytes
 */
export function topicsToBloom(topics: Iterable<Uint8Array>): Uint8Array {
  const aggregate = new Uint8Array(BLOOM_FILTER_SIZE);
  for (const topic of topics) orInto(aggregate, topicToBloom(topic));
  return aggregate;
}

function orInto(target: Uint8Array, source: Uint8Array): void {
  for (let i = 0; i < BLOOM_FILTER_SIZE; i++) target[i]! |= source[i]!;
}

/**
 * The bitwise OR of blooms.
 *
 * @param blooms - 64-byte blooms
 * @returns a new 64-byte bloom
 * @throws TypeError if an argument is not a Uint8Array
 * @throws RangeError if an argument is not 64 bytes
 */
export function mergeBlooms(...blooms: Uint8Array[]): Uint8Array {
  const aggregate = new Uint8Array(BLOOM_FILTER_SIZE);
  blooms.forEach((bloom, i) => {
    assertBloom(bloom, `blooms[${i}]`);
    orInto(aggregate, bloom);
  });
  return aggregate;
}

/**
 * Whether a node whose filter is `filter` wants an envelope whose bloom is `sample` (SPEC
 * §2.4): every bit of the sample is set in the filter. A node without a filter (null) wants
 * everything.
 *
 * @param filter - the node's 64-byte filter, or null when it has none
 * @param sample - the envelope's 64-byte bloom
 * @returns true when the filter admits the sample
 * @throws TypeError if an argument is not a Uint8Array (or null for `filter`)
 * @throws RangeError if an argument is not 64 bytes
 */
export function bloomFilterMatch(filter: Uint8Array | null, sample: Uint8Array): boolean {
  assertBloom(sample, 'sample');
  if (filter === null) return true;
  assertBloom(filter, 'filter');
  for (let i = 0; i < BLOOM_FILTER_SIZE; i++) {
    if ((filter[i]! | sample[i]!) !== filter[i]) return false;
  }
  return true;
}

/**
 * The filter of a full node, which wants every envelope: all bits set (SPEC §2.5).
 *
 * @returns a new 64-byte bloom of 0xff bytes
 */
export function fullBloom(): Uint8Array {
  return new Uint8Array(BLOOM_FILTER_SIZE).fill(0xff);
}

/**
 * A filter that admits nothing but envelopes with an all-zero bloom (SPEC §2.5).
 *
 * @returns a new 64-byte bloom of zero bytes
 */
export function emptyBloom(): Uint8Array {
  return new Uint8Array(BLOOM_FILTER_SIZE);
}

/**
 * Whether every bit of `bloom` is set.
 *
 * @throws TypeError if `bloom` is not a Uint8Array
 * @throws RangeError if `bloom` is not 64 bytes
 */
export function isFullBloom(bloom: Uint8Array): boolean {
  assertBloom(bloom, 'bloom');
  return bloom.every((b) => b === 0xff);
}

/**
 * Whether no bit of `bloom` is set.
 *
 * @throws TypeError if `bloom` is not a Uint8Array
 * @throws RangeError if `bloom` is not 64 bytes
 */
export function isEmptyBloom(bloom: Uint8Array): boolean {
  assertBloom(bloom, 'bloom');
  return bloom.every((b) => b === 0);
}
