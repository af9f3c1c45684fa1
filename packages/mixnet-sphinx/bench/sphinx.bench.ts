/**
 * Sphinx speed (specs/mixnet-sphinx/SPEC.md §5–§7), pure TypeScript (noble X25519, AES-CTR
 * and HMAC; our AEZ): a mix's unwrap per hop, packet and SURB creation over 5 hops, AEZ over
 * a 2 KiB payload. The reference is the figure for Katzenpost's Go unwrap (145–160 µs
 * per hop), quoted, not measured in this run: no Go Sphinx runs here.
 */
import { measure, section } from '@hush/bench-support';
import { x25519 } from '@noble/curves/ed25519.js';
import { aezEncipher } from '../src/aez.js';
import {
  aezSprp,
  createPacket,
  createSurb,
  geometry,
  type PathHop,
  unwrapPacket,
} from '../src/index.js';

export async function run(): Promise<void> {
  section(
    'Sphinx, X25519 NIKE, Katzenpost geometry (5 hops, 2 KiB payload); Katzenpost Go unwrap 145–160 µs/hop (quoted)',
  );
  const geo = geometry(5, 2048);
  const mixes = Array.from({ length: 5 }, (_, i) => {
    const privateKey = x25519.utils.randomSecretKey();
    return {
      privateKey,
      hop: {
        id: new Uint8Array(32).fill(i + 1),
        publicKey: x25519.getPublicKey(privateKey),
        commands: [{ type: 'node-delay', delayMs: 100 }],
      } as PathHop,
    };
  });
  const path = mixes.map((m) => m.hop);
  const payload = new Uint8Array(geo.userPayloadLength);
  const packet = createPacket(geo, path, payload, aezSprp);
  await measure(
    'unwrap one hop (MAC, header, blinding, AEZ payload)',
    () => unwrapPacket(geo, mixes[0]!.privateKey, packet, aezSprp),
    {
      unit: ' hops/s',
    },
  );
  await measure('create a 5-hop packet', () => createPacket(geo, path, payload, aezSprp), {
    unit: ' packets/s',
    runs: 1,
  });
  const surbPath = path.map((hop, i) =>
    i === 4 ? { ...hop, commands: [{ type: 'surb-reply' as const, id: new Uint8Array(16) }] } : hop,
  );
  await measure('create a 5-hop SURB', () => createSurb(geo, surbPath), {
    unit: ' SURBs/s',
    runs: 1,
  });
  const key = new Uint8Array(48).fill(1);
  const nonce = new Uint8Array(16);
  const block = new Uint8Array(2048 + 32);
  await measure('AEZ encipher, 2 KiB', () => aezEncipher(key, nonce, block), {
    unit: ' ops/s',
    runs: 1,
  });
}
