/**
 * The `hush_` namespace: what Hush adds beside geth's `shh_` API (issue 13): the contact list
 * of direct channels (`hush_addContact`, `hush_listContacts`, `hush_removeContact`) and the
 * channels themselves (`hush_openChannel`, `hush_post`, `hush_channels`). Served when
 * `--rpc-api` names the `hush` module (it does by default).
 */
import type { Envelope } from '@hush/envelope';
import { type PeerId, publicKeyOfPeerId } from '@hush/interface';
import { ContactError, type NodeContacts, parseContactRef } from '../contacts.js';
import type { NodeDirect } from '../direct.js';
import { type CallContext, type Method, RpcError } from './jsonrpc.js';
import { arg, string, toHex } from './params.js';

/** What the hush_ methods work with. */
export interface HushServices {
  readonly contacts: NodeContacts;
  /** The direct channels (absent with --no-direct: the channel methods refuse). */
  readonly direct?: NodeDirect;
  /** Reads and seals the message object of hush_post (argument `index`), as shh_post does. */
  readonly seal?: (value: unknown, index: number, context: CallContext) => Promise<Envelope>;
}

/**
 * A refused contact operation as JSON-RPC answers it: bad input is invalid params (-32602)
 * naming the argument, as geth's methods answer; an unknown contact or the node's own key is
 * a refused operation (-32000).
 */
function rpcError(error: unknown, index: number): unknown {
  if (!(error instanceof ContactError)) return error;
  const { code, message } = error;
  return code === 'invalid-key' || code === 'invalid-name'
    ? new RpcError(-32602, `invalid argument ${index}: ${message}`)
    : new RpcError(-32000, message);
}

/** The hush_* methods. */
export function hushMethods(services: HushServices): Record<string, Method> {
  const { contacts } = services;
  const refused = (message: string) => new RpcError(-32000, message);

  /** The direct channels, or the refusal of a node started without them. */
  const direct = (): NodeDirect => {
    if (!services.direct) throw refused('direct channels are off on this node (--no-direct)');
    return services.direct;
  };

  /** The contact argument `index` names (public key or peer id). */
  const contactOf = (params: unknown[], index: number): PeerId => {
    const text = string(arg(params, index), index, 'publicKey or peer id');
    let peer: PeerId;
    try {
      peer = parseContactRef(text);
    } catch (error) {
      throw rpcError(error, index);
    }
    if (!contacts.book.hasPeer(peer)) throw refused(`no contact has peer id ${peer}`);
    return peer;
  };

  return {
    /** [publicKey, name?] → the contact (added, or renamed when already there). */
    hush_addContact: async (params) => {
      const key = string(arg(params, 0), 0, 'publicKey');
      const name = params[1] === undefined || params[1] === null ? undefined : params[1];
      if (name !== undefined && typeof name !== 'string')
        throw new RpcError(-32602, 'invalid argument 1: name must be a string');
      try {
        const contact = await contacts.add(key, name);
        // The new contact learns where this node is.
        services.direct?.contactAdded(publicKeyOfPeerId(contact.peerId as PeerId));
        return contact;
      } catch (error) {
        // The key is argument 0, the name argument 1.
        throw rpcError(
          error,
          error instanceof ContactError && error.code === 'invalid-name' ? 1 : 0,
        );
      }
    },

    /** [] → every contact, by peer id. */
    hush_listContacts: () => contacts.list(),

    /** [publicKey or peer id] → the contact removed. */
    hush_removeContact: async (params) => {
      const ref = string(arg(params, 0), 0, 'publicKey or peer id');
      try {
        const contact = await contacts.remove(ref);
        services.direct?.contactRemoved(contact.peerId as PeerId);
        return contact;
      } catch (error) {
        throw rpcError(error, 0);
      }
    },

    /**
     * [publicKey or peer id] → the contact's channel: the node introduces itself to the contact,
     * dials it now and keeps the channel open (redialing) while it runs.
     */
    hush_openChannel: async (params) => {
      const channels = direct();
      return channels.openChannel(contactOf(params, 0));
    },

    /**
     * [publicKey or peer id, message] → the envelope hash: the message (shh_post's object;
     * powTarget and powTime default to 0) sealed and kept for the contact until its channel
     * delivers it, whether or not the contact is online now.
     */
    hush_post: async (params, context) => {
      const channels = direct();
      const peer = contactOf(params, 0);
      const envelope = await services.seal!(arg(params, 1), 1, context);
      try {
        const { hash } = await channels.send(peer, envelope);
        return toHex(hash);
      } catch (error) {
        throw refused(`not sent over the direct channel: ${(error as Error).message}`);
      }
    },

    /** [] → every contact with its channel state and pending count. */
    hush_channels: () => direct().channels(),
  };
}
