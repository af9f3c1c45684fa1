/**
 * @hush/bloom: Whisper v6 topics and topic bloom filters, byte-exact with go-ethereum
 * v1.8.27 (specs/whisper-v6 SPEC §2).
 *
 * @packageDocumentation
 */
export {
  BLOOM_FILTER_SIZE,
  bloomFilterMatch,
  emptyBloom,
  fullBloom,
  isEmptyBloom,
  isFullBloom,
  mergeBlooms,
  topicsToBloom,
  topicToBloom,
} from './bloom.js';
export { assertTopic, bytesToTopic, TOPIC_LENGTH } from './topic.js';
