/**
 * The WebSocket transport in browsers: dials with the native WebSocket (browsers cannot
 * listen). Browser path of `#websocket`.
 */
import type { RawChannel } from './secure-connection.js';
import { secureChannel } from './secure-connection.js';
import { ConnectionSet, resolveLimits, type Transport, TransportError } from './transport.js';
import type { WebSocketTransportOptions } from './websocket-options.js';

function wrap(socket: WebSocket, remoteAddress: string): RawChannel {
  // Listen at once, so no message can arrive before anyone asks for messages.
  let deliver: ((message: Uint8Array) => void) | undefined;
  const early: Uint8Array[] = [];
  socket.addEventListener('message', (event: MessageEvent) => {
    if (!(event.data instanceof ArrayBuffer)) {
      socket.close(1003, 'binary frames only');
      return;
    }
    const message = new Uint8Array(event.data);
    if (deliver) deliver(message);
    else early.push(message);
  });
  return {
    remoteAddress,
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(message as Uint8Array<ArrayBuffer>);
    },
    bufferedAmount: () => socket.bufferedAmount,
    onMessage(handler) {
      deliver = handler;
      for (const message of early.splice(0)) handler(message);
    },
    onClose(handler) {
      socket.addEventListener('close', (event: CloseEvent) =>
        handler(`${event.code} ${event.reason}`.trim()),
      );
    },
    close() {
      socket.close(1000);
    },
  };
}

/** A WebSocket transport that dials `ws://` or `wss://` addresses from a browser. */
export function webSocketTransport(options: WebSocketTransportOptions): Transport {
  // Browsers see no pings, so a quiet but live connection must not be closed as idle.
  const secure = { ...options, limits: { ...resolveLimits(options.limits), idleTimeoutMs: 0 } };
  const connections = new ConnectionSet();
  let closed = false;
  return {
    addresses: [],
    async listen() {
      throw new TransportError('listen-failed', 'browsers cannot accept WebSocket connections');
    },
    async dial(address) {
      if (closed) throw new TransportError('closed', 'transport is closed');
      const socket = new WebSocket(address);
      socket.binaryType = 'arraybuffer';
      const raw = wrap(socket, address);
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener('open', () => resolve(), { once: true });
        socket.addEventListener(
          'error',
          () => reject(new TransportError('dial-failed', `cannot reach ${address}`)),
          {
            once: true,
          },
        );
      });
      return connections.track(await secureChannel(raw, true, secure));
    },
    async close() {
      closed = true;
      connections.closeAll();
    },
  };
}
