/**
 * The in-memory carrier: channels between carriers of one `MemoryNetwork`, messages delivered
 * in order on the microtask queue. Used by tests and by simulations of many nodes; its
 * transport runs the same Noise link and limits as the WebSocket transport. A network can be
 * given a wire tap, which sees every message on every channel and decides what is delivered:
 * an on-path observer or attacker for tests.
 */
import { type Carrier, type RawChannel, TransportError } from '@hush/interface';
import { type GossipLinkOptions, gossipLinkEncrypter } from './gossip-link.js';
import { type LinkTransport, linkTransport } from './link-transport.js';

/** One message on the wire of a memory network. */
export interface WirePacket {
  /** The address of the carrier that sent it. */
  readonly from: string;
  readonly to: string;
  readonly bytes: Uint8Array;
}

/**
 * An on-path party: sees each message before delivery and returns what is delivered instead
 * (`[packet.bytes]` passes it, `[]` drops it, an altered copy or two copies replay it).
 */
export type WireTap = (packet: WirePacket) => readonly Uint8Array[];

interface Endpoint {
  messages: ((message: Uint8Array) => void) | undefined;
  closes: ((detail?: string) => void) | undefined;
  queued: number;
  closed: boolean;
  inbox: Uint8Array[];
}

function channelPair(
  addressA: string,
  addressB: string,
  tap: WireTap | undefined,
): [RawChannel, RawChannel] {
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
  const make = (
    self: Endpoint,
    other: Endpoint,
    localAddress: string,
    remoteAddress: string,
  ): RawChannel => ({
    remoteAddress,
    send(message) {
      if (self.closed || other.closed) return;
      const copy = message.slice();
      self.queued += copy.length;
      queueMicrotask(() => {
        self.queued -= copy.length;
        const delivered = tap
          ? tap({ from: localAddress, to: remoteAddress, bytes: copy })
          : [copy];
        for (const bytes of delivered) {
          if (other.closed) return;
          if (other.messages) other.messages(bytes);
          else other.inbox.push(bytes);
        }
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
  return [make(a, b, addressA, addressB), make(b, a, addressB, addressA)];
}

/** Settings of a memory network. */
export interface MemoryNetworkOptions {
  /** Sees, and may alter, every message on every channel. */
  readonly tap?: WireTap;
}

/** A set of in-memory carriers that can reach each other by address. */
export class MemoryNetwork {
  private readonly listeners = new Map<string, (raw: RawChannel) => void>();
  private readonly tap: WireTap | undefined;
  private nextAddress = 1;

  constructor(options: MemoryNetworkOptions = {}) {
    this.tap = options.tap;
  }

  /** A new carrier on this network, with its own address (`memory://N` unless given). */
  carrier(options: { readonly address?: string } = {}): Carrier {
    const address = options.address ?? `memory://${this.nextAddress++}`;
    const network = this;
    let closed = false;
    return {
      get addresses() {
        return network.listeners.get(address) ? [address] : [];
      },
      async listen(onChannel) {
        if (network.listeners.has(address))
          throw new TransportError('listen-failed', `${address} is taken`);
        network.listeners.set(address, (raw) => {
          if (closed) raw.close();
          else onChannel(raw);
        });
      },
      async dial(target, dialOptions = {}) {
        if (closed) throw new TransportError('closed', 'transport is closed');
        dialOptions.signal?.throwIfAborted();
        const listener = network.listeners.get(target);
        if (!listener) throw new TransportError('dial-failed', `nothing listens at ${target}`);
        const [ours, theirs] = channelPair(address, target, network.tap);
        listener(theirs);
        return ours;
      },
      async close() {
        closed = true;
        network.listeners.delete(address);
      },
    };
  }

  /**
   * A new gossip transport on this network: a carrier with the Noise gossip link.
   *
   * @throws RangeError when `privateKey` is not a valid secp256k1 private key
   */
  transport(options: GossipLinkOptions & { readonly address?: string }): LinkTransport {
    return linkTransport(
      this.carrier(options.address === undefined ? {} : { address: options.address }),
      gossipLinkEncrypter(options),
    );
  }
}
