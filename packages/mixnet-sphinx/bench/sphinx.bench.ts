/**
 * Sphinx speed (specs/mixnet-sphinx/SPEC.md §5–§8): a mix's unwrap per hop in Node (the
 * `#x25519` / `#primitives` node:crypto paths: OpenSSL X25519, HMAC, AES-CTR, SHA-512/256;
 * our HKDF expand, ChaCha20 and AEZ) and on the browser path (the same unwrap built by Vite
 * for browsers — noble X25519, AES-CTR and HMAC — timed in Debian's Chromium), packet and
 * SURB creation over 5 hops, AEZ over a 2 KiB payload, and the replay cache's checks. The
 * reference is the figure for Katzenpost's Go unwrap (145–160 µs per hop), quoted,
 * not measured in this run: no Go Sphinx runs here.
 *
 * The Node unwrap's floor is two X25519 `diffieHellman` (the mix's key and the blinding,
 * ≈38 µs each) and one private-key import (the blinding scalar's, ≈42 µs: OpenSSL computes
 * its public key), ≈120 µs, plus AEZ over the 2 KiB payload (≈50 µs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { measure, section } from '@hush/bench-support';
import { MemoryStore } from '@hush/interface';
import { x25519 } from '@noble/curves/ed25519.js';
import { aezEncipher } from '../src/aez.js';
import {
  aezSprp,
  createPacket,
  createSurb,
  geometry,
  type PathHop,
  ReplayCache,
  unwrapPacket,
} from '../src/index.js';

/** One event-loop turn: a store operation's round trip, as LevelDB's thread pool answers. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A MemoryStore whose operations each take a turn of the event loop: a stand-in for a disk
 * store's round trips, without its disk (a real LevelDB round trip costs more).
 */
class TurnStore extends MemoryStore {
  override async get(key: string) {
    await turn();
    return super.get(key);
  }
  override async put(key: string, value: Uint8Array) {
    await turn();
    return super.put(key, value);
  }
  override async batch(operations: Parameters<MemoryStore['batch']>[0]) {
    await turn();
    return super.batch(operations);
  }
}

const perHop = (rate: number) => `${(1e6 / rate).toFixed(0)} µs/hop`;

/** The browser path's unwrap rate in Chromium (bench/browser), or why there is none. */
async function browserUnwrapRate(): Promise<number | string> {
  if (!existsSync('/usr/bin/chromium')) return 'no Chromium at /usr/bin/chromium';
  const { openBuiltPage } = await import('@hush/test-support/browser');
  const site = await openBuiltPage(join(import.meta.dirname, 'browser'));
  try {
    const rate = (ms: number) =>
      site.page.evaluate(
        (m) => (globalThis as unknown as { hushUnwrapRate(ms: number): number }).hushUnwrapRate(m),
        ms,
      );
    await rate(300);
    const rates = [await rate(1000), await rate(1000), await rate(1000)].sort((a, b) => a - b);
    return rates[1]!;
  } finally {
    await site.close();
  }
}

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
  const node = await measure(
    'unwrap one hop, Node path (node:crypto X25519; AEZ payload)',
    () => unwrapPacket(geo, mixes[0]!.privateKey, packet, aezSprp),
    { unit: ' hops/s' },
  );
  console.log(`    = ${perHop(node.rate)}`);
  const browser = await browserUnwrapRate().catch((error: unknown) => String(error));
  if (typeof browser === 'number')
    console.log(
      `  ${'unwrap one hop, browser path (noble; Vite build in Chromium)'.padEnd(58)} ${(browser / 1e3).toFixed(1).padStart(8)} k hops/s\n    = ${perHop(browser)}`,
    );
  else console.log(`  unwrap one hop, browser path: not measured (${browser})`);
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

  section(
    'Replay cache (§8), fresh tags over a MemoryStore (classic-level is not a dependency of this package: no LevelDB line)',
  );
  let counter = 0;
  const freshTag = () => {
    const tag = new Uint8Array(32);
    new DataView(tag.buffer).setFloat64(0, ++counter);
    return tag;
  };
  for (const [name, store] of [
    ['MemoryStore', () => new MemoryStore()],
    ['a turn per store op', () => new TurnStore()],
  ] as const) {
    const burst = new ReplayCache(store());
    await measure(
      `replay checks, 64 in flight, ${name}`,
      () => Promise.all(Array.from({ length: 64 }, () => burst.check(1, freshTag()))),
      { unit: ' checks/s', opsPerCall: 64, runMs: 500 },
    );
    const single = new ReplayCache(store());
    await measure(`replay checks, one at a time, ${name}`, () => single.check(1, freshTag()), {
      unit: ' checks/s',
      runMs: 500,
    });
  }
}
