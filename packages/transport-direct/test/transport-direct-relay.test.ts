/**
 * specs/transport-direct/SPEC.md §6: the relay. Two clients that present the same token are
 * paired and their messages piped untouched (the direct Noise link runs through it); the relay
 * client runs the carrier compliance suite (through a carrier that rendezvouses by token);
 * hostile clients (garbage joins, a third client on a paired token, early frames, oversize
 * frames, floods, early closes, too many waiting) are refused cleanly and counted.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import {
  type Carrier,
  ManualClock,
  MemoryMetrics,
  type RawChannel,
  TransportError,
} from '@hush/interface';
import { carrierCompliance, waitFor } from '@hush/interface-compliance';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DirectError,
  directLinkEncrypter,
  RelayServer,
  relayChannel,
  type ServedRelay,
  serveRelay,
} from '../src/index.js';
import { decodeAnswer, encodeJoin, encodePaired } from '../src/relay/protocol.js';

const served: ServedRelay[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

async function relay(options: ConstructorParameters<typeof RelayServer>[0] = {}) {
  const metrics = new MemoryMetrics();
  const server = new RelayServer({ metrics, ...options });
  const s = await serveRelay(server, {});
  served.push(s);
  return { server, url: s.url, metrics };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A carrier over one relay: listen joins with a fresh token, the address carries it. */
