/**
 * geth v1.8.27's `shh` JSON-RPC API (whisper/whisperv6/api.go): the same method names,
 * parameter and result shapes, hex encodings and field names, so that web3.js's web3-shh and
 * every Whisper DApp work unchanged.
 */
import type { HushClient } from '@hush/client';
import { randomBytes } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import { envelopeHash } from '@hush/envelope';
import type { PeerId } from '@hush/interface';
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
  /**
   * Where shh_post sends what it would post to gossip, when not to gossip itself: with
   * `--post-via mixnet`, through the mixnet to the exit (resolves to the envelope's hash).
   */
  readonly postVia?: {
    send(envelope: Envelope): Promise<Uint8Array>;
    /** The largest envelope (Whisper size) it carries: refused before the seal, not after. */
    readonly maxEnvelopeSize: number;
  };
  /** The node's direct channels with contacts, when it has them. */
  readonly direct?: DirectRoutes;
  /**
   * The node's own key, which filters may name as `privateKeyID: "node"` to read what
   * contacts send to the node's public key (it is never answered or used to sign).
   */
  readonly nodeKey?: Uint8Array;
  /**
   * The private key of the node's DHT inbox (`hush_publishInbox`), which filters may name as
   * `privateKeyID: "inbox"` to read what was deposited for it; undefined until published.
   */
  readonly inboxKey?: () => Uint8Array | undefined;
}

/** What shh_* asks of the direct channels. */
export interface DirectRoutes {
  /** The contact whose channel a message to `publicKey` goes over, if it is in use. */
  route(publicKey: Uint8Array): PeerId | undefined;
  /** Keeps an envelope for a contact until its channel delivers it. */
  send(peer: PeerId, envelope: Envelope): Promise<{ hash: Uint8Array }>;
  /** What the inbox holds for a new filter (messages contacts delivered before it existed). */
  backlog(spec: MessageFilter): Promise<ReceivedMessage[]>;
}

const refused = (message: string) => new RpcError(-32000, message);

/** The key id filters name the node's own key by (`shh_newMessageFilter`, `shh_subscribe`). */
export const NODE_KEY_ID = 'node';
/** The key id filters name the node's DHT inbox encryption key by. */
export const INBOX_KEY_ID = 'inbox';

/** How long a filter's backlog is compared with what comes live, ms. */
const BACKLOG_DEDUP_MS = 60_000;
/** How long an unpolled backlog is kept after that, ms (a filter's idle time). */
const BACKLOG_KEPT_MS = 300_000;

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
  const inboxKey = privateKeyID === INBOX_KEY_ID ? services.inboxKey?.() : undefined;
  const privateKey =
    privateKeyID === NODE_KEY_ID && services.nodeKey
      ? services.nodeKey
      : (inboxKey ?? (await services.client.keys.get('keyPair', privateKeyID)));
  if (!privateKey) throw refused(subscription ? 'invalid public key' : 'invalid id');
  return { ...base, privateKey };
}

/** The fields of geth's NewMessage (shh_post's argument), decoded. */
interface PostFields {
  readonly symKeyID: string;
  readonly pubKey: Uint8Array;
  readonly ttl: number;
  readonly powTime: number;
  readonly powTarget: number;
  readonly topic: Uint8Array;
  readonly payload: Uint8Array;
  readonly padding: Uint8Array | undefined;
  readonly sig: string;
  readonly targetPeer: string;
}

/**
 * Decodes a message object as geth's JSON decoder does: every field first, then the keys are
 * checked. Go's client sends zero values for what it leaves unset ("pubKey": "0x", "sig": "",
 * "ttl": 0, "padding": "0x", "targetPeer": ""); null and empty mean absent, as in geth
 * (gen_newmessage_json.go, api.go). Unknown fields are ignored, as Go ignores them.
 */
