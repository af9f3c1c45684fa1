/**
 * The connection encrypter compliance suite: what every `ConnectionEncrypter` of
 * `@hush/interface` must guarantee, played over an in-memory pipe with an on-path party.
 * Both sides learn each other's proven identity; no frame byte travels in clear; a byte
 * flipped anywhere in the handshake fails it on both sides; a flipped, replayed, dropped or
 * reflected transport message, one cut in two or two joined, closes the connection as
 * 'bad-frame'; a recorded handshake
 * replayed to the responder opens nothing; a reflected handshake fails; a man in the middle
 * with a key of its own is detected by a dialer that names the peer it wants.
 */
import type { Connection, ConnectionEncrypter, PeerId } from '@hush/interface';
import { TransportError } from '@hush/interface';
import { describe, expect, it } from 'vitest';
import { type PipeMessage, type PipeTap, rawChannelPair } from './pipe.js';

/** A party of the suite: an encrypter and the identity it proves. */
export interface EncrypterParty {
  readonly encrypter: ConnectionEncrypter;
  readonly peerId: PeerId;
}

/** What the encrypter suite needs. */
export interface EncrypterSetup {
  /** A new party with a fresh identity. */
  create(): EncrypterParty | Promise<EncrypterParty>;
  /**
   * Whether dialing with the responder's static key (`SecureOutboundOptions.remoteStaticKey`)
   * is supported: the suite then runs each case for that handshake too.
   */
  readonly knownKeyHandshake?: boolean;
}

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

const isHandshakeFailure = (error: unknown) =>
  error instanceof TransportError && error.code === 'handshake-failed';

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function frames(connection: Connection, count: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  return new Promise((resolve, reject) => {
    connection.onClose((reason) => reject(new Error(`closed (${reason}) before ${count} frames`)));
    connection.onFrame((frame) => {
      out.push(frame.slice());
      if (out.length === count) resolve(out);
    });
  });
}

const closeReason = (connection: Connection) =>
  new Promise<string>((resolve) => connection.onClose((reason) => resolve(reason)));

/**
 * Registers the encrypter suite with Vitest.
 *
 * @example
 * ```ts
 * encrypterCompliance('gossip Noise link', {
 *   create: () => { const key = randomKey(); return { encrypter: gossipLinkEncrypter({ privateKey: key }), peerId: idOf(key) }; },
 *   knownKeyHandshake: true,
 * });
 * ```
 */