function relayCarrier(url: string): Carrier {
  let address: string | undefined;
  let closed = false;
  return {
    get addresses() {
      return address ? [address] : [];
    },
    async listen(onChannel) {
      const token = randomBytes(32);
      address = `${url}#${hex(token)}`;
      relayChannel(url, token).then(onChannel, () => {});
    },
    async dial(to, options = {}) {
      if (closed) throw new TransportError('closed', 'carrier is closed');
      options.signal?.throwIfAborted();
      const [endpoint, token] = to.split('#');
      try {
        return await relayChannel(endpoint!, Buffer.from(token!, 'hex'), {
          pairTimeoutMs: 2000,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        throw new TransportError('dial-failed', `cannot reach ${to}`, { cause: error });
      }
    },
    async close() {
      closed = true;
      address = undefined;
    },
  };
}

let shared: Awaited<ReturnType<typeof relay>> | undefined;
carrierCompliance('relay client (rendezvous by token)', {
  async create() {
    if (!shared) {
      const server = new RelayServer();
      const s = await serveRelay(server, {});
      shared = { server, url: s.url, metrics: new MemoryMetrics() };
    }
    return relayCarrier(shared.url);
  },
  unreachable: `ws://127.0.0.1:1/hush-relay/1#${'00'.repeat(32)}`,
});

/** A raw WebSocket to the relay, for hostile input. */
async function rawClient(url: string) {
  const channel = await webSocketCarrier().dial(url);
  const got: Uint8Array[] = [];
  let closed = false;
  channel.onMessage((m) => got.push(m.slice()));
  channel.onClose(() => {
    closed = true;
  });
  return {
    channel,
    got,
    isClosed: () => closed,
    refusal: () => {
      const answer = got[0] && decodeAnswer(got[0]);
      return answer && !answer.paired ? answer.reason : undefined;
    },
  };
}

describe('the relay (SPEC §6)', () => {
  it('pairs two clients by token and pipes their messages untouched, both ways', async () => {
    const { url, metrics, server } = await relay();
    const token = randomBytes(32);
    const [a, b] = await Promise.all([relayChannel(url, token), relayChannel(url, token)]);
    expect(server.pairCount).toBe(1);
    const atA: Uint8Array[] = [];
    const atB: Uint8Array[] = [];
    a.onMessage((m) => atA.push(m.slice()));
    b.onMessage((m) => atB.push(m.slice()));
    const big = new Uint8Array(700_000).map((_, i) => i % 253);
    a.send(big);
    b.send(Uint8Array.of(9, 9));
    await waitFor(() => atA.length === 1 && atB.length === 1, 'relayed messages');
    expect(atB[0]).toEqual(big);
    expect(atA[0]).toEqual(Uint8Array.of(9, 9));
    expect(metrics.value('hush_relay_pairs_total')).toBe(1);
    expect(metrics.value('hush_relay_bytes_total')).toBe(700_002);
    let closed = false;
    b.onClose(() => {
      closed = true;
    });
    a.close();
    await waitFor(() => closed, 'the close to reach the other side');
    await waitFor(() => server.pairCount === 0, 'the pair to end');
  });

  it('carries the direct Noise link; the relay sees only its frames', async () => {
    const { url } = await relay();
    const verifier = secp256k1Verifier();
    const make = () => {
      const identity = secp256k1Identity(randomBytes(32));
      return {
        identity,
        encrypter: directLinkEncrypter({
          identity,
          verifier,
          staticKey: randomBytes(32),
          isContact: () => true,
        }),
      };
    };
    const alice = make();
    const bob = make();
    const token = randomBytes(32);
    const [ra, rb] = await Promise.all([relayChannel(url, token), relayChannel(url, token)]);
    const [a, b] = await Promise.all([
      alice.encrypter.secureOutbound(ra, { remoteStaticKey: bob.encrypter.staticKey }),
      bob.encrypter.secureInbound(rb),
    ]);
    const got: Uint8Array[] = [];
    b.onFrame((f) => got.push(f.slice()));
    a.send(new TextEncoder().encode('through the relay'));
    await waitFor(() => got.length === 1, 'the frame');
    expect(new TextDecoder().decode(got[0])).toBe('through the relay');
    a.close();
    b.close();
  });

  it('refuses a garbage join, an early frame and a third client on a paired token', async () => {
    const { url, metrics } = await relay();
    const garbage = await rawClient(url);
    garbage.channel.send(Uint8Array.of(1, 2, 3));
    await waitFor(garbage.isClosed, 'the garbage client to be closed');
    expect(garbage.refusal()).toBe('malformed-join');

    const early = await rawClient(url);
    early.channel.send(encodeJoin(randomBytes(32)));
    early.channel.send(Uint8Array.of(7));
    await waitFor(early.isClosed, 'the early client to be closed');
    expect(early.refusal()).toBe('early-frame');

    const token = randomBytes(32);
    const [a, b] = await Promise.all([relayChannel(url, token), relayChannel(url, token)]);
    await expect(relayChannel(url, token)).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof DirectError && e.code === 'relay-refused' && /token-in-use/.test(e.message),
    );
    // The pair is untouched by the intruder.
    const got: Uint8Array[] = [];
    b.onMessage((m) => got.push(m));
    a.send(Uint8Array.of(5));
    await waitFor(() => got.length === 1, 'the pair to still work');
    expect(metrics.value('hush_relay_refusals_total', { reason: 'malformed-join' })).toBe(1);
    expect(metrics.value('hush_relay_refusals_total', { reason: 'early-frame' })).toBe(1);
    expect(metrics.value('hush_relay_refusals_total', { reason: 'token-in-use' })).toBe(1);
    a.close();
  });

  it('drops a pair on an oversize frame and on a flood', async () => {
    const clock = new ManualClock(1_000_000);
    const { url, metrics } = await relay({ maxFrameBytes: 1000, maxFramesPerSecond: 1, clock });
    for (const attack of ['oversize', 'flood'] as const) {
      const token = randomBytes(32);
      const [a, b] = await Promise.all([
        relayChannel(url, token, { clock }),
        relayChannel(url, token, { clock }),
      ]);
      let closed = false;
      b.onClose(() => {
        closed = true;
      });
      b.onMessage(() => {});
      if (attack === 'oversize') a.send(new Uint8Array(1001));
      else for (let i = 0; i < 10; i++) a.send(Uint8Array.of(i));
      await waitFor(() => closed, `the pair to be dropped (${attack})`);
    }
    expect(metrics.value('hush_relay_refusals_total', { reason: 'frame-too-large' })).toBe(1);
    expect(metrics.value('hush_relay_refusals_total', { reason: 'rate-limit' })).toBe(1);
  });

  it('refuses past max waiting, times a lone join out, and forgets an early close', async () => {
    const clock = new ManualClock(1_000_000);
    const { url, server, metrics } = await relay({ maxWaiting: 1, joinTimeoutMs: 5000, clock });
    const lone = relayChannel(url, randomBytes(32), { clock, pairTimeoutMs: 60_000 });
    lone.catch(() => {});
    await waitFor(() => server.waitingCount === 1, 'the lone join');
    await expect(relayChannel(url, randomBytes(32), { clock })).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof DirectError && e.code === 'relay-refused' && /busy/.test(e.message),
    );
    clock.advance(5000);
    await expect(lone).rejects.toSatisfy(
      (e: unknown) => e instanceof DirectError && /join-timeout/.test(e.message),
    );
    expect(server.waitingCount).toBe(0);
    const quitter = await rawClient(url);
    quitter.channel.send(encodeJoin(randomBytes(32)));
    await waitFor(() => server.waitingCount === 1, 'the quitter to wait');
    quitter.channel.close();
    await waitFor(() => server.waitingCount === 0, 'the quitter to be forgotten');
    expect(metrics.value('hush_relay_refusals_total', { reason: 'busy' })).toBe(1);
    expect(metrics.value('hush_relay_refusals_total', { reason: 'join-timeout' })).toBe(1);
  });

  it('refuses a pair past maxPairs with full; the pairs it has are untouched', async () => {
    const { url, server, metrics } = await relay({ maxPairs: 1 });
    const token = randomBytes(32);
    const [a, b] = await Promise.all([relayChannel(url, token), relayChannel(url, token)]);
    const second = randomBytes(32);
    const waiting = relayChannel(url, second, { pairTimeoutMs: 60_000 });
    waiting.catch(() => {});
    await waitFor(() => server.waitingCount === 1, 'the first of the second pair to wait');
    await expect(relayChannel(url, second)).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof DirectError && e.code === 'relay-refused' && /full/.test(e.message),
    );
    expect(server.pairCount).toBe(1);
    expect(metrics.value('hush_relay_refusals_total', { reason: 'full' })).toBe(1);
    const got: Uint8Array[] = [];
    b.onMessage((m) => got.push(m));
    a.send(Uint8Array.of(1));
    await waitFor(() => got.length === 1, 'the first pair to still work');
    // Once the first pair ends there is room again.
    a.close();
    await waitFor(() => server.pairCount === 0, 'the first pair to end');
    const [c] = await Promise.all([relayChannel(url, second), waiting]);
    expect(server.pairCount).toBe(1);
    c.close();
  });

  it('drops a pair whose receiver lets its backlog pass maxBacklogBytes (slow-consumer)', () => {
    const metrics = new MemoryMetrics();
    const server = new RelayServer({ metrics, maxBacklogBytes: 1000 });
    /** The relay's side of one client, its backlog set by the test. */
    const fake = () => {
      let handler: ((m: Uint8Array) => void) | undefined;
      const closeHandlers: ((detail?: string) => void)[] = [];
      const state = { backlog: 0, sent: [] as Uint8Array[], closed: false };
      const channel: RawChannel = {
        remoteAddress: 'fake',
        send: (m) => {
          state.sent.push(m);
        },
        bufferedAmount: () => state.backlog,
        onMessage: (h) => {
          handler = h;
        },
        onClose: (h) => {
          closeHandlers.push(h);
        },
        close: () => {
          if (state.closed) return;
          state.closed = true;
          for (const h of closeHandlers) h('local');
        },
      };
      return { channel, state, from: (m: Uint8Array) => handler?.(m) };
    };
    const a = fake();
    const b = fake();
    server.accept(a.channel);
    server.accept(b.channel);
    const token = randomBytes(32);
    a.from(encodeJoin(token));
    b.from(encodeJoin(token));
    expect(server.pairCount).toBe(1);
    expect(a.state.sent[0]).toEqual(encodePaired());
    // Under the limit, messages pass.
    b.state.backlog = 1000;
    a.from(Uint8Array.of(1));
    expect(b.state.sent.at(-1)).toEqual(Uint8Array.of(1));
    // Past it, the pair ends: both sides closed, counted, nothing more forwarded.
    b.state.backlog = 1001;
    a.from(Uint8Array.of(2));
    expect([a.state.closed, b.state.closed]).toEqual([true, true]);
    expect(b.state.sent.at(-1)).toEqual(Uint8Array.of(1));
    expect(server.pairCount).toBe(0);
    expect(metrics.value('hush_relay_refusals_total', { reason: 'slow-consumer' })).toBe(1);
  });

  it('fails typed when the relay cannot be reached', async () => {
    await expect(relayChannel('ws://127.0.0.1:1/hush-relay/1', randomBytes(32))).rejects.toSatisfy(
      (e: unknown) => e instanceof DirectError && e.code === 'relay-failed',
    );
    await expect(relayChannel('ws://x', new Uint8Array(3))).rejects.toThrow(RangeError);
  });
});

export type { RawChannel };
