/**
 * The relay server outside Node (specs/transport-direct/SPEC.md §6.1): browsers cannot
 * accept WebSocket connections, so serving a relay is refused. Default path of
 * `#relay-server`.
 */
import type { RawChannel } from '@hush/interface';
import type { RelayServer } from './server.js';

/** Where a relay is served (Node only). */
export interface ServeRelayOptions {
  readonly server?: unknown;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
}

/** A relay being served. */
export interface ServedRelay {
  readonly url: string;
  close(): Promise<void>;
}

/** Node only. @throws TypeError always: browsers cannot accept WebSocket connections */
export function relaySocketChannel(_socket: unknown, _remoteAddress: string): RawChannel {
  throw new TypeError('relaySocketChannel: relay servers run in Node');
}

/** Node only. @throws TypeError always: browsers cannot accept WebSocket connections */
export async function serveRelay(
  _relay: RelayServer,
  _options: ServeRelayOptions = {},
): Promise<ServedRelay> {
  throw new TypeError('serveRelay: relay servers run in Node');
}
