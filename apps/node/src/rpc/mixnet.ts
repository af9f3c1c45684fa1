/**
 * Whisper over the mixnet in the `hush_` namespace (issue 17, item 3; specs/mixnet-sphinx
 * SPEC.md §13.5): `hush_mixnetInfo`, `hush_mixnetPost` and `hush_mixnetReply`. Bad parameters
 * are invalid params (-32602) naming the argument; what the node or the mixnet refuses
 * (no --mixnet, no directory yet, an envelope too large for a packet, no SURB) is -32000.
 * `shh_post` itself goes through the mixnet with `--post-via mixnet` (see shh.ts).
 */
import type { Envelope } from '@hush/envelope';
import { parseMixnetAddress, SphinxError } from '@hush/mixnet-sphinx';
import { NodeMixnetError, type WhisperMixnet } from '../mixnet/whisper-mixnet.js';
import { type CallContext, type Method, RpcError } from './jsonrpc.js';
import { arg, bool, hexBytes, object, optional, string, toHex } from './params.js';

/** What the mixnet methods work with. */
export interface MixnetServices {
  /** The node's mixnet client (absent without --mixnet: every method refuses). */
  readonly mixnet?: WhisperMixnet;
  /** The gossip network's minimum PoW: what an envelope for the exit to inject needs. */
  readonly minPow: number;
  /**
   * Reads and seals shh_post's message object (argument `index`); powTarget and powTime
   * default to 0, as for a direct channel.
   */
  readonly seal: (value: unknown, index: number, context: CallContext) => Promise<Envelope>;
}

const invalid = (index: number, message: string) =>
  new RpcError(-32602, `invalid argument ${index}: ${message}`);
const refused = (message: string) => new RpcError(-32000, message);

function rpcError(error: unknown): unknown {
  // The node's refusals, and a route or SURB the directory cannot give (a gateway gone).
  if (
    error instanceof NodeMixnetError ||
    error instanceof SphinxError ||
    error instanceof RangeError
  )
    return refused(error.message);
  return error;
}

/**
 * The hush_* methods of the mixnet.
 *
 * @throws nothing itself; each method throws RpcError -32602 for bad parameters and -32000
 *   for what the node or the mixnet refuses
 */
export function mixnetMethods(services: MixnetServices): Record<string, Method> {
  const mixnet = (): WhisperMixnet => {
    if (!services.mixnet) throw refused('the mixnet is off on this node (start it with --mixnet)');
    return services.mixnet;
  };

  return {
    /**
     * [] → this node's mixnet address (what contacts send to), whether it can send now, the
     * exit it injects through, its queues, the largest envelope a packet carries, the rates.
     */
    hush_mixnetInfo: () => mixnet().info(),

    /**
     * [message, {to?, surb?}?] → {hash}: the message (shh_post's object) sealed and queued for
     * the next Loopix payload slot: to the address `to` (the recipient node hands it to its
     * filters), or without `to` to the exit, which posts it into gossip (so it needs the
     * network's PoW). With `surb: true` a SURB back to this node goes with it: the recipient
     * answers once with hush_mixnetReply, and the answer reaches this node's filters.
     */
    hush_mixnetPost: async (params, context) => {
      const node = mixnet();
      const message = object(arg(params, 0), 0);
      const raw = params[1] === null || params[1] === undefined ? {} : object(params[1], 1);
      for (const key of Object.keys(raw))
        if (key !== 'to' && key !== 'surb')
          throw invalid(1, `unknown field ${key} (fields: to, surb)`);
      const toText = optional(raw, 'to', (v) => string(v, 1, 'to'), undefined);
      let to: ReturnType<typeof parseMixnetAddress> | undefined;
      if (toText !== undefined) {
        try {
          to = parseMixnetAddress(toText);
        } catch (error) {
          if (error instanceof SphinxError) throw invalid(1, error.message);
          throw error;
        }
      }
      const surb = optional(raw, 'surb', (v) => bool(v, 1, 'surb'), false);
      if (surb && !to)
        throw invalid(1, 'surb needs to: an exit posts into gossip, it replies to nobody');
      // For gossip, the exit's network asks its PoW: refused here, before any work.
      if (!to && !(Number(message.powTarget ?? 0) >= services.minPow))
        throw refused('message rejected, PoW too low (the exit posts it into gossip)');
      const envelope = await services.seal(message, 0, context);
      try {
        const hash = await node.post(envelope, { ...(to ? { to } : {}), surb });
        return { hash: toHex(hash) };
      } catch (error) {
        throw rpcError(error);
      }
    },

    /**
     * [envelope hash, message] → {hash}: the message sealed and queued as a reply on the SURB
     * that came with the envelope of that hash (once: the SURB is then used).
     */
    hush_mixnetReply: async (params, context) => {
      const node = mixnet();
      const replyTo = hexBytes(arg(params, 0), 0, 'envelope hash');
      if (replyTo.length !== 32) throw invalid(0, 'an envelope hash is 32 bytes');
      const envelope = await services.seal(object(arg(params, 1), 1), 1, context);
      try {
        return { hash: toHex(node.reply(replyTo, envelope)) };
      } catch (error) {
        throw rpcError(error);
      }
    },
  };
}
