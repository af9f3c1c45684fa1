/**
 * Whisper topics (specs/whisper-v6 SPEC §2.1): exactly four bytes that label an envelope.
 */

/** Length of a topic in bytes. */
export const TOPIC_LENGTH = 4;

/**
 * Checks that `topic` is a 4-byte Uint8Array.
 *
 * @param topic - the value to check
 * @param name - the argument name used in the error
 * @throws TypeError if `topic` is not a Uint8Array
 * @throws RangeError if `topic` is not exactly 4 bytes
 */
export function assertTopic(topic: unknown, name = 'topic'): asserts topic is Uint8Array {
  if (!(topic instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (topic.length !== TOPIC_LENGTH) {
    throw new RangeError(`${name} must be ${TOPIC_LENGTH} bytes, got ${topic.length}`);
  }
}

/**
 * Topic from arbitrary bytes as geth's `BytesToTopic` forms it: the first four bytes, or the
 * bytes padded with zeros on the right when shorter.
 *
 * @param bytes - any byte string
 * @returns a new 4-byte topic
 * @throws TypeError if `bytes` is not a Uint8Array
 */
export function bytesToTopic(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const topic = new Uint8Array(TOPIC_LENGTH);
  topic.set(bytes.subarray(0, TOPIC_LENGTH));
  return topic;
}
