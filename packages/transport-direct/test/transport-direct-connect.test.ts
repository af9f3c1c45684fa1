/**
 * specs/transport-direct/SPEC.md §5.4: DirectConnector, in one process. The contact's
 * WebSocket endpoint when it has one; else WebRTC on loopback (one offer, one answer over an
 * in-memory signalling pair); a second offer after a fast failure, none after a timeout; the
 * relay when WebRTC is disabled or fails (the answerer joins on the relay order); typed
 * errors when there is no answer and no relay, and after close.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { randomBytes } from '@hush/crypto';
import type { Carrier, RawChannel } from '@hush/interface';
import { waitFor } from '@hush/interface-compliance';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Connected,
  DirectConnector,
  DirectError,
  decodeSignal,
  encodeSignal,
  type Introduction,
  RelayServer,
  type ServedRelay,
  type Signalling,
  serveRelay,
} from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const aliceKey = randomBytes(65);
const bobKey = randomBytes(65);
const introduction = (endpoints: string[] = []): Introduction => ({
  sent: Math.floor(Date.now() / 1000),
  staticKey: randomBytes(32),
  endpoints,
  signal: new Uint8Array(0),
});

/** What a signalling side may do to what it carries: pass it, change it, or drop it (undefined). */
type Tamper = (signal: Uint8Array) => Uint8Array | undefined;

/** Two in-memory signalling ends: alice's and bob's, each sending to the other. */
function signallingPair(
  toBob: Tamper = (s) => s,
  toAlice: Tamper = (s) => s,
): [Signalling, Signalling, { kinds: string[] }] {
  const handlers: ((from: Uint8Array, signal: Uint8Array) => void)[] = [];
  const seen = { kinds: [] as string[] };
  const end = (me: number, from: Uint8Array, tamper: Tamper): Signalling => ({
    async send(_to, signal) {
      seen.kinds.push(decodeSignal(signal).kind);
      const out = tamper(signal);
      if (out) setTimeout(() => handlers[1 - me]?.(from, out), 5);
    },
    onSignal(handler) {
      handlers[me] = handler;
    },
  });
  return [end(0, aliceKey, toBob), end(1, bobKey, toAlice), seen];
}

/** Rewrites the SDP of every answer. */
const answerSdp =
  (rewrite: (sdp: string) => string): Tamper =>
  (bytes) => {
    const signal = decodeSignal(bytes);
    return signal.kind === 'answer' ? encodeSignal({ ...signal, sdp: rewrite(signal.sdp) }) : bytes;
  };

async function servedRelay() {
  const server = new RelayServer();
  const served: ServedRelay = await serveRelay(server, {});
  cleanups.push(() => served.close());
  return { server, url: served.url };
}

function connectors(
  signalling: [Signalling, Signalling],
  options: ConstructorParameters<typeof DirectConnector>[1] = {},
) {
  const webrtc = { checkDelayMs: 50, connectTimeoutMs: 5000, gatherTimeoutMs: 1000 };
  const alice = new DirectConnector(signalling[0], { webSocket: false, webrtc, ...options });
  const bob = new DirectConnector(signalling[1], { webSocket: false, webrtc, ...options });
  const atBob: Connected[] = [];
  bob.onChannel((from, connected) => {
    expect(from).toEqual(aliceKey);
    atBob.push(connected);
  });
  cleanups.push(() => {
    alice.close();
    bob.close();
  });
  return { alice, bob, atBob };
}

/** Sends one message each way and checks both arrive. */
async function exchange(a: RawChannel, b: RawChannel): Promise<void> {
  const atA: Uint8Array[] = [];
  const atB: Uint8Array[] = [];
  a.onMessage((m) => atA.push(m.slice()));
  b.onMessage((m) => atB.push(m.slice()));
  a.send(Uint8Array.of(1, 2, 3));
  b.send(Uint8Array.of(4));
  await waitFor(() => atA.length === 1 && atB.length === 1, 'a message each way');
  expect(atB[0]).toEqual(Uint8Array.of(1, 2, 3));
  expect(atA[0]).toEqual(Uint8Array.of(4));
}

const own = (connected: Connected) => {
  cleanups.push(() => connected.channel.close());
  return connected;
};

