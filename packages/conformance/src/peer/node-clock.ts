/**
 * The implementation's clock (issue 18: "time-dependent cases with the implementation's
 * clock"), measured through the peer protocol itself: specs/whisper-v6/SPEC.md §6 (`now` is
 * the node's clock), §6.1 N1 (an envelope sent more than DefaultSyncAllowance = 10 s in the
 * node's future is refused `future`), N3 (one expired more than 20 s ago is `very-old`) and
 * §7.3 M4 (a refusal drops the sending peer). Nothing else is asked of the node: no RPC, no
 * clock setting, no time in its status.
 *
 * Each probe is a fresh session that sends one envelope sent at `s` (whole seconds) at local
 * time `T`. N1 refuses it exactly when `s − 10 > now`, i.e. when the node's clock is behind
 * `T + (s − T − 10)`: a kept sender bounds the offset (node − local, latency included) from
 * below, a dropped one from above. A first pair of probes brackets the offset within ±30 s,
 * ±10 min or ±1 day of this machine's clock; a binary search then narrows the bracket to one
 * second. Every probe expires after the bracket's upper end, so it is never `very-old` or
 * silently expired (N3, N4) where the search looks: a drop means `future` and nothing else.
 *
 * A refusal closes the sender's link at once; a probe is kept when its sender is still
 * connected once a witness session (a full peer with no requirement and no filter) has been
 * relayed the probe (§7.4), or after the timeout. A light node relays nothing (§7.4): there
 * a sender still connected after four transmission cycles (§7.5) counts as kept.
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import { randomBytes } from '@hush/crypto';
import {
  createEnvelope,
  decodeMessagesPacketItems,
  type Envelope,
  encodeMessagesPacket,
  envelopeHash,
  sealEnvelope,
} from '@hush/envelope';
import {
  DEFAULT_SYNC_ALLOWANCE,
  encodeStatus,
  MessageCode,
  type Status,
  TRANSMISSION_CYCLE_MS,
} from '@hush/transport-gossip';
import { Mismatch, Skip } from '../suite/model.js';
import { Unreachable } from '../suite/rpc-client.js';
import { connectForFirstFrame, type PeerSession, statusOf } from './peer-session.js';

/** The node's clock as measured: local time plus an offset. */
export interface NodeClock {
  /** The node's clock minus this machine's, seconds: the middle of what the probes allow. */
  readonly offsetSeconds: number;
  /** Half the width of the interval the probes leave for the offset, seconds. */
  readonly uncertaintySeconds: number;
  /** Probes sent, one session each. */
  readonly probes: number;
  /** The node's time now, Unix milliseconds (this machine's clock plus the offset). */
  nowMs(): number;
  /** The node's time now in whole Unix seconds: §6's `now` as the node sees it. */
  now(): number;
  /** The measurement in words, for a report. */
  describe(): string;
}

/** How to measure. */
export interface MeasureClockOptions {
  /** Longest wait for a connection, the status or the node's reaction to a probe, ms. */
  readonly timeoutMs: number;
}

const ALLOWANCE = DEFAULT_SYNC_ALLOWANCE;
/** How far from this machine's clock the node's may be, tried in turn: ±30 s, ±10 min, ±1 day. */
const RANGES = [30, 600, 86_400] as const;
/** The width, seconds, at which the search stops. */
const PRECISION = 1;
/** Probes of the binary search at most (the widest range needs 18). */
const MAX_SEARCH_PROBES = 40;
/** How long a light node's probe sender is watched for staying connected: four cycles (§7.5). */
const SETTLE_MS = 4 * TRANSMISSION_CYCLE_MS;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const localSeconds = () => Date.now() / 1000;

/** One probe's outcome: whether the sender was kept, at the threshold it tested. */
interface ProbeResult {
  readonly kept: boolean;
  /** sent − T − 10: kept means offset ≥ at, dropped means offset < at. */
  readonly at: number;
}

class Prober {
  probes = 0;
  private witness: Witness | undefined;
  private node: Status | undefined;
  private topic: Uint8Array = randomBytes(4);
  private readonly address: string;
  private readonly timeoutMs: number;

  constructor(address: string, timeoutMs: number) {
    this.address = address;
    this.timeoutMs = timeoutMs;
  }