export function encrypterCompliance(name: string, setup: EncrypterSetup): void {
  const modes = setup.knownKeyHandshake
    ? (['unknown key', 'known key'] as const)
    : (['unknown key'] as const);
  describe.each(modes)(`encrypter compliance: ${name} (%s)`, (mode) => {
    async function run(tap?: PipeTap, options: { expect?: PeerId } = {}) {
      const alice = await setup.create();
      const bob = await setup.create();
      const [a, b] = rawChannelPair(tap);
      const outbound = settle(
        alice.encrypter.secureOutbound(a, {
          ...(mode === 'known key' ? { remoteStaticKey: bob.encrypter.staticKey } : {}),
          ...(options.expect ? { remotePeer: options.expect } : {}),
        }),
      );
      const inbound = settle(bob.encrypter.secureInbound(b));
      return { alice, bob, outbound: await outbound, inbound: await inbound };
    }

    it('authenticates both sides, and frames flow both ways encrypted', async () => {
      const wire: Uint8Array[] = [];
      const secret = new TextEncoder().encode('a very secret envelope payload');
      const { alice, bob, outbound, inbound } = await run((m) => {
        wire.push(m.bytes);
        return [m.bytes];
      });
      if (!outbound.ok || !inbound.ok) throw new Error('handshake failed');
      expect(outbound.value.remotePeer).toBe(bob.peerId);
      expect(inbound.value.remotePeer).toBe(alice.peerId);
      expect(outbound.value.outbound).toBe(true);
      expect(inbound.value.outbound).toBe(false);
      const atBob = frames(inbound.value, 3);
      const atAlice = frames(outbound.value, 1);
      outbound.value.send(secret);
      outbound.value.send(new Uint8Array(0));
      outbound.value.send(new Uint8Array(200_000).fill(0x5a));
      inbound.value.send(secret);
      const got = await atBob;
      expect(got[0]).toEqual(secret);
      expect(got[1]).toEqual(new Uint8Array(0));
      expect(got[2]).toEqual(new Uint8Array(200_000).fill(0x5a));
      expect(await atAlice).toEqual([secret]);
      for (const bytes of wire) expect(contains(bytes, secret)).toBe(false);
      expect(wire.some((bytes) => contains(bytes, new Uint8Array(64).fill(0x5a)))).toBe(false);
    });

    it('fails on both sides when any handshake message has a byte flipped', async () => {
      // Learn how many handshake messages each side sends on a clean run.
      const counts = { a: 0, b: 0 };
      const clean = await run((m) => {
        counts[m.fromA ? 'a' : 'b'] = Math.max(counts[m.fromA ? 'a' : 'b'], m.index + 1);
        return [m.bytes];
      });
      expect(clean.outbound.ok && clean.inbound.ok).toBe(true);
      const targets: { fromA: boolean; index: number }[] = [];
      for (let i = 0; i < counts.a; i++) targets.push({ fromA: true, index: i });
      for (let i = 0; i < counts.b; i++) targets.push({ fromA: false, index: i });
      // A dialer with a known key confirms with a transport message that is not part of the
      // handshake proper; everything the handshake sends is covered either way.
      for (const target of targets) {
        for (const where of ['first', 'middle', 'last'] as const) {
          const flip = (m: PipeMessage) => {
            if (m.fromA !== target.fromA || m.index !== target.index) return [m.bytes];
            const altered = m.bytes.slice();
            const at =
              where === 'first' ? 0 : where === 'last' ? altered.length - 1 : altered.length >> 1;
            altered[at]! ^= 0x01;
            return [altered];
          };
          const { outbound, inbound } = await run(flip);
          const opened = [outbound, inbound].filter((r) => r.ok);
          // A side may have completed before the flipped message; the other never does, and
          // the one that completed sees its connection closed.
          expect(opened.length).toBeLessThan(2);
          for (const result of [outbound, inbound])
            if (!result.ok) expect(isHandshakeFailure(result.error)).toBe(true);
            else await closeReason(result.value);
        }
      }
    });

    it('closes as bad-frame on a flipped, replayed, dropped, reflected, cut or joined transport message', async () => {
      const big = new Uint8Array(70_000).fill(7);
      for (const attack of ['flip', 'replay', 'drop', 'reflect', 'split', 'join'] as const) {
        // The index of the dialer's first transport message, once the handshake is done.
        let attackFrom: number | undefined;
        let sentByDialer = 0;
        let first: Uint8Array | undefined;
        const { outbound, inbound } = await run((m) => {
          if (m.fromA) sentByDialer = m.index + 1;
          if (!m.fromA || attackFrom === undefined || m.index < attackFrom) return [m.bytes];
          if (m.index === attackFrom) {
            first = m.bytes;
            if (attack === 'flip') {
              const altered = m.bytes.slice();
              altered[altered.length >> 1]! ^= 0x80;
              return [altered];
            }
            if (attack === 'drop' || attack === 'join') return [];
            if (attack === 'reflect') return [{ back: m.bytes }];
            // One frame's carrier message delivered as two: each piece a whole message.
            if (attack === 'split') return [m.bytes.subarray(0, 65_535), m.bytes.subarray(65_535)];
            return [m.bytes];
          }
          if (attack === 'replay') return [first!];
          if (attack === 'join') {
            // Two frames' carrier messages delivered as one.
            const joined = new Uint8Array(first!.length + m.bytes.length);
            joined.set(first!, 0);
            joined.set(m.bytes, first!.length);
            return [joined];
          }
          return [m.bytes];
        });
        if (!outbound.ok || !inbound.ok) throw new Error('handshake failed');
        attackFrom = sentByDialer;
        const victim = attack === 'reflect' ? outbound.value : inbound.value;
        const closed = closeReason(victim);
        const delivered: Uint8Array[] = [];
        inbound.value.onFrame((frame) => delivered.push(frame.slice()));
        outbound.value.onFrame((frame) => delivered.push(frame.slice()));
        const firstFrame = attack === 'split' ? big : Uint8Array.of(1, 2, 3);
        outbound.value.send(firstFrame);
        outbound.value.send(Uint8Array.of(4, 5, 6));
        expect([attack, await closed]).toEqual([attack, 'bad-frame']);
        // Nothing altered, replayed, reflected, cut or joined reached a handler.
        if (attack === 'replay') expect(delivered).toEqual([firstFrame]);
        else expect([attack, delivered]).toEqual([attack, []]);
      }
    });

    it('opens nothing when a recorded handshake is replayed to the responder', async () => {
      const fromDialer: Uint8Array[] = [];
      const original = await run((m) => {
        if (m.fromA) fromDialer.push(m.bytes);
        return [m.bytes];
      });
      expect(original.outbound.ok && original.inbound.ok).toBe(true);
      // The attacker replays everything the dialer sent, to the same responder.
      const bob = original.bob;
      const [attacker, victim] = rawChannelPair();
      attacker.onMessage(() => {});
      const replayed = settle(bob.encrypter.secureInbound(victim));
      for (const bytes of fromDialer) attacker.send(bytes);
      setTimeout(() => attacker.close(), 50);
      const result = await replayed;
      expect(result.ok).toBe(false);
      if (!result.ok) expect(isHandshakeFailure(result.error)).toBe(true);
    });

    it('fails a handshake reflected back to the dialer', async () => {
      const alice = await setup.create();
      const bob = await setup.create();
      const [a, b] = rawChannelPair();
      // Whatever the dialer sends comes straight back to it.
      b.onMessage((bytes) => b.send(bytes));
      const result = await settle(
        alice.encrypter.secureOutbound(a, {
          ...(mode === 'known key' ? { remoteStaticKey: bob.encrypter.staticKey } : {}),
        }),
      );
      expect(result.ok).toBe(false);
      if (!result.ok) expect(isHandshakeFailure(result.error)).toBe(true);
    });

    it('lets a dialer that names its peer detect a man in the middle', async () => {
      const alice = await setup.create();
      const bob = await setup.create();
      const mallory = await setup.create();
      // Mallory answers Alice's dial with her own key, whatever Alice expected.
      const [a, m] = rawChannelPair();
      const atAlice = settle(
        alice.encrypter.secureOutbound(a, {
          remotePeer: bob.peerId,
          ...(mode === 'known key' ? { remoteStaticKey: bob.encrypter.staticKey } : {}),
        }),
      );
      const atMallory = settle(mallory.encrypter.secureInbound(m));
      const [aliceResult, malloryResult] = await Promise.all([atAlice, atMallory]);
      expect(aliceResult.ok).toBe(false);
      if (!aliceResult.ok) expect(isHandshakeFailure(aliceResult.error)).toBe(true);
      if (malloryResult.ok) await closeReason(malloryResult.value);
    });
  });
}
