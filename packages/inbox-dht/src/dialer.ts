/**
 * Reaching a contact (specs/inbox-dht/SPEC.md §3.1): each of its ws:// or wss:// endpoints in
 * turn, over a carrier, then the `hush-dht/1` Noise link proving the contact's peer id; the
 * first that answers is the connection. The node and the page dial the same way.
 */
import type { Carrier, ConnectionEncrypter, RawChannel } from '@hush/interface';
import type { Dialer } from './rpc-connection.js';

/**
 * The dialer of `DhtNodeOptions.dial` over `carrier` and `encrypter`.
 *
 * @example
 * ```ts
 * const dial = endpointDialer(webSocketCarrier(), dhtLinkEncrypter({ identity, verifier, staticKey }));
 * ```
 * @returns a Dialer that throws an Error naming each endpoint's failure, or that the contact
 *   has no ws:// endpoint
 */
export function endpointDialer(
  carrier: Pick<Carrier, 'dial'>,
  encrypter: Pick<ConnectionEncrypter, 'secureOutbound'>,
): Dialer {
  return async (contact, { signal }) => {
    const reasons: string[] = [];
    for (const endpoint of contact.endpoints) {
      if (!/^wss?:\/\//.test(endpoint)) continue;
      let channel: RawChannel | undefined;
      try {
        channel = await carrier.dial(endpoint, signal ? { signal } : {});
        return await encrypter.secureOutbound(channel, {
          remotePeer: contact.peer,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        channel?.close();
        reasons.push(`${endpoint}: ${(error as Error).message}`);
      }
    }
    throw new Error(
      reasons.length > 0
        ? `no endpoint of ${contact.peer.slice(0, 16)}… answered (${reasons.join('; ')})`
        : `${contact.peer.slice(0, 16)}… has no ws:// endpoint`,
    );
  };
}
