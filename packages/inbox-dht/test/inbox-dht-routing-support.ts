/** Helpers of the routing tests: deterministic keys, a network of real routers in memory. */
import { ManualClock, type PeerId, peerIdFromPublicKey } from '@hush/interface';
import { keccak256 } from '@hush/keccak';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { prng } from '../sim/random.js';
import {
  type Contact,
  compareDistance,
  contactOf,
  DhtRouter,
  type DhtRouterOptions,
  MemoryDhtNetwork,
  type NodeId,
  routerHandler,
  runOnClock,
} from '../src/index.js';

export { prng };

/** Random bytes from a PRNG. */
export function bytesFrom(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/** The `index`-th public key of a seed (65 bytes), deterministic. */
export function publicKeyOf(seed: number, index: number): Uint8Array {
  const secret = keccak256(new TextEncoder().encode(`hush-dht-test ${seed} ${index}`));
  return secp256k1.getPublicKey(secret, false);
}

/** A peer id and contact of the `index`-th key of a seed. */
export function testContact(seed: number, index: number, endpoints: string[] = []): Contact {
  return contactOf(peerIdFromPublicKey(publicKeyOf(seed, index)), endpoints);
}

/** Sorts contacts by distance to `target`. */
export function byDistance(target: NodeId, contacts: readonly Contact[]): Contact[] {
  return [...contacts].sort((a, b) => compareDistance(target, a.id, b.id));
}

/** Percentile of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A network of real routers over the memory network, joined one after the other. */
export interface TestNetwork {
  readonly clock: ManualClock;
  readonly network: MemoryDhtNetwork;
  readonly routers: DhtRouter[];
  readonly byPeer: Map<PeerId, DhtRouter>;
  readonly random: () => number;
  run<T>(promise: Promise<T>): Promise<T>;
}

/**
 * Builds `count` routers: each joins with a self-lookup through a random earlier node, then
 * every node refreshes once (so early nodes learn of late ones).
 */
export async function buildNetwork(
  count: number,
  seed: number,
  options: Partial<DhtRouterOptions> = {},
): Promise<TestNetwork> {
  const random = prng(seed);
  const clock = new ManualClock(1_800_000_000_000);
  const latency = (from: PeerId, to: PeerId) =>
    10 + ((Number.parseInt(from.slice(0, 6), 16) ^ Number.parseInt(to.slice(0, 6), 16)) % 41);
  const network = new MemoryDhtNetwork({ clock, latencyMs: latency });
  const run = <T>(promise: Promise<T>) => runOnClock(clock, promise, 10);
  const routers: DhtRouter[] = [];
  const byPeer = new Map<PeerId, DhtRouter>();
  for (let i = 0; i < count; i++) {
    const publicKey = publicKeyOf(seed, i);
    const peer = peerIdFromPublicKey(publicKey);
    const endpoints = [`memory://${i}`];
    const router = new DhtRouter({
      publicKey,
      endpoints,
      rpc: network.rpc(peer, endpoints),
      clock,
      refreshIntervalMs: 0,
      randomBytes: (n) => bytesFrom(random, n),
      rateLimit: { perSecond: 1000, burst: 1000 },
      ...options,
    });
    network.attach(peer, routerHandler(router));
    routers.push(router);
    byPeer.set(peer, router);
    if (i > 0) await run(router.start([routers[Math.floor(random() * i)]!.self]));
  }
  for (const router of routers) await run(router.refresh());
  return { clock, network, routers, byPeer, random, run };
}
