/**
 * Routes through a directory (specs/mixnet-sphinx/SPEC.md §12): a forward route is the
 * sender's gateway, one mix of each layer chosen uniformly at random, and the recipient's
 * gateway, whose recipient command names the recipient's queue; a SURB's route is one mix of
 * each layer and the SURB creator's gateway, whose commands name the creator's queue and the
 * SURB; a mix loop's route goes from a mix or gateway through every other layer back to
 * itself (§13.4). Every hop before the last holds the packet for a delay drawn from the
 * exponential distribution of the directory's mean (the Poisson mixing of Loopix: the sender
 * draws the delays, so a mix cannot tell a packet's age).
 */
import type { PathHop, RandomBytes } from './create.js';
import { systemRandom } from './create.js';
import type { DirectoryDocument, MixDescriptor } from './directory.js';
import { SphinxError } from './errors.js';
import { NODE_ID_LENGTH, SURB_ID_LENGTH } from './geometry.js';
import { equalBytes } from './header-crypto.js';

/** A uniform integer in [0, n), by rejection (no modulo bias). */
function uniform(n: number, random: RandomBytes): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  for (;;) {
    const b = random(4);
    const x = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (x < limit) return x % n;
  }
}

/**
 * A draw from the exponential distribution of mean `meanMs` (53 random bits), ms, not
 * rounded: the per-hop delays, and the gaps of a Poisson stream (mean 1000 / rate).
 *
 * @throws RangeError for a mean that is not positive
 */
export function exponentialSample(meanMs: number, random: RandomBytes = systemRandom): number {
  if (!(meanMs > 0)) throw new RangeError('meanMs must be positive');
  const b = random(7);
  // 53 random bits: u in [0, 1).
  let x = b[0]! & 0x1f;
  for (let i = 1; i < 7; i++) x = x * 256 + b[i]!;
  return -Math.log1p(-x / 2 ** 53) * meanMs;
}

/**
 * A delay drawn from the exponential distribution of mean `meanMs`, whole ms, at most 2^32 − 1.
 *
 * @throws RangeError for a mean that is not positive
 */
export function exponentialDelay(meanMs: number, random: RandomBytes = systemRandom): number {
  return Math.min(0xffffffff, Math.round(exponentialSample(meanMs, random)));
}

const hop = (d: MixDescriptor, commands: PathHop['commands']): PathHop => ({
  id: d.id,
  publicKey: d.publicKey,
  commands,
});

function mixes(document: DirectoryDocument, random: RandomBytes): MixDescriptor[] {
  return document.layers.map((layer) => layer[uniform(layer.length, random)]!);
}

function checkId(id: Uint8Array, length: number, name: string): void {
  if (!(id instanceof Uint8Array) || id.length !== length)
    throw new RangeError(`${name} must be ${length} bytes`);
}

function findGateway(
  document: DirectoryDocument,
  gateway: Uint8Array,
  name: string,
): MixDescriptor {
  checkId(gateway, NODE_ID_LENGTH, name);
  const found = document.gateways.find((g) => equalBytes(g.id, gateway));
  if (!found)
    throw new SphinxError('bad-path', `${name} is not a gateway of epoch ${document.epoch}`);
  return found;
}

/**
 * A forward route from the sender's gateway to the recipient's.
 *
 * @example
 * ```ts
 * const path = forwardRoute(doc, { entry: myGateway.id, exit: theirGateway.id, recipient: theirId });
 * const packet = createPacket(geo, path, payload, aezSprp);
 * client.submit(path[0].id, packet);
 * ```
 * @throws SphinxError 'bad-path' when a gateway is not in the document; RangeError for ids of
 *   the wrong length
 */
export function forwardRoute(
  document: DirectoryDocument,
  route: { readonly entry: Uint8Array; readonly exit: Uint8Array; readonly recipient: Uint8Array },
  random: RandomBytes = systemRandom,
): PathHop[] {
  checkId(route.recipient, NODE_ID_LENGTH, 'recipient');
  const entry = findGateway(document, route.entry, 'entry');
  const exit = findGateway(document, route.exit, 'exit');
  const delay = () => ({
    type: 'node-delay' as const,
    delayMs: exponentialDelay(document.parameters.meanDelayMs, random),
  });
  return [
    hop(entry, [delay()]),
    ...mixes(document, random).map((m) => hop(m, [delay()])),
    hop(exit, [{ type: 'recipient', id: route.recipient }]),
  ];
}

/**
 * A SURB's route back to its creator's gateway (the replier submits it through its own
 * gateway to the first-layer mix the SURB names).
 *
 * @throws SphinxError 'bad-path' when the gateway is not in the document; RangeError for ids
 *   of the wrong length
 */
export function surbRoute(
  document: DirectoryDocument,
  route: { readonly exit: Uint8Array; readonly recipient: Uint8Array; readonly surbId: Uint8Array },
  random: RandomBytes = systemRandom,
): PathHop[] {
  checkId(route.recipient, NODE_ID_LENGTH, 'recipient');
  checkId(route.surbId, SURB_ID_LENGTH, 'surbId');
  const exit = findGateway(document, route.exit, 'exit');
  return [
    ...mixes(document, random).map((m) =>
      hop(m, [
        {
          type: 'node-delay' as const,
          delayMs: exponentialDelay(document.parameters.meanDelayMs, random),
        },
      ]),
    ),
    hop(exit, [
      { type: 'recipient', id: route.recipient },
      { type: 'surb-reply', id: route.surbId },
    ]),
  ];
}

/**
 * A mix loop's route (§13.4): from a node of the document back to itself. For a mix of layer
 * l: one mix of each layer after l, a gateway, one mix of each layer before l, then the mix
 * itself; for a gateway: one mix of each layer, then the gateway itself. Mixes and the
 * gateway are chosen uniformly at random; the last hop's recipient command names `self`. The
 * route is the layers plus one hops, within the geometry's layers plus two.
 *
 * @throws SphinxError 'bad-path' when `self` is not a mix or gateway of the document;
 *   RangeError when `self` is not 32 bytes
 */
export function mixLoopRoute(
  document: DirectoryDocument,
  self: Uint8Array,
  random: RandomBytes = systemRandom,
): PathHop[] {
  checkId(self, NODE_ID_LENGTH, 'self');
  const own = (d: MixDescriptor) => equalBytes(d.id, self);
  const layer = document.layers.findIndex((l) => l.some(own));
  const node = layer >= 0 ? document.layers[layer]!.find(own) : document.gateways.find(own);
  if (!node)
    throw new SphinxError('bad-path', `self is not a mix or gateway of epoch ${document.epoch}`);
  const chosen = mixes(document, random);
  const via =
    layer >= 0
      ? [
          ...chosen.slice(layer + 1),
          document.gateways[uniform(document.gateways.length, random)]!,
          ...chosen.slice(0, layer),
        ]
      : chosen;
  return [
    ...via.map((d) =>
      hop(d, [
        {
          type: 'node-delay' as const,
          delayMs: exponentialDelay(document.parameters.meanDelayMs, random),
        },
      ]),
    ),
    hop(node, [{ type: 'recipient', id: self }]),
  ];
}