function readPost(value: unknown, index: number): PostFields {
  const m = object(value, index);
  return {
    symKeyID: optional(m, 'symKeyID', (v) => string(v, index, 'symKeyID'), ''),
    pubKey: optional(m, 'pubKey', (v) => hexBytes(v, index, 'pubKey'), new Uint8Array(0)),
    ttl: optional(m, 'ttl', (v) => uint32(v, index, 'ttl'), 0),
    powTime: optional(m, 'powTime', (v) => uint32(v, index, 'powTime'), 0),
    powTarget: optional(m, 'powTarget', (v) => float(v, index, 'powTarget'), 0),
    topic: optional(m, 'topic', (v) => topic(v, index, 'topic'), new Uint8Array(4)),
    payload: optional(m, 'payload', (v) => hexBytes(v, index, 'payload'), new Uint8Array(0)),
    padding: optional(m, 'padding', (v) => hexBytes(v, index, 'padding'), undefined),
    sig: optional(m, 'sig', (v) => string(v, index, 'sig'), ''),
    targetPeer: optional(m, 'targetPeer', (v) => string(v, index, 'targetPeer'), ''),
  };
}

/** The keys a message is sealed with, checked as geth checks them. */
interface PostKeys {
  readonly signingKey: Uint8Array | undefined;
  readonly symKey: Uint8Array | undefined;
}

async function postKeys(services: ShhServices, post: PostFields): Promise<PostKeys> {
  const { symKeyID, pubKey } = post;
  if ((symKeyID && pubKey.length > 0) || (!symKeyID && pubKey.length === 0)) {
    throw refused('specify either a symmetric or an asymmetric key');
  }
  const signingKey = post.sig ? await privateKeyOf(services, post.sig) : undefined;
  let symKey: Uint8Array | undefined;
  if (symKeyID) {
    if (post.topic.every((b) => b === 0)) throw refused('missing topic(s)');
    symKey = await symKeyOf(services, symKeyID);
    if (!nonZero32(symKey)) throw refused('invalid symmetric key');
  }
  if (pubKey.length > 0 && !services.client.backend.isValidPublicKey(pubKey))
    throw refused('invalid public key');
  return { signingKey, symKey };
}

