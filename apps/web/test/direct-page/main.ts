/**
 * The page the direct-channel browser test drives (issue 15; specs/transport-direct §5.4,
 * §7): a gossip node in the page, a light client of the test's Node.js node, with a bloom
 * filter of its own topic only (as the app core sets one for its filters: PageDirect must add
 * the introduction topic); the IndexedDB store, sealed under a data key (as the app seals it,
 * `SealedStore`; here derived from the identity key, so that a page of the same context and
 * identity opens it again); and a PageDirect over them, WebRTC with host candidates only. It
 * exposes `hushDirect` for the test to call through playwright.
 */
import { topicToBloom } from '@hush/bloom';
import { defaultBackend, randomBytes } from '@hush/crypto';
import { createEnvelope } from '@hush/envelope';
import { createGossipNode, type GossipNode, webSocketTransport } from '@hush/transport-gossip';
import { type PageChannelState, PageDirect } from '../../src/direct.js';
import { IdbStore } from '../../src/idb-store.js';
import { SealedStore } from '../../src/sealed-store.js';

/** The topic the page's own (test) messages use, and the one its gossip bloom holds. */
const TOPIC = Uint8Array.of(0xd1, 0x4e, 0xc7, 0x15);

const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const fromHex = (hex: string) =>
  Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

function newKey(): Uint8Array {
  let key = randomBytes(32);
  while (!defaultBackend.isValidPrivateKey(key)) key = randomBytes(32);
  return key;
}

/** A channel's state in JSON (keys in hex). */
export interface ChannelJson {
  publicKey: string;
  state: PageChannelState['state'];
  pending: number;
  path: string | undefined;
  wanted: boolean;
  introduced: boolean;
}

const json = (state: PageChannelState): ChannelJson => ({
  publicKey: toHex(state.publicKey),
  state: state.state,
  pending: state.pending,
  path: state.path,
  wanted: state.wanted,
  introduced: state.introduced,
});

let gossip: GossipNode | undefined;
let store: SealedStore | undefined;
/** What `onAcknowledged` was told: contact and envelope hash, in hex. */
const acks: { publicKey: string; hash: string }[] = [];
let direct: PageDirect | undefined;
const received: { from: string; data: string }[] = [];
let reports = 0;
/** What `onEnvelope` (the EnvelopeReceiver side) was given: source and peer. */
const sources: string[] = [];
/** What PageDirect logged (warnings, and why introductions were ignored). */
const log: { message: string; fields: Record<string, unknown> }[] = [];
const logger = {
  debug: (fields: Record<string, unknown>, message: string) => log.push({ message, fields }),
  info: () => {},
  warn: (fields: Record<string, unknown>, message: string) => log.push({ message, fields }),
  error: (fields: Record<string, unknown>, message: string) => log.push({ message, fields }),
};

