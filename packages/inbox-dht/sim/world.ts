/**
 * The simulated network: real `DhtNode`s (router, connections, holder over a `MemoryStore`)
 * on {@link SimLinks} and one {@link EventClock}. A slot is a place a node occupies: it goes
 * online and offline; when it comes back it is either the same node (same key, its holder
 * reopened over its store) or a new one (new key, empty store). Adversaries are DhtNodes
 * whose server is wrapped: they answer PING (so they stay in tables) and drop or misroute
 * everything else.
 */
import { defaultBackend } from '@hush/crypto';
import { createEnvelope, type Envelope, envelopePow, sealEnvelope } from '@hush/envelope';
import { MemoryStore, type PeerId } from '@hush/interface';
import { encryptAsymmetric } from '@hush/message';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  type Contact,
  compareDistance,
  DhtNode,
  type DhtNodeOptions,
  Holder,
  MessageType,
  type NodeId,
} from '../src/index.js';
import type { EventClock } from './clock.js';
import { SimLinks } from './links.js';
import { below, bytes, fork, prng, type Random } from './random.js';

/** How an adversary behaves. */
export type Adversary = 'drop' | 'misroute';

/** One node of the simulation. */
export interface Member {
  readonly slot: number;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly peer: PeerId;
  readonly store: MemoryStore;
  node: DhtNode | undefined;
  online: boolean;
  adversary: Adversary | undefined;
  /** Once gone for good, never back (its store dropped). */
  gone: boolean;
  /** A client that holds nothing for others (a sender): never picked, never a bootstrap. */
  client: boolean;
}

/** Settings of the world. */
export interface WorldOptions {
  readonly clock: EventClock;
  readonly random: Random;
  readonly latencyMs: number;
  /** Latency spread: each pair's one-way latency is latencyMs × (1 ± jitter). */
  readonly jitter: number;
  readonly loss: number;
  /** DhtNode repair interval (0: off). */
  readonly repairIntervalMs: number;
  /** Router refresh interval (SPEC §2.4; default 10 min). */
  readonly refreshIntervalMs: number;
  /** Age after which refresh looks up a bucket (SPEC §2.4; default 1 h). */
  readonly bucketRefreshMs: number;
}

/** A secp256k1 secret key from the stream. */
export function secretKey(random: Random): Uint8Array {
  for (;;) {
    const candidate = bytes(random, 32);
    if (secp256k1.utils.isValidSecretKey(candidate)) return candidate;
  }
}

/** The simulated network. */
export class World {
  readonly clock: EventClock;
  readonly links: SimLinks;
  readonly members: Member[] = [];
  readonly byPeer = new Map<PeerId, Member>();
  private readonly random: Random;
  private readonly keys: Random;
  private readonly options: WorldOptions;
  private readonly pairLatency = new Map<string, number>();

  constructor(options: WorldOptions) {
    this.options = options;
    this.clock = options.clock;
    this.random = fork(options.random);
    this.keys = fork(options.random);
    const lossRandom = fork(options.random);
    const jitterRandom = fork(options.random);
    this.links = new SimLinks({
      clock: options.clock,
      random: lossRandom,
      loss: options.loss,
      dialTimeoutMs: 2_000,
      latencyMs: (a, b) => {
        if (options.jitter === 0) return options.latencyMs;
        const key =
          a < b ? `${a.slice(0, 16)}${b.slice(0, 16)}` : `${b.slice(0, 16)}${a.slice(0, 16)}`;
        let ms = this.pairLatency.get(key);
        if (ms === undefined) {
          ms = Math.max(
            1,
            Math.round(options.latencyMs * (1 + options.jitter * (2 * jitterRandom() - 1))),
          );
          this.pairLatency.set(key, ms);
        }
        return ms;
      },
    });
  }

  /** A new member in `slot` with a fresh key and an empty store (offline). */
  newMember(slot: number): Member {
    const secret = secretKey(this.keys);
    const publicKey = secp256k1.getPublicKey(secret, false);
    const peer = Buffer.from(publicKey.subarray(1)).toString('hex') as PeerId;
    const member: Member = {
      slot,
      secret,
      publicKey,
      peer,
      store: new MemoryStore(),
      node: undefined,
      online: false,
      adversary: undefined,
      gone: false,
      client: false,
    };
    this.members[slot] = member;
    this.byPeer.set(peer, member);
    return member;
  }

  /** Members online now. */
  online(): Member[] {
    return this.members.filter((m) => m.online && !m.client);
  }

  /** A random online member (optionally honest only, not in `except`). */
  pick(random: Random, filter: (m: Member) => boolean = () => true): Member {
    const candidates = this.members.filter((m) => m.online && !m.client && filter(m));
    if (candidates.length === 0) throw new Error('no member to pick');
    return candidates[below(random, candidates.length)]!;
  }

