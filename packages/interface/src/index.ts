/**
 * @hush/interface: the types and the smallest runtime every Hush package shares (in the
 * manner of libp2p's `@libp2p/interface`). Implementations check themselves with the suites
 * of `@hush/interface-compliance`.
 *
 * @example
 * ```ts
 * import { HushError, ManualClock, MemoryMetrics, type Transport } from '@hush/interface';
 * class WidgetError extends HushError<'broken'> { override readonly name = 'WidgetError'; }
 * const clock = new ManualClock(Date.UTC(2026, 0, 1));
 * ```
 *
 * @packageDocumentation
 */
export { type AbortOptions, throwIfAborted } from './abort.js';
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.js';
export {
  type Carrier,
  type CloseReason,
  type Connection,
  type ConnectionEncrypter,
  type ConnectionLimits,
  type DialOptions,
  type RawChannel,
  resolveLimits,
  type SecureOutboundOptions,
  type Transport,
  TransportError,
  type TransportErrorCode,
} from './connection.js';
export { Emitter, type EmitterOptions } from './emitter.js';
export type {
  EnvelopeReceiver,
  EnvelopeSender,
  EnvelopeSource,
  ReceivedEnvelope,
  SendResult,
  WireEnvelope,
} from './envelopes.js';
export { HushError, type HushErrorOptions, isHushError } from './errors.js';
export {
  type Inbox,
  InboxError,
  type InboxErrorCode,
  type InboxItem,
  type InboxPage,
  type InboxQuery,
} from './inbox.js';
export { type Logger, silentLogger } from './logger.js';
export { MemoryStore } from './memory-store.js';
export {
  type Counter,
  type Gauge,
  type Labels,
  MemoryMetrics,
  type MetricDefinition,
  type Metrics,
  MetricsError,
  type MetricsErrorCode,
  noMetrics,
} from './metrics.js';
export {
  assertSameIdentity,
  type Identity,
  IdentityError,
  type IdentityErrorCode,
  type IdentityVerifier,
  type PeerId,
  parsePeerId,
  peerIdFromPublicKey,
  publicKeyOfPeerId,
} from './peer.js';
export {
  deleteRange,
  type RangeOptions,
  type Store,
  StoreError,
  type StoreErrorCode,
  type StoreOperation,
} from './store.js';
