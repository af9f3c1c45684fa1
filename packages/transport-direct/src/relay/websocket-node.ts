/**
 * The relay on WebSocket in Node (specs/transport-direct/SPEC.md §6.1): serves a
 * `RelayServer` on a path (`/hush-relay/1` by default) of its own port or of an HTTP server
 * the application already runs, with `ws`. Node path of `#relay-server`.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawChannel } from '@hush/interface';
import { WebSocket, WebSocketServer } from 'ws';
import { DirectError } from '../errors.js';
import { RELAY_PATH } from './protocol.js';
import type { RelayServer } from './server.js';

/** Where a relay is served. */
export interface ServeRelayOptions {
  /** An HTTP(S) server to share: the relay takes the upgrades on `path`, nothing else. */
  readonly server?: Server;
  /** Without `server`: the interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Without `server`: the port (default any free one). */
  readonly port?: number;
  /** The path (default `/hush-relay/1`). */
  readonly path?: string;
}

/** A relay being served. */
export interface ServedRelay {
  /** The URL clients join at (`ws://host:port/hush-relay/1`). */
  readonly url: string;
  /** Stops serving and ends every client. */
  close(): Promise<void>;
}

/** A `RawChannel` over one `ws` socket (binary messages; a text one ends it). */
export function relaySocketChannel(socket: WebSocket, remoteAddress: string): RawChannel {
  let deliver: ((message: Uint8Array) => void) | undefined;
  const early: Uint8Array[] = [];
  // ws closes a message over maxPayload (1009) before buffering it; the relay is told so.
  let oversize = false;
  socket.on('error', (error: Error & { code?: string }) => {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') oversize = true;
  });
  socket.on('message', (data, isBinary) => {
    if (!isBinary) {
      socket.close(1003, 'binary frames only');
      return;
    }
    const bytes = data as Buffer;
    const message = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (deliver) deliver(message);
    else early.push(message);
  });
  return {
    remoteAddress,
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(message, { binary: true });
    },
    bufferedAmount: () => socket.bufferedAmount,
    onMessage(handler) {
      deliver = handler;
      for (const message of early.splice(0)) handler(message);
    },
    onClose(handler) {
      if (socket.readyState === WebSocket.CLOSED) handler('closed');
      else socket.on('close', (code) => handler(oversize ? 'frame-too-large' : String(code)));
    },
    close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close(1000);
      setTimeout(() => socket.terminate(), 2000).unref();
    },
  };
}

/**
 * Serves `relay` over WebSocket: on its own port, or on `path` of an HTTP server.
 *
 * @throws DirectError 'closed' when the port cannot be listened on
 * @example
 * ```ts
 * const served = await serveRelay(new RelayServer(), { server: httpServer });
 * ```
 */
export async function serveRelay(
  relay: RelayServer,
  options: ServeRelayOptions = {},
): Promise<ServedRelay> {
  const path = options.path ?? RELAY_PATH;
  const wss = new WebSocketServer({
    noServer: true,
    // ws closes an oversize message with 1009 before buffering it.
    maxPayload: relay.maxFrameBytes,
    perMessageDeflate: false,
    skipUTF8Validation: true,
  });
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    relay.accept(
      relaySocketChannel(socket, `${request.socket.remoteAddress}:${request.socket.remotePort}`),
    );
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://relay');
    if (url.pathname !== path) {
      // Another owner of the shared server may take it; our own server refuses it.
      if (!options.server) socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  let server = options.server;
  let own = false;
  if (!server) {
    const { createServer } = await import('node:http');
    server = createServer((_request, response) => {
      response.writeHead(426).end();
    });
    own = true;
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (error) =>
        reject(new DirectError('closed', `cannot listen on ${host}`, { cause: error })),
      );
      server!.listen(options.port ?? 0, host, () => resolve());
    });
  }
  server.on('upgrade', onUpgrade);
  const address = server.address();
  const url =
    address && typeof address === 'object'
      ? `ws://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}${path}`
      : `ws://localhost${path}`;
  return {
    url,
    async close() {
      server!.off('upgrade', onUpgrade);
      relay.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (own) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}
