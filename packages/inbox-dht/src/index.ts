/**
 * @hush/inbox-dht: an offline inbox kept by the network itself (specs/inbox-dht/SPEC.md).
 * In progress (issue 14): the signed inbox location and the holders' rules come first, then
 * Kademlia routing over Noise links, deposit, fetch and delete, repair under churn.
 *
 * @packageDocumentation
 */
export { DhtError, type DhtErrorCode } from './errors.js';
