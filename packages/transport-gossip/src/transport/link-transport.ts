/**
 * A transport from a carrier and a Noise link encrypter (specs/whisper-v6 SPEC §7.6). An
 * address may end with `#` and the peer's 32-byte Noise static key in hex: the dial then uses
 * the one-round-trip IK handshake, and falls back to XX once if the peer refuses it (its key
 * changed). Connections are tracked so that closing the transport closes them.
 */
import type {
  AbortOptions,
  Carrier,
  Connection,
  PeerId,
  RawChannel,
  Transport,
} from '@hush/interface';
import { TransportError } from '@hush/interface';
import type { NoiseLinkEncrypter } from '@hush/noise';

/** The open connections of a transport, so that closing the transport closes them all. */
export class ConnectionSet {
  private readonly open = new Set<Connection>();

  /** Remembers `connection` until it closes; returns it. */
  track(connection: Connection): Connection {
    this.open.add(connection);
    connection.onClose(() => this.open.delete(connection));
    return connection;
  }

  closeAll(): void {
    for (const connection of [...this.open]) connection.close();
  }
}

/** A transport that also says who it proves this node to be. */
export interface LinkTransport extends Transport {
  /** The identity every connection of this transport proves. */
  readonly peerId: PeerId;
  /** The Noise static public key peers can dial with IK (`address#<hex>`). */
  readonly staticKey: Uint8Array;
}

const STATIC_KEY = /#([0-9a-fA-F]{64})$/;

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (byte) => Number.parseInt(byte, 16));
}

/** Splits `address#<static key>` into the carrier address and the key. */
export function parseLinkAddress(address: string): { address: string; staticKey?: Uint8Array } {
  const match = STATIC_KEY.exec(address);
  if (!match) return { address };
  return { address: address.slice(0, match.index), staticKey: fromHex(match[1]!) };
}

/**
 * A transport of `carrier`'s channels secured by `encrypter`.
 *
 * @example
 * ```ts
 * const transport = linkTransport(webSocketCarrier({ port: 30303 }), gossipLinkEncrypter({ privateKey }));
 * ```
 */
export function linkTransport(carrier: Carrier, encrypter: NoiseLinkEncrypter): LinkTransport {
  const connections = new ConnectionSet();
  let closed = false;
  const secure = async (
    raw: RawChannel,
    staticKey: Uint8Array | undefined,
    options: AbortOptions,
  ): Promise<Connection> =>
    connections.track(
      await encrypter.secureOutbound(raw, {
        ...options,
        ...(staticKey ? { remoteStaticKey: staticKey } : {}),
      }),
    );
  return {
    peerId: encrypter.identity.peerId,
    staticKey: encrypter.staticKey,
    get addresses() {
      return carrier.addresses;
    },
    async listen(onConnection) {
      await carrier.listen((raw) => {
        encrypter.secureInbound(raw).then(
          (connection) =>
            closed ? connection.close() : onConnection(connections.track(connection)),
          // A failed handshake has closed its channel; there is no one to tell.
          () => undefined,
        );
      });
    },
    async dial(address, options = {}) {
      if (closed) throw new TransportError('closed', 'transport is closed');
      const target = parseLinkAddress(address);
      const raw = await carrier.dial(target.address, options);
      if (!target.staticKey) return secure(raw, undefined, options);
      try {
        return await secure(raw, target.staticKey, options);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        // The peer may have a new static key: XX learns it.
        return secure(await carrier.dial(target.address, options), undefined, options);
      }
    },
    async close() {
      closed = true;
      connections.closeAll();
      await carrier.close();
    },
  };
}
