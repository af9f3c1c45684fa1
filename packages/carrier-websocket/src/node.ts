/**
 * The WebSocket carrier in Node (`ws`): listens and dials. One binary WebSocket message per
 * link message; the server and client ping every `pingIntervalMs`, and pongs keep the idle
 * timer away. The Node path of `#websocket`.
 */
import { type Carrier, type RawChannel, resolveLimits, TransportError } from '@hush/interface';
import { sealedLength } from '@hush/noise';
import { WebSocket, WebSocketServer } from 'ws';
import type { WebSocketCarrierOptions } from './options.js';

function wrap(socket: WebSocket, remoteAddress: string, pingIntervalMs: number): RawChannel {
  const ping = setInterval(() => {
    if (socket.readyState === WebSocket.OPEN) socket.ping();
  }, pingIntervalMs);
  ping.unref();
  socket.on('close', () => clearInterval(ping));
  // 'close' follows every error; that is where the connection ends. A message over ws's
  // payload limit is remembered, so the close says 1009 whatever code the peer answers with.
  let oversize = false;
  socket.on('error', (error: Error & { code?: string }) => {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') oversize = true;
  });
  // Listen at once: the peer's first message can arrive in the same read as the upgrade, before
  // anyone has asked for messages.
  let deliver: ((message: Uint8Array) => void) | undefined;
  const early: Uint8Array[] = [];
  socket.on('message', (data, isBinary) => {
    if (!isBinary) {
      socket.close(1003, 'binary frames only');
      return;
    }
    // binaryType is 'nodebuffer' (ws's default): one Buffer per message, which ws has already
    // unmasked in place (and joined, when the message came in several reads). A view of it
    // as a plain Uint8Array costs no copy; nothing downstream keeps it.
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
      socket.on('close', (code, reason) =>
        handler(
          oversize
            ? '1009 message too big'
            : `${code}${reason.length ? ` ${reason.toString()}` : ''}`,
        ),
      );
    },
    onActivity(handler) {
      socket.on('pong', handler);
    },
    close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close(1000);
      setTimeout(() => socket.terminate(), 2000).unref();
    },
  };
}

/**
 * A WebSocket carrier that listens (when `listen` is called) on `host:port` and dials `ws://`
 * addresses.
 */
export function webSocketCarrier(options: WebSocketCarrierOptions = {}): Carrier {
  const limits = resolveLimits(options.limits);
  const pingIntervalMs = options.pingIntervalMs ?? 20_000;
  // The largest sealed frame, and room for the handshake's first message.
  const maxPayload = sealedLength(limits.maxFrameBytes) + 64;
  let server: WebSocketServer | undefined;
  let addresses: string[] = [];
  let closed = false;
  return {
    get addresses() {
      return addresses;
    },
    async listen(onChannel) {
      const host = options.host ?? '127.0.0.1';
      const wss = new WebSocketServer({
        host,
        port: options.port ?? 0,
        maxPayload,
        perMessageDeflate: false,
        // Text messages close the connection unread: validating their UTF-8 is wasted work.
        skipUTF8Validation: true,
      });
      await new Promise<void>((resolve, reject) => {
        wss.once('listening', resolve);
        wss.once('error', (error) =>
          reject(new TransportError('listen-failed', `cannot listen on ${host}`, { cause: error })),
        );
      });
      server = wss;
      const port = (wss.address() as { port: number }).port;
      addresses = [`ws://${host.includes(':') ? `[${host}]` : host}:${port}`];
      wss.on('connection', (socket, request) => {
        if (closed) return socket.terminate();
        const remote = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
        onChannel(wrap(socket, remote, pingIntervalMs));
      });
    },
    async dial(address, dialOptions = {}) {
      if (closed) throw new TransportError('closed', 'transport is closed');
      dialOptions.signal?.throwIfAborted();
      let socket: WebSocket;
      try {
        socket = new WebSocket(address, {
          maxPayload,
          perMessageDeflate: false,
          skipUTF8Validation: true,
          handshakeTimeout: limits.handshakeTimeoutMs,
        });
      } catch (error) {
        throw new TransportError('dial-failed', `cannot dial ${address}`, { cause: error });
      }
      const raw = wrap(socket, address, pingIntervalMs);
      await new Promise<void>((resolve, reject) => {
        const abort = () => {
          socket.terminate();
          reject(dialOptions.signal?.reason);
        };
        dialOptions.signal?.addEventListener('abort', abort, { once: true });
        socket.once('open', () => {
          dialOptions.signal?.removeEventListener('abort', abort);
          resolve();
        });
        socket.once('error', (error) => {
          dialOptions.signal?.removeEventListener('abort', abort);
          reject(new TransportError('dial-failed', `cannot reach ${address}`, { cause: error }));
        });
      });
      return raw;
    },
    async close() {
      closed = true;
      // Dialed sockets close with their connections (a 1000 close, then a terminate).
      if (server) {
        for (const client of server.clients) client.terminate();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      addresses = [];
    },
  };
}
