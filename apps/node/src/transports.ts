/**
 * The node's peer transports as one (specs/rlpx SPEC §7): Noise links over WebSocket for
 * `ws://` addresses and RLPx over TCP for `enode://` URLs, both proving the same node key, so
 * that one gossip engine keeps its peers on either. Dials go by the address's scheme;
 * `listen` listens on every transport; addresses are all of theirs.
 */
import type { Connection, DialOptions, PeerId, Transport } from '@hush/interface';
import { TransportError } from '@hush/interface';

/** A transport and the address schemes it dials. */
export interface SchemeTransport {
  readonly schemes: readonly string[];
  readonly transport: Transport;
  /** Whether it listens (a transport may only dial). */
  readonly listens: boolean;
}

/**
 * One transport over several.
 *
 * @throws TypeError if the transports prove different identities
 */
export function combinedTransport(parts: readonly SchemeTransport[]): Transport {
  const ids = new Set(parts.map((p) => p.transport.peerId).filter((id) => id !== undefined));
  if (ids.size > 1) throw new TypeError('combined transports must prove one identity');
  const peerId = [...ids][0] as PeerId | undefined;
  // The Noise link's static key, for the gossip node's `linkAddresses` (ws://…#<key>).
  const staticKey = parts
    .map((p) => (p.transport as { staticKey?: Uint8Array }).staticKey)
    .find((key) => key !== undefined);
  return {
    ...(peerId ? { peerId } : {}),
    ...(staticKey ? { staticKey } : {}),
    get addresses() {
      return parts.filter((p) => p.listens).flatMap((p) => p.transport.addresses);
    },
    async listen(onConnection: (connection: Connection) => void) {
      // All or none: a listener that failed must not leave the others bound and the node
      // running without the one it was told to open.
      const started: Transport[] = [];
      try {
        for (const part of parts)
          if (part.listens) {
            await part.transport.listen(onConnection);
            started.push(part.transport);
          }
      } catch (error) {
        await Promise.all(started.map((t) => t.close()));
        throw error;
      }
    },
    async dial(address: string, options?: DialOptions) {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(address)?.[1]?.toLowerCase();
      const part = parts.find((p) => scheme !== undefined && p.schemes.includes(scheme));
      if (!part) throw new TransportError('dial-failed', `no transport dials ${address}`);
      return part.transport.dial(address, options);
    },
    async close() {
      await Promise.all(parts.map((p) => p.transport.close()));
    },
  };
}
