/**
 * The gossip transport over WebSocket in Node (SPEC §7.6): `@hush/carrier-websocket` with the
 * node's Noise gossip link. The Node path of `#websocket`.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { gossipLinkEncrypter } from './gossip-link.js';
import { type LinkTransport, linkTransport } from './link-transport.js';
import type { WebSocketTransportOptions } from './websocket-options.js';

/**
 * The gossip transport over WebSocket: the carrier with the node's Noise gossip link.
 *
 * @throws RangeError when `privateKey` is not a valid secp256k1 private key
 * @example
 * ```ts
 * const transport = webSocketTransport({ privateKey: nodeKey, port: 30303 });
 * ```
 */
export function webSocketTransport(options: WebSocketTransportOptions): LinkTransport {
  return linkTransport(webSocketCarrier(options), gossipLinkEncrypter(options));
}
