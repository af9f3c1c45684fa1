/**
 * The whisper-v6 peer suite (issue 18): specs/whisper-v6/SPEC.md §6 (node rules) and §7 (peer
 * protocol) as cases played by raw peers ({@link PeerSession}) against a running node. Each
 * case opens its own sessions and closes them; expectations are the SPEC's text and the geth
 * v1.8.27 recordings of `vectors/wire.json` (named in each case's comment). Where Hush
 * deliberately differs from geth, the case is in a profile.
 *
 * Assumptions about the node under test, since the wire does not carry them:
 *
 * - **Clock.** §6's `now` is the node's clock, which need not be this machine's. The first
 *   case, `clock-offset`, measures it through the protocol itself (`node-clock.ts`: §6.1
 *   N1's edge found by a binary search over fresh sessions, to within a second), and every
 *   time-dependent envelope is built on the node's clock: this machine's plus that offset.
 *   Each keeps at least 4 s from the edges of §6.1's windows, well past the measurement's
 *   error. A clock that cannot be measured fails `clock-offset` and skips the cases that need
 *   it.
 * - **Settings.** The minimum PoW, the bloom filter and light mode are read from the status
 *   the node sends (§7.2). MaxMessageSize is not announced (§6.3): the size case assumes the
 *   default (1 MiB); a node with a larger limit still refuses its unsealed envelope (N6), so
 *   the outcome does not change.
 * - **Peers.** A case holds at most three sessions at once, all from this host (a Hush node
 *   takes 4 inbound connections per address by default).
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import { randomBytes } from '@hush/crypto';
import {
  createEnvelope,
  decodeMessagesPacketItems,
  type Envelope,
  encodeEnvelope,
  encodeMessagesPacket,
  envelopeHash,
  envelopePow,
  sealEnvelope,
} from '@hush/envelope';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MINIMUM_POW,
  decodeStatus,
  encodeBloomFilterEx,
  encodeFrame,
  encodePowRequirement,
  encodeStatus,
  MessageCode,
  type ProtocolMessage,
  type Status,
  TRANSMISSION_CYCLE_MS,
} from '@hush/transport-gossip';
import {
  type ConformanceCase,
  caseBuilder,
  expectEqual,
  expectThat,
  Mismatch,
  type Profile,
  Skip,
} from '../suite/model.js';
import { clockForCase, type NodeClock, nodeClock } from './node-clock.js';
import {
  connectForFirstFrame,
  type PeerSession,
  statusOf,
  type UnreadableFrame,
} from './peer-session.js';

/** What the peer cases run with. */
export interface PeerContext {
  /** The node's peer address: `ws://host:port#<Noise static key>`. */
  readonly address: string;
  /** Longest wait for a connection, the node's status or its reaction to one message, ms. */
  readonly timeoutMs: number;
}

export const WHISPER_V6_SPEC = 'whisper-v6';

/** Every numbered heading of specs/whisper-v6/SPEC.md (for the reports; checked by a test). */
export const WHISPER_V6_SECTIONS: readonly { section: string; title: string }[] = [
  { section: '§1', title: 'Conventions and constants' },
  { section: '§1.1', title: 'Notation' },
  { section: '§1.2', title: 'Requirement words' },
  { section: '§1.3', title: 'Protocol constants' },
  { section: '§2', title: 'Topics and bloom filters' },
  { section: '§2.1', title: 'Topic' },
  { section: '§2.2', title: 'Topic to bloom' },
  { section: '§2.3', title: 'Aggregation of many topics' },
  { section: '§2.4', title: 'Match' },
  { section: '§2.5', title: 'Full and empty filters' },
  { section: '§3', title: 'Envelope' },
  { section: '§3.1', title: 'Fields' },
  { section: '§3.2', title: 'Encoding' },
  { section: '§3.3', title: 'Strict decoding' },
  { section: '§3.4', title: 'Hash' },
  { section: '§3.5', title: 'Size' },
  { section: '§3.6', title: 'Expiry, TTL and sent time' },
  { section: '§3.7', title: 'Messages packet' },
  { section: '§4', title: 'Proof of work' },
  { section: '§4.1', title: 'The PoW buffer' },
  { section: '§4.2', title: 'Value' },
  { section: '§4.3', title: 'Target bits' },
  { section: '§4.4', title: 'Sealing to a target' },
  { section: '§4.5', title: 'Timed sealing and no sealing' },
  { section: '§4.6', title: 'Parallel sealing' },
  { section: '§5', title: 'Messages' },
  { section: '§5.1', title: 'Plaintext layout and building' },
  { section: '§5.2', title: 'Parsing' },
  { section: '§5.3', title: 'Symmetric encryption' },
  { section: '§5.4', title: 'Asymmetric encryption' },
  { section: '§5.5', title: 'Keys and key ids' },
  { section: '§5.6', title: 'Wrapping' },
  { section: '§5.7', title: 'Opening and delivery to filters' },
  { section: '§5.8', title: "Refusal codes and the vectors' reasons" },
  { section: '§6', title: 'Node rules' },
  { section: '§6.1', title: 'Admission of an envelope' },
  { section: '§6.2', title: 'The pool' },
  { section: '§6.3', title: 'Settings and tolerance' },
  { section: '§7', title: 'Peer protocol' },
  { section: '§7.1', title: 'Messages and encodings' },
  { section: '§7.2', title: 'Handshake' },
  { section: '§7.3', title: 'The message loop' },
  { section: '§7.4', title: 'Forwarding' },
  { section: '§7.5', title: 'Replaying the wire vectors' },
  { section: '§7.6', title: 'Transports, encryption and authentication' },
  { section: '§7.6.1', title: 'Handshake' },
  { section: '§7.6.2', title: 'Transport messages' },
  { section: '§7.7', title: 'Nodes and peer management' },
  { section: '§7.8', title: 'Simulation (informative)' },
  { section: '§8', title: 'Vectors' },
];

