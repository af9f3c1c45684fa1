/**
 * Delivering envelopes to filters as geth's Filters.NotifyWatchers does (specs/whisper-v6
 * SPEC §5.7): topic, then P2P permission, then PoW, then the key, then the required signer.
 */
import { type Envelope, envelopeHashAndPow } from '@hush/envelope';
import { MessageError } from './errors.js';
import { type OpenOptions, openAsymmetric, openSymmetric, type ReceivedMessage } from './open.js';

/** What a subscriber wants (geth's Filter). */
export interface MessageFilter {
  /** Exactly one of symKey and privateKey. */
  readonly symKey?: Uint8Array;
  readonly privateKey?: Uint8Array;
  /** Topics to accept; empty or absent accepts every topic. */
  readonly topics?: readonly Uint8Array[];
  /** Minimum PoW; 0 or less accepts any. */
  readonly pow?: number;
  /** Only messages signed by this 65-byte public key. */
  readonly src?: Uint8Array;
  /** Whether direct peer-to-peer messages (mailserver history) are delivered too. */
  readonly allowP2P?: boolean;
}

/**
 * Whether a filter topic matches an envelope topic as geth compares them: a filter topic
 * longer than 4 bytes is cut to 4, a shorter one never matches.
 */
function topicMatches(filter: MessageFilter, topic: Uint8Array): boolean {
  const topics = filter.topics ?? [];
  if (topics.length === 0) return true;
  return topics.some(
    (t) =>
      t.length >= 4 &&
      t[0] === topic[0] &&
      t[1] === topic[1] &&
      t[2] === topic[2] &&
      t[3] === topic[3],
  );
}

function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Delivers an envelope to a filter: returns the message the subscriber receives, or throws
 * why it is not delivered.
 *
 * @param options.p2p - the envelope arrived as a direct peer-to-peer message
 * @throws MessageError 'filter-keys', 'topic-mismatch', 'p2p-not-allowed', 'filter-pow',
 *   'missing-signature', 'signer-mismatch', or any open or parse code
 */
export function deliverToFilter(
  envelope: Envelope,
  filter: MessageFilter,
  options: OpenOptions & { readonly p2p?: boolean } = {},
): ReceivedMessage {
  if (!!filter.symKey === !!filter.privateKey) {
    throw new MessageError('filter-keys', 'a filter needs exactly one of symKey and privateKey');
  }
  if (!topicMatches(filter, envelope.topic))
    throw new MessageError('topic-mismatch', 'topic not in the filter');
  if (options.p2p && !filter.allowP2P)
    throw new MessageError('p2p-not-allowed', 'filter refuses p2p messages');
  const facts = options.facts ?? envelopeHashAndPow(envelope);
  const minimum = filter.pow ?? 0;
  if (minimum > 0 && facts.pow < minimum) {
    throw new MessageError('filter-pow', `PoW ${facts.pow} below the filter's ${minimum}`);
  }
  const opened = { ...options, facts };
  const message = filter.symKey
    ? openSymmetric(envelope, filter.symKey, opened)
    : openAsymmetric(envelope, filter.privateKey!, opened);
  if (filter.src) {
    if (!message.signer)
      throw new MessageError('missing-signature', 'filter requires a signed message');
    if (!samePublicKey(message.signer, filter.src)) {
      throw new MessageError(
        'signer-mismatch',
        'message signed by another key than the filter requires',
      );
    }
  }
  return message;
}
