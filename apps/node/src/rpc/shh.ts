/**
 * geth v1.8.27's `shh` JSON-RPC API (whisper/whisperv6/api.go): the same method names,
 * parameter and result shapes, hex encodings and field names, so that web3.js's web3-shh and
 * every Whisper DApp work unchanged.
 */
import type { HushClient } from '@hush/client';
import { randomBytes } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import { envelopeHash } from '@hush/envelope';
import { keccak256 } from '@hush/keccak';
import { type MessageFilter, type ReceivedMessage, wrapMessage } from '@hush/message';
import type { PowScanPool } from '@hush/pow';
import type { GossipNode } from '@hush/transport-gossip';
import { type CallContext, type Method, RpcError } from './jsonrpc.js';
import {
  arg,
  bool,
  float,
  hexBytes,
  object,
  optional,
  string,
  toHex,
  topic,
  uint32,
} from './params.js';
import type { PasswordKeyDeriver } from './password-keys.js';
import type { SealLimits } from './seal-limits.js';

/** What the API works with. */
export interface ShhServices {
  readonly gossip: GossipNode;
  /** Keys, filters and subscriptions. */
  readonly client: HushClient;
  readonly pool: PowScanPool | undefined;
  readonly allowGetPrivateKey: boolean;
  readonly now: () => number;
  /** Told how long each posted message took to seal, in seconds. */
  readonly observePow?: (seconds: number) => void;
  /** Longest powTime a post may ask for, seconds. */
  readonly maxPowTime: number;
  /** Concurrent seals per client. */
  readonly seals: SealLimits;
  /** Derives password keys off the event loop. */
  readonly passwordKeys: PasswordKeyDeriver;
  /** Resolves when a posted envelope is durable (archived, on a mailserver); rejects if it is not. */
  readonly afterPost?: (hash: Uint8Array) => Promise<void>;
}

const refused = (message: string) => new RpcError(-32000, message);

/** Topics one filter may list. */
const MAX_FILTER_TOPICS = 1000;

/** geth's RPC Message. */
export function toRpcMessage(message: ReceivedMessage): Record<string, unknown> {
  return {
    ...(message.signer ? { sig: toHex(message.signer) } : {}),
    ttl: message.ttl,
    timestamp: message.sent,
    topic: toHex(message.topic),
    payload: toHex(message.payload),
    padding: toHex(message.padding),
    pow: message.pow,
    hash: toHex(message.envelopeHash),
    ...(message.recipientPublicKey
      ? { recipientPublicKey: toHex(message.recipientPublicKey) }
      : {}),
  };
}

/** A public key given as enode://<128 hex>@host:port (geth) or as 65-byte hex. */
function peerKey(value: string): string {
  const match = /^enode:\/\/([0-9a-fA-F]{128})@/.exec(value);
  if (match) return `04${match[1]!.toLowerCase()}`;
  const hex = value.replace(/^0x/, '').toLowerCase();
  if (/^04[0-9a-f]{128}$/.test(hex)) return hex;
  throw new RpcError(-32602, 'invalid argument 0: invalid enode or public key');
}

function nonZero32(key: Uint8Array): boolean {
  return key.length === 32 && key.some((b) => b !== 0);
}

async function symKeyOf(services: ShhServices, id: string): Promise<Uint8Array> {
  const key = await services.client.keys.get('symKey', id);
  if (!key) throw refused('non-existent key ID');
  return key;
}

async function privateKeyOf(services: ShhServices, id: string): Promise<Uint8Array> {
  const key = await services.client.keys.get('keyPair', id);
  if (!key) throw refused('invalid id'); // geth's Whisper.GetPrivateKey
  return key;
}

/** secp256k1's group order n, big-endian. */
const CURVE_ORDER = Buffer.from(
  'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
  'hex',
);

/** Why geth's crypto.ToECDSA refuses a private key, in its words; undefined if it is valid. */
function privateKeyProblem(key: Uint8Array): string | undefined {
  if (key.length !== 32) return 'invalid length, need 256 bits';
  if (key.every((b) => b === 0)) return 'invalid private key, zero or negative';
  if (Buffer.compare(Buffer.from(key), CURVE_ORDER) >= 0) return 'invalid private key, >=N';
  return undefined;
}

