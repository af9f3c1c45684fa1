/** Options of the WebSocket carrier (both platforms). */
import type { ConnectionLimits } from '@hush/interface';

/** Options of the WebSocket carrier. */
export interface WebSocketCarrierOptions {
  /** Interface to listen on (default 127.0.0.1). Node only. */
  readonly host?: string;
  /** Port to listen on (default: any free port). Node only. */
  readonly port?: number;
  /** Keep-alive ping interval (default 20 s). Node only: browsers answer pings but cannot send them. */
  readonly pingIntervalMs?: number;
  /** The frame limit and handshake timeout size the WebSocket's own limits. */
  readonly limits?: ConnectionLimits;
}
