/**
 * @hush/inbox-dht: an offline inbox kept by the network itself (specs/inbox-dht/SPEC.md).
 * Kademlia routing over Noise links (`hush-dht/1`), a signed inbox location (BEP 44 mutable
 * items), deposits admitted by Whisper PoW, fetch and delete signed by the inbox key, and
 * repair under churn.
 *
 * @packageDocumentation
 */

export { type DhtAddress, formatDhtAddress, isDhtEndpoint, parseDhtAddress } from './address.js';
export {
  assertDescriptorFields,
  DESCRIPTOR_DOMAIN,
  type Descriptor,
  type DescriptorFields,
  decodeDescriptor,
  descriptorLocation,
  descriptorSigningBytes,
  ENCRYPTION_KEY_LENGTH,
  encodeDescriptor,
  isEncryptionKey,
  MAX_DESCRIPTOR_LENGTH,
  MIN_POW_LENGTH,
  signDescriptor,
  verifyDescriptor,
} from './descriptor.js';
export { DhtInbox, type DhtInboxOptions } from './dht-inbox.js';
export {
  DHT_LINK_PROTOCOL,
  type DhtLinkOptions,
  dhtLinkEncrypter,
} from './dht-link.js';
export {
  type DeleteOutcome,
  DhtNode,
  type DhtNodeOptions,
  type FetchOutcome,
  HOLDER_CACHE_MS,
  mergePages,
  REPLICAS,
  type ReplicaOutcome,
  type RestoreOutcome,
} from './dht-node.js';
export { endpointDialer } from './dialer.js';
export { DhtError, type DhtErrorCode } from './errors.js';
export {
  DEFAULT_HOLDER_LIMITS,
  type DepositResult,
  EPOCH_GRACE_MS,
  FUTURE_ALLOWANCE_S,
  Holder,
  type HolderLimits,
  type HolderOptions,
  type HolderStats,
  type RefusalReason,
} from './holder.js';
export { HolderInbox, type HolderInboxOptions } from './holder-inbox.js';
export {
  combineServers,
  decodeInboxBody,
  depositMessage,
  envelopeItemId,
  getDescriptorMessage,
  type HolderServerOptions,
  holderServer,
  InboxAnswer,
  type InboxBody,
  inboxAnswer,
  MAX_OFFER_IDS,
  MAX_WIRE_ENVELOPE,
  offeredMessage,
  offerMessage,
  pageMessage,
  signedRequestMessage,
  storeDescriptorMessage,
} from './inbox-wire.js';
export {
  EPOCH_MS,
  epochBounds,
  epochOf,
  epochSalt,
  generateInboxKey,
  INBOX_PUBLIC_KEY_LENGTH,
  INBOX_SECRET_KEY_LENGTH,
  type InboxKeyPair,
  type InboxLocations,
  inboxKeyFromSecret,
  inboxLocation,
  inboxLocationsAround,
  LOCATION_LENGTH,
  MAX_EPOCH,
  SALT_LENGTH,
  SIGNATURE_LENGTH,
  saltEpoch,
} from './location.js';
export {
  HANDOVER_DELAY_MS,
  REPAIR_INTERVAL_MS,
  Repair,
  type RepairContext,
  type RepairOutcome,
} from './repair.js';
export {
  assertRequest,
  decodeRequest,
  encodeRequest,
  type FetchQuery,
  ITEM_ID_LENGTH,
  MAX_FETCH_LIMIT,
  MAX_REQUEST_IDS,
  MAX_REQUEST_LENGTH,
  MAX_REQUEST_TOPICS,
  NONCE_LENGTH,
  REQUEST_DOMAIN,
  REQUEST_OPS,
  REQUEST_WINDOW_MS,
  type RequestOp,
  requestNonce,
  requestSigningBytes,
  type SignedRequest,
  signRequest,
  type UnsignedRequest,
  verifyRequest,
} from './requests.js';
export * from './routing/index.js';
export {
  ConnectionRpc,
  type ConnectionRpcOptions,
  type DhtServer,
  type Dialer,
  isRequestType,
  RpcConnection,
  type RpcConnectionOptions,
  routerServer,
} from './rpc-connection.js';
export {
  type DhtMessage,
  decodeMessage,
  encodeMessage,
  INBOX_TYPES,
  MessageType,
  WIRE_LIMITS,
  WIRE_VERSION,
} from './wire.js';