type Case = ConformanceCase<PeerContext>;
type Received = readonly (ProtocolMessage | UnreadableFrame)[];

const CYCLE_MS = TRANSMISSION_CYCLE_MS;
/** How long a peer is watched for staying connected: four cycles, as §7.5 replays. */
const SETTLE_MS = 4 * CYCLE_MS;
/** Longest wait for an envelope to be relayed: a few cycles (eligible from the next, §7.4). */
const RELAY_MS = 10 * CYCLE_MS;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- a little RLP, for what the codecs refuse to write ----

function rlpLength(length: number, short: number): Uint8Array {
  if (length < 56) return Uint8Array.of(short + length);
  const size: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) size.unshift(n % 256);
  return Uint8Array.of(short + 55 + size.length, ...size);
}
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
function rlpString(value: Uint8Array): Uint8Array {
  if (value.length === 1 && value[0]! < 0x80) return value;
  return concat(rlpLength(value.length, 0x80), value);
}
const rlpList = (...items: Uint8Array[]) => {
  const body = concat(...items);
  return concat(rlpLength(body.length, 0xc0), body);
};

// ---- sessions ----

/** The sessions a case opened, closed when it ends. */
class Peers {
  private readonly open: PeerSession[] = [];
  private readonly context: PeerContext;
  constructor(context: PeerContext) {
    this.context = context;
  }

  /**
   * A new session and the node's first frame, whatever it is. A node that cannot be dialed,
   * or sends nothing, is Unreachable (a crash).
   */
  async first(): Promise<{ peer: PeerSession; first: ProtocolMessage | UnreadableFrame }> {
    return connectForFirstFrame(this.context.address, {
      timeoutMs: this.context.timeoutMs,
      opened: (peer) => this.open.push(peer),
    });
  }

  /**
   * A new session that has read the node's status (not answered yet); a first frame that is
   * not a status fails the case (Mismatch), as §7.2 wants one.
   */
  async connect(): Promise<{ peer: PeerSession; status: ProtocolMessage; node: Status }> {
    const { peer, first } = await this.first();
    const node = statusOf(first);
    return { peer, status: first as ProtocolMessage, node };
  }

  /** A new session that has exchanged statuses (ours: `status`, default a full node, PoW 0). */
  async ready(
    status: Uint8Array = encodeStatus({ minPow: 0, bloom: null, lightNode: false }),
  ): Promise<{ peer: PeerSession; node: Status }> {
    const { peer, node } = await this.connect();
    peer.send({ code: MessageCode.status, payload: status });
    return { peer, node };
  }

  async close(): Promise<void> {
    for (const peer of this.open.splice(0)) await peer.close().catch(() => undefined);
  }
}

/** Runs `body` with a fresh set of sessions, all closed afterwards. */
async function withPeers<T>(context: PeerContext, body: (peers: Peers) => Promise<T>): Promise<T> {
  const peers = new Peers(context);
  try {
    return await body(peers);
  } finally {
    await peers.close();
  }
}

/**
 * As {@link withPeers} for a time-dependent case: the node's clock first (measured once per
 * run, before the case opens any session: the probes need inbound slots of their own).
 */
async function withClock<T>(
  context: PeerContext,
  body: (peers: Peers, clock: NodeClock) => Promise<T>,
): Promise<T> {
  const clock = await clockForCase(context, context.address, context.timeoutMs);
  return withPeers(context, (peers) => body(peers, clock));
}

function closedText(peer: PeerSession): string {
  const c = peer.closed;
  return c ? `closed (${c.reason}${c.detail ? `: ${c.detail}` : ''})` : 'connected';
}

/** The node must close the link within the context's timeout. */
async function expectDisconnected(context: PeerContext, peer: PeerSession, what: string) {
  const closed = await peer.until((_, c) => c !== undefined, context.timeoutMs);
  expectThat(what, closed, `disconnected within ${context.timeoutMs} ms`, 'still connected');
}

/** The node must keep the link for four transmission cycles (§7.5). */
async function expectConnected(peer: PeerSession, what: string) {
  await peer.until((_, c) => c !== undefined, SETTLE_MS);
  expectThat(what, peer.closed === undefined, `connected after ${SETTLE_MS} ms`, closedText(peer));
}

// ---- envelopes ----

/** The envelopes of the messages packets in `received`: hash (hex) → their encodings. */
function relayed(received: Received): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>();
  for (const m of received) {
    if (!('code' in m) || m.code !== MessageCode.messages) continue;
    let items: { envelope: Envelope; encoded: Uint8Array }[];
    try {
      items = decodeMessagesPacketItems(m.payload);
    } catch {
      continue;
    }
    for (const { envelope, encoded } of items) {
      const h = hex(envelopeHash(envelope));
      out.set(h, [...(out.get(h) ?? []), encoded]);
    }
  }
  return out;
}

const hashOf = (e: Envelope) => hex(envelopeHash(e));

