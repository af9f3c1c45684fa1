/**
 * The page the browser test drives: the browser's side of a direct channel, on the native
 * `RTCPeerConnection` (transport-direct's `#webrtc` browser path). It offers or answers a
 * WebRTC attempt whose signals the test carries to and from Node.js, runs the `hush-direct/1`
 * Noise link over the data channel, checks and echoes Node's frames and sends its own; and it
 * runs a DirectNode whose connector signals through a function the test exposes.
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { createEnvelope } from '@hush/envelope';
import {
  type Connection,
  MemoryStore,
  type PeerId,
  peerIdFromPublicKey,
  type RawChannel,
} from '@hush/interface';
import {
  answerWebRtcOffer,
  ContactBook,
  createWebRtcOffer,
  DirectConnector,
  DirectNode,
  decodeSignal,
  directLinkEncrypter,
  encodeSignal,
  type Signalling,
  type WebRtcOffer,
} from '../../src/index.js';
import { FRAME_SIZES, fromHex, patternFrame, sameBytes, seedOf, toHex } from './frames.js';

/** Host candidates only (no STUN); the answerer's held-back checks kept short. */
const WEBRTC = { gatherTimeoutMs: 3000, connectTimeoutMs: 15_000, checkDelayMs: 100 };

function newKey(): Uint8Array {
  let key: Uint8Array;
  do key = randomBytes(32);
  while (key[0] === 0);
  return key;
}

/**
 * What the page's data channels were given to send: every message, and the largest, so the
 * test sees the native channel (peer-web.ts) carry §5.3 fragments and none over 1 + 65,535.
 */
const dataChannelSends = { messages: 0, largest: 0 };
const nativeSend = RTCDataChannel.prototype.send;
RTCDataChannel.prototype.send = function send(this: RTCDataChannel, data: never) {
  dataChannelSends.messages++;
  dataChannelSends.largest = Math.max(dataChannelSends.largest, (data as Uint8Array).byteLength);
  return nativeSend.call(this, data);
};

const identity = secp256k1Identity(newKey());
const staticKey = randomBytes(32);
const verifier = secp256k1Verifier();

/** An encrypter whose only contact is `nodeKey`. */
const encrypterFor = (nodeKey: Uint8Array) =>
  directLinkEncrypter({
    identity,
    verifier,
    staticKey,
    isContact: (key) => sameBytes(key, nodeKey),
  });

/** The channel of one attempt at a time, and its link. */
let offer: WebRtcOffer | undefined;
let raw: Promise<RawChannel> | undefined;
let link: Connection | undefined;
const seen = { frames: 0, mismatches: [] as number[], closed: undefined as string | undefined };

/** The page's DirectNode, once started. */
let direct:
  | {
      node: DirectNode;
      connector: DirectConnector;
      deliver(bytes: Uint8Array): void;
      received: string[];
      nodePeer: PeerId;
    }
  | undefined;

