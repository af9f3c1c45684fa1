/**
 * specs/transport-direct/SPEC.md §5: signals, the WebRTC raw channel and its attempts. Two
 * contacts in one process connect over loopback with node-datachannel; the channel runs the
 * carrier compliance suite (through a loopback signalling carrier) and the direct Noise link;
 * malformed signals are refused as DirectError; an attempt that cannot connect fails typed.
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { type Carrier, ManualClock, type RawChannel, TransportError } from '@hush/interface';
import { carrierCompliance, waitFor } from '@hush/interface-compliance';
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  answerWebRtcOffer,
  createWebRtcOffer,
  DirectError,
  decodeSignal,
  directLinkEncrypter,
  encodeSignal,
  type Signal,
} from '../src/index.js';
import { splitCandidates } from '../src/webrtc/session.js';

/** Waits for a condition, polling; the test's timeout bounds it. */
const open: RawChannel[] = [];
afterEach(() => {
  for (const channel of open.splice(0)) channel.close();
});

async function webRtcPair(): Promise<[RawChannel, RawChannel]> {
  const offer = await createWebRtcOffer();
  const answer = await answerWebRtcOffer(decodeSignal(encodeSignal(offer.signal)));
  const [dialed, accepted] = await Promise.all([
    offer.accept(decodeSignal(encodeSignal(answer.signal))),
    answer.channel,
  ]);
  open.push(dialed, accepted);
  return [dialed, accepted];
}

/** A carrier whose addresses are in-process names: dialing one runs a WebRTC attempt. */
const listeners = new Map<string, (channel: RawChannel) => void>();
let names = 0;
function loopbackWebRtcCarrier(): Carrier {
  let address: string | undefined;
  let closed = false;
  return {
    get addresses() {
      return address ? [address] : [];
    },
    async listen(onChannel) {
      address = `webrtc-loopback:${++names}`;
      listeners.set(address, onChannel);
    },
    async dial(to, options = {}) {
      if (closed) throw new TransportError('closed', 'carrier is closed');
      options.signal?.throwIfAborted();
      const accept = listeners.get(to);
      if (!accept) throw new TransportError('dial-failed', `nobody at ${to}`);
      const offer = await createWebRtcOffer();
      const answer = await answerWebRtcOffer(offer.signal);
      answer.channel.then(accept, () => {});
      return offer.accept(answer.signal);
    },
    async close() {
      closed = true;
      if (address) listeners.delete(address);
      address = undefined;
    },
  };
}

carrierCompliance('webrtc (node-datachannel, loopback signalling)', {
  create: loopbackWebRtcCarrier,
  unreachable: 'webrtc-loopback:nowhere',
});

