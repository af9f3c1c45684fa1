/**
 * The `hush_` namespace: what Hush adds beside geth's `shh_` API. So far the contact list of
 * direct channels (issue 13): `hush_addContact`, `hush_listContacts`, `hush_removeContact`.
 * The channel methods (`hush_openChannel`, `hush_post`, `hush_channels`) join them here.
 * Served when `--rpc-api` names the `hush` module (it does by default).
 */
import { ContactError, type NodeContacts } from '../contacts.js';
import { type Method, RpcError } from './jsonrpc.js';
import { arg, string } from './params.js';

/** What the hush_ methods work with. */
export interface HushServices {
  readonly contacts: NodeContacts;
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
  return {
    /** [publicKey, name?] → the contact (added, or renamed when already there). */
    hush_addContact: async (params) => {
      const key = string(arg(params, 0), 0, 'publicKey');
      const name = params[1] === undefined || params[1] === null ? undefined : params[1];
      if (name !== undefined && typeof name !== 'string')
        throw new RpcError(-32602, 'invalid argument 1: name must be a string');
      try {
        return await contacts.add(key, name);
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
        return await contacts.remove(ref);
      } catch (error) {
        throw rpcError(error, 0);
      }
    },
  };
}