/** Waits until `peer` was sent every envelope of `want`; fails when one does not come. */
async function expectRelayed(peer: PeerSession, want: readonly Envelope[], what: string) {
  const hashes = want.map(hashOf);
  await peer.until((received) => {
    const got = relayed(received);
    return hashes.every((h) => got.has(h));
  }, RELAY_MS);
  const got = relayed(peer.received);
  const missing = hashes.filter((h) => !got.has(h));
  expectThat(
    what,
    missing.length === 0,
    `relayed within ${RELAY_MS} ms: ${hashes.join(', ')}`,
    `not received: ${missing.join(', ')}${peer.closed ? `; link ${closedText(peer)}` : ''}`,
  );
}

/** After a positive control came, one more cycle, and none of `unwanted` may have come. */
async function expectNotRelayed(peer: PeerSession, unwanted: readonly Envelope[], what: string) {
  await sleep(CYCLE_MS);
  const got = relayed(peer.received);
  const came = unwanted.map(hashOf).filter((h) => got.has(h));
  expectThat(what, came.length === 0, 'not relayed', `relayed: ${came.join(', ')}`);
}

const randomTopic = () => randomBytes(4);

interface EnvelopeSpec {
  /** Seconds from now to the envelope's sent time (expiry − ttl); default −2. */
  readonly sentIn?: number;
  readonly ttl?: number;
  readonly topic?: Uint8Array;
  readonly dataBytes?: number;
  /** PoW to seal to (0: no sealing). */
  readonly pow: number;
}

/** A fresh envelope on the node's clock, sealed to `pow`. */
async function envelope(clock: NodeClock, spec: EnvelopeSpec): Promise<Envelope> {
  const ttl = spec.ttl ?? 60;
  const e = createEnvelope({
    expiry: (clock.now() + (spec.sentIn ?? -2) + ttl) >>> 0,
    ttl,
    topic: spec.topic ?? randomTopic(),
    data: randomBytes(spec.dataBytes ?? 64),
  });
  if (spec.pow <= 0) return e;
  // A little over the target: with the node's clock a second behind the measured one, a node
  // computes the PoW of an envelope from its future (§6.1 N2) over a longer time.
  return sealEnvelope(e, { pow: spec.pow * 1.2, workTime: 30 });
}

/**
 * An envelope whose PoW is below `limit` (nonces tried from 0), sent at `now` + `sentIn`
 * (`now`: the node's time in Unix seconds), or Skip.
 */
function envelopeBelow(limit: number, now: number, spec: Omit<EnvelopeSpec, 'pow'> = {}): Envelope {
  const ttl = spec.ttl ?? 60;
  const base = createEnvelope({
    expiry: (now + (spec.sentIn ?? -2) + ttl) >>> 0,
    ttl,
    topic: spec.topic ?? randomTopic(),
    data: randomBytes(spec.dataBytes ?? 64),
  });
  for (let nonce = 0n; nonce < 4096n; nonce++) {
    const e = { ...base, nonce };
    if (envelopePow(e) < limit) return e;
  }
  throw new Skip(`no envelope with PoW below ${limit} found`);
}

/** The PoW an envelope needs to pass the node's minimum (a little over it). */
const enough = (node: Status) => Math.max(node.minPow ?? 0, 0.001);

const messages = (...envelopes: Envelope[]): ProtocolMessage => ({
  code: MessageCode.messages,
  payload: encodeMessagesPacket(envelopes),
});

/** Relay cases need a node that relays what peers send it. */
function relaying(node: Status): void {
  if (node.lightNode)
    throw new Skip('the node is a light client: it does not forward envelopes of peers (§7.4)');
  if (node.bloom !== null)
    throw new Skip('the node has a bloom filter: random topics may not pass its N7 (§6.1)');
}

// ---- case builders ----

const make = caseBuilder<PeerContext>(WHISPER_V6_SPEC, 'peer', 'peer/');

/** The node answers `inbound` (sent right after its status) by keeping or dropping the peer. */
function exchange(
  section: string,
  name: string,
  title: string,
  inbound: readonly ProtocolMessage[],
  result: 'connected' | 'disconnected',
  profiles?: readonly Profile[],
): Case {
  return make(
    section,
    name,
    title,
    (context) =>
      withPeers(context, async (peers) => {
        const { peer } = await peers.connect();
        for (const m of inbound) peer.send(m);
        if (result === 'connected') await expectConnected(peer, 'the node keeps the peer');
        else await expectDisconnected(context, peer, 'the node drops the peer');
      }),
    profiles,
  );
}

/** As {@link exchange}, with raw frames after a valid status. */
function rawExchange(
  section: string,
  name: string,
  title: string,
  frames: readonly Uint8Array[],
  result: 'connected' | 'disconnected',
): Case {
  return make(section, name, title, (context) =>
    withPeers(context, async (peers) => {
      const { peer } = await peers.ready();
      for (const f of frames) peer.sendRaw(f);
      if (result === 'connected') await expectConnected(peer, 'the node keeps the peer');
      else await expectDisconnected(context, peer, 'the node drops the peer');
    }),
  );
}

const status = (payload: string): ProtocolMessage => ({ code: 0, payload: bytes(payload) });
/** The status of a default node: `cc 06 883fc999999999999a 80 80` (§7.1). */
const DEFAULT_STATUS = status('cc06883fc999999999999a8080');
const message = (code: number, payload: string): ProtocolMessage => ({
  code,
  payload: bytes(payload),
});