/** Builds a filter from geth's Criteria; `subscription` applies the stricter subscribe rules. */
async function criteria(
  services: ShhServices,
  value: unknown,
  index: number,
  subscription: boolean,
): Promise<MessageFilter> {
  // Go's client marshals every field of whisper.Criteria, zero values included ("sig": "0x",
  // "privateKeyID": "", "minPow": 0, "topics": null, "allowP2P": false); geth reads an empty
  // or null value as absent (gen_criteria_json.go, api.go), and so does this.
  const c = object(value, index);
  const symKeyID = optional(c, 'symKeyID', (v) => string(v, index, 'symKeyID'), '');
  const privateKeyID = optional(c, 'privateKeyID', (v) => string(v, index, 'privateKeyID'), '');
  const sig = optional(c, 'sig', (v) => hexBytes(v, index, 'sig'), new Uint8Array(0));
  const topicList = optional(
    c,
    'topics',
    (v) => {
      if (!Array.isArray(v))
        throw new RpcError(-32602, `invalid argument ${index}: topics must be an array`);
      return v as unknown[];
    },
    [],
  );
  if (topicList.length > MAX_FILTER_TOPICS)
    throw new RpcError(-32602, `invalid argument ${index}: more than ${MAX_FILTER_TOPICS} topics`);
  const topics = topicList.map((t, i) => topic(t, index, `topics[${i}]`));
  const minPow = optional(c, 'minPow', (v) => float(v, index, 'minPow'), 0);
  const allowP2P = optional(c, 'allowP2P', (v) => bool(v, index, 'allowP2P'), false);
  if ((symKeyID && privateKeyID) || (!symKeyID && !privateKeyID)) {
    throw refused('specify either a symmetric or an asymmetric key');
  }
  let src: Uint8Array | undefined;
  if (sig.length > 0) {
    src = sig;
    if (!services.client.backend.isValidPublicKey(src)) throw refused('invalid signing public key');
  }
  const base = { topics, pow: minPow, allowP2P, ...(src ? { src } : {}) };
  if (symKeyID) {
    if (subscription && topics.length === 0) throw refused('missing topic(s)');
    const key = await symKeyOf(services, symKeyID);
    if (!nonZero32(key)) throw refused('invalid symmetric key');
    return { ...base, symKey: key };
  }
  const privateKey = await services.client.keys.get('keyPair', privateKeyID);
  if (!privateKey) throw refused(subscription ? 'invalid public key' : 'invalid id');
  return { ...base, privateKey };
}