  /** Opens the witness, reads the node's settings and picks a topic its filter admits. */
  async start(): Promise<void> {
    const { peer, first } = await connectForFirstFrame(this.address, {
      timeoutMs: this.timeoutMs,
    });
    try {
      this.node = statusOf(first);
    } catch (error) {
      await peer.close().catch(() => undefined);
      throw error;
    }
    const bloom = this.node.bloom;
    if (bloom !== null) {
      // N7 refuses topics outside the node's filter: the probes need one inside it.
      let found: Uint8Array | undefined;
      for (let i = 0; i < 50_000 && !found; i++) {
        const t = randomBytes(4);
        if (bloomFilterMatch(bloom, topicToBloom(t))) found = t;
      }
      if (!found) {
        await peer.close().catch(() => undefined);
        throw new Skip('the node’s bloom filter admits none of 50 000 random topics (N7)');
      }
      this.topic = found;
    }
    if (this.node.lightNode) {
      await peer.close().catch(() => undefined);
      return;
    }
    peer.send({
      code: MessageCode.status,
      payload: encodeStatus({ minPow: 0, bloom: null, lightNode: false }),
    });
    this.witness = new Witness(peer);
  }

  async stop(): Promise<void> {
    await this.witness?.peer.close().catch(() => undefined);
    this.witness = undefined;
  }

  /**
   * Sends one envelope whose sent time is `at + 10` s ahead of this machine's clock (to the
   * second) and whose expiry is at least `expiresAfter` s ahead, from a fresh session.
   */
  async probe(at: number, expiresAfter: number): Promise<ProbeResult> {
    this.probes++;
    const { peer, first } = await connectForFirstFrame(this.address, {
      timeoutMs: this.timeoutMs,
    });
    try {
      statusOf(first);
      peer.send({
        code: MessageCode.status,
        payload: encodeStatus({ minPow: 0, bloom: null, lightNode: false }),
      });
      const t0 = localSeconds();
      const sent = Math.round(t0 + at + ALLOWANCE);
      const expiry = Math.max(sent + 2 * ALLOWANCE, Math.ceil(t0 + expiresAfter));
      const envelope = await this.seal(sent, expiry - sent);
      const hash = hex(envelopeHash(envelope));
      const sentAt = localSeconds();
      peer.send({ code: MessageCode.messages, payload: encodeMessagesPacket([envelope]) });
      const witness = this.witness && !this.witness.peer.closed ? this.witness : undefined;
      if (witness) {
        // Two sessions to watch: the sender's close wakes this at once, the witness is
        // looked at every 50 ms.
        const deadline = Date.now() + this.timeoutMs;
        while (!peer.closed && !witness.saw(hash) && Date.now() < deadline)
          await peer.until((_, closed) => closed !== undefined, 50);
      } else await peer.until((_, closed) => closed !== undefined, SETTLE_MS);
      return { at: sent - sentAt - ALLOWANCE, kept: peer.closed === undefined };
    } finally {
      await peer.close().catch(() => undefined);
    }
  }

  /**
   * An envelope of the probe topic sent at `sent`, sealed to the node's minimum PoW as N2
   * computes it for an envelope up to 10 s in its future (over ttl + 11 s, with a margin).
   */
  private async seal(sent: number, ttl: number): Promise<Envelope> {
    const envelope = createEnvelope({
      expiry: (sent + ttl) >>> 0,
      ttl,
      topic: this.topic,
      data: randomBytes(4),
    });
    const min = this.node?.minPow ?? 0;
    if (!(min > 0)) return envelope;
    const pow = ((min * (ttl + ALLOWANCE + 2)) / ttl) * 1.1;
    try {
      return await sealEnvelope(envelope, { pow, workTime: 30 });
    } catch (error) {
      throw new Skip(
        `a probe cannot be sealed to the node’s minimum PoW ${min} in 30 s: ${(error as Error).message}`,
      );
    }
  }
}

/** A full peer that is relayed every envelope the node pools (§7.4). */
class Witness {
  readonly peer: PeerSession;
  private readonly hashes = new Set<string>();
  private read = 0;
  constructor(peer: PeerSession) {
    this.peer = peer;
  }

  /** Whether the node has sent it the envelope of `hash` (hex). */
  saw(hash: string): boolean {
    const received = this.peer.received;
    for (; this.read < received.length; this.read++) {
      const m = received[this.read]!;
      if (!('code' in m) || m.code !== MessageCode.messages) continue;
      try {
        for (const item of decodeMessagesPacketItems(m.payload))
          this.hashes.add(hex(envelopeHash(item.envelope)));
      } catch {
        // A packet the witness cannot read says nothing about the probe.
      }
    }
    return this.hashes.has(hash);
  }
}