  /**
   * Brings `member` online: a DhtNode over its holder (reopened over its store), listening,
   * then joined from `bootstrap`.
   */
  async join(
    member: Member,
    bootstrap: readonly Contact[],
    options: { holds?: boolean } = {},
  ): Promise<void> {
    const clock = this.clock;
    member.client = options.holds === false;
    const holder = await Holder.open(member.store, { clock });
    const routerRandom = fork(this.random);
    // The nonces of its signed requests: seeded from its key, so that no other stream moves.
    const key = member.publicKey;
    const nonceRandom = prng(
      new DataView(key.buffer, key.byteOffset + key.length - 4, 4).getUint32(0),
    );
    const nodeOptions: DhtNodeOptions = {
      ...(options.holds === false ? { holds: false } : {}),
      publicKey: member.publicKey,
      holder,
      clock,
      endpoints: [`sim:${member.slot}`],
      dial: (contact, { signal }) =>
        this.links.dial(member.peer, member.publicKey, contact.peer, signal),
      router: {
        randomBytes: (n) => bytes(routerRandom, n),
        refreshIntervalMs: this.options.refreshIntervalMs,
        bucketRefreshMs: this.options.bucketRefreshMs,
      },
      repairIntervalMs: this.options.repairIntervalMs,
      randomBytes: (n) => bytes(nonceRandom, n),
    };
    const node = new DhtNode(nodeOptions);
    // The node's own server (router and holder), read once: adversaries wrap it.
    const honest = node.rpc.serving!;
    node.rpc.setServer((from, message) => {
      const mode = member.adversary;
      if (!mode || message.type === MessageType.Ping) return honest(from, message);
      if (mode === 'misroute' && message.type === MessageType.FindNode && 'target' in message)
        return {
          type: MessageType.Nodes,
          requestId: 0,
          contacts: this.adversariesClosest(message.target, 20, from),
        };
      return undefined;
    });
    member.node = node;
    member.online = true;
    this.links.listen(member.peer, member.publicKey, (connection) => node.accept(connection));
    await node.start(bootstrap);
  }

  /** Takes `member` offline at once: its connections drop, its node stops. */
  leave(member: Member, gone = false): void {
    if (!member.online) return;
    member.online = false;
    this.links.unlisten(member.peer);
    member.node?.stop();
    member.node = undefined;
    if (gone) {
      member.gone = true;
      this.byPeer.delete(member.peer);
    }
  }

  /** The `n` online adversaries closest to `target`, leaving out `except` (colluding). */
  private adversariesClosest(target: NodeId, n: number, except: PeerId): Contact[] {
    return this.online()
      .filter((m) => m.adversary && m.peer !== except && m.node)
      .map((m) => m.node!.self)
      .sort((a, b) => compareDistance(target, a.id, b.id))
      .slice(0, n);
  }

  /** The online honest contacts closest to `target`, leaving out `except`. */
  honestClosest(target: NodeId, n: number, except?: PeerId): Contact[] {
    return this.online()
      .filter((m) => !m.adversary && m.peer !== except && m.node)
      .map((m) => m.node!.self)
      .sort((a, b) => compareDistance(target, a.id, b.id))
      .slice(0, n);
  }
}

/** A Whisper envelope sealed (ECIES) to `encryptionKey`, and the PoW work spent on it. */
export interface Sealed {
  readonly envelope: Envelope;
  /** Nonces tried (hashes): geth's target mode scans from 0, so the found nonce + 1. */
  readonly hashes: number;
  /** Wall time of the PoW, ms. */
  readonly powMs: number;
}

/**
 * A real envelope: `payloadBytes` random bytes encrypted with Whisper's ECIES to
 * `encryptionKey` (ephemeral key and IV from the stream), sealed by `sealEnvelope` of
 * `@hush/envelope` to PoW `minPow` (geth's target mode: the smallest nonce reaching it), or,
 * `under`, given the first nonce whose PoW is below `minPow`.
 */
export async function sealDeposit(
  random: Random,
  options: {
    encryptionKey: Uint8Array;
    sentS: number;
    ttl: number;
    minPow: number;
    payloadBytes: number;
    under?: boolean;
  },
): Promise<Sealed> {
  const data = encryptAsymmetric(
    bytes(random, options.payloadBytes),
    options.encryptionKey,
    defaultBackend,
    { ephemeralKey: secretKey(random), iv: bytes(random, 16) },
  );
  const base = createEnvelope({
    expiry: options.sentS + options.ttl,
    ttl: options.ttl,
    topic: bytes(random, 4),
    data,
  });
  const started = performance.now();
  if (options.under) {
    for (let nonce = 0n; ; nonce++) {
      const envelope = { ...base, nonce };
      if (envelopePow(envelope) < options.minPow)
        return { envelope, hashes: Number(nonce) + 1, powMs: performance.now() - started };
    }
  }
  const envelope = await sealEnvelope(base, { pow: options.minPow, workTime: 600 });
  return { envelope, hashes: Number(envelope.nonce) + 1, powMs: performance.now() - started };
}
