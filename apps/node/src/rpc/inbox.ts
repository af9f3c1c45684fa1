/**
 * The DHT inbox in the `hush_` namespace (issue 14, item 6; specs/inbox-dht/SPEC.md §4.5
 * publishing, §5.2 deposits, §6.7 fetch and delete): `hush_publishInbox`, `hush_inboxInfo`,
 * `hush_deposit` and `hush_fetchInbox`. Bad parameters are invalid params (-32602) naming
 * the argument, as the shh_ methods answer; what the network or the node refuses is -32000.
 */
import type { Envelope } from '@hush/envelope';
import { DhtError } from '@hush/inbox-dht';
import {
  defaultInboxParameters,
  type InboxParameters,
  type NodeDht,
  NodeInboxError,
} from '../dht.js';
import { type CallContext, type Method, RpcError } from './jsonrpc.js';
import { arg, float, hexBytes, object, toHex, topic } from './params.js';
import type { InboxSealRules } from './shh.js';

/** What the inbox methods work with. */
export interface InboxServices {
  /** The node's DHT (absent with --no-dht: every method refuses). */
  readonly dht?: NodeDht;
  /** The node's gossip PoW, the default minPow of a published inbox. */
  readonly minPow: number;
  /** Seals hush_deposit's message object (argument `index`) by a descriptor's rules. */
  readonly seal: (
    value: unknown,
    index: number,
    context: CallContext,
    rules: InboxSealRules,
  ) => Promise<Envelope>;
}

const invalid = (index: number, message: string) =>
  new RpcError(-32602, `invalid argument ${index}: ${message}`);
const refused = (message: string) => new RpcError(-32000, message);
const UINT32_MAX = 0xffffffff;

/** An optional trailing parameter: absent or null is undefined. */
function optionalArg(params: unknown[], index: number): unknown {
  const value = params[index];
  return value === null ? undefined : value;
}

/** An object parameter with only `fields` among its keys. */
function strictObject(
  value: unknown,
  index: number,
  fields: readonly string[],
): Record<string, unknown> {
  const o = object(value, index);
  for (const key of Object.keys(o))
    if (!fields.includes(key))
      throw invalid(index, `unknown field ${key} (fields: ${fields.join(', ')})`);
  return o;
}

function size(value: unknown, index: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > UINT32_MAX)
    throw invalid(index, `${what} must be an integer in 1 … 4294967295`);
  return value;
}

/**
 * The parameters of hush_publishInbox (argument 0, optional): `{minPow?, maxSize?, maxTtl?}`.
 *
 * @throws RpcError -32602 naming the field
 */
export function publishParameters(
  params: unknown[],
  defaults: InboxParameters,
): InboxParameters | undefined {
  const value = optionalArg(params, 0);
  if (value === undefined) return undefined;
  const o = strictObject(value, 0, ['minPow', 'maxSize', 'maxTtl']);
  const minPow =
    o.minPow === undefined || o.minPow === null ? defaults.minPow : float(o.minPow, 0, 'minPow');
  if (minPow < 0 || Object.is(minPow, -0)) throw invalid(0, 'minPow must be ≥ 0');
  return {
    minPow,
    maxSize:
      o.maxSize === undefined || o.maxSize === null
        ? defaults.maxSize
        : size(o.maxSize, 0, 'maxSize'),
    maxTtl:
      o.maxTtl === undefined || o.maxTtl === null ? defaults.maxTtl : size(o.maxTtl, 0, 'maxTtl'),
  };
}

/**
 * An inbox public key: `0x` + 64 hex digits (32 bytes, ed25519).
 *
 * @throws RpcError -32602
 */
export function inboxKeyParam(value: unknown, index: number): Uint8Array {
  const key = hexBytes(value, index, 'inboxKey');
  if (key.length !== 32) throw invalid(index, `inboxKey must be 32 bytes, not ${key.length}`);
  return key;
}

/**
 * hush_fetchInbox's options (argument 0, optional): `{topics?}`.
 *
 * @throws RpcError -32602 naming the field
 */
