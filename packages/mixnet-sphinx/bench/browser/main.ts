/**
 * The browser path of a mix's unwrap (specs/mixnet-sphinx/SPEC.md §5), built by Vite with the
 * browser conditions, so `#x25519` and `#primitives` are the noble modules (a Node built-in on
 * the path would fail the build). `sphinx.bench.ts` opens this page in Chromium and calls
 * `hushUnwrapRate`, which times the same unwrap as the Node line: 5 hops, 2 KiB payload.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { aezSprp, createPacket, geometry, type PathHop, unwrapPacket } from '../../src/index.js';

const geo = geometry(5, 2048);
const mixes = Array.from({ length: 5 }, (_, i) => {
  const privateKey = x25519.utils.randomSecretKey();
  const hop: PathHop = {
    id: new Uint8Array(32).fill(i + 1),
    publicKey: x25519.getPublicKey(privateKey),
    commands: [{ type: 'node-delay', delayMs: 100 }],
  };
  return { privateKey, hop };
});
const packet = createPacket(
  geo,
  mixes.map((m) => m.hop),
  new Uint8Array(geo.userPayloadLength),
  aezSprp,
);

/** Unwraps for `ms` milliseconds; hops per second. */
function unwrapRate(ms: number): number {
  let hops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    if (unwrapPacket(geo, mixes[0]!.privateKey, packet, aezSprp).kind !== 'forward')
      throw new Error('expected a forward step');
    hops++;
    elapsed = performance.now() - start;
  }
  return (hops * 1000) / elapsed;
}

const scope = globalThis as { hushUnwrapRate?: (ms: number) => number; hushReady?: boolean };
scope.hushUnwrapRate = unwrapRate;
scope.hushReady = true;