/** The shh_* methods. */
export function shhMethods(services: ShhServices): Record<string, Method> {
  const { gossip } = services;
  const { keys, filters, backend } = services.client;
  const subscriptions = new Map<string, string>();

  return {
    shh_version: () => '6.0',

    shh_info: () => {
      const pool = gossip.stats().pool;
      const settings = gossip.engine.settings();
      return {
        memory: pool.bytes,
        messages: pool.envelopes,
        minPow: settings.minPow,
        maxMessageSize: settings.maxMessageSize,
      };
    },

    shh_setMaxMessageSize: (params) => {
      const size = uint32(arg(params, 0), 0, 'size');
      try {
        gossip.engine.setMaxMessageSize(size);
      } catch (error) {
        throw refused(`invalid message size: ${(error as Error).message}`);
      }
      return true;
    },

    shh_setMinPoW: (params) => {
      const pow = float(arg(params, 0), 0, 'pow');
      if (pow < 0) throw refused(`invalid PoW: ${pow}`);
      gossip.setMinPow(pow);
      return true;
    },

    shh_setBloomFilter: (params) => {
      const bloom = hexBytes(arg(params, 0), 0, 'bloom');
      if (bloom.length !== 64) throw refused(`invalid bloom filter size: ${bloom.length}`);
      gossip.setBloomFilter(bloom.every((b) => b === 0xff) ? null : bloom);
      return true;
    },

    shh_markTrustedPeer: (params) => {
      const key = peerKey(string(arg(params, 0), 0, 'enode'));
      // As geth's AllowP2PMessagesFromPeer: only a connected peer can be marked, and the
      // refusal names its node id (keccak256 of the 64-byte key).
      if (!gossip.hasPeer(key))
        throw refused(
          `Could not find peer with ID: ${Buffer.from(keccak256(Buffer.from(key.slice(2), 'hex'))).toString('hex')}`,
        );
      gossip.markTrusted(key);
      return true;
    },

    shh_newKeyPair: () => services.client.newKeyPair(),

    shh_addPrivateKey: async (params) => {
      const key = hexBytes(arg(params, 0), 0, 'privateKey');
      // geth's crypto.ToECDSA checks length and range, which is all of validity on secp256k1.
      const problem = privateKeyProblem(key);
      if (problem) throw refused(problem);
      return keys.add('keyPair', key);
    },

    shh_deleteKeyPair: async (params) => {
      const id = string(arg(params, 0), 0, 'key');
      if (await keys.delete('keyPair', id)) return true;
      throw refused(`key pair ${id} not found`);
    },

    shh_hasKeyPair: async (params) => keys.has('keyPair', string(arg(params, 0), 0, 'id')),

    shh_getPublicKey: async (params) =>
      toHex(backend.publicKeyCreate(await privateKeyOf(services, string(arg(params, 0), 0, 'id')))),

    shh_getPrivateKey: async (params) => {
      if (!services.allowGetPrivateKey) throw refused('shh_getPrivateKey is disabled on this node');
      return toHex(await privateKeyOf(services, string(arg(params, 0), 0, 'id')));
    },

    shh_newSymKey: () => services.client.newSymKey(),

    shh_addSymKey: async (params) => {
      const key = hexBytes(arg(params, 0), 0, 'key');
      if (key.length !== 32) throw refused(`wrong key size: ${key.length}`);
      return keys.add('symKey', key);
    },

    shh_generateSymKeyFromPassword: async (params) => {
      const password = string(arg(params, 0), 0, 'password');
      let key: Uint8Array;
      try {
        key = await services.passwordKeys.derive(password);
      } catch (error) {
        throw refused((error as Error).message);
      }
      return keys.add('symKey', key);
    },

    shh_hasSymKey: async (params) => keys.has('symKey', string(arg(params, 0), 0, 'id')),

    shh_getSymKey: async (params) =>
      toHex(await symKeyOf(services, string(arg(params, 0), 0, 'id'))),

    shh_deleteSymKey: async (params) => keys.delete('symKey', string(arg(params, 0), 0, 'id')),

    shh_makeLightClient: () => {
      gossip.setLightClient(true);
      return true;
    },

    shh_cancelLightClient: () => {
      gossip.setLightClient(false);
      return true;
    },

    shh_post: async (params, context: CallContext) => {
      const m = object(arg(params, 0), 0);
      // Every field is decoded first, as geth's JSON decoder does, then the keys are checked.
      // Go's client sends zero values for what it leaves unset ("pubKey": "0x", "sig": "",
      // "ttl": 0, "padding": "0x", "targetPeer": ""); null and empty mean absent, as in geth
      // (gen_newmessage_json.go, api.go). Unknown fields are ignored, as Go ignores them.
      const symKeyID = optional(m, 'symKeyID', (v) => string(v, 0, 'symKeyID'), '');
      const pubKey = optional(m, 'pubKey', (v) => hexBytes(v, 0, 'pubKey'), new Uint8Array(0));
      const ttl = optional(m, 'ttl', (v) => uint32(v, 0, 'ttl'), 0);
      const powTime = optional(m, 'powTime', (v) => uint32(v, 0, 'powTime'), 0);
      const powTarget = optional(m, 'powTarget', (v) => float(v, 0, 'powTarget'), 0);
      const topicBytes = optional(m, 'topic', (v) => topic(v, 0, 'topic'), new Uint8Array(4));
      const payload = optional(m, 'payload', (v) => hexBytes(v, 0, 'payload'), new Uint8Array(0));
      const padding = optional(m, 'padding', (v) => hexBytes(v, 0, 'padding'), undefined);
      const sig = optional(m, 'sig', (v) => string(v, 0, 'sig'), '');
      const targetPeer = optional(m, 'targetPeer', (v) => string(v, 0, 'targetPeer'), '');
      if ((symKeyID && pubKey.length > 0) || (!symKeyID && pubKey.length === 0)) {
        throw refused('specify either a symmetric or an asymmetric key');
      }
      const signingKey = sig ? await privateKeyOf(services, sig) : undefined;
      let symKey: Uint8Array | undefined;
      if (symKeyID) {
        if (topicBytes.every((b) => b === 0)) throw refused('missing topic(s)');
        symKey = await symKeyOf(services, symKeyID);
        if (!nonZero32(symKey)) throw refused('invalid symmetric key');
      }
      if (pubKey.length > 0 && !backend.isValidPublicKey(pubKey))
        throw refused('invalid public key');
      if (!targetPeer && powTarget < gossip.engine.settings().minPow)
        throw refused('message rejected, PoW too low');
      // A direct message to a peer that is not connected is refused before any work.
      const targetKey = targetPeer ? peerKey(targetPeer) : undefined;
      if (targetKey && !gossip.hasPeer(targetKey)) throw refused('target peer is not connected');
      if (powTime > services.maxPowTime)
        throw refused(
          `powTime ${powTime} exceeds this node's limit of ${services.maxPowTime} seconds (--max-pow-time)`,
        );
      let envelope: Envelope;
      let release: () => void;
      try {
        release = services.seals.acquire(context.client ?? 'local');
      } catch (error) {
        throw refused((error as Error).message);
      }
      const sealing = performance.now();
      try {
        envelope = await wrapMessage({
          topic: topicBytes,
          payload,
          ttl,
          ...(padding && padding.length > 0 ? { padding } : {}),
          ...(signingKey ? { signingKey } : {}),
          ...(symKey ? { symKey } : { publicKey: pubKey }),
          pow: powTarget,
          workTime: powTime,
          // Refused before the seal, not after: a 2 MiB payload must not cost its PoW time.
          ...(targetPeer ? {} : { maxEnvelopeSize: gossip.engine.settings().maxMessageSize }),
          backend,
          ...(services.pool ? { pool: services.pool } : {}),
          // A caller that hangs up stops its seal: nobody waits for it any more.
          ...(context.signal ? { signal: context.signal } : {}),
        });
      } catch (error) {
        throw refused((error as Error).message);
      } finally {
        release();
      }
      services.observePow?.((performance.now() - sealing) / 1000);
      if (targetKey) {
        if (!gossip.engine.sendP2PMessage(targetKey, envelope))
          throw refused('target peer is not connected');
        return toHex(envelopeHash(envelope));
      }
      let hash: Uint8Array;
      try {
        hash = gossip.post(envelope);
      } catch (error) {
        throw refused(`failed to add envelope: ${(error as Error).message}`);
      }
      try {
        await services.afterPost?.(hash);
      } catch (error) {
        // Gossiped, but not durable: the caller must not count on the archive having it.
        throw refused(`envelope posted but not archived: ${(error as Error).message}`);
      }
      return toHex(hash);
    },

    shh_newMessageFilter: async (params, context: CallContext) => {
      const spec = await criteria(services, arg(params, 0), 0, false);
      try {
        return filters.add(spec, services.now(), context.client);
      } catch (error) {
        throw refused((error as Error).message);
      }
    },

    shh_getFilterMessages: (params) => {
      const messages = filters.retrieve(string(arg(params, 0), 0, 'id'), services.now());
      if (!messages) throw refused('filter not found');
      return messages.map(toRpcMessage);
    },

    shh_deleteMessageFilter: (params) => {
      if (!filters.remove(string(arg(params, 0), 0, 'id')))
        throw refused('Unsubscribe: Invalid ID'); // geth's Whisper.Unsubscribe
      return true;
    },

    shh_subscribe: async (params, context: CallContext) => {
      if (!context.notify) throw new RpcError(-32601, 'notifications not supported');
      if (string(arg(params, 0), 0, 'subscription name') !== 'messages') {
        throw new RpcError(-32601, `no "${String(params[0])}" subscription in shh namespace`);
      }
      const spec = await criteria(services, params[1] ?? {}, 1, true);
      let filterId: string;
      try {
        filterId = filters.add(spec, services.now(), context.client);
      } catch (error) {
        throw refused((error as Error).message);
      }
      const id = toHex(randomBytes(16));
      subscriptions.set(id, filterId);
      const notify = context.notify;
      filters.listen(filterId, (message) =>
        notify('shh_subscription', { subscription: id, result: toRpcMessage(message) }),
      );
      context.onClose?.(() => {
        filters.remove(filterId);
        subscriptions.delete(id);
      });
      return id;
    },

    shh_unsubscribe: (params) => {
      const id = string(arg(params, 0), 0, 'id');
      const filterId = subscriptions.get(id);
      if (!filterId) return false;
      filters.remove(filterId);
      subscriptions.delete(id);
      return true;
    },
  };
}
