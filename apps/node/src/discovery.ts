/**
 * Discovery v4 for the node (specs/rlpx SPEC §10): the discv4 service on UDP finds RLPx nodes,
 * and this dialer gives them the node's dynamic outbound slots, as geth v1.8.27's dialer does
 * (`p2p/dial.go`): at most a third of `--max-peers` dialed from discovery, each found node
 * dialed once (never redialed as a static peer is) and not again for 30 s, whatever the dial
 * gave. Most nodes of a public network speak no `shh`: they refuse us, or we them, in the
 * hello, and the slot goes to the next one.
 */
import { randomBytes } from '@hush/crypto';
import { type Clock, type Logger, systemClock, type TimerHandle } from '@hush/interface';
import type { GossipNode } from '@hush/transport-gossip';
import { type DiscoveryV4, type Enode, formatEnode } from '@hush/transport-rlpx';

/** How long a dialed node is left alone, as geth's dialHistoryExpiration. */
export const DIAL_HISTORY_MS = 30_000;

/** Least time between the lookups the dialer starts when it runs short, as geth's lookupInterval. */
export const LOOKUP_INTERVAL_MS = 4000;

/** What the dialer has done, for `hush_discovery_*` and the tests. */
export interface DiscoveryDialStats {
  /** Dials started. */
  readonly dialed: number;
  /** Dials whose peer this node took. */
  readonly connected: number;
  /** Dials under way. */
  readonly pending: number;
}

/** The dialer of discovered peers, running until {@link DiscoveryDialer.stop}. */
export interface DiscoveryDialer {
  stats(): DiscoveryDialStats;
  /** Stops dialing; dials under way finish on their own. */
  stop(): void;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * Dials nodes `discovery` finds into the free share of `maxPeers`: on every node it adds and
 * every `intervalMs`; when the table has no node left to dial and slots are free, a lookup of a
 * random target (at most one each {@link LOOKUP_INTERVAL_MS}), as geth's discoverTask.
 *
 * @throws RangeError for a negative maxPeers or a non-positive interval
 */
export function startDiscoveryDialer(options: {
  readonly discovery: DiscoveryV4;
  readonly gossip: GossipNode;
  readonly maxPeers: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How often the table is looked at for nodes to dial (default 5 s). */
  readonly intervalMs?: number;
}): DiscoveryDialer {
  const { discovery, gossip, logger, maxPeers } = options;
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 5000;
  if (!Number.isInteger(maxPeers) || maxPeers < 0)
    throw new RangeError('maxPeers must be a non-negative integer');
  if (!(intervalMs > 0)) throw new RangeError('intervalMs must be positive');
  // geth: maxDialedConns = MaxPeers / dialRatio (3); one at least, so a small node still dials.
  const dynamicMax = maxPeers === 0 ? 0 : Math.max(1, Math.floor(maxPeers / 3));
  /** Node id (130 hex) → when it was last dialed. */
  const history = new Map<string, number>();
  const pending = new Set<string>();
  let dialed = 0;
  let connected = 0;
  let running = true;
  let lookingUp = false;
  let lastLookup = Number.NEGATIVE_INFINITY;
  /** Peers this dialer brought in that are still connected. */
  const ours = new Set<string>();

  const fill = () => {
    if (!running) return;
    const now = clock.now();
    for (const [id, at] of history) if (now - at >= DIAL_HISTORY_MS) history.delete(id);
    const peers = new Set(gossip.stats().peers.map((p) => p.id));
    for (const id of ours) if (!peers.has(id)) ours.delete(id);
    let free = Math.min(
      dynamicMax - ours.size - pending.size,
      maxPeers - peers.size - pending.size,
    );
    if (free <= 0) return;
    for (const node of discovery.nodes()) {
      if (free <= 0) break;
      const id = hex(node.publicKey);
      if (peers.has(id) || pending.has(id) || history.has(id)) continue;
      free--;
      dial(id, node);
    }
    if (free > 0 && !lookingUp && now - lastLookup >= LOOKUP_INTERVAL_MS) {
      lookingUp = true;
      lastLookup = now;
      discovery
        .lookup(randomBytes(64))
        .catch((error: unknown) =>
          logger.debug({ err: (error as Error).message }, 'discovery v4: a lookup failed'),
        )
        .finally(() => {
          lookingUp = false;
          fill();
        });
    }
  };

  const dial = (id: string, node: Enode) => {
    const address = formatEnode(node);
    history.set(id, clock.now());
    pending.add(id);
    dialed++;
    void gossip.dialOnce(address).then((taken) => {
      pending.delete(id);
      if (taken) {
        connected++;
        ours.add(id);
      }
      logger.debug({ peer: address, taken }, 'discovery v4: dialed a found node');
      // A slot freed by a failed dial goes to the next node now, not at the next tick.
      if (!taken) fill();
    });
  };

  const unsubscribe = discovery.onNode(() => fill());
  let timer: TimerHandle | undefined;
  const tick = () => {
    fill();
    if (running) timer = clock.setTimeout(tick, intervalMs);
  };
  tick();
  return {
    stats: () => ({ dialed, connected, pending: pending.size }),
    stop() {
      running = false;
      unsubscribe();
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