export function fetchOptions(params: unknown[]): { topics?: Uint8Array[] } {
  const value = optionalArg(params, 0);
  if (value === undefined) return {};
  const o = strictObject(value, 0, ['topics']);
  if (o.topics === undefined || o.topics === null) return {};
  if (!Array.isArray(o.topics)) throw invalid(0, 'topics must be an array');
  if (o.topics.length > 64) throw invalid(0, 'at most 64 topics');
  return { topics: o.topics.map((t, i) => topic(t, 0, `topics[${i}]`)) };
}

function outcomeJson(outcome: {
  holders: readonly unknown[];
  accepted: number;
  refused: Partial<Record<string, number>>;
  failed: number;
}) {
  const refusedBy = Object.fromEntries(Object.entries(outcome.refused).filter(([, n]) => n));
  return {
    holders: outcome.holders.length,
    accepted: outcome.accepted,
    refused: Object.values(refusedBy).reduce((a: number, b) => a + (b ?? 0), 0),
    refusedBy,
    failed: outcome.failed,
  };
}

/** A refusal of the node or the network as JSON-RPC answers it. */
function rpcError(error: unknown): unknown {
  if (error instanceof RpcError) return error;
  if (error instanceof NodeInboxError || error instanceof DhtError) return refused(error.message);
  return error;
}

/**
 * The hush_* methods of the DHT inbox.
 *
 * @throws nothing itself; each method throws RpcError -32602 for bad parameters and -32000
 *   for what the node or the network refuses (the DHT off, no descriptor, nothing published)
 */
export function inboxMethods(services: InboxServices): Record<string, Method> {
  const dht = (): NodeDht => {
    if (!services.dht) throw refused('the DHT inbox is off on this node (--no-dht)');
    return services.dht;
  };
  const defaults = () => defaultInboxParameters({ minPow: services.minPow });

  return {
    /**
     * [{minPow?, maxSize?, maxTtl?}?] → the inbox key and encryption key a contact deposits
     * with, the epoch and seq published, and what the holders did. The keys are made once and
     * kept; the node publishes again for every new epoch.
     */
    hush_publishInbox: async (params) => {
      const node = dht();
      const info = node.info();
      const parameters = publishParameters(params, info.parameters ?? defaults());
      try {
        const published = await node.publishInbox(parameters);
        return {
          inboxKey: toHex(published.inboxKey),
          encryptionKey: toHex(published.encryptionKey),
          epoch: published.epoch,
          seq: published.seq.toString(),
          ...published.parameters,
          ...outcomeJson(published.outcome),
        };
      } catch (error) {
        throw rpcError(error);
      }
    },

    /** [] → the node's inbox (keys and parameters once published) and its place in the DHT. */
    hush_inboxInfo: () => {
      const info = dht().info();
      return {
        ...info,
        ...(info.inboxKey ? { inboxKey: toHex(info.inboxKey) } : {}),
        ...(info.encryptionKey ? { encryptionKey: toHex(info.encryptionKey) } : {}),
      };
    },

    /**
     * [inboxKey, message] → the envelope hash, the epoch and what the holders did: the message
     * (shh_post's object without a key) sealed to the inbox's encryption key with at least its
     * minimum PoW, and deposited at the r closest holders of its location.
     */
    hush_deposit: async (params, context) => {
      const node = dht();
      const inboxKey = inboxKeyParam(arg(params, 0), 0);
      const message = arg(params, 1);
      object(message, 1);
      try {
        const { descriptor, hash, outcome } = await node.deposit(inboxKey, (d) =>
          services.seal(message, 1, context, d),
        );
        return { hash: toHex(hash), epoch: descriptor.epoch, ...outcomeJson(outcome) };
      } catch (error) {
        throw rpcError(error);
      }
    },

    /**
     * [{topics?}?] → what was fetched and deleted: every page of the node's inbox for today's
     * and yesterday's epochs, each envelope delivered to the shh filters and subscriptions
     * (source inbox: filters with allowP2P; the key id `inbox` names the inbox's key), then
     * deleted at the holders.
     */
    hush_fetchInbox: async (params) => {
      const node = dht();
      const options = fetchOptions(params);
      try {
        const epochs = await node.fetchInbox(options);
        return {
          fetched: epochs.reduce((a, e) => a + e.fetched, 0),
          deleted: epochs.reduce((a, e) => a + e.deleted, 0),
          epochs,
        };
      } catch (error) {
        throw rpcError(error);
      }
    },
  };
}