const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(1)}`;

/**
 * Measures the node's clock at `address` through §6.1's admission edges (see the module).
 *
 * @example
 * ```ts
 * const clock = await measureNodeClock('ws://127.0.0.1:30303#ab…', { timeoutMs: 10_000 });
 * const expiry = clock.now() + 60; // an envelope that expires in a minute on the node's clock
 * ```
 * @throws Unreachable when the node cannot be dialed or stops answering (a crash)
 * @throws Mismatch when the probes cannot place its clock: the node keeps an envelope sent
 *   a day and 10 s ahead of this machine's clock, drops one that is valid on any clock within
 *   a day of it, or answers a probe with neither a drop nor a relay
 * @throws Skip when no probe can be built: a bloom filter no random topic matches, or a
 *   minimum PoW too high to seal to in 30 s
 */
export async function measureNodeClock(
  address: string,
  options: MeasureClockOptions,
): Promise<NodeClock> {
  const prober = new Prober(address, options.timeoutMs);
  await prober.start();
  try {
    let low: number | undefined;
    let high: number | undefined;
    const tried: string[] = [];
    for (const range of RANGES) {
      // Kept: the node is at most `range` s behind. Its expiry lies past `range` s ahead, so
      // only N1 can refuse it while the node is at most `range` s ahead.
      const behind = await prober.probe(-range, range + ALLOWANCE);
      if (!behind.kept) {
        tried.push(
          `sent ${range - ALLOWANCE} s behind this machine, expiring ${range} s ahead: dropped`,
        );
        continue;
      }
      const ahead = await prober.probe(range, range + 3 * ALLOWANCE);
      if (ahead.kept) {
        tried.push(`sent ${range + ALLOWANCE} s ahead: kept`);
        continue;
      }
      low = behind.at;
      high = ahead.at;
      break;
    }
    if (low === undefined || high === undefined)
      throw new Mismatch(
        'the node’s clock can be placed by §6.1 N1: within a day of this machine’s, it drops the sender of an envelope sent more than 10 s in its future and keeps one sent in its past that has not expired',
        'for some range of ±30 s, ±10 min, ±1 day: the probe behind kept, the one ahead dropped',
        tried,
      );
    let searched = 0;
    while (high - low > PRECISION) {
      if (++searched > MAX_SEARCH_PROBES)
        throw new Mismatch(
          'the binary search over §6.1 N1 narrows the node’s clock to a second',
          `within ${MAX_SEARCH_PROBES} probes`,
          { offsetBetween: [low, high] },
        );
      const mid = (low + high) / 2;
      const r = await prober.probe(mid, high + ALLOWANCE);
      // Sealing took long enough to move the probe out of the bracket: it says nothing new.
      if (r.at <= low || r.at >= high) continue;
      if (r.kept) low = r.at;
      else high = r.at;
    }
    const offsetSeconds = (low + high) / 2;
    const uncertaintySeconds = (high - low) / 2;
    const probes = prober.probes;
    const nowMs = () => Date.now() + offsetSeconds * 1000;
    return {
      offsetSeconds,
      uncertaintySeconds,
      probes,
      nowMs,
      now: () => Math.floor(nowMs() / 1000),
      describe: () =>
        `the node’s clock is this machine’s ${signed(offsetSeconds)} s (±${uncertaintySeconds.toFixed(1)} s, ${probes} probes)`,
    };
  } finally {
    await prober.stop();
  }
}

const measured = new WeakMap<object, Promise<NodeClock>>();

/**
 * The node's clock for one run (`run` is the run's context object), measured once, at the
 * first call.
 *
 * @throws as {@link measureNodeClock}
 */
export function nodeClock(run: object, address: string, timeoutMs: number): Promise<NodeClock> {
  let clock = measured.get(run);
  if (!clock) {
    clock = measureNodeClock(address, { timeoutMs });
    // Awaited by each case that needs it; a failure is theirs to report, not unhandled.
    clock.catch(() => undefined);
    measured.set(run, clock);
  }
  return clock;
}

/**
 * The node's clock for a time-dependent case: as {@link nodeClock}, but a clock that could not
 * be measured skips the case (the clock-offset case has failed and says why).
 *
 * @throws Skip when the clock could not be measured
 * @throws Unreachable when the node stopped answering while it was measured
 */
export async function clockForCase(
  run: object,
  address: string,
  timeoutMs: number,
): Promise<NodeClock> {
  try {
    return await nodeClock(run, address, timeoutMs);
  } catch (error) {
    if (error instanceof Unreachable) throw error;
    throw new Skip(
      `the node’s clock could not be measured (see the clock-offset case): ${(error as Error).message}`,
    );
  }
}