describe('DirectConnector (SPEC §5.4)', () => {
  it("dials the contact's WebSocket endpoint first, and sends no signal", async () => {
    const server: Carrier = webSocketCarrier();
    const accepted: RawChannel[] = [];
    await server.listen((channel) => accepted.push(channel));
    cleanups.push(() => server.close());
    const [a, b, seen] = signallingPair();
    const { alice } = connectors([a, b], { webSocket: webSocketCarrier() });
    const connected = own(
      await alice.connect(bobKey, introduction(['ws://127.0.0.1:1', ...server.addresses])),
    );
    expect([connected.path, connected.webrtcAttempts]).toEqual(['websocket', 0]);
    await waitFor(() => accepted.length === 1, 'the inbound channel');
    await exchange(connected.channel, accepted[0]!);
    expect(seen.kinds).toEqual([]);
  });

  it('connects by WebRTC on loopback: one offer, one answer, a channel on both sides', async () => {
    const [a, b, seen] = signallingPair();
    const { alice, atBob } = connectors([a, b]);
    const connected = own(await alice.connect(bobKey, introduction()));
    expect([connected.path, connected.webrtcAttempts]).toEqual(['webrtc', 1]);
    await waitFor(() => atBob.length === 1, "bob's channel");
    expect([atBob[0]!.path, atBob[0]!.webrtcAttempts]).toEqual(['webrtc', 1]);
    own(atBob[0]!);
    await exchange(connected.channel, atBob[0]!.channel);
    expect(seen.kinds).toEqual(['offer', 'answer']);
  });

  it('goes through the relay when WebRTC is disabled: a relay order, both sides joined', async () => {
    const { url, server } = await servedRelay();
    const [a, b, seen] = signallingPair();
    const { alice, atBob } = connectors([a, b], { webrtc: false, relay: url });
    const connected = own(await alice.connect(bobKey, introduction()));
    expect([connected.path, connected.webrtcAttempts]).toEqual(['relay', 0]);
    await waitFor(() => atBob.length === 1, "bob's channel");
    expect(atBob[0]!.path).toBe('relay');
    own(atBob[0]!);
    await exchange(connected.channel, atBob[0]!.channel);
    expect(seen.kinds).toEqual(['relay']);
    expect(server.pairCount).toBe(1);
  });

  it('makes a second offer after a fast failure, then falls back to the relay', async () => {
    const { url } = await servedRelay();
    // A wrong fingerprint in every answer: DTLS fails at once ('ice-failed').
    const wrongFingerprint = answerSdp((sdp) =>
      sdp.replace(/a=fingerprint:sha-256 \S+/, `a=fingerprint:sha-256 ${'AB:'.repeat(31)}AB`),
    );
    const [a, b, seen] = signallingPair((s) => s, wrongFingerprint);
    const { alice, atBob } = connectors([a, b], { relay: url });
    const connected = own(await alice.connect(bobKey, introduction()));
    expect([connected.path, connected.webrtcAttempts]).toEqual(['relay', 2]);
    expect(seen.kinds).toEqual(['offer', 'answer', 'offer', 'answer', 'relay']);
    await waitFor(() => atBob.length === 1, "bob's channel");
    expect(atBob[0]!.path).toBe('relay');
    own(atBob[0]!);
    await exchange(connected.channel, atBob[0]!.channel);
  });

  it('makes no second offer after a timeout: the relay at once', async () => {
    const { url } = await servedRelay();
    // A wrong ICE password in every answer: no check ever succeeds ('ice-timeout').
    const wrongPassword = answerSdp((sdp) =>
      sdp.replace(/a=ice-pwd:\S+/, 'a=ice-pwd:0000000000000000000000'),
    );
    const [a, b, seen] = signallingPair((s) => s, wrongPassword);
    const { alice, atBob } = connectors([a, b], {
      relay: url,
      webrtc: { checkDelayMs: 0, connectTimeoutMs: 1500, gatherTimeoutMs: 1000 },
    });
    const connected = own(await alice.connect(bobKey, introduction()));
    expect([connected.path, connected.webrtcAttempts]).toEqual(['relay', 1]);
    expect(seen.kinds).toEqual(['offer', 'answer', 'relay']);
    await waitFor(() => atBob.length === 1, "bob's channel");
    own(atBob[0]!);
    await exchange(connected.channel, atBob[0]!.channel);
  });

  it("fails typed when the answer never comes and there is no relay; 'closed' after close", async () => {
    const [a, b] = signallingPair(() => undefined);
    const { alice } = connectors([a, b], { answerTimeoutMs: 300 });
    const error = await alice.connect(bobKey, introduction()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectError);
    expect((error as DirectError).code).toBe('no-path');
    const causes = (error as DirectError).cause as unknown[];
    expect(causes).toHaveLength(1);
    expect(causes[0]).toBeInstanceOf(DirectError);
    expect((causes[0] as DirectError).code).toBe('signal-timeout');
    alice.close();
    await expect(alice.connect(bobKey, introduction())).rejects.toSatisfy(
      (e: unknown) => e instanceof DirectError && e.code === 'closed',
    );
  });

  it('refuses bad options', () => {
    const [a] = signallingPair();
    expect(() => new DirectConnector(a, { answerTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new DirectConnector(a, { webrtcAttempts: 0 })).toThrow(RangeError);
    expect(() => new DirectConnector(a, { relay: 'http://relay' })).toThrow(TypeError);
  });
});