const api = {
  /**
   * Starts the page's gossip node (dialing `gossipAddress`, waiting for the connection), opens
   * the IndexedDB store `database` and starts PageDirect with the identity key given.
   */
  async start(
    gossipAddress: string,
    database: string,
    identityKeyHex: string,
    minPow: number,
    paths: { relay?: string; webrtcBroken?: boolean } = {},
  ) {
    // A browser whose WebRTC fails (a policy that forbids it, or a broken stack): every
    // attempt throws, so the dialer turns to the relay and the answerer is left its orders.
    if (paths.webrtcBroken)
      globalThis.RTCPeerConnection = class {
        constructor() {
          throw new DOMException('WebRTC is disabled here', 'NotSupportedError');
        }
      } as unknown as typeof RTCPeerConnection;
    const key = newKey();
    const node = createGossipNode({
      key,
      transport: webSocketTransport({ privateKey: key }),
      minPow,
      lightClient: true,
      bloomFilter: topicToBloom(TOPIC),
    });
    gossip = node;
    const connected = new Promise<void>((resolve) => node.on('peer:connected', () => resolve()));
    await node.start();
    node.connect(gossipAddress);
    await connected;
    // The test's data key: SHA-256 of a label and the identity key, non-extractable.
    const seed = await crypto.subtle.digest(
      'SHA-256',
      new Uint8Array([...new TextEncoder().encode('test data key'), ...fromHex(identityKeyHex)]),
    );
    const dataKey = await crypto.subtle.importKey('raw', seed, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    store = new SealedStore(await IdbStore.open(database), dataKey);
    direct = new PageDirect({
      gossip: node,
      identityKey: fromHex(identityKeyHex),
      store,
      minPow,
      stun: [],
      relay: paths.relay,
      webrtc: { gatherTimeoutMs: 3000, connectTimeoutMs: 15_000, checkDelayMs: 100 },
      reconnect: { baseMs: 200, maxMs: 2000 },
      retransmit: { baseMs: 1000, maxMs: 5000 },
      onMessage: (from, envelope) =>
        received.push({ from: toHex(from), data: new TextDecoder().decode(envelope.data) }),
      onChannels: () => {
        reports++;
      },
      onAcknowledged: (publicKey, hash) =>
        acks.push({ publicKey: toHex(publicKey), hash: toHex(hash) }),
      logger,
    });
    // As a HushClient attaches it: the same envelopes, with their source.
    direct.onEnvelope(({ source, peer }) => sources.push(`${source} ${peer}`));
    await direct.start();
    return { publicKey: toHex(direct.publicKey), gossipId: node.id };
  },

  async addContact(publicKeyHex: string) {
    await direct!.addContact(fromHex(publicKeyHex), 'test contact');
    return direct!.contacts().map(toHex);
  },

  /** What each call refuses with: `{ name, code }` of the error, or 'ok'. */
  async refusals(strangerHex: string) {
    const outcome = async (attempt: () => Promise<unknown>) => {
      try {
        await attempt();
        return 'ok';
      } catch (error) {
        const { name, code } = error as { name: string; code?: string };
        return { name, code };
      }
    };
    const envelope = createEnvelope({ expiry: 1, ttl: 1, topic: TOPIC, data: new Uint8Array(0) });
    return {
      ownKey: await outcome(() => direct!.addContact(direct!.publicKey)),
      notAKey: await outcome(() => direct!.addContact(new Uint8Array(65))),
      sendToStranger: await outcome(() => direct!.send(fromHex(strangerHex), envelope)),
      openStranger: await outcome(() => direct!.open(fromHex(strangerHex))),
    };
  },

  log() {
    return log.map(({ message, fields }) => ({ message, because: fields.because }));
  },

  async open(publicKeyHex: string) {
    return json(await direct!.open(fromHex(publicKeyHex)));
  },

  async send(publicKeyHex: string, text: string) {
    const now = Math.floor(Date.now() / 1000);
    const envelope = createEnvelope({
      expiry: now + 300,
      ttl: 300,
      topic: TOPIC,
      data: new TextEncoder().encode(text),
      nonce: 1n,
    });
    const result = await direct!.send(fromHex(publicKeyHex), envelope);
    return { accepted: result.accepted, hash: toHex(result.hash) };
  },

  received() {
    return received;
  },

  /** Every acknowledgement `onAcknowledged` was told of. */
  acks() {
    return acks;
  },

  /** Whether the contact acknowledged the message of that envelope hash (the store's record). */
  acknowledged(publicKeyHex: string, hashHex: string) {
    return direct!.acknowledged(fromHex(publicKeyHex), fromHex(hashHex));
  },

  /**
   * What the database itself holds, read past the sealing: the keys whose values contain any
   * of `texts` as UTF-8, and the size of the kept static key.
   */
  async raw(database: string, texts: string[]) {
    const inner = await IdbStore.open(database);
    const needles = texts.map((text) => toHex(new TextEncoder().encode(text)));
    const clear: string[] = [];
    let staticKeyBytes: number | undefined;
    let entries = 0;
    for await (const [key, value] of inner.range({})) {
      entries++;
      if (key === 'direct/static-key') staticKeyBytes = value.length;
      const hex = toHex(value);
      if (needles.some((needle) => hex.includes(needle))) clear.push(key);
    }
    await inner.close();
    return { clear, staticKeyBytes, entries };
  },

  sources() {
    return sources;
  },

  channels() {
    return { states: direct!.channels().map(json), reports };
  },

  /** The gossip node's bloom admits the introduction topic (PageDirect added it). */
  bloom() {
    const bloom = gossip!.engine.settings().bloomFilter;
    return bloom === null ? null : toHex(bloom);
  },

  async stop() {
    await direct?.stop();
    await gossip?.stop();
    await store?.close();
  },
};

/** What the page exposes, for the test's types. */
export type HushDirectPage = typeof api;

Object.assign(globalThis, { hushDirect: api, hushReady: true });
