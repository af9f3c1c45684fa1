/** Kademlia routing of the DHT inbox (SPEC §2): ids, the table, lookups, the router. */
export { type Contact, checkEndpoints, contactOf, ENDPOINT_LIMITS } from './contact.js';
export {
  compareDistance,
  ID_BITS,
  ID_BYTES,
  idEquals,
  idHex,
  isNodeId,
  logDistance,
  type NodeId,
  nodeIdOfPeer,
  nodeIdOfPublicKey,
  publicKeyBody,
  randomIdAtDistance,
  xorDistance,
} from './id.js';
export {
  ALPHA,
  type FailureReason,
  type FindNodeRpc,
  type LookupOptions,
  type LookupResult,
  lookup,
  PATHS,
  type PenaltyReason,
  REQUEST_TIMEOUT_MS,
} from './lookup.js';
export {
  type DhtHandler,
  MemoryDhtNetwork,
  type MemoryDhtNetworkOptions,
  routerHandler,
  runOnClock,
} from './memory.js';
export { PeerRateLimiter, type RateLimitOptions } from './rate-limit.js';
export { DhtRouter, type DhtRouterOptions, type DhtRpc, type RequestKind } from './router.js';
export { ipv4Group, K, RoutingTable, type RoutingTableOptions, type SeenOutcome } from './table.js';