/**
 * A bad envelope `bad` (built with the node's status) is not relayed: A sends it, the peer is
 * dropped or kept (`sender`), and a control envelope sent afterwards (by A when it is kept,
 * else by a new peer C) reaches B, while the bad one never does.
 */
function notRelayedCase(
  section: string,
  name: string,
  title: string,
  bad: (node: Status, clock: NodeClock) => Promise<Envelope> | Envelope,
  sender: 'connected' | 'disconnected',
  profiles?: readonly Profile[],
): Case {
  return make(
    section,
    name,
    title,
    (context) =>
      withClock(context, async (peers, clock) => {
        const b = await peers.ready();
        relaying(b.node);
        const a = await peers.ready();
        const e = await bad(b.node, clock);
        a.peer.send(messages(e));
        let from = a.peer;
        if (sender === 'connected') await expectConnected(a.peer, 'the sender is kept');
        else {
          await expectDisconnected(context, a.peer, 'the sender is dropped');
          await a.peer.close();
          from = (await peers.ready()).peer;
        }
        const control = await envelope(clock, { pow: enough(b.node) });
        from.send(messages(control));
        await expectRelayed(b.peer, [control], 'a valid envelope sent after it is relayed');
        await expectNotRelayed(b.peer, [e], 'the refused envelope is not relayed');
      }),
    profiles,
  );
}

