/**
 * @hush/client: a Whisper v6 client's own state, transport-neutral and browser-safe (no Node
 * built-ins): keys, message filters and subscriptions (specs/whisper-v6 SPEC §5.5, §5.7), and
 * delivery of what any `EnvelopeReceiver` of `@hush/interface` hands in — gossip, a
 * mailserver's history, an inbox — to them. The reference node's shh_* filters are these.
 *
 * @example
 * ```ts
 * import { HushClient } from '@hush/client';
 * const client = new HushClient();
 * const symKeyId = await client.newSymKey();
 * await client.subscribe({ symKeyId, topics: [topic] }, (message) => show(message.payload));
 * client.attach(receiver);
 * ```
 *
 * @packageDocumentation
 */
export {
  type ClientOptions,
  type ClientSubscription,
  type FilterCriteria,
  HushClient,
} from './client.js';
export { ClientError, type ClientErrorCode } from './errors.js';
export {
  type DrainInboxOptions,
  type DrainInboxResult,
  drainInbox,
  type InboxDeliveryTarget,
} from './inbox.js';
export {
  type DeliveredEnvelope,
  type FilterLimits,
  FilterRegistry,
  isP2PSource,
} from './registry.js';