describe('signals (SPEC §5.1)', () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const relay = fc.record({
    endpoint: fc
      .webUrl()
      .map((url) => url.replace(/^https?/, 'ws'))
      .filter((u) => u.length < 200),
    token: bytes(32),
  });
  const signal: fc.Arbitrary<Signal> = fc.oneof(
    fc.record({
      kind: fc.constant('offer' as const),
      session: bytes(16),
      sdp: fc.string({ minLength: 1 }),
      relay,
    }),
    fc.record({
      kind: fc.constant('offer' as const),
      session: bytes(16),
      sdp: fc.string({ minLength: 1 }),
    }),
    fc.record({
      kind: fc.constant('answer' as const),
      session: bytes(16),
      sdp: fc.string({ minLength: 1 }),
    }),
    fc.record({
      kind: fc.constant('relay' as const),
      session: bytes(16),
      sdp: fc.constant(''),
      relay,
    }),
  );

  it('round-trips every valid signal', () => {
    fc.assert(
      fc.property(signal, (s) => {
        expect(decodeSignal(encodeSignal(s))).toEqual(s);
      }),
    );
  });

  it('refuses malformed bytes with DirectError malformed-signal, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          decodeSignal(junk);
        } catch (error) {
          expect(error).toBeInstanceOf(DirectError);
          expect((error as DirectError).code).toBe('malformed-signal');
        }
      }),
    );
    const tag = encodeBytes(new TextEncoder().encode('hush-direct/1 signal'));
    const s16 = encodeBytes(new Uint8Array(16));
    const sdp = encodeBytes(new TextEncoder().encode('v=0'));
    const none = encodeList([]);
    const bad = {
      'kind 0': encodeList([tag, encodeUint(0), s16, sdp, none]),
      'kind 4': encodeList([tag, encodeUint(4), s16, sdp, none]),
      'short session': encodeList([tag, encodeUint(1), encodeBytes(new Uint8Array(15)), sdp, none]),
      'answer with a relay': encodeList([
        tag,
        encodeUint(2),
        s16,
        sdp,
        encodeList([
          encodeBytes(new TextEncoder().encode('ws://r')),
          encodeBytes(new Uint8Array(32)),
        ]),
      ]),
      'relay order without relay': encodeList([
        tag,
        encodeUint(3),
        s16,
        encodeBytes(new Uint8Array(0)),
        none,
      ]),
      'offer without sdp': encodeList([
        tag,
        encodeUint(1),
        s16,
        encodeBytes(new Uint8Array(0)),
        none,
      ]),
      'invalid utf-8': encodeList([
        tag,
        encodeUint(1),
        s16,
        encodeBytes(Uint8Array.of(0xff)),
        none,
      ]),
      'short token': encodeList([
        tag,
        encodeUint(1),
        s16,
        sdp,
        encodeList([
          encodeBytes(new TextEncoder().encode('ws://r')),
          encodeBytes(new Uint8Array(31)),
        ]),
      ]),
      'extra item': encodeList([tag, encodeUint(1), s16, sdp, none, none]),
      'other tag': encodeList([encodeBytes(new Uint8Array(3)), encodeUint(1), s16, sdp, none]),
      'over 16 KiB': encodeList([
        tag,
        encodeUint(1),
        s16,
        encodeBytes(new Uint8Array(16_400).fill(65)),
        none,
      ]),
    };
    for (const [name, input] of Object.entries(bad))
      expect([name, () => decodeSignal(input)]).toSatisfy(([, f]) => {
        try {
          (f as () => void)();
          return false;
        } catch (error) {
          return error instanceof DirectError && error.code === 'malformed-signal';
        }
      });
    const trailing = new Uint8Array([...encodeList([tag, encodeUint(1), s16, sdp, none]), 0]);
    expect(() => decodeSignal(trailing)).toThrow(DirectError);
  });

  it('refuses to encode what breaks the limits, naming the field', () => {
    const session = new Uint8Array(16);
    expect(() => encodeSignal({ kind: 'answer', session: new Uint8Array(3), sdp: 'x' })).toThrow(
      /session/,
    );
    expect(() => encodeSignal({ kind: 'relay', session, sdp: '' })).toThrow(/relay/);
    expect(() => encodeSignal({ kind: 'offer', session, sdp: 'x'.repeat(17_000) })).toThrow(
      RangeError,
    );
  });
});