const api = {
  /** The page's 65-byte identity key and its link's static public key. */
  keys() {
    return {
      publicKey: toHex(identity.publicKey),
      staticKey: toHex(encrypterFor(new Uint8Array(0)).staticKey),
    };
  },

  /** Makes an offer; resolves with the encoded signal. */
  async offer(): Promise<string> {
    offer = await createWebRtcOffer(WEBRTC);
    return toHex(encodeSignal(offer.signal));
  },

  /** Takes Node's answer to the offer; the channel follows. */
  accept(answerHex: string): void {
    raw = offer!.accept(decodeSignal(fromHex(answerHex)));
    raw.catch(() => {});
  },

  /** Answers Node's offer; resolves with the encoded answer (counted as sent). */
  async answer(offerHex: string): Promise<string> {
    const attempt = await answerWebRtcOffer(decodeSignal(fromHex(offerHex)), WEBRTC);
    raw = attempt.channel;
    raw.catch(() => {});
    attempt.sent();
    return toHex(encodeSignal(attempt.signal));
  },

  /**
   * Runs the direct link over the open channel: dialing Node by IK when `role` is outbound
   * (with Node's static key), accepting it otherwise. Node's frames are checked against the
   * pattern and echoed back.
   */
  async secure(role: 'outbound' | 'inbound', nodeKeyHex: string, nodeStaticHex: string) {
    const channel = await raw!;
    const nodeKey = fromHex(nodeKeyHex);
    const encrypter = encrypterFor(nodeKey);
    link =
      role === 'outbound'
        ? await encrypter.secureOutbound(channel, {
            remoteStaticKey: fromHex(nodeStaticHex),
            remotePeer: peerIdFromPublicKey(nodeKey),
          })
        : await encrypter.secureInbound(channel);
    seen.frames = 0;
    seen.mismatches = [];
    seen.closed = undefined;
    const connection = link;
    connection.onFrame((frame) => {
      const index = seen.frames++;
      const expected = patternFrame(seedOf('node', index), FRAME_SIZES[index] ?? -1);
      if (!sameBytes(frame, expected)) seen.mismatches.push(index);
      connection.send(frame);
    });
    connection.onClose((reason, detail) => {
      seen.closed = `${reason}${detail ? `: ${detail}` : ''}`;
    });
    return {
      remotePeer: connection.remotePeer,
      remoteAddress: connection.remoteAddress,
      outbound: connection.outbound,
    };
  },

  /**
   * Sends the page's frames; resolves with what `send` returned for each, and how many data
   * channel messages they took (the largest among them too).
   */
  sendFrames() {
    const before = dataChannelSends.messages;
    dataChannelSends.largest = 0;
    const sent = FRAME_SIZES.map((size, i) => link!.send(patternFrame(seedOf('page', i), size)));
    return {
      sent,
      messages: dataChannelSends.messages - before,
      largest: dataChannelSends.largest,
    };
  },

  /** Node's frames so far: how many, which did not match, and whether the link closed. */
  report() {
    return { ...seen, mismatches: [...seen.mismatches] };
  },

  /**
   * Sends `count` frames of 1 MiB as fast as it can, past what the browser's send queue holds
   * (16 MiB in Chromium): what each `send` returned, whether one threw, and how the link ended.
   */
  flood(count: number) {
    const results: boolean[] = [];
    let threw: string | undefined;
    for (let i = 0; i < count && seen.closed === undefined; i++) {
      try {
        results.push(link!.send(patternFrame(seedOf('page', 100 + i), 1024 * 1024)));
      } catch (error) {
        threw = String(error);
        break;
      }
    }
    return { results, threw, closed: seen.closed };
  },

  /** Closes the link (and its data channel). */
  closeLink(): void {
    link?.close();
    link = undefined;
    raw = undefined;
    offer = undefined;
  },

  /**
   * Starts a DirectNode whose only contact is Node's: it dials by its DirectConnector (WebRTC
   * only), the signals going out through the exposed `hushSignalToNode` and coming in by
   * `signal`, and it accepts what Node dials the same way.
   */
  async startDirect(nodeKeyHex: string, nodeStaticHex: string) {
    const nodeKey = fromHex(nodeKeyHex);
    const nodeStatic = fromHex(nodeStaticHex);
    const store = new MemoryStore();
    const contacts = new ContactBook(store);
    await contacts.load();
    await contacts.add(nodeKey, 'node', Math.floor(Date.now() / 1000));
    const encrypter = encrypterFor(nodeKey);
    let onSignal: ((from: Uint8Array, signal: Uint8Array) => void) | undefined;
    const toNode = (globalThis as unknown as { hushSignalToNode(hex: string): Promise<void> })
      .hushSignalToNode;
    const signalling: Signalling = {
      send: (_to, signal) => toNode(toHex(signal)),
      onSignal(handler) {
        onSignal = handler;
      },
    };
    const connector = new DirectConnector(signalling, { webSocket: false, webrtc: WEBRTC });
    const node = await DirectNode.open({
      store,
      contacts,
      localPeer: identity.peerId,
      reconnect: { baseMs: 200, maxMs: 2000 },
      retransmit: { baseMs: 1000, maxMs: 5000 },
      dial: async (contact, options) => {
        const { channel } = await connector.connect(contact.publicKey, {
          sent: Math.floor(Date.now() / 1000),
          staticKey: nodeStatic,
          endpoints: [],
          signal: new Uint8Array(0),
        });
        return encrypter.secureOutbound(channel, {
          remoteStaticKey: nodeStatic,
          remotePeer: contact.peerId,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      },
    });
    connector.onChannel((_from, { channel }) => {
      encrypter.secureInbound(channel).then(
        (connection) => node.attach(connection),
        () => {},
      );
    });
    const received: string[] = [];
    node.onEnvelope(({ envelope }) => received.push(toHex(envelope.data)));
    direct = {
      node,
      connector,
      deliver: (bytes) => onSignal?.(nodeKey, bytes),
      received,
      nodePeer: peerIdFromPublicKey(nodeKey),
    };
    return { peerId: identity.peerId };
  },

  /** A signal from Node, for the page's connector. */
  signal(hex: string): void {
    direct!.deliver(fromHex(hex));
  },

  /** Sends `dataHex` to Node and resolves once Node has acknowledged it (nothing pending). */
  async directSend(dataHex: string) {
    const { node, nodePeer } = direct!;
    const result = await node.send(
      nodePeer,
      createEnvelope({
        expiry: Math.floor(Date.now() / 1000) + 300,
        ttl: 300,
        topic: Uint8Array.of(0xd1, 0x4e, 0xc7, 0x01),
        data: fromHex(dataHex),
        nonce: 1n,
      }),
    );
    while (node.pending(nodePeer) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const channel = node.channel(nodePeer);
    return {
      accepted: result.accepted,
      hash: toHex(result.hash),
      state: channel.state,
      outbound: channel.outbound,
    };
  },

  /** The data of the envelopes Node delivered to the page's DirectNode. */
  directReceived(): string[] {
    return [...direct!.received];
  },

  async stopDirect(): Promise<void> {
    direct?.connector.close();
    await direct?.node.close();
    direct = undefined;
  },
};

export type HushDirectPage = typeof api;

Object.assign(globalThis, { hushDirect: api, hushReady: true });
