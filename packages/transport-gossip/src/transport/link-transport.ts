/**
 * A transport from a carrier and a Noise link encrypter (specs/whisper-v6 SPEC §7.6). An
 * address may end with `#` and the peer's 32-byte Noise static key in hex: the dial then uses
 * the one-round-trip IK handshake, and only that key is accepted (a node's static key follows
 * from its node key, so another key is another node: no fallback to XX, which an on-path
 * party could force to put itself in the peer's place). Inbound handshakes in progress are
 * capped, so unauthenticated channels cannot pile up. Connections are tracked so that closing
 * the transport closes them.
 */
import type { Carrier, Connection, DialOptions, PeerId, Transport } from '@hush/interface';
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
/** Inbound handshakes in progress at most; past it new channels are closed unread. */
const MAX_PENDING_HANDSHAKES = 64;

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (byte) => Number.parseInt(byte, 16));
}

/**
 * Splits `address#<static key>` into the carrier address and the key.
 *
 * @throws TransportError 'dial-failed' when `#` is followed by anything but 64 hex digits
 */
export function parseLinkAddress(address: string): { address: string; staticKey?: Uint8Array } {
  const match = STATIC_KEY.exec(address);
  if (!match) {
    if (address.includes('#'))
      throw new TransportError(
        'dial-failed',
        `${address}: a # must be followed by the peer's 32-byte Noise static key in hex`,
      );
    return { address };
  }
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
  let pending = 0;
  return {
    peerId: encrypter.identity.peerId,
    staticKey: encrypter.staticKey,
    get addresses() {
      return carrier.addresses;
    },
    async listen(onConnection) {
      await carrier.listen((raw) => {
        if (pending >= MAX_PENDING_HANDSHAKES) return raw.close();
        pending++;
        encrypter
          .secureInbound(raw)
          .finally(() => pending--)
          .then((connection) => {
            if (closed) return connection.close();
            try {
              onConnection(connections.track(connection));
            } catch {
              // The listener's failure is this connection's end, not the transport's.
              connection.close('error', 'the connection handler failed');
            }
          })
          // A failed handshake has closed its channel; there is no one to tell.
          .catch(() => undefined);
      });
    },
    async dial(address, options: DialOptions = {}) {
      if (closed) throw new TransportError('closed', 'transport is closed');
      const target = parseLinkAddress(address);
      const raw = await carrier.dial(target.address, options);
      return connections.track(
        await encrypter.secureOutbound(raw, {
          ...options,
          ...(target.staticKey ? { remoteStaticKey: target.staticKey } : {}),
        }),
      );
    },
    async close() {
      closed = true;
      connections.closeAll();
      await carrier.close();
    },
  };
}