describe('the WebRTC channel (SPEC §5.2-§5.3)', () => {
  it('connects two peers with one offer and one answer carrying every candidate', async () => {
    const offer = await createWebRtcOffer();
    expect(offer.signal.sdp).toMatch(/a=candidate:/);
    const answer = await answerWebRtcOffer(offer.signal);
    expect(answer.signal.sdp).toMatch(/a=candidate:/);
    expect(answer.signal.session).toEqual(offer.signal.session);
    const [dialed, accepted] = await Promise.all([offer.accept(answer.signal), answer.channel]);
    open.push(dialed, accepted);
    const got: Uint8Array[] = [];
    accepted.onMessage((m) => got.push(m));
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    dialed.send(big);
    dialed.send(new Uint8Array(0));
    expect(typeof dialed.bufferedAmount()).toBe('number');
    await waitFor(() => got.length === 2, 'both messages');
    expect(got[0]).toEqual(big);
    expect(got[1]).toEqual(new Uint8Array(0));
  });

  it('refuses an answer to another session and a message over the limit', async () => {
    const offer = await createWebRtcOffer({ maxMessageBytes: 1000 });
    await expect(
      offer.accept({ kind: 'answer', session: new Uint8Array(16), sdp: 'v=0' }),
    ).rejects.toSatisfy((e: unknown) => e instanceof DirectError && e.code === 'malformed-signal');
    const answer = await answerWebRtcOffer(offer.signal, { maxMessageBytes: 1000 });
    const [dialed, accepted] = await Promise.all([offer.accept(answer.signal), answer.channel]);
    open.push(dialed, accepted);
    expect(() => dialed.send(new Uint8Array(1001))).toThrow(RangeError);
  });

  it('fails with a typed error when the data channel cannot open', async () => {
    const offer = await createWebRtcOffer({ connectTimeoutMs: 3000 });
    const answer = await answerWebRtcOffer(offer.signal);
    answer.close();
    await expect(offer.accept(answer.signal)).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof DirectError && (e.code === 'ice-failed' || e.code === 'ice-timeout'),
    );
  });

  it('tells the other side of a close', async () => {
    const [dialed, accepted] = await webRtcPair();
    let told = false;
    accepted.onClose(() => {
      told = true;
    });
    dialed.close();
    await waitFor(() => told, 'the close');
  });

  it('carries the direct Noise link between two contacts', async () => {
    const verifier = secp256k1Verifier();
    const make = () => {
      const identity = secp256k1Identity(randomBytes(32));
      const staticKey = randomBytes(32);
      return {
        identity,
        encrypter: directLinkEncrypter({ identity, verifier, staticKey, isContact: () => true }),
      };
    };
    const alice = make();
    const bob = make();
    const [dialed, accepted] = await webRtcPair();
    const [a, b] = await Promise.all([
      alice.encrypter.secureOutbound(dialed, {
        remoteStaticKey: bob.encrypter.staticKey,
        remotePeer: bob.identity.peerId,
      }),
      bob.encrypter.secureInbound(accepted),
    ]);
    const atBob: Uint8Array[] = [];
    const atAlice: Uint8Array[] = [];
    b.onFrame((f) => atBob.push(f.slice()));
    a.onFrame((f) => atAlice.push(f.slice()));
    a.send(new TextEncoder().encode('hello bob'));
    b.send(new Uint8Array(200_000).fill(7));
    await waitFor(() => atBob.length === 1 && atAlice.length === 1, 'frames both ways');
    expect(new TextDecoder().decode(atBob[0])).toBe('hello bob');
    expect(atAlice[0]!.length).toBe(200_000);
    expect(b.remotePeer).toBe(alice.identity.peerId);
    a.close();
    b.close();
  });
});

describe("the answerer's checks (SPEC §5.2)", () => {
  it("holds the offer's candidates back: splitCandidates", () => {
    const sdp = [
      'v=0',
      'a=group:BUNDLE 0',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=mid:0',
      'a=candidate:1 1 UDP 2114977791 10.1.0.2 40000 typ host',
      'a=candidate:2 1 UDP 1678769919 100.64.1.1 40000 typ srflx raddr 0.0.0.0 rport 0',
      'a=end-of-candidates',
      '',
    ].join('\r\n');
    const split = splitCandidates(sdp);
    expect(split.sdp).not.toMatch(/candidate/);
    expect(split.sdp).toMatch(/a=mid:0/);
    expect(split.candidates).toEqual([
      { candidate: 'candidate:1 1 UDP 2114977791 10.1.0.2 40000 typ host', mid: '0' },
      {
        candidate: 'candidate:2 1 UDP 1678769919 100.64.1.1 40000 typ srflx raddr 0.0.0.0 rport 0',
        mid: '0',
      },
    ]);
  });

  it('starts its connect timeout checkDelayMs after the answer is sent, not before', async () => {
    const clock = new ManualClock(1_000_000);
    const offer = await createWebRtcOffer();
    const answer = await answerWebRtcOffer(offer.signal, {
      clock,
      checkDelayMs: 1000,
      connectTimeoutMs: 2000,
    });
    let failed: unknown;
    answer.channel.catch((e: unknown) => {
      failed = e;
    });
    clock.advance(500);
    answer.sent(); // the checks now start at 1500, the timeout runs out at 3500
    clock.advance(2900);
    await new Promise((r) => setTimeout(r, 20));
    expect(failed).toBeUndefined();
    clock.advance(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(failed).toBeInstanceOf(DirectError);
    expect((failed as DirectError).code).toBe('ice-timeout');
    offer.close();
  });

  it('still connects when its answer arrives late', async () => {
    const offer = await createWebRtcOffer();
    const answer = await answerWebRtcOffer(offer.signal, { checkDelayMs: 200 });
    answer.sent();
    await new Promise((r) => setTimeout(r, 400));
    const [dialed, accepted] = await Promise.all([offer.accept(answer.signal), answer.channel]);
    open.push(dialed, accepted);
  });

  it('refuses a negative checkDelayMs', async () => {
    await expect(createWebRtcOffer({ checkDelayMs: -1 })).rejects.toThrow(RangeError);
  });
});
