/**
 * The WebSocket carrier in browsers: dials with the native WebSocket (browsers cannot
 * listen). The browser path of `#websocket`: no Node built-ins.
 */
import { type Carrier, type RawChannel, TransportError } from '@hush/interface';
import type { WebSocketCarrierOptions } from './options.js';

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

/** A WebSocket carrier that dials `ws://` or `wss://` addresses from a browser. */
export function webSocketCarrier(_options: WebSocketCarrierOptions = {}): Carrier {
  let closed = false;
  return {
    addresses: [],
    async listen() {
      throw new TransportError('listen-failed', 'browsers cannot accept WebSocket connections');
    },
    async dial(address, dialOptions = {}) {
      if (closed) throw new TransportError('closed', 'transport is closed');
      dialOptions.signal?.throwIfAborted();
      let socket: WebSocket;
      try {
        socket = new WebSocket(address);
      } catch (error) {
        throw new TransportError('dial-failed', `cannot dial ${address}`, { cause: error });
      }
      socket.binaryType = 'arraybuffer';
      const raw = wrap(socket, address);
      await new Promise<void>((resolve, reject) => {
        const abort = () => {
          socket.close();
          reject(dialOptions.signal?.reason);
        };
        const settle = () => dialOptions.signal?.removeEventListener('abort', abort);
        dialOptions.signal?.addEventListener('abort', abort, { once: true });
        socket.addEventListener(
          'open',
          () => {
            settle();
            resolve();
          },
          { once: true },
        );
        socket.addEventListener(
          'error',
          () => {
            settle();
            reject(new TransportError('dial-failed', `cannot reach ${address}`));
          },
          { once: true },
        );
      });
      return raw;
    },
    async close() {
      closed = true;
    },
  };
}
