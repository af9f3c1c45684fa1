/**
 * specs/transport-direct/SPEC.md §5 in a real browser: the page is transport-direct's browser
 * build (no Node built-ins; `#webrtc` is the native `RTCPeerConnection` of peer-web.ts), and
 * Node.js is node-datachannel. A WebRTC attempt connects them both ways round (the page offers
 * and Node answers, then Node offers and the page answers), the signals carried by playwright,
 * host candidates only, no STUN. Chromium names its host candidates by mDNS, which
 * libdatachannel cannot resolve: it learns the browser's address from the browser's checks
 * (peer-reflexive), so the path is this machine's own interface address, not 127.0.0.1
 * (Chromium gathers no loopback candidates). Over each data channel the `hush-direct/1` Noise
 * link completes (IK one way, XX the other) and frames cross byte-exact both ways, up to the
 * frame limit, cut into §5.3 fragments of 65,535 bytes. A page that outruns Chromium's 16 MiB
 * send queue has its channel closed, not a throw and a frame cut short. Then a DirectNode in
 * the page, signalling through an exposed function, delivers a message to a DirectNode in Node
 * and has it acknowledged, and gets one back.
 */
import { fileURLToPath } from 'node:url';
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { createEnvelope } from '@hush/envelope';
import {
  type Connection,
  MemoryStore,
  peerIdFromPublicKey,
  type RawChannel,
} from '@hush/interface';
import { type BrowserPage, openBuiltPage } from '@hush/test-support/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
} from '../src/index.js';
import { FRAME_SIZES, fromHex, patternFrame, sameBytes, seedOf, toHex } from './browser/frames.js';
import type { HushDirectPage } from './browser/main.js';

const WEBRTC = { gatherTimeoutMs: 3000, connectTimeoutMs: 15_000, checkDelayMs: 100 };

/** The §5.3 fragment payload when both sides allow more than 64 KiB. */
const FRAGMENT = 65_535;
/** Data channel messages one frame of `size` bytes takes: Noise seals 65,519-byte chunks. */
const fragments = (size: number) => {
  const sealed = size + 16 * Math.max(1, Math.ceil(size / 65_519));
  return Math.ceil(sealed / FRAGMENT);
};

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function newKey(): Uint8Array {
  let key: Uint8Array;
  do key = randomBytes(32);
  while (key[0] === 0);
  return key;
}

const identity = secp256k1Identity(newKey());
const staticKey = randomBytes(32);
const verifier = secp256k1Verifier();

