/**
 * specs/transport-direct/SPEC.md §3: the direct channel's link. It runs the encrypter suite
 * of @hush/interface-compliance (between contacts); a peer that is not a contact is refused
 * before any frame is read, whichever side it is on; it never completes with a gossip link.
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { encrypterCompliance, rawChannelPair } from '@hush/interface-compliance';
import { noiseLinkEncrypter } from '@hush/noise';
import { describe, expect, it } from 'vitest';
import { directLinkEncrypter } from '../src/index.js';

const verifier = secp256k1Verifier();

function node(isContact: (key: Uint8Array) => boolean = () => true) {
  let privateKey: Uint8Array;
  do privateKey = randomBytes(32);
  while (privateKey[0] === 0);
  const identity = secp256k1Identity(privateKey);
  return {
    identity,
    encrypter: directLinkEncrypter({ identity, verifier, staticKey: randomBytes(32), isContact }),
  };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

encrypterCompliance('direct channel link (hush-direct/1, between contacts)', {
  create() {
    const n = node();
    return { encrypter: n.encrypter, peerId: n.identity.peerId };
  },
  knownKeyHandshake: true,
});

describe('the direct channel link', () => {
  it('refuses a stranger before any frame, on either side', async () => {
    for (const strangerDials of [true, false]) {
      const frames: Uint8Array[] = [];
      const picky = node(() => false);
      const stranger = node();
      const [a, b] = rawChannelPair();
      const [dialer, listener] = strangerDials ? [stranger, picky] : [picky, stranger];
      const [outbound, inbound] = await Promise.all([
        settle(dialer.encrypter.secureOutbound(a)),
        settle(listener.encrypter.secureInbound(b)),
      ]);
      const pickyResult = strangerDials ? inbound : outbound;
      expect(pickyResult.ok).toBe(false);
      expect(String(!pickyResult.ok && pickyResult.error)).toContain('not authorized');
      const other = strangerDials ? outbound : inbound;
      if (other.ok) {
        other.value.onFrame((f) => frames.push(f));
        other.value.send(Uint8Array.of(1));
        await new Promise<void>((resolve) => other.value.onClose(() => resolve()));
      }
      expect(frames).toEqual([]);
    }
  });

  it('never completes with a gossip link', async () => {
    const direct = node();
    const gossip = noiseLinkEncrypter({
      identity: secp256k1Identity(randomBytes(32).fill(3)),
      verifier,
      staticKey: randomBytes(32),
      protocol: 'hush-gossip/2',
    });
    const [a, b] = rawChannelPair();
    const [outbound, inbound] = await Promise.all([
      settle(direct.encrypter.secureOutbound(a)),
      settle(gossip.secureInbound(b)),
    ]);
    expect(outbound.ok || inbound.ok).toBe(false);
  });
});
