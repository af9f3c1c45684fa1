/** Options of the WebSocket transport (both platforms). */
import type { SecureOptions } from './secure-connection.js';

export interface WebSocketTransportOptions extends SecureOptions {
  /** Interface to listen on (default 127.0.0.1). Node only. */
  readonly host?: string;
  /** Port to listen on (default: any free port). Node only. */
  readonly port?: number;
  /** Keep-alive ping interval (default 20 s). Node only: browsers answer pings but cannot send them. */
  readonly pingIntervalMs?: number;
}
