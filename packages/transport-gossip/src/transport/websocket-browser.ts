/**
 * The gossip transport over the browser's WebSocket (SPEC §7.6). The browser path of
 * `#websocket`: no Node built-ins.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { resolveLimits } from '@hush/interface';
import { gossipLinkEncrypter } from './gossip-link.js';
import { type LinkTransport, linkTransport } from './link-transport.js';
import type { WebSocketTransportOptions } from './websocket-options.js';

/**
 * The gossip transport over the browser's WebSocket: the carrier with the Noise gossip link.
 * Browsers see no pings, so a quiet but live connection is not closed as idle.
 *
 * @throws RangeError when `privateKey` is not a valid secp256k1 private key
 */
export function webSocketTransport(options: WebSocketTransportOptions): LinkTransport {
  return linkTransport(
    webSocketCarrier(options),
    gossipLinkEncrypter({
      ...options,
      limits: { ...resolveLimits(options.limits), idleTimeoutMs: 0 },
    }),
  );
}
