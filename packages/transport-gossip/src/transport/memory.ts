/**
 * The in-memory transport: connections between transports of one `MemoryNetwork`, delivered
 * in order on the microtask queue. Used by tests and by simulations of many nodes; it runs the
 * same authentication and limits as the WebSocket transport.
 */
import { type RawChannel, type SecureOptions, secureChannel } from './secure-connection.js';
import { ConnectionSet, type Transport, TransportError } from './transport.js';

interface Endpoint {
  messages: ((message: Uint8Array) => void) | undefined;
  closes: ((detail?: string) => void) | undefined;
  queued: number;
  closed: boolean;
  inbox: Uint8Array[];
}

function channelPair(addressA: string, addressB: string): [RawChannel, RawChannel] {
  const a: Endpoint = {
    messages: undefined,
    closes: undefined,
    queued: 0,
    closed: false,
    inbox: [],
  };
  const b: Endpoint = {
    messages: undefined,
    closes: undefined,
    queued: 0,
    closed: false,
    inbox: [],
  };
  const make = (self: Endpoint, other: Endpoint, remoteAddress: string): RawChannel => ({
    remoteAddress,
    send(message) {
      if (self.closed || other.closed) return;
      const copy = message.slice();
      self.queued += copy.length;
      queueMicrotask(() => {
        self.queued -= copy.length;
        if (other.closed) return;
        if (other.messages) other.messages(copy);
        else other.inbox.push(copy);
      });
    },
    bufferedAmount: () => self.queued,
    onMessage(handler) {
      self.messages = handler;
      for (const message of self.inbox.splice(0)) handler(message);
    },
    onClose(handler) {
      self.closes = handler;
    },
    close() {
      if (self.closed) return;
      self.closed = true;
      queueMicrotask(() => {
        if (other.closed) return;
        other.closed = true;
        other.closes?.('closed by the other side');
      });
    },
  });
  return [make(a, b, addressB), make(b, a, addressA)];
}

/** A set of in-memory transports that can reach each other by address. */
export class MemoryNetwork {
  private readonly listeners = new Map<string, (raw: RawChannel, from: string) => void>();
  private nextAddress = 1;

  /** A new transport on this network, with its own address (`memory://N` unless given). */
  transport(options: SecureOptions & { address?: string }): Transport {
    const address = options.address ?? `memory://${this.nextAddress++}`;
    const network = this;
    const connections = new ConnectionSet();
    let closed = false;
    return {
      get addresses() {
        return network.listeners.has(address) ? [address] : [];
      },
      async listen(onConnection) {
        if (network.listeners.has(address))
          throw new TransportError('listen-failed', `${address} is taken`);
        network.listeners.set(address, (raw) => {
          secureChannel(raw, false, options).then(
            (connection) =>
              closed ? connection.close() : onConnection(connections.track(connection)),
            () => undefined,
          );
        });
      },
      async dial(target) {
        if (closed) throw new TransportError('closed', 'transport is closed');
        const listener = network.listeners.get(target);
        if (!listener) throw new TransportError('dial-failed', `nothing listens at ${target}`);
        const [ours, theirs] = channelPair(address, target);
        listener(theirs, address);
        return connections.track(await secureChannel(ours, true, options));
      },
      async close() {
        closed = true;
        network.listeners.delete(address);
        connections.closeAll();
      },
    };
  }
}
