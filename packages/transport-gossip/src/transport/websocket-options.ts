/** Options of the WebSocket gossip transport (both platforms). */
import type { WebSocketCarrierOptions } from '@hush/carrier-websocket';
import type { GossipLinkOptions } from './gossip-link.js';

/** Options of the WebSocket gossip transport: the carrier's and the gossip link's. */
export interface WebSocketTransportOptions extends WebSocketCarrierOptions, GossipLinkOptions {}