describe('@hush/transport-direct in Chromium (WebRTC to node-datachannel)', () => {
  let browser: BrowserPage;
  let pageKey: Uint8Array;
  const encrypter = () =>
    directLinkEncrypter({
      identity,
      verifier,
      staticKey,
      isContact: (key) => sameBytes(key, pageKey),
    });

  /** Calls the page's `hushDirect[name](...args)`. */
  function call<K extends keyof HushDirectPage>(
    name: K,
    ...args: Parameters<HushDirectPage[K]>
  ): Promise<Awaited<ReturnType<HushDirectPage[K]>>> {
    return browser.page.evaluate(
      ([n, a]) =>
        (globalThis as unknown as { hushDirect: Record<string, (...x: unknown[]) => unknown> })
          .hushDirect[n]!(...a),
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<HushDirectPage[K]>>>;
  }

  beforeAll(async () => {
    browser = await openBuiltPage(fileURLToPath(new URL('./browser', import.meta.url)));
    pageKey = fromHex((await call('keys')).publicKey);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  /**
   * Node sends its frames, and checks the page's echo of each; then the page sends its own,
   * and Node checks them. Every frame byte for byte, in order.
   */
  async function exchange(connection: Connection): Promise<void> {
    const frames: Uint8Array[] = [];
    connection.onFrame((frame) => frames.push(frame.slice()));
    let closed: string | undefined;
    connection.onClose((reason, detail) => {
      closed = `${reason}: ${detail}`;
    });
    const n = FRAME_SIZES.length;
    FRAME_SIZES.forEach((size, i) => {
      connection.send(patternFrame(seedOf('node', i), size));
    });
    await waitFor(() => frames.length >= n || closed !== undefined, "the page's echoes");
    expect(closed).toBeUndefined();
    const report = await call('report');
    expect(report).toEqual({ frames: n, mismatches: [], closed: undefined });
    FRAME_SIZES.forEach((size, i) => {
      expect([i, size, sameBytes(frames[i]!, patternFrame(seedOf('node', i), size))]).toEqual([
        i,
        size,
        true,
      ]);
    });
    // The page's native data channel carried its frames as §5.3 fragments of 65,535 bytes
    // (Chromium and libdatachannel both allow 256 KiB messages), one header byte each.
    const sent = await call('sendFrames');
    expect(sent.sent).toHaveLength(n);
    expect(sent.largest).toBe(1 + FRAGMENT);
    expect(sent.messages).toBe(FRAME_SIZES.reduce((sum, size) => sum + fragments(size), 0));
    await waitFor(() => frames.length >= 2 * n || closed !== undefined, "the page's frames");
    expect(closed).toBeUndefined();
    expect(frames.length).toBe(2 * n);
    FRAME_SIZES.forEach((size, i) => {
      expect([i, size, sameBytes(frames[n + i]!, patternFrame(seedOf('page', i), size))]).toEqual([
        i,
        size,
        true,
      ]);
    });
  }

  /** The page offers, Node answers; the page dials Node's link by IK, Node accepts. */
  async function pageOffers(): Promise<Connection> {
    const offer = decodeSignal(fromHex(await call('offer')));
    expect(offer.kind).toBe('offer');
    // The browser's host candidates only (Chromium names them by mDNS): no STUN, no relay.
    expect(offer.sdp).toMatch(/a=candidate:\S+ \d+ udp \d+ \S+ \d+ typ host/i);
    expect(offer.sdp).not.toMatch(/typ (srflx|prflx|relay)/);
    const answer = await answerWebRtcOffer(offer, WEBRTC);
    await call('accept', toHex(encodeSignal(answer.signal)));
    answer.sent();
    const raw: RawChannel = await answer.channel;
    const [atPage, connection] = await Promise.all([
      call('secure', 'outbound', toHex(identity.publicKey), toHex(encrypter().staticKey)),
      encrypter().secureInbound(raw),
    ]);
    expect(atPage).toMatchObject({ remotePeer: identity.peerId, outbound: true });
    expect(connection.remotePeer).toBe(peerIdFromPublicKey(pageKey));
    return connection;
  }

  it('the page offers, Node answers: the direct link (IK) over the data channel, frames both ways', async () => {
    const connection = await pageOffers();
    await exchange(connection);
    // Node closes: the page's data channel, and its link, see it end.
    connection.close();
    await waitFor(async () => (await call('report')).closed !== undefined, 'the close at the page');
    await call('closeLink');
  });

  it('Node offers, the page answers: the direct link (XX) over the data channel, frames both ways', async () => {
    const offer = await createWebRtcOffer(WEBRTC);
    const answer = decodeSignal(fromHex(await call('answer', toHex(encodeSignal(offer.signal)))));
    expect(answer.kind).toBe('answer');
    const raw = await offer.accept(answer);
    const [atPage, connection] = await Promise.all([
      call('secure', 'inbound', toHex(identity.publicKey), ''),
      encrypter().secureOutbound(raw, { remotePeer: peerIdFromPublicKey(pageKey) }),
    ]);
    expect(atPage).toMatchObject({ remotePeer: identity.peerId, outbound: false });
    expect(connection.remotePeer).toBe(peerIdFromPublicKey(pageKey));
    await exchange(connection);
    // The page closes: Node's data channel, and its link, see it end.
    let nodeClosed: string | undefined;
    connection.onClose((reason) => {
      nodeClosed = reason;
    });
    await call('closeLink');
    await waitFor(() => nodeClosed !== undefined, 'the close at Node');
  });

  it("a page that outruns the browser's send queue closes the channel: no throw, no cut frame", async () => {
    const connection = await pageOffers();
    const frames: Uint8Array[] = [];
    connection.onFrame((frame) => frames.push(frame));
    let nodeClosed: string | undefined;
    connection.onClose((reason) => {
      nodeClosed = reason;
    });
    const flood = await call('flood', 40);
    expect(flood.threw).toBeUndefined();
    expect(flood.closed).toBeDefined();
    // Past the link's high-water mark (4 MiB) sends say "hold back", and the link ended before
    // 40 MiB were queued: at Chromium's 16 MiB.
    expect(flood.results.slice(0, 3)).toEqual([true, true, true]);
    expect(flood.results.length).toBeLessThan(40);
    await waitFor(() => nodeClosed !== undefined, 'the close at Node');
    expect(frames.length).toBeLessThanOrEqual(flood.results.length);
    frames.forEach((frame, i) => {
      expect([i, sameBytes(frame, patternFrame(seedOf('page', 100 + i), 1024 * 1024))]).toEqual([
        i,
        true,
      ]);
    });
    await call('closeLink');
  });

  it("a DirectNode in the page delivers to one in Node, acknowledged, and gets Node's reply", async () => {
    const store = new MemoryStore();
    const contacts = new ContactBook(store);
    await contacts.load();
    await contacts.add(pageKey, 'page', Math.floor(Date.now() / 1000));
    let onSignal: ((from: Uint8Array, signal: Uint8Array) => void) | undefined;
    await browser.page.exposeFunction('hushSignalToNode', (hex: string) => {
      onSignal?.(pageKey, fromHex(hex));
    });
    const kinds: string[] = [];
    const signalling: Signalling = {
      async send(_to, signal) {
        kinds.push(decodeSignal(signal).kind);
        await call('signal', toHex(signal));
      },
      onSignal(handler) {
        onSignal = (from, signal) => {
          kinds.push(decodeSignal(signal).kind);
          handler(from, signal);
        };
      },
    };
    const connector = new DirectConnector(signalling, { webSocket: false, webrtc: WEBRTC });
    const node = await DirectNode.open({
      store,
      contacts,
      localPeer: identity.peerId,
      reconnect: { baseMs: 200, maxMs: 2000 },
      retransmit: { baseMs: 1000, maxMs: 5000 },
    });
    const paths: string[] = [];
    connector.onChannel((_from, { channel, path }) => {
      paths.push(path);
      encrypter()
        .secureInbound(channel)
        .then(
          (connection) => node.attach(connection),
          () => {},
        );
    });
    const received: string[] = [];
    node.onEnvelope(({ envelope, peer }) => {
      expect(peer).toBe(peerIdFromPublicKey(pageKey));
      received.push(toHex(envelope.data));
    });
    try {
      const { peerId } = await call(
        'startDirect',
        toHex(identity.publicKey),
        toHex(encrypter().staticKey),
      );
      expect(peerId).toBe(peerIdFromPublicKey(pageKey));
      const data = toHex(randomBytes(3000));
      const sent = await call('directSend', data);
      expect(sent).toMatchObject({ accepted: true, state: 'open', outbound: true });
      await waitFor(() => received.length === 1, 'the message at Node');
      expect(received).toEqual([data]);
      expect(paths).toEqual(['webrtc']);
      expect(kinds).toEqual(['offer', 'answer']);

      const reply = randomBytes(70_000);
      const result = await node.send(
        peerId,
        createEnvelope({
          expiry: Math.floor(Date.now() / 1000) + 300,
          ttl: 300,
          topic: Uint8Array.of(0xd1, 0x4e, 0xc7, 0x02),
          data: reply,
          nonce: 2n,
        }),
      );
      expect(result.accepted).toBe(true);
      await waitFor(() => node.pending(peerId) === 0, "the page's acknowledgement");
      expect(await call('directReceived')).toEqual([toHex(reply)]);
      expect(node.channel(peerId)).toMatchObject({ state: 'open', outbound: false });
    } finally {
      await call('stopDirect');
      connector.close();
      await node.close();
    }
  });
});