/** The cases, in the order they run. */
export function peerCases(): Case[] {
  // Sent where time plays no part (code 127 from an untrusted peer is ignored, M9; a bare
  // envelope fails the packet's layout, M3): this machine's clock will do.
  const IGNORED_ENVELOPE = envelopeBelow(1, Math.floor(Date.now() / 1000));
  return [
    // ---- §6 the node's clock, first: the time-dependent cases build on it ----
    make(
      '§6.1',
      'clock-offset',
      'the node’s clock (§6 now), measured through the admission edge: the sender of an envelope sent more than DefaultSyncAllowance (10 s) in the node’s future is dropped, one within it is not (N1, M4); a binary search over fresh sessions gives its offset from this machine’s clock to a second',
      async (context) => {
        const clock = await nodeClock(context, context.address, context.timeoutMs);
        return { status: 'pass', note: clock.describe() };
      },
    ),

    // ---- §7.2 handshake ----
    make(
      '§7.2',
      'node-status-first',
      'the node sends its status first, unasked: code 0, [6, Float64bits(minPow), filter or empty, light] in canonical form (§7.1; wire.json gethStatus)',
      (context) =>
        withPeers(context, async (peers) => {
          const { first: frame } = await peers.first();
          expectThat(
            'the first frame decodes as a protocol message (§7.1)',
            'code' in frame,
            'an RLP [code, payload] frame',
            'unreadable' in frame ? hex(frame.unreadable) : frame,
          );
          const first = frame as ProtocolMessage;
          expectEqual('code', MessageCode.status, first.code);
          let s: Status;
          try {
            s = decodeStatus(first.payload);
          } catch (error) {
            throw new Mismatch('the status decodes', 'a status', {
              payload: hex(first.payload),
              error: (error as Error).message,
            });
          }
          expectEqual('version', 6, s.version);
          expectThat(
            'minimum PoW',
            s.minPow !== undefined && Number.isFinite(s.minPow) && s.minPow >= 0,
            'finite, ≥ 0',
            s.minPow,
          );
          // All four items, the filter as its 64 bytes or the empty string (never 64 zero
          // bytes), the flag 0 or 1, nothing after: the payload is what encodeStatus writes.
          expectEqual(
            'payload (all four items, canonical)',
            hex(encodeStatus({ minPow: s.minPow ?? 0, bloom: s.bloom, lightNode: s.lightNode })),
            hex(first.payload),
          );
        }),
    ),
    make(
      '§7.2',
      'minimal-status-kept-and-ready',
      'a peer answering the minimal status c106 is kept, sent no second status, and is ready: it is sent a pooled envelope (wire.json "peer answers with the minimal status [6]")',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.connect();
          const node = b.node;
          relaying(node);
          b.peer.send(status('c106'));
          const a = await peers.ready();
          const e = await envelope(clock, { pow: enough(node) });
          a.peer.send(messages(e));
          await expectRelayed(b.peer, [e], 'a peer with requirement 0 and no filter is sent it');
          await expectConnected(b.peer, 'the node keeps the peer');
          const statuses = b.peer.received.filter((m) => 'code' in m && m.code === 0).length;
          expectEqual('statuses the node sent', 1, statuses);
        }),
    ),
    exchange(
      '§7.2',
      'status-four-fields',
      'a status with all four fields (PoW 0.5 and a filter) is accepted (wire.json)',
      [
        status(
          'f84d06883fe0000000000000b8400000000200000000000000000000000000000000000000000000000000000000001000020000000000000000000000000000100000000000000000000000030080',
        ),
      ],
      'connected',
    ),
    exchange(
      '§7.2',
      'status-empty-bloom',
      'a status with an empty filter (what a node without one sends) is accepted (wire.json)',
      [DEFAULT_STATUS],
      'connected',
    ),
    exchange(
      '§7.2',
      'status-fifth-item',
      'a status with a fifth item is accepted: nothing after the flag is examined (wire.json)',
      [status('cd06883fc999999999999a808007')],
      'connected',
    ),
    exchange(
      '§7.2',
      'status-version-5',
      'a status of version 5 is version-mismatch: dropped (C3; wire.json "protocol version 5")',
      [status('cc05883fc999999999999a8080')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'status-pow-nan',
      'a status with PoW NaN is invalid-pow: dropped (C4; wire.json)',
      [status('cc06887ff80000000000018080')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'status-pow-infinity',
      'a status with PoW +Infinity is invalid-pow: dropped (C4; wire.json)',
      [status('cc06887ff00000000000008080')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'status-pow-negative',
      'a status with PoW −1 is invalid-pow: dropped (C4; wire.json)',
      [status('cc0688bff00000000000008080')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'status-bloom-10-bytes',
      'a status with a 10-byte filter is bloom-size: dropped (C5; wire.json)',
      [status('d606883fc999999999999a8a9803f7bfe9186515965780')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'first-message-not-status',
      'a messages packet as the first message is status-expected: dropped (C1; wire.json)',
      [message(MessageCode.messages, 'c0')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'status-not-a-list',
      'a status payload that is not a list (06) is bad-status: dropped (C2; wire.json)',
      [status('06')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'status-empty-list',
      'a status without a version (c0) is bad-status: dropped (C2)',
      [status('c0')],
      'disconnected',
    ),
    exchange(
      '§7.2',
      'status-empty-payload',
      'a status with no payload at all does not decode: bad-status, dropped (C2)',
      [status('')],
      'disconnected',
    ),
    make(
      '§7.2',
      'light-peer',
      'a light-client peer is kept by a full node and dropped by a light one (C6; wire.json "both sides light clients")',
      (context) =>
        withPeers(context, async (peers) => {
          const { peer, node } = await peers.connect();
          peer.send(status('cc06883fc999999999999a8001'));
          if (node.lightNode) await expectDisconnected(context, peer, 'two light clients');
          else await expectConnected(peer, 'a full node keeps a light peer');
        }),
    ),

    // ---- §7.1 transport frames, §7.3 message loop ----
    rawExchange(
      '§7.3',
      'frame-not-rlp',
      'a frame that is not RLP is bad-frame: dropped (§7.1 transport frame, §7.3)',
      [Uint8Array.of(0xff, 0x00, 0x13)],
      'disconnected',
    ),
    rawExchange(
      '§7.3',
      'frame-three-items',
      'a frame of three items is bad-frame: dropped (§7.1: exactly [code, payload])',
      [bytes('c3018080')],
      'disconnected',
    ),
    rawExchange(
      '§7.3',
      'frame-trailing-bytes',
      'a frame with bytes after its list is bad-frame: dropped (§7.1: nothing after them)',
      [concat(encodeFrame(message(MessageCode.messages, 'c0')), Uint8Array.of(0))],
      'disconnected',
    ),
    rawExchange(
      '§7.3',
      'frame-code-5-bytes',
      'a frame whose code is a 5-byte integer is bad-frame: dropped (§7.1: at most 4 bytes)',
      [rlpList(rlpString(bytes('0100000000')), rlpString(bytes('c0')))],
      'disconnected',
    ),
    exchange(
      '§7.3',
      'second-status-ignored',
      'a second status after the handshake is ignored (M2)',
      [DEFAULT_STATUS, status('cc05883fc999999999999a8080')],
      'connected',
    ),
    exchange(
      '§7.3',
      'unknown-code-42',
      'an unknown code below 128 (42) is ignored (M9; wire.json "unknown message code 42")',
      [DEFAULT_STATUS, message(42, '83010203')],
      'connected',
    ),
    // Codes ≥ NumberOfMessageCodes: M9 says "any other code: ignored", and Hush's frame
    // carries codes up to 2³²−1. Under devp2p a code past the sub-protocol's 128 is not
    // shh's at all (geth's p2p layer drops a peer for "msg code out of range"), so this is
    // Hush's transport, not a geth behaviour.
    exchange(
      '§7.3',
      'code-above-range',
      'a code above the protocol’s range (200, 2³²−1) is ignored (M9, Hush frames)',
      [DEFAULT_STATUS, message(200, '83010203'), message(0xffffffff, 'c0')],
      'connected',
      ['hush'],
    ),
    exchange(
      '§7.3',
      'untrusted-p2p-message',
      'a p2pMessage (127) from an untrusted peer is ignored (M9; wire.json)',
      [DEFAULT_STATUS, { code: MessageCode.p2pMessage, payload: encodeEnvelope(IGNORED_ENVELOPE) }],
      'connected',
    ),
    exchange(
      '§7.3',
      'untrusted-request-complete',
      'a p2pRequestComplete (125) from an untrusted peer is ignored (M9)',
      [DEFAULT_STATUS, message(MessageCode.p2pRequestComplete, `a0${'00'.repeat(32)}`)],
      'connected',
    ),
    exchange(
      '§7.3',
      'messages-empty-list',
      'an empty messages packet (c0) is fine (§3.7; wire.json)',
      [DEFAULT_STATUS, message(MessageCode.messages, 'c0')],
      'connected',
    ),
    exchange(
      '§3.7',
      'messages-empty-payload',
      'a messages packet with no payload bytes is invalid-envelopes (empty): dropped (§3.7, M3)',
      [DEFAULT_STATUS, message(MessageCode.messages, '')],
      'disconnected',
    ),
    exchange(
      '§3.7',
      'messages-bare-envelope',
      'a bare envelope instead of a list of envelopes is invalid-envelopes: dropped (M3; wire.json)',
      [DEFAULT_STATUS, { code: MessageCode.messages, payload: encodeEnvelope(IGNORED_ENVELOPE) }],
      'disconnected',
    ),
    exchange(
      '§3.7',
      'messages-short-topic',
      'an envelope with a 3-byte topic is invalid-envelopes: dropped (§3.3, M3; wire.json)',
      [
        DEFAULT_STATUS,
        message(
          MessageCode.messages,
          'f5f4846b031bd63283010203a8cb22ffec42ef59226b87f05e07c42d5ef6cd88e027c09f53e38b5518d491b995ddc0b7a22d61715b80',
        ),
      ],
      'disconnected',
    ),
    exchange(
      '§3.7',
      'messages-trailing-bytes',
      'bytes after a messages packet’s list are ignored, not a reason to drop (§3.7 SHOULD, as geth)',
      [DEFAULT_STATUS, message(MessageCode.messages, 'c000')],
      'connected',
    ),
    exchange(
      '§7.3',
      'pow-requirement-1.5',
      'powRequirement 1.5 is taken (M5; wire.json)',
      [DEFAULT_STATUS, { code: MessageCode.powRequirement, payload: encodePowRequirement(1.5) }],
      'connected',
    ),
    exchange(
      '§7.3',
      'pow-requirement-nan',
      'powRequirement NaN is invalid-pow-requirement: dropped (M5; wire.json)',
      [DEFAULT_STATUS, message(MessageCode.powRequirement, '887ff8000000000001')],
      'disconnected',
    ),
    exchange(
      '§7.3',
      'pow-requirement-negative',
      'powRequirement −0.5 is invalid-pow-requirement: dropped (M5; wire.json)',
      [DEFAULT_STATUS, message(MessageCode.powRequirement, '88bfe0000000000000')],
      'disconnected',
    ),
    exchange(
      '§7.3',
      'pow-requirement-list',
      'powRequirement as a list is invalid-pow-requirement: dropped (M5; wire.json)',
      [DEFAULT_STATUS, message(MessageCode.powRequirement, 'c9883ff0000000000000')],
      'disconnected',
    ),
    exchange(
      '§7.3',
      'bloom-exchange-64',
      'bloomFilterEx of 64 bytes is taken (M6; wire.json)',
      [
        DEFAULT_STATUS,
        {
          code: MessageCode.bloomFilterEx,
          payload: encodeBloomFilterEx(topicToBloom(randomTopic())),
        },
      ],
      'connected',
    ),
    exchange(
      '§7.3',
      'bloom-exchange-63',
      'bloomFilterEx of 63 bytes is invalid-bloom-exchange: dropped (M6; wire.json)',
      [
        DEFAULT_STATUS,
        message(
          MessageCode.bloomFilterEx,
          'b83f6c5be711a0eb6f4ae4a15dd6541f26e16775e9b5edf3a9c15acd310f6baff41383bc6822f991c2e3adf27bf2fe24baa594f8448f709e6cceb5571a1b0fe5f2',
        ),
      ],
      'disconnected',
    ),

    // ---- §7.4 / §6.1 relaying ----
    make(
      '§7.4',
      'relay',
      'an envelope A sends reaches B within a few cycles, as its own encoding in a messages packet, and is not echoed to A (§6.2, §7.4; wire.json "geth broadcasts its pooled envelope")',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.ready();
          relaying(b.node);
          const a = await peers.ready();
          const e = await envelope(clock, { pow: enough(b.node) });
          a.peer.send(messages(e));
          await expectRelayed(b.peer, [e], 'relayed to B');
          expectEqual(
            'the relayed encoding',
            [hex(encodeEnvelope(e))],
            (relayed(b.peer.received).get(hashOf(e)) ?? []).map(hex),
          );
          await expectNotRelayed(a.peer, [e], 'not echoed to its sender');
          expectThat('A is kept', a.peer.closed === undefined, 'connected', closedText(a.peer));
        }),
    ),
    make(
      '§6.1',
      'duplicate',
      'an envelope sent twice is a duplicate, not an error: the sender is kept and B is sent it once (N8)',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.ready();
          relaying(b.node);
          const a = await peers.ready();
          const e = await envelope(clock, { pow: enough(b.node) });
          a.peer.send(messages(e));
          await expectRelayed(b.peer, [e], 'relayed to B');
          a.peer.send(messages(e));
          const control = await envelope(clock, { pow: enough(b.node) });
          a.peer.send(messages(control));
          await expectRelayed(b.peer, [control], 'a later envelope is relayed');
          await sleep(CYCLE_MS);
          expectEqual('copies B was sent', 1, relayed(b.peer.received).get(hashOf(e))?.length);
          expectThat('A is kept', a.peer.closed === undefined, 'connected', closedText(a.peer));
        }),
    ),
    make(
      '§6.1',
      'future-within-allowance',
      'an envelope sent 5 s in the future (within DefaultSyncAllowance) is accepted and relayed (N1, N2)',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.ready();
          relaying(b.node);
          const a = await peers.ready();
          // N2 computes its PoW over ttl + (sent − now + 1) = 60 + 6 s: seal for that.
          const e = await envelope(clock, { sentIn: 5, pow: (enough(b.node) * 66) / 60 });
          a.peer.send(messages(e));
          await expectRelayed(b.peer, [e], 'relayed to B');
          expectThat('A is kept', a.peer.closed === undefined, 'connected', closedText(a.peer));
        }),
    ),
    notRelayedCase(
      '§6.1',
      'future',
      'an envelope sent 60 s in the future is future: not relayed, the sender dropped (N1, M4)',
      (node, clock) => envelope(clock, { sentIn: 60, pow: enough(node) * 2 }),
      'disconnected',
    ),
    notRelayedCase(
      '§6.1',
      'very-old',
      'an envelope expired 60 s ago is very-old: not relayed, the sender dropped (N3, M4; wire.json "expired 40 s ago")',
      (node, clock) => envelope(clock, { sentIn: -120, ttl: 60, pow: enough(node) }),
      'disconnected',
    ),
    notRelayedCase(
      '§6.1',
      'expired-recently',
      'an envelope expired 10 s ago is dropped silently: not relayed, the sender kept (N4; wire.json "expired 3 s ago")',
      (node, clock) => envelope(clock, { sentIn: -70, ttl: 60, pow: enough(node) }),
      'connected',
    ),
    notRelayedCase(
      '§6.1',
      'low-pow',
      'an envelope below the node’s minimum PoW (and below 0.2) is low-pow: not relayed, the sender dropped (N6, M4)',
      (node, clock) => {
        if (!node.minPow) throw new Skip('the node’s minimum PoW is 0: nothing is below it');
        return envelopeBelow(Math.min(node.minPow, DEFAULT_MINIMUM_POW), clock.now());
      },
      'disconnected',
    ),
    // §6.3: a node configured above 0.2 from the start has no tolerated previous minimum;
    // geth (informative) keeps accepting PoW ≥ 0.2 until its first SetMinimumPoW.
    notRelayedCase(
      '§6.3',
      'low-pow-above-default',
      'a node configured with a minimum above 0.2 refuses PoW between 0.2 and it (no tolerated previous value, §6.3)',
      async (node, clock) => {
        const min = node.minPow ?? 0;
        if (min <= DEFAULT_MINIMUM_POW * 1.5)
          throw new Skip('the node’s minimum PoW is not above 0.2 enough to test');
        for (let i = 0; i < 16; i++) {
          const e = await envelope(clock, { pow: DEFAULT_MINIMUM_POW });
          if (envelopePow(e) < min) return e;
        }
        throw new Skip('no envelope between 0.2 and the node’s minimum found');
      },
      'disconnected',
      ['hush'],
    ),
    notRelayedCase(
      '§6.1',
      'too-large',
      'an envelope of size 1 048 577 (over the default MaxMessageSize) is not relayed and the sender dropped (M1 oversized: its packet is over the limit too; N5)',
      (_, clock) =>
        createEnvelope({
          expiry: clock.now() + 58,
          ttl: 60,
          topic: randomTopic(),
          data: randomBytes(DEFAULT_MAX_MESSAGE_SIZE + 1 - 20),
        }),
      'disconnected',
    ),
    make(
      '§7.3',
      'valid-then-invalid',
      'a packet of a valid envelope and a low-PoW one: the sender is dropped, the valid one still pooled and relayed (M4; wire.json "valid envelope followed by a low-PoW one")',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.ready();
          relaying(b.node);
          if (!b.node.minPow) throw new Skip('the node’s minimum PoW is 0: nothing is below it');
          const a = await peers.ready();
          const good = await envelope(clock, { pow: enough(b.node) });
          const low = envelopeBelow(Math.min(b.node.minPow, DEFAULT_MINIMUM_POW), clock.now());
          a.peer.send(messages(good, low));
          await expectDisconnected(context, a.peer, 'the sender is dropped');
          await expectRelayed(b.peer, [good], 'the valid envelope is relayed');
          await expectNotRelayed(b.peer, [low], 'the low-PoW one is not');
        }),
    ),
    make(
      '§7.4',
      'status-requirement',
      'a peer whose status asks for more PoW is not sent envelopes below it, and is sent those above (§7.4 rule 2; wire.json "withholds envelopes below the peer’s PoW requirement")',
      (context) =>
        withClock(context, async (peers, clock) => {
          const probe = await peers.connect();
          const node = probe.node;
          relaying(node);
          const low = await envelope(clock, { pow: Math.max(enough(node), 0.2) });
          const requirement = envelopePow(low) * 2;
          probe.peer.send({
            code: MessageCode.status,
            payload: encodeStatus({ minPow: requirement, bloom: null, lightNode: false }),
          });
          const a = await peers.ready();
          const high = await envelope(clock, { pow: requirement * 1.25 });
          a.peer.send(messages(low, high));
          await expectRelayed(probe.peer, [high], 'an envelope above the requirement is sent');
          await expectNotRelayed(probe.peer, [low], 'one below it is not');
        }),
    ),
    make(
      '§7.4',
      'pow-requirement-honoured',
      'a powRequirement (code 2) a peer sends is honoured: envelopes below it are not sent to it (M5, §7.4 rule 2)',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.ready();
          relaying(b.node);
          const low = await envelope(clock, { pow: Math.max(enough(b.node), 0.2) });
          const requirement = envelopePow(low) * 2;
          b.peer.send({
            code: MessageCode.powRequirement,
            payload: encodePowRequirement(requirement),
          });
          // B's messages are handled in order: once A is sent B's probe, the node has taken
          // B's requirement.
          const marker = await envelope(clock, { pow: requirement * 1.25 });
          b.peer.send(messages(marker));
          const a = await peers.ready();
          await expectRelayed(a.peer, [marker], 'B’s probe reaches A');
          const high = await envelope(clock, { pow: requirement * 1.25 });
          a.peer.send(messages(low, high));
          await expectRelayed(b.peer, [high], 'an envelope above the requirement is sent to B');
          await expectNotRelayed(b.peer, [low], 'one below it is not');
        }),
    ),
    make(
      '§7.4',
      'requirement-lowered',
      'an envelope withheld for a peer’s requirement is sent once the peer lowers it (§7.4 changes, M5)',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.connect();
          const node = b.node;
          relaying(node);
          const low = await envelope(clock, { pow: Math.max(enough(node), 0.2) });
          const requirement = envelopePow(low) * 2;
          b.peer.send({
            code: MessageCode.status,
            payload: encodeStatus({ minPow: requirement, bloom: null, lightNode: false }),
          });
          const a = await peers.ready();
          const high = await envelope(clock, { pow: requirement * 1.25 });
          a.peer.send(messages(low, high));
          await expectRelayed(b.peer, [high], 'an envelope above the requirement is sent');
          await expectNotRelayed(b.peer, [low], 'one below it is withheld');
          b.peer.send({ code: MessageCode.powRequirement, payload: encodePowRequirement(0) });
          await expectRelayed(b.peer, [low], 'the withheld envelope is sent after the change');
          expectEqual('copies of the other', 1, relayed(b.peer.received).get(hashOf(high))?.length);
        }),
    ),
    make(
      '§7.4',
      'status-bloom',
      'a peer whose status carries a filter is not sent envelopes of other topics (§7.4 rule 3; wire.json "withholds envelopes outside the peer’s bloom filter")',
      (context) =>
        withClock(context, async (peers, clock) => {
          const [wanted, other] = topicPair();
          const b = await peers.connect();
          const node = b.node;
          relaying(node);
          b.peer.send({
            code: MessageCode.status,
            payload: encodeStatus({ minPow: 0, bloom: topicToBloom(wanted), lightNode: false }),
          });
          const a = await peers.ready();
          const no = await envelope(clock, { topic: other, pow: enough(node) });
          const yes = await envelope(clock, { topic: wanted, pow: enough(node) });
          a.peer.send(messages(no, yes));
          await expectRelayed(b.peer, [yes], 'an envelope of its topic is sent');
          await expectNotRelayed(b.peer, [no], 'one of another topic is not');
        }),
    ),
    make(
      '§7.4',
      'bloom-exchange-honoured',
      'a bloomFilterEx (code 3) a peer sends is honoured: envelopes of other topics are not sent to it (M6, §7.4 rule 3)',
      (context) =>
        withClock(context, async (peers, clock) => {
          const [wanted, other] = topicPair();
          const b = await peers.ready();
          relaying(b.node);
          b.peer.send({
            code: MessageCode.bloomFilterEx,
            payload: encodeBloomFilterEx(topicToBloom(wanted)),
          });
          const marker = await envelope(clock, { pow: enough(b.node) });
          b.peer.send(messages(marker));
          const a = await peers.ready();
          await expectRelayed(a.peer, [marker], 'B’s probe reaches A');
          const no = await envelope(clock, { topic: other, pow: enough(b.node) });
          const yes = await envelope(clock, { topic: wanted, pow: enough(b.node) });
          a.peer.send(messages(no, yes));
          await expectRelayed(b.peer, [yes], 'an envelope of its topic is sent to B');
          await expectNotRelayed(b.peer, [no], 'one of another topic is not');
          // A full filter again (64 × 0xff, §6.3): the withheld one becomes eligible.
          b.peer.send({
            code: MessageCode.bloomFilterEx,
            payload: encodeBloomFilterEx(new Uint8Array(64).fill(0xff)),
          });
          await expectRelayed(b.peer, [no], 'sent once the filter is full again');
        }),
    ),
    make(
      '§7.4',
      'light-node-does-not-forward',
      'a light-client node does not forward envelopes it received from peers (§7.4 light clients)',
      (context) =>
        withClock(context, async (peers, clock) => {
          const b = await peers.ready();
          if (!b.node.lightNode) throw new Skip('the node is not a light client');
          const a = await peers.ready();
          const e = await envelope(clock, { pow: enough(b.node) });
          a.peer.send(messages(e));
          await sleep(RELAY_MS);
          await expectNotRelayed(b.peer, [e], 'not forwarded');
        }),
      ['hush'],
    ),
  ];
}

/** Two random topics, the second's bloom not matching the first's. */
function topicPair(): [Uint8Array, Uint8Array] {
  const wanted = randomTopic();
  for (;;) {
    const other = randomTopic();
    if (!bloomFilterMatch(topicToBloom(wanted), topicToBloom(other))) return [wanted, other];
  }
}

/**
 * The liveness probe the runner calls after each case: a fresh session still connects and the
 * node sends it something. What it sends is the cases' to judge: a malformed status is an
 * answer, and a node that answers is alive.
 *
 * @throws Unreachable when the node cannot be dialed or sends nothing (a crash)
 */
export async function peerAlive(context: PeerContext): Promise<void> {
  const { peer } = await connectForFirstFrame(context.address, { timeoutMs: context.timeoutMs });
  await peer.close().catch(() => undefined);
}