/** Seals a checked message, within the caller's seal limit and the node's powTime limit. */
async function sealPost(
  services: ShhServices,
  post: PostFields,
  keys: PostKeys,
  context: CallContext,
  options: { maxEnvelopeSize?: number },
): Promise<Envelope> {
  if (post.powTime > services.maxPowTime)
    throw refused(
      `powTime ${post.powTime} exceeds this node's limit of ${services.maxPowTime} seconds (--max-pow-time)`,
    );
  let release: () => void;
  try {
    release = services.seals.acquire(context.client ?? 'local');
  } catch (error) {
    throw refused((error as Error).message);
  }
  const sealing = performance.now();
  let envelope: Envelope;
  try {
    envelope = await wrapMessage({
      topic: post.topic,
      payload: post.payload,
      ttl: post.ttl,
      ...(post.padding && post.padding.length > 0 ? { padding: post.padding } : {}),
      ...(keys.signingKey ? { signingKey: keys.signingKey } : {}),
      ...(keys.symKey ? { symKey: keys.symKey } : { publicKey: post.pubKey }),
      pow: post.powTarget,
      workTime: post.powTime,
      ...options,
      backend: services.client.backend,
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
  return envelope;
}

/** Hands an envelope to a contact's channel: the hash, once the outbox keeps it. */
async function sendDirect(services: ShhServices, peer: PeerId, envelope: Envelope) {
  try {
    const { hash } = await services.direct!.send(peer, envelope);
    return toHex(hash);
  } catch (error) {
    throw refused(`not sent over the direct channel: ${(error as Error).message}`);
  }
}

/**
 * hush_post's sealing: the message object of shh_post (argument `index`), checked as shh_post
 * checks it but for the network's minimum PoW (a direct channel needs none: powTarget and
 * powTime default to 0), and sealed.
 */
export function directPost(
  services: ShhServices,
): (value: unknown, index: number, context: CallContext) => Promise<Envelope> {
  return async (value, index, context) => {
    const post = readPost(value, index);
    if (post.targetPeer)
      throw new RpcError(-32602, `invalid argument ${index}: targetPeer has no use here`);
    const keys = await postKeys(services, post);
    return sealPost(services, post, keys, context, {
      maxEnvelopeSize: services.gossip.engine.settings().maxMessageSize,
    });
  };
}

/** What an inbox's descriptor asks of a deposit (specs/inbox-dht/SPEC.md §4.3, §5.1). */
export interface InboxSealRules {
  /** The 65-byte secp256k1 public key deposits are sealed to. */
  readonly encryptionKey: Uint8Array;
  /** The least PoW a deposit carries. */
  readonly minPow: number;
  /** The largest deposit, Whisper size (20 + data bytes). */
  readonly maxSize: number;
  /** The longest TTL, seconds. */
  readonly maxTtl: number;
}

/** TTL of a deposit whose message gives none, seconds (within the descriptor's maximum). */
export const DEFAULT_INBOX_TTL = 86_400;
/** Seconds a deposit's seal may take when the message gives no powTime. */
export const DEFAULT_INBOX_POW_TIME = 20;

/**
 * hush_deposit's sealing: the message object of shh_post (argument `index`) without a key
 * (the descriptor names it: symKeyID, pubKey and targetPeer are refused), sealed exactly as
 * shh_post seals an asymmetric message to the descriptor's encryption key, with PoW at least
 * the descriptor's minimum (powTarget is raised to it), its TTL (default one day, at most the
 * descriptor's maxTtl) and size within the descriptor's caps.
 *
 * @throws RpcError -32602 for a malformed message object or a key in it; -32000 for a TTL
 *   over the descriptor's, a powTime over --max-pow-time, a seal that fails or is too large
 */
export function inboxPost(
  services: ShhServices,
): (
  value: unknown,
  index: number,
  context: CallContext,
  rules: InboxSealRules,
) => Promise<Envelope> {
  return async (value, index, context, rules) => {
    const post = readPost(value, index);
    for (const [name, given] of [
      ['symKeyID', post.symKeyID !== ''],
      ['pubKey', post.pubKey.length > 0],
      ['targetPeer', post.targetPeer !== ''],
    ] as const)
      if (given)
        throw new RpcError(
          -32602,
          `invalid argument ${index}: ${name} has no use here (the inbox's descriptor names the key)`,
        );
    const ttl = post.ttl === 0 ? Math.min(rules.maxTtl, DEFAULT_INBOX_TTL) : post.ttl;
    if (ttl > rules.maxTtl)
      throw refused(`ttl ${ttl} is over the inbox's maximum of ${rules.maxTtl} seconds`);
    const sealed: PostFields = {
      ...post,
      pubKey: rules.encryptionKey,
      ttl,
      powTarget: Math.max(post.powTarget, rules.minPow),
      powTime:
        post.powTime === 0 ? Math.min(services.maxPowTime, DEFAULT_INBOX_POW_TIME) : post.powTime,
    };
    const keys = await postKeys(services, sealed);
    return sealPost(services, sealed, keys, context, {
      maxEnvelopeSize: Math.min(rules.maxSize, services.gossip.engine.settings().maxMessageSize),
    });
  };
}

/** The shh_* methods. */
export function shhMethods(services: ShhServices): Record<string, Method> {
  const { gossip } = services;
  const { keys, filters, backend } = services.client;
  const subscriptions = new Map<string, string>();
  /** Messages from the direct inbox waiting for a new filter's first poll. */
  const backlogs = new Map<
    string,
    { queue: ReceivedMessage[]; hashes: Set<string>; until: number }
  >();

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
      const post = readPost(arg(params, 0), 0);
      const { symKeyID, pubKey, powTarget, targetPeer } = post;
      const keys = await postKeys(services, post);
      if (!targetPeer && powTarget < gossip.engine.settings().minPow)
        throw refused('message rejected, PoW too low');
      // A direct message to a peer that is not connected is refused before any work.
      const targetKey = targetPeer ? peerKey(targetPeer) : undefined;
      if (targetKey && !gossip.hasPeer(targetKey)) throw refused('target peer is not connected');
      // To a contact whose direct channel is in use: over that channel, not gossip.
      const contact = !targetKey && !symKeyID ? services.direct?.route(pubKey) : undefined;
      const envelope = await sealPost(services, post, keys, context, {
        // Refused before the seal, not after: a 2 MiB payload must not cost its PoW time.
        ...(targetPeer
          ? {}
          : {
              maxEnvelopeSize:
                !contact && services.postVia
                  ? Math.min(
                      services.postVia.maxEnvelopeSize,
                      gossip.engine.settings().maxMessageSize,
                    )
                  : gossip.engine.settings().maxMessageSize,
            }),
      });
      if (contact) return sendDirect(services, contact, envelope);
      if (targetKey) {
        if (!gossip.engine.sendP2PMessage(targetKey, envelope))
          throw refused('target peer is not connected');
        return toHex(envelopeHash(envelope));
      }
      let hash: Uint8Array;
      if (services.postVia) {
        try {
          return toHex(await services.postVia.send(envelope));
        } catch (error) {
          throw refused(`not sent through the mixnet: ${(error as Error).message}`);
        }
      }
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
      let id: string;
      try {
        id = filters.add(spec, services.now(), context.client);
      } catch (error) {
        throw refused((error as Error).message);
      }
      // A filter that allows p2p also gets what contacts delivered before it existed.
      if (services.direct && spec.allowP2P) {
        const now = services.now();
        for (const [other, backlog] of backlogs)
          if (now > backlog.until + BACKLOG_KEPT_MS) backlogs.delete(other);
        const queue = await services.direct.backlog(spec).catch(() => []);
        if (queue.length > 0)
          backlogs.set(id, {
            queue,
            hashes: new Set(queue.map((m) => toHex(m.envelopeHash))),
            until: now + BACKLOG_DEDUP_MS,
          });
      }
      return id;
    },

    shh_getFilterMessages: (params) => {
      const id = string(arg(params, 0), 0, 'id');
      const messages = filters.retrieve(id, services.now());
      const backlog = backlogs.get(id);
      if (!messages) {
        backlogs.delete(id);
        throw refused('filter not found');
      }
      if (!backlog) return messages.map(toRpcMessage);
      // What came live while the backlog was read is in both: delivered once.
      const live = messages.filter((m) => !backlog.hashes.has(toHex(m.envelopeHash)));
      const out = [...backlog.queue.splice(0), ...live];
      if (services.now() > backlog.until) backlogs.delete(id);
      return out.map(toRpcMessage);
    },

    shh_deleteMessageFilter: (params) => {
      const id = string(arg(params, 0), 0, 'id');
      backlogs.delete(id);
      if (!filters.remove(id)) throw refused('Unsubscribe: Invalid ID'); // geth's Whisper.Unsubscribe
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
      const send = (message: ReceivedMessage) =>
        notify('shh_subscription', { subscription: id, result: toRpcMessage(message) });
      // A subscription that allows p2p also gets what contacts delivered before it existed,
      // after its id is answered; what comes live meanwhile is sent once.
      let replaying: Set<string> | undefined =
        services.direct && spec.allowP2P ? new Set() : undefined;
      filters.listen(filterId, (message) => {
        replaying?.add(toHex(message.envelopeHash));
        send(message);
      });
      if (replaying && services.direct) {
        const backlog = services.direct.backlog(spec).catch(() => []);
        setTimeout(() => {
          void backlog.then((messages) => {
            for (const message of messages)
              if (subscriptions.has(id) && !replaying?.has(toHex(message.envelopeHash)))
                send(message);
            replaying = undefined;
          });
        }, 0);
      }
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
