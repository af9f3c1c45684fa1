/**
 * The peer book: addresses of peers this node dialed successfully, kept in the store under
 * `peer/<id>` so that a restarted node finds the network again without its bootstrap list.
 * Entries not seen for a while are forgotten, and the book is bounded.
 */
import type { Store } from './store/store.js';

const PREFIX = 'peer/';

/** One remembered peer. */
export interface KnownPeer {
  readonly id: string;
  /** The address it was dialed at (ws://host:port). */
  readonly address: string;
  /** When it was last connected (ms since the epoch). */
  readonly lastSeen: number;
}

/** Bounds of the peer book. */
export interface PeerBookLimits {
  /** Peers remembered at most; the least recently seen are forgotten (default 200). */
  readonly maxPeers?: number;
  /** A peer not seen for this long is forgotten (default 7 days). */
  readonly maxAgeMs?: number;
}

export class PeerBook {
  private readonly store: Store;
  private readonly maxPeers: number;
  private readonly maxAgeMs: number;

  /**
   * @throws RangeError if a limit is not a positive number
   */
  constructor(store: Store, limits: PeerBookLimits = {}) {
    this.store = store;
    this.maxPeers = limits.maxPeers ?? 200;
    this.maxAgeMs = limits.maxAgeMs ?? 7 * 24 * 3600_000;
    if (!(this.maxPeers > 0)) throw new RangeError('maxPeers must be positive');
    if (!(this.maxAgeMs > 0)) throw new RangeError('maxAgeMs must be positive');
  }

  /**
   * The remembered peers, most recently seen first; stale, excess and unreadable entries are
   * deleted on the way.
   */
  async load(now: number): Promise<KnownPeer[]> {
    const peers: KnownPeer[] = [];
    const doomed: string[] = [];
    for await (const [key, value] of this.store.range({ gte: PREFIX, lt: 'peer0' })) {
      const peer = parse(key.slice(PREFIX.length), value);
      if (!peer || now - peer.lastSeen > this.maxAgeMs) doomed.push(key);
      else peers.push(peer);
    }
    peers.sort((a, b) => b.lastSeen - a.lastSeen);
    for (const peer of peers.splice(this.maxPeers)) doomed.push(PREFIX + peer.id);
    if (doomed.length > 0)
      await this.store.batch(doomed.map((key) => ({ type: 'del' as const, key })));
    return peers;
  }

  /** Remembers (or refreshes) a peer that was dialed and connected. */
  async remember(id: string, address: string, now: number): Promise<void> {
    const value = JSON.stringify({ address, lastSeen: now });
    await this.store.put(PREFIX + id, new TextEncoder().encode(value));
  }
}

function parse(id: string, value: Uint8Array): KnownPeer | undefined {
  try {
    const { address, lastSeen } = JSON.parse(new TextDecoder().decode(value)) as Record<
      string,
      unknown
    >;
    if (!/^[0-9a-f]{130}$/.test(id) || typeof address !== 'string' || typeof lastSeen !== 'number')
      return undefined;
    // Noise link addresses and, for RLPx peers (geth), enode URLs: what the node can dial.
    if (!/^(wss?|enode):\/\//.test(address)) return undefined;
    return { id, address, lastSeen };
  } catch {
    return undefined;
  }
}
