/**
 * The mailserver suite (issue 18): specs/mailserver/SPEC.md (history requests, pages and
 * cursors) as cases played by raw peers ({@link PeerSession}) against a running node that
 * serves history (a Hush node started with `--mailserver`). Each case feeds the archive the
 * envelopes it needs, then asks for them with code-126 requests built here (the payload
 * encoded by this module, not by `@hush/mailserver`) and reads the code-127 messages and the
 * code-125 completion. Where Hush deliberately differs from Status (SPEC §8.1), the case is in
 * the `hush` profile.
 *
 * Assumptions about the node under test, since the wire does not carry them:
 *
 * - **Clock.** Windows of sent times are on the node's clock, which need not be this
 *   machine's: the first case, `clock-offset`, measures it through W§6.1's admission edge
 *   (`node-clock.ts`, to within a second), and every envelope and window is built on this
 *   machine's clock plus that offset. Sent times lie minutes in the past (expiry a couple of
 *   minutes ahead), so the envelopes pass W§6.1; each case draws its own window and its own
 *   random topics, so envelopes of other cases, other runs or live traffic are never
 *   selected. A clock that cannot be measured fails `clock-offset` and skips the cases that
 *   need it.
 * - **Archive.** Envelopes are fed as a peer's messages packet (W§7.3 code 1), which SPEC §3
 *   archives asynchronously: a case polls with requests until they are served before it
 *   asks its own question. The local-post case uses `shh_post` over the RPC (§3).
 * - **Trust.** A mailserver answers any peer holding its key (§2.2 R1–R2, §7): the sessions
 *   are never marked trusted. Codes 125 and 127 need trust only on the client side (§5.3).
 * - **Peers.** A case holds one session at a time, plus the runner's probe.
 */
import { bloomFilterMatch, emptyBloom, fullBloom, topicsToBloom, topicToBloom } from '@hush/bloom';
import { randomBytes } from '@hush/crypto';
import {
  createEnvelope,
  type Envelope,
  encodeEnvelope,
  encodeMessagesPacket,
  envelopeHash,
  sealEnvelope,
} from '@hush/envelope';
import { symKeyFromPassword, wrapMessage } from '@hush/message';
import {
  decodeP2PMessage,
  decodeRequestCompletePayload,
  encodeStatus,
  MessageCode,
  type Status,
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
import { type RpcAdapter, RpcCallError, Unreachable } from '../suite/rpc-client.js';
import { clockForCase, type NodeClock, nodeClock } from './node-clock.js';
import { connectForFirstFrame, type PeerSession, statusOf } from './peer-session.js';

/** What the mailserver cases run with. */
export interface MailserverContext {
  /** The node's peer address: `ws://host:port#<Noise static key>`. */
  readonly address: string;
  /** The same node's JSON-RPC (for `shh_post`); the cases that need it skip without it. */
  readonly rpc?: RpcAdapter;
  /** The mailserver's password (SPEC §2.1; Hush's and Status's default `status-offline-inbox`). */
  readonly password: string;
  /** Longest wait for a connection, an answer or the archive, ms. */
  readonly timeoutMs: number;
}

export const MAILSERVER_SPEC = 'mailserver';
export const DEFAULT_MAILSERVER_PASSWORD = 'status-offline-inbox';

/** Every numbered heading of specs/mailserver/SPEC.md (for the reports; checked by a test). */
export const MAILSERVER_SECTIONS: readonly { section: string; title: string }[] = [
  { section: '§1', title: 'Scope and roles' },
  { section: '§2', title: 'Request envelope' },
  { section: '§2.1', title: 'Building a request' },
  { section: '§2.2', title: 'Validation and refusal' },
  { section: '§3', title: 'Archive' },
  { section: '§4', title: 'Query semantics' },
  { section: '§4.1', title: 'Selection' },
  { section: '§4.2', title: 'Page' },
  { section: '§4.3', title: 'Cursor' },
  { section: '§5', title: 'Response' },
  { section: '§5.1', title: 'Envelopes (code 127)' },
  { section: '§5.2', title: 'Completion (code 125)' },
  { section: '§5.3', title: 'Receiving' },
  { section: '§6', title: 'Client side' },
  { section: '§6.1', title: 'Trusting the mailserver' },
  { section: '§6.2', title: '`shhext_requestMessages`' },
  { section: '§6.3', title: '`shhext_requestMessagesSync`' },
  { section: '§6.4', title: 'Delivery to filters' },
  { section: '§7', title: 'Security considerations' },
  { section: '§8', title: 'Differences from Status' },
  { section: '§8.1', title: 'Differences' },
  { section: '§8.2', title: 'Open points' },
];

type Case = ConformanceCase<MailserverContext>;
type Received = PeerSession['received'];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const ZERO_HASH = new Uint8Array(32);
const ZERO_TOPIC = new Uint8Array(4);
/** How long a refused request is watched for staying unanswered. */
const SILENCE_MS = 2_000;

// ---- a little RLP, to write every form of the request (and the wrong ones) ----

function rlpLength(length: number, short: number): Uint8Array {
  if (length < 56) return Uint8Array.of(short + length);
  const size: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) size.unshift(n % 256);
  return Uint8Array.of(short + 55 + size.length, ...size);
}
function rlpString(value: Uint8Array): Uint8Array {
  if (value.length === 1 && value[0]! < 0x80) return value;
  return concat(rlpLength(value.length, 0x80), value);
}
function rlpUint(n: number): Uint8Array {
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return rlpString(Uint8Array.from(out));
}
function rlpList(...items: Uint8Array[]): Uint8Array {
  const body = concat(...items);
  return concat(rlpLength(body.length, 0xc0), body);
}

/** The fields of a request (SPEC §2.1). */
interface Request {
  readonly lower: number;
  readonly upper: number;
  readonly bloom: Uint8Array;
  readonly topics?: readonly Uint8Array[];
  readonly limit?: number;
  readonly cursor?: Uint8Array;
}

/** The payload of §2.1 in the seven-item form, or Status's older five- or six-item one. */
function requestPayload(r: Request, form: 5 | 6 | 7 = 7, extra: Uint8Array[] = []): Uint8Array {
  const head = [rlpUint(r.lower), rlpUint(r.upper), rlpString(r.bloom)];
  const tail = [rlpUint(r.limit ?? 0), rlpString(r.cursor ?? new Uint8Array(0))];
  if (form === 5) return rlpList(...head, ...tail, ...extra);
  if (form === 6) return rlpList(...head, ...tail, rlpUint(1), ...extra);
  const topics = rlpList(...(r.topics ?? []).map(rlpString));
  return rlpList(...head, topics, ...tail, rlpUint(1), ...extra);
}

const keys = new Map<string, Uint8Array>();
/** The password key (W§5.5), derived once per password. */
function passwordKey(password: string): Uint8Array {
  let key = keys.get(password);
  if (!key) {
    key = symKeyFromPassword(password);
    keys.set(password, key);
  }
  return key;
}

// ---- sessions ----

/** A session that has exchanged statuses with the node. */
interface Session {
  readonly peer: PeerSession;
  readonly node: Status;
}

/**
 * A session that has exchanged statuses.
 *
 * @throws Unreachable when the node cannot be dialed or sends nothing (a crash)
 * @throws Mismatch when its first frame is not a status (W§7.2): it answered, wrongly
 */
async function open(context: MailserverContext): Promise<Session> {
  const { peer, first } = await connectForFirstFrame(context.address, {
    timeoutMs: context.timeoutMs,
  });
  let node: Status;
  try {
    node = statusOf(first);
  } catch (error) {
    await peer.close().catch(() => undefined);
    throw error;
  }
  peer.send({ code: MessageCode.status, payload: OUR_STATUS });
  return { peer, node };
}

/** A full node with no requirement and no filter (W§7.1). */
const OUR_STATUS = encodeStatus({ minPow: 0, bloom: null, lightNode: false });

async function withSession<T>(
  context: MailserverContext,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const session = await open(context);
  try {
    return await body(session);
  } finally {
    await session.peer.close().catch(() => undefined);
  }
}

// ---- requests and answers ----

/** A code-125 completion (SPEC §5.2), read as §5.3 reads it. */
type Completion =
  | {
      readonly ok: true;
      readonly raw: Uint8Array;
      readonly body: Uint8Array;
      readonly lastHash: Uint8Array;
      readonly cursor: Uint8Array;
    }
  | {
      readonly ok: false;
      readonly raw: Uint8Array;
      readonly body: Uint8Array;
      readonly reason: string;
    };

const ERROR_PREFIX = new TextEncoder().encode('ERROR=');
const startsWith = (b: Uint8Array, prefix: Uint8Array) =>
  b.length >= prefix.length && prefix.every((x, i) => b[i] === x);

/** The request id a code-125 payload names, with its reading; undefined if it names none. */
function readCompletion(payload: Uint8Array): { id: string; completion: Completion } | undefined {
  let body: Uint8Array;
  try {
    body = decodeRequestCompletePayload(payload);
  } catch {
    return undefined;
  }
  if (startsWith(body, ERROR_PREFIX) && body.length >= 38)
    return {
      id: hex(body.subarray(6, 38)),
      completion: {
        ok: false,
        raw: payload,
        body,
        reason: new TextDecoder().decode(body.subarray(38)),
      },
    };
  if (body.length < 64) return undefined;
  return {
    id: hex(body.subarray(0, 32)),
    completion: {
      ok: true,
      raw: payload,
      body,
      lastHash: body.slice(32, 64),
      cursor: body.slice(64),
    },
  };
}

/** What the node answered one request. */
interface Answer {
  /** The request id: the hash of the request envelope (§5.2). */
  readonly id: Uint8Array;
  /** The code-127 payloads that came after the request, before its completion. */
  readonly batches: readonly Uint8Array[];
  /** Their envelopes, in order. */
  readonly envelopes: readonly Envelope[];
  readonly completion?: Completion;
}

interface AskOptions {
  /** The request's key (default the context's password key). */
  readonly key?: Uint8Array;
  /** Sign the request (default true). */
  readonly signed?: boolean;
  /** How long to wait for the completion (default the context's timeout). */
  readonly waitMs?: number;
}

/** Builds the request envelope of §2.1 around `payload`. */
function requestEnvelope(
  context: MailserverContext,
  payload: Uint8Array,
  options: AskOptions = {},
): Promise<Envelope> {
  return wrapMessage({
    topic: ZERO_TOPIC,
    payload,
    symKey: options.key ?? passwordKey(context.password),
    ...(options.signed === false ? {} : { signingKey: randomBytes(32) }),
    pow: 0,
    workTime: 0,
  });
}

/** Sends `payload` as a request (code 126) and reads the answer naming it. */
async function ask(
  context: MailserverContext,
  session: Session,
  payload: Uint8Array,
  options: AskOptions = {},
): Promise<Answer> {
  const envelope = await requestEnvelope(context, payload, options);
  return askWith(context, session, envelope, options.waitMs);
}

async function askWith(
  context: MailserverContext,
  { peer }: Session,
  envelope: Envelope,
  waitMs = context.timeoutMs,
): Promise<Answer> {
  const id = envelopeHash(envelope);
  const want = hex(id);
  const start = peer.received.length;
  if (!peer.send({ code: MessageCode.p2pRequest, payload: encodeEnvelope(envelope) }))
    throw new Mismatch('the node keeps the requesting peer', 'connected', 'closed');
  const completionAt = () =>
    peer.received.findIndex(
      (m, i) =>
        i >= start &&
        'code' in m &&
        m.code === MessageCode.p2pRequestComplete &&
        readCompletion(m.payload)?.id === want,
    );
  await peer.until((_, closed) => closed !== undefined || completionAt() >= 0, waitMs);
  const end = completionAt();
  const slice = peer.received.slice(start, end >= 0 ? end : undefined);
  const batches: Uint8Array[] = [];
  const envelopes: Envelope[] = [];
  for (const m of slice) {
    if (!('code' in m) || m.code !== MessageCode.p2pMessage) continue;
    batches.push(m.payload);
    try {
      envelopes.push(...decodeP2PMessage(m.payload));
    } catch {
      throw new Mismatch(
        'a code-127 message decodes (§5.1)',
        'a list of envelopes',
        hex(m.payload),
      );
    }
  }
  const last = end >= 0 ? peer.received[end] : undefined;
  const completion = last && 'code' in last ? readCompletion(last.payload)?.completion : undefined;
  return { id, batches, envelopes, ...(completion ? { completion } : {}) };
}

/** The answer must end with a successful completion naming the request. */
function completed(answer: Answer, what = 'the request'): Completion & { ok: true } {
  const c = answer.completion;
  expectThat(
    `${what} is answered by a code-125 completion naming it (§5.2)`,
    c !== undefined,
    `a completion for ${hex(answer.id)}`,
    'none',
  );
  if (!c!.ok)
    throw new Mismatch(`${what} completes without error (§5.2)`, 'a successful completion', {
      error: c!.reason,
    });
  return c as Completion & { ok: true };
}

/** Asks page after page (§4.3) until an empty cursor; at most `maxPages`. */
async function allPages(
  context: MailserverContext,
  session: Session,
  request: Request,
  maxPages = 20,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  let cursor: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < maxPages; i++) {
    const answer = await ask(context, session, requestPayload({ ...request, cursor }));
    answers.push(answer);
    cursor = completed(answer, `page ${i + 1}`).cursor;
    if (cursor.length === 0) return answers;
  }
  throw new Mismatch(
    `the cursor reaches an empty one (§4.3)`,
    `at most ${maxPages} pages`,
    'more pages',
  );
}

// ---- the archive ----

const hashOf = (e: Envelope) => hex(envelopeHash(e));
const hashes = (es: readonly Envelope[]) => es.map(hashOf);
const sentOf = (e: Envelope) => (e.expiry - e.ttl) >>> 0;
const bloomOf = (...topics: Uint8Array[]) => topicsToBloom(topics);

/**
 * A window of sent times for one case on the node's clock: minutes in the past, apart from
 * other cases'.
 */
function windowBase(clock: NodeClock): number {
  return clock.now() - 300 - Math.floor(Math.random() * 600);
}

/** A random topic, and one whose bloom does not match its. */
function topicPair(): [Uint8Array, Uint8Array] {
  const a = randomBytes(4);
  for (;;) {
    const b = randomBytes(4);
    if (!bloomFilterMatch(topicToBloom(a), topicToBloom(b))) return [a, b];
  }
}

/** How the envelopes a case feeds are made. */
interface FeedOptions {
  /** Seconds from the node's now to their expiry (default 120). */
  readonly expiresIn?: number;
  /** Bytes of data each (default 48): fewer for many envelopes, as the PoW grows with size. */
  readonly dataBytes?: number;
}

/**
 * An envelope sent at `sent` with `topic`, expiring `expiresIn` s after the node's now, sealed
 * to the node's minimum PoW as W§6.1 N2 computes it (over ttl + 11 s for one up to 10 s in
 * the node's future), with a margin.
 */
async function envelopeAt(
  node: Status,
  clock: NodeClock,
  sent: number,
  topic: Uint8Array,
  options: FeedOptions = {},
): Promise<Envelope> {
  const ttl = Math.max(1, clock.now() + (options.expiresIn ?? 120) - sent);
  const e = createEnvelope({
    expiry: (sent + ttl) >>> 0,
    ttl,
    topic,
    data: randomBytes(options.dataBytes ?? 48),
  });
  const pow = ((Math.max(node.minPow ?? 0, 0.001) * (ttl + 12)) / ttl) * 1.2;
  return sealEnvelope(e, { pow, workTime: 30 });
}

/**
 * Every envelope a request and the pages after it serve (§4.3: cursors followed until an
 * empty one), or undefined when a page is not completed successfully.
 */
async function served(
  context: MailserverContext,
  session: Session,
  request: Request,
  maxPages = 5,
): Promise<Envelope[] | undefined> {
  const out: Envelope[] = [];
  let cursor: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < maxPages; i++) {
    const answer = await ask(context, session, requestPayload({ ...request, cursor }));
    if (!answer.completion?.ok) return undefined;
    out.push(...answer.envelopes);
    cursor = answer.completion.cursor;
    if (cursor.length === 0) break;
  }
  return out;
}

/**
 * Builds envelopes at `(sent, topic)`, sends them to the node as a messages packet and waits
 * until requests of their window serve them all (§3: an accepted envelope is archived).
 */
async function feed(
  context: MailserverContext,
  session: Session,
  clock: NodeClock,
  items: readonly (readonly [number, Uint8Array])[],
  options: FeedOptions = {},
): Promise<Envelope[]> {
  const envelopes: Envelope[] = [];
  for (const [sent, topic] of items)
    envelopes.push(await envelopeAt(session.node, clock, sent, topic, options));
  session.peer.send({ code: MessageCode.messages, payload: encodeMessagesPacket(envelopes) });
  const sents = envelopes.map(sentOf);
  const request: Request = {
    lower: Math.min(...sents),
    upper: Math.max(...sents),
    bloom: bloomOf(...items.map(([, t]) => t)),
  };
  const want = hashes(envelopes);
  const deadline = Date.now() + context.timeoutMs;
  let got = new Set<string>();
  while (Date.now() < deadline) {
    if (session.peer.closed)
      throw new Mismatch(
        'the node accepts the fed envelopes (W§6.1) and keeps the peer',
        'connected',
        session.peer.closed,
      );
    const page = await served(context, session, request, Math.ceil(envelopes.length / 1000) + 2);
    if (!page) break;
    got = new Set(hashes(page));
    if (want.every((h) => got.has(h))) return envelopes;
    await sleep(200);
  }
  throw new Mismatch(
    `the node archives the envelopes it accepts from a peer and serves them (§3) within ${context.timeoutMs} ms`,
    want.length > 20 ? `${want.length} envelopes` : want,
    want.length > 20 ? `${want.filter((h) => got.has(h)).length} of them` : [...got],
  );
}

const sortByKey = (es: readonly Envelope[]) =>
  [...es].sort((a, b) => sentOf(a) - sentOf(b) || (hashOf(a) < hashOf(b) ? -1 : 1));

/**
 * `count` envelopes of one new topic over ten seconds just behind the node's now, with a short
 * ttl and 4 bytes of data (cheap to seal by the thousand), fed as one packet; in key order,
 * with the request of their window.
 */
async function feedMany(
  context: MailserverContext,
  session: Session,
  clock: NodeClock,
  count: number,
): Promise<{ fed: Envelope[]; request: Request }> {
  const [topic] = topicPair();
  const base = clock.now() - 40;
  const fed = await feed(
    context,
    session,
    clock,
    Array.from({ length: count }, (_, i) => [base + (i % 10), topic] as const),
    { dataBytes: 4, expiresIn: 60 },
  );
  return { fed: sortByKey(fed), request: { lower: base, upper: base + 9, bloom: bloomOf(topic) } };
}

/**
 * Sends the request envelopes in one burst (code 126, back to back) and reads each one's
 * answer: its completion, and the envelopes of the code-127 messages that came after the
 * previous completion among them (in order of arrival) and before its own.
 */
async function askTogether(
  context: MailserverContext,
  { peer }: Session,
  requests: readonly Envelope[],
): Promise<Answer[]> {
  const ids = requests.map((r) => hex(envelopeHash(r)));
  const start = peer.received.length;
  for (const r of requests)
    if (!peer.send({ code: MessageCode.p2pRequest, payload: encodeEnvelope(r) }))
      throw new Mismatch('the node keeps the requesting peer', 'connected', 'closed');
  const completions = () => {
    const out = new Map<string, { at: number; completion: Completion }>();
    for (let i = start; i < peer.received.length; i++) {
      const m = peer.received[i]!;
      if (!('code' in m) || m.code !== MessageCode.p2pRequestComplete) continue;
      const read = readCompletion(m.payload);
      if (read && ids.includes(read.id) && !out.has(read.id))
        out.set(read.id, { at: i, completion: read.completion });
    }
    return out;
  };
  await peer.until(
    (_, closed) => closed !== undefined || completions().size === ids.length,
    context.timeoutMs,
  );
  const done = completions();
  const ends = [...done.values()].map((d) => d.at).sort((x, y) => x - y);
  return requests.map((request, n) => {
    const mine = done.get(ids[n]!);
    const end = mine?.at ?? peer.received.length;
    const from = Math.max(start, ...ends.filter((e) => e < end).map((e) => e + 1));
    const envelopes: Envelope[] = [];
    const batches: Uint8Array[] = [];
    for (const m of peer.received.slice(from, end)) {
      if (!('code' in m) || m.code !== MessageCode.p2pMessage) continue;
      batches.push(m.payload);
      try {
        envelopes.push(...decodeP2PMessage(m.payload));
      } catch {
        throw new Mismatch(
          'a code-127 message decodes (§5.1)',
          'a list of envelopes',
          hex(m.payload),
        );
      }
    }
    return {
      id: envelopeHash(request),
      batches,
      envelopes,
      ...(mine ? { completion: mine.completion } : {}),
    };
  });
}

function expectEnvelopes(
  what: string,
  want: readonly Envelope[],
  got: Answer | readonly Envelope[],
) {
  const list = 'envelopes' in got ? got.envelopes : got;
  expectEqual(what, hashes(want), hashes(list));
}

/** A cursor of §4.3 for an envelope: sent (4, big-endian) ‖ hash (32). */
function cursorOf(sent: number, hash: Uint8Array): Uint8Array {
  const out = new Uint8Array(36);
  new DataView(out.buffer).setUint32(0, sent >>> 0);
  out.set(hash, 4);
  return out;
}

// ---- case builders ----

const make = caseBuilder<MailserverContext>(MAILSERVER_SPEC, 'peer', 'peer/');

/**
 * The node's clock for a case, measured once per run before the case opens its session (the
 * probes need inbound slots of their own); unmeasurable, the case is skipped.
 */
const caseClock = (context: MailserverContext) =>
  clockForCase(context, context.address, context.timeoutMs);

/**
 * A session case: `body` gets the session, the base of its own window and the node's clock
 * (its windows are on that clock).
 */
function sessionCase(
  section: string,
  name: string,
  title: string,
  body: (
    context: MailserverContext,
    session: Session,
    base: number,
    clock: NodeClock,
  ) => Promise<void>,
  profiles?: readonly Profile[],
): Case {
  return make(
    section,
    name,
    title,
    async (context) => {
      const clock = await caseClock(context);
      return withSession(context, (session) => body(context, session, windowBase(clock), clock));
    },
    profiles,
  );
}

/**
 * A request the mailserver must refuse (§2.2). Without a profile: it serves nothing and
 * completes nothing successfully (Status may answer an `ERROR=` 125, §8.1); in the `hush`
 * profile it gets no answer at all. Either way the peer stays connected and a valid request
 * right after it is served.
 */
function refusal(
  name: string,
  title: string,
  build: (context: MailserverContext, request: Request) => Promise<Envelope>,
  profiles: readonly ('generic' | 'hush')[] = ['generic', 'hush'],
): Case[] {
  return profiles.map((p) =>
    sessionCase(
      '§2.2',
      name,
      p === 'hush' ? `${title}: no answer at all, as Hush` : `${title}: nothing is served`,
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = await feed(context, session, clock, [[base, topic]]);
        const request: Request = { lower: base, upper: base, bloom: bloomOf(topic) };
        const bad = await askWith(context, session, await build(context, request), SILENCE_MS);
        const control = await ask(context, session, requestPayload(request));
        expectEnvelopes('a valid request right after it is served', fed, control);
        completed(control, 'the valid request after it');
        expectThat(
          'the refused request serves no envelope',
          bad.envelopes.length === 0,
          'no code-127 message',
          hashes(bad.envelopes),
        );
        const answered = session.peer.received.some(
          (m) =>
            'code' in m &&
            m.code === MessageCode.p2pRequestComplete &&
            readCompletion(m.payload)?.id === hex(bad.id),
        );
        const answer = bad.completion;
        if (p === 'hush')
          expectThat(
            'the refused request gets no code-125 (§2.2: no answer, no error)',
            !answered,
            'no completion',
            answer ?? 'a completion, after the valid request',
          );
        else
          expectThat(
            'the refused request completes with no success',
            !answer?.ok,
            'no completion, or an ERROR= one',
            answer,
          );
        expectThat(
          'the node keeps the peer (§2.2: no disconnection)',
          session.peer.closed === undefined,
          'connected',
          session.peer.closed,
        );
      },
      p === 'hush' ? ['hush'] : undefined,
    ),
  );
}

const seal = (context: MailserverContext, payload: Uint8Array, options: AskOptions = {}) =>
  requestEnvelope(context, payload, options);

// ---- the cases ----

/** The cases of specs/mailserver/SPEC.md against a node that serves history. */
export function mailserverCases(): Case[] {
  return [
    // The node's clock first: the other cases' windows are on it.
    make(
      '§3',
      'clock-offset',
      'the node’s clock (W§6 now), measured through W§6.1’s admission edge as the peer suite does (the sender of an envelope sent more than 10 s in the node’s future is dropped, one within it is not): what it archives is sent on that clock, and the windows of the other cases are built on it',
      async (context) => {
        const clock = await nodeClock(context, context.address, context.timeoutMs);
        return { status: 'pass', note: clock.describe() };
      },
    ),

    // §2.1 Building a request
    sessionCase(
      '§2.1',
      'window',
      'a request for a time window gets the archived envelopes of that window as code-127 messages, then a completion naming the request',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = await feed(context, session, clock, [
          [base - 5, topic],
          [base, topic],
          [base + 1, topic],
          [base + 2, topic],
          [base + 8, topic],
        ]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base + 2, bloom: bloomOf(topic) }),
        );
        const c = completed(answer);
        const want = sortByKey(fed.slice(1, 4));
        expectEnvelopes('the envelopes sent in [lower, upper], oldest first', want, answer);
        expectEqual(
          'lastEnvelopeHash is the last envelope’s hash (§4.2)',
          hashOf(want[2]!),
          hex(c.lastHash),
        );
        expectEqual('the cursor of the last page is empty (§4.3)', '', hex(c.cursor));
      },
    ),
    ...([5, 6] as const).map((form) =>
      sessionCase(
        '§2.1',
        `older-${form}-item-form`,
        `Status's older ${form}-item request list(lower, upper, bloom, limit, cursor${form === 6 ? ', batch' : ''}) is served as one without topics`,
        async (context, session, base, clock) => {
          const [topic] = topicPair();
          const fed = await feed(context, session, clock, [
            [base, topic],
            [base + 1, topic],
          ]);
          const answer = await ask(
            context,
            session,
            requestPayload({ lower: base, upper: base + 1, bloom: bloomOf(topic) }, form),
          );
          completed(answer);
          expectEnvelopes('both envelopes', sortByKey(fed), answer);
        },
        ['hush'],
      ),
    ),
    sessionCase(
      '§2.2',
      'trailing-items-ignored',
      'items after the seventh and bytes after the payload’s list are ignored',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = await feed(context, session, clock, [[base, topic]]);
        const request = { lower: base, upper: base, bloom: bloomOf(topic) };
        const payload = concat(requestPayload(request, 7, [rlpUint(7)]), Uint8Array.of(0x01, 0x02));
        const answer = await ask(context, session, payload);
        completed(answer);
        expectEnvelopes('the envelope', fed, answer);
      },
      ['hush'],
    ),

    // §2.2 Validation and refusal
    ...refusal(
      'wrong-key',
      'a request encrypted with another password’s key is refused (R1)',
      (context, r) =>
        seal(context, requestPayload(r), {
          key: passwordKey(`${context.password}-not-${hex(randomBytes(4))}`),
        }),
    ),
    ...refusal('unsigned', 'an unsigned request is refused (R2)', (context, r) =>
      seal(context, requestPayload(r), { signed: false }),
    ),
    ...refusal(
      'payload-not-a-list',
      'a payload that is not an RLP list is refused (R3)',
      (context) => seal(context, rlpString(randomBytes(40))),
    ),
    ...refusal('payload-too-short', 'a payload list of three items is refused (R3)', (context, r) =>
      seal(context, rlpList(rlpUint(r.lower), rlpUint(r.upper), rlpString(r.bloom))),
    ),
    ...refusal(
      'topic-not-4-bytes',
      'a request listing a topic of 3 bytes is refused (R3)',
      (context, r) => seal(context, requestPayload({ ...r, topics: [randomBytes(3)] })),
      ['hush'],
    ),
    ...refusal(
      'bloom-not-64-bytes',
      'a request whose bloom is 32 bytes is refused (R4)',
      (context, r) => seal(context, requestPayload({ ...r, bloom: r.bloom.slice(0, 32) })),
      ['hush'],
    ),
    ...refusal(
      'cursor-not-36-bytes',
      'a request whose cursor is 10 bytes is refused (R5)',
      (context, r) => seal(context, requestPayload({ ...r, cursor: randomBytes(10) })),
      ['hush'],
    ),
    make(
      '§2.2',
      'not-an-envelope',
      'a code-126 payload that does not decode as an envelope is the protocol error invalid-p2p-request: the node closes the link (W§7.3 M8)',
      (context) =>
        withSession(context, async ({ peer }) => {
          peer.send({ code: MessageCode.p2pRequest, payload: Uint8Array.of(0xc2, 0x01, 0x02) });
          const closed = await peer.until((_, c) => c !== undefined, context.timeoutMs);
          expectThat('the node drops the peer', closed, 'disconnected', 'still connected');
        }),
    ),
    sessionCase(
      '§2.2',
      'lower-above-upper',
      'lower > upper is answered with the failure form of code 125 naming the request',
      async (context, session, base) => {
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base + 10, upper: base, bloom: fullBloom() }),
        );
        expectThat(
          'a completion names the request',
          answer.completion !== undefined,
          'a 125',
          'none',
        );
        expectThat(
          'it is the ERROR= form (§5.2)',
          !answer.completion!.ok,
          'ERROR=…',
          answer.completion,
        );
        expectEqual('no envelope is served', 0, answer.envelopes.length);
      },
    ),
    sessionCase(
      '§2.2',
      'lower-above-upper-reason',
      'lower > upper fails with the reason `query range is invalid: lower > upper`',
      async (context, session, base) => {
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base + 10, upper: base, bloom: fullBloom() }),
        );
        const c = answer.completion;
        expectEqual(
          'the reason',
          'query range is invalid: lower > upper',
          c && !c.ok ? c.reason : c,
        );
      },
      ['hush'],
    ),
    sessionCase(
      '§2.2',
      'upper-zero-is-now',
      'upper = 0 means now + 60 s: a recent envelope is served',
      async (context, session, _base, clock) => {
        const [topic] = topicPair();
        const sent = clock.now() - 20;
        const fed = await feed(context, session, clock, [[sent, topic]]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: sent - 5, upper: 0, bloom: bloomOf(topic) }),
        );
        completed(answer);
        expectEnvelopes('the envelope', fed, answer);
      },
    ),

    sessionCase(
      '§2.2',
      'upper-zero-is-now-plus-60',
      'upper = 0 is now + 60 s, not now: an envelope sent 6 s in the node’s future (within W§6.1’s allowance) is served',
      async (context, session, _base, clock) => {
        const [topic] = topicPair();
        const sent = clock.now() + 6;
        const fed = await feed(context, session, clock, [[sent, topic]]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: sent - 1, upper: 0, bloom: bloomOf(topic) }),
        );
        completed(answer);
        expectEnvelopes('the envelope from the node’s near future', fed, answer);
      },
    ),

    // §3 Archive
    make(
      '§3',
      'local-post-archived',
      'an envelope posted locally (shh_post) is archived once the call returns, and served',
      async (context) => {
        const rpc = context.rpc;
        if (!rpc) throw new Skip('no RPC URL given: cannot post locally');
        const clock = await caseClock(context);
        return withSession(context, async (session) => {
          const [topic] = topicPair();
          const key = String(await call(rpc, 'shh_newSymKey', []));
          // The node builds the envelope on its own clock (W§3.6): the window is on it too.
          const before = clock.now();
          const hash = String(
            await call(rpc, 'shh_post', [
              {
                symKeyID: key,
                topic: `0x${hex(topic)}`,
                payload: '0x68757368',
                ttl: 60,
                powTime: 2,
                powTarget: Math.max(session.node.minPow ?? 0, 0.2),
              },
            ]),
          );
          const answer = await ask(
            context,
            session,
            requestPayload({ lower: before - 10, upper: clock.now() + 10, bloom: bloomOf(topic) }),
          );
          completed(answer);
          expectEqual(
            'the posted envelope is served right after shh_post returned',
            [hash.replace(/^0x/, '')],
            hashes(answer.envelopes),
          );
        });
      },
    ),
    sessionCase(
      '§3',
      'request-not-archived',
      'request envelopes are not archived: a later request for topic 0x00000000 does not serve them',
      async (context, session, _base, clock) => {
        const later = clock.now() + 3600;
        const first = await ask(
          context,
          session,
          requestPayload({ lower: later, upper: later, bloom: fullBloom() }),
        );
        completed(first, 'the first request');
        // The request envelope was sent on this machine's clock (it skips W§6.1): a node that
        // archived it would keep it there, so the window covers both clocks.
        const local = Math.floor(Date.now() / 1000);
        const answer = await ask(
          context,
          session,
          requestPayload({
            lower: Math.min(local, clock.now()) - 60,
            upper: Math.max(local, clock.now()) + 60,
            bloom: bloomOf(ZERO_TOPIC),
            topics: [ZERO_TOPIC],
          }),
        );
        completed(answer, 'the second request');
        expectThat(
          'the first request envelope is not served',
          !hashes(answer.envelopes).includes(hex(first.id)),
          'not among the envelopes',
          'served',
        );
      },
    ),
    sessionCase(
      '§3',
      'expired-still-served',
      'expiry plays no part: an envelope is served after it expired',
      async (context, session, _base, clock) => {
        const [topic] = topicPair();
        const sent = clock.now() - 2;
        const fed = await feed(context, session, clock, [[sent, topic]], { expiresIn: 3 });
        // Until 2 s past its expiry on the node's clock (W§6.2 removes it from the pool then).
        const wait = (fed[0]!.expiry + 2) * 1000 - clock.nowMs();
        if (wait > context.timeoutMs) throw new Skip('the envelope would expire too late');
        await sleep(Math.max(0, wait));
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: sent, upper: sent, bloom: bloomOf(topic) }),
        );
        completed(answer);
        expectEnvelopes('the expired envelope', fed, answer);
      },
    ),

    sessionCase(
      '§3',
      'sent-a-day-ago',
      'the archive keeps by sent time, not by arrival: an envelope sent a day before the node’s now (inside the default retention of 30 days) and received now is served in a window of a day ago',
      async (context, session, _base, clock) => {
        const [topic] = topicPair();
        const sent = clock.now() - 86_400 - Math.floor(Math.random() * 600);
        const fed = await feed(context, session, clock, [[sent, topic]], { dataBytes: 4 });
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: sent, upper: sent, bloom: bloomOf(topic) }),
        );
        completed(answer);
        expectEnvelopes('the envelope of a day ago', fed, answer);
      },
      ['hush'],
    ),

    // §4.1 Selection
    sessionCase(
      '§4.1',
      'bounds-inclusive',
      'both bounds are inclusive: envelopes sent at lower and at upper are served, those a second outside are not',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = await feed(context, session, clock, [
          [base - 1, topic],
          [base, topic],
          [base + 3, topic],
          [base + 4, topic],
        ]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base + 3, bloom: bloomOf(topic) }),
        );
        completed(answer);
        expectEnvelopes('the envelopes at lower and upper', [fed[1]!, fed[2]!], answer);
      },
    ),
    sessionCase(
      '§4.1',
      'bloom-selects-topic',
      'a bloom that admits one topic serves only that topic’s envelopes',
      async (context, session, base, clock) => {
        const [wanted, other] = topicPair();
        const fed = await feed(context, session, clock, [
          [base, wanted],
          [base, other],
          [base + 1, other],
          [base + 2, wanted],
        ]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base + 2, bloom: bloomOf(wanted) }),
        );
        completed(answer);
        expectEnvelopes('only the wanted topic’s', [fed[0]!, fed[3]!], answer);
      },
    ),
    sessionCase(
      '§4.1',
      'full-bloom-selects-all',
      'a full bloom selects every topic',
      async (context, session, base, clock) => {
        const [a, b] = topicPair();
        const fed = await feed(context, session, clock, [
          [base, a],
          [base + 1, b],
        ]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base + 1, bloom: fullBloom() }),
        );
        completed(answer);
        const got = new Set(hashes(answer.envelopes));
        expectThat(
          'both envelopes are served',
          hashes(fed).every((h) => got.has(h)),
          hashes(fed),
          [...got],
        );
      },
    ),
    sessionCase(
      '§4.1',
      'empty-bloom-selects-none',
      'an all-zero bloom selects nothing: no code 127, a completion with a zero lastEnvelopeHash and an empty cursor',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        await feed(context, session, clock, [[base, topic]]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base, bloom: emptyBloom() }),
        );
        const c = completed(answer);
        expectEqual('no code-127 message', 0, answer.batches.length);
        expectEqual('lastEnvelopeHash of an empty page', hex(ZERO_HASH), hex(c.lastHash));
        expectEqual('cursor', '', hex(c.cursor));
      },
    ),
    sessionCase(
      '§4.1',
      'topics-replace-bloom',
      'a non-empty topic list replaces the bloom (exact match)',
      async (context, session, base, clock) => {
        const [wanted, other] = topicPair();
        const fed = await feed(context, session, clock, [
          [base, wanted],
          [base, other],
        ]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base, bloom: bloomOf(other), topics: [wanted] }),
        );
        completed(answer);
        expectEnvelopes('only the listed topic’s', [fed[0]!], answer);
      },
      ['hush'],
    ),
    sessionCase(
      '§4.1',
      'key-order',
      'envelopes are served oldest sent first, ties by hash',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = await feed(context, session, clock, [
          [base + 3, topic],
          [base + 1, topic],
          [base + 1, topic],
          [base, topic],
          [base + 1, topic],
        ]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base + 3, bloom: bloomOf(topic) }),
        );
        completed(answer);
        expectEnvelopes('in key order', sortByKey(fed), answer);
      },
    ),
    sessionCase(
      '§4.1',
      'future-window',
      'a window in the future gets nothing: no code 127 and an empty completion',
      async (context, session, _base, clock) => {
        const lower = clock.now() + 3600;
        const answer = await ask(
          context,
          session,
          requestPayload({ lower, upper: lower + 3600, bloom: fullBloom() }),
        );
        const c = completed(answer);
        expectEqual('no code-127 message', 0, answer.batches.length);
        expectEqual('lastEnvelopeHash of an empty page', hex(ZERO_HASH), hex(c.lastHash));
        expectEqual('cursor', '', hex(c.cursor));
      },
    ),

    // §4.2 Page, §4.3 Cursor
    sessionCase(
      '§4.2',
      'limit-caps-page',
      'limit pages the answer: the first page holds the `limit` oldest envelopes and a 36-byte cursor',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = sortByKey(
          await feed(context, session, clock, [
            [base, topic],
            [base + 1, topic],
            [base + 2, topic],
          ]),
        );
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base + 2, bloom: bloomOf(topic), limit: 2 }),
        );
        const c = completed(answer);
        expectEnvelopes('the two oldest', fed.slice(0, 2), answer);
        expectEqual('lastEnvelopeHash', hashOf(fed[1]!), hex(c.lastHash));
        expectEqual('the cursor’s length', 36, c.cursor.length);
      },
    ),
    sessionCase(
      '§4.1',
      'limit-zero-is-1000',
      'limit 0 is the server’s maximum, L = 1000: of 1001 envelopes the first page holds the 1000 oldest with the cursor of the 1000th, the next the last one with an empty cursor',
      async (context, session, _base, clock) => {
        const { fed, request } = await feedMany(context, session, clock, 1001);
        const first = await ask(context, session, requestPayload({ ...request, limit: 0 }));
        const c = completed(first, 'the first page');
        expectEnvelopes('the first page: the 1000 oldest', fed.slice(0, 1000), first);
        expectEqual(
          'its cursor: the 1000th envelope’s sent ‖ hash (§4.3)',
          hex(cursorOf(sentOf(fed[999]!), envelopeHash(fed[999]!))),
          hex(c.cursor),
        );
        const next = await ask(
          context,
          session,
          requestPayload({ ...request, limit: 0, cursor: c.cursor }),
        );
        expectEnvelopes('the next page: the 1001st alone', [fed[1000]!], next);
        expectEqual('its cursor is empty (the last page)', '', hex(completed(next).cursor));
      },
      ['hush'],
    ),
    sessionCase(
      '§4.1',
      'limit-above-1000-clamped',
      'a limit above 1000 is clamped to it (Status refuses or has no maximum, §8.1): limit 5000 over 1001 envelopes gives the 1000 oldest and a cursor',
      async (context, session, _base, clock) => {
        const { fed, request } = await feedMany(context, session, clock, 1001);
        const answer = await ask(context, session, requestPayload({ ...request, limit: 5000 }));
        const c = completed(answer);
        expectEnvelopes('the 1000 oldest', fed.slice(0, 1000), answer);
        expectEqual('the cursor’s length', 36, c.cursor.length);
      },
      ['hush'],
    ),
    sessionCase(
      '§4.2',
      'key-bound',
      'a page reads at most 10 × max(L, 1) keys, selected or not: with limit 1, eleven envelopes of another topic before the wanted one give an empty first page with a cursor, and following it serves the wanted one',
      async (context, session, base, clock) => {
        const [other, wanted] = topicPair();
        const fed = await feed(context, session, clock, [
          ...Array.from({ length: 11 }, () => [base, other] as const),
          [base + 1, wanted],
        ]);
        const request: Request = {
          lower: base,
          upper: base + 1,
          bloom: bloomOf(wanted),
          limit: 1,
        };
        const first = await ask(context, session, requestPayload(request));
        const c = completed(first, 'the first page');
        expectEqual(
          'the first page serves nothing (10 keys read, none selected)',
          0,
          first.envelopes.length,
        );
        expectEqual('it still carries a cursor', 36, c.cursor.length);
        const pages = await allPages(context, session, request);
        expectEnvelopes(
          'the pages together: the wanted envelope once',
          [fed[11]!],
          pages.flatMap((p) => p.envelopes),
        );
      },
      ['hush'],
    ),
    sessionCase(
      '§4.3',
      'cursor-layout',
      'a full page’s cursor is sent(4, big-endian) ‖ hash(32) of its last envelope',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = sortByKey(
          await feed(context, session, clock, [
            [base, topic],
            [base + 1, topic],
          ]),
        );
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base + 1, bloom: bloomOf(topic), limit: 1 }),
        );
        const c = completed(answer);
        expectEqual(
          'the cursor',
          hex(cursorOf(sentOf(fed[0]!), envelopeHash(fed[0]!))),
          hex(c.cursor),
        );
      },
    ),
    sessionCase(
      '§4.3',
      'cursor-pages-to-end',
      'the completion’s cursor fetches the next page, until an empty cursor: every envelope once, in order',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = sortByKey(
          await feed(
            context,
            session,
            clock,
            [0, 1, 1, 2, 4].map((d) => [base + d, topic] as const),
          ),
        );
        const pages = await allPages(context, session, {
          lower: base,
          upper: base + 4,
          bloom: bloomOf(topic),
          limit: 2,
        });
        for (const [i, page] of pages.entries())
          expectThat(
            `page ${i + 1} holds at most limit envelopes`,
            page.envelopes.length <= 2,
            '≤ 2',
            page.envelopes.length,
          );
        expectEnvelopes(
          'the pages together',
          fed,
          pages.flatMap((p) => p.envelopes),
        );
      },
    ),
    sessionCase(
      '§4.3',
      'full-last-page-empty-cursor',
      'a full page that ends the range carries an empty cursor (Hush looks ahead; Status may send one more, empty page)',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        await feed(context, session, clock, [
          [base, topic],
          [base + 1, topic],
          [base + 2, topic],
          [base + 3, topic],
        ]);
        const pages = await allPages(context, session, {
          lower: base,
          upper: base + 3,
          bloom: bloomOf(topic),
          limit: 2,
        });
        expectEqual(
          'pages',
          [2, 2],
          pages.map((p) => p.envelopes.length),
        );
      },
      ['hush'],
    ),
    sessionCase(
      '§4.3',
      'cursor-before-lower-clamped',
      'a cursor before lower is clamped to lower: the whole window is served',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = sortByKey(
          await feed(context, session, clock, [
            [base, topic],
            [base + 1, topic],
          ]),
        );
        const answer = await ask(
          context,
          session,
          requestPayload({
            lower: base,
            upper: base + 1,
            bloom: bloomOf(topic),
            cursor: cursorOf(base - 100, randomBytes(32)),
          }),
        );
        completed(answer);
        expectEnvelopes('the window', fed, answer);
      },
      ['hush'],
    ),
    sessionCase(
      '§4.3',
      'cursor-past-end',
      'a cursor past the range gives an empty page with an empty cursor',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        await feed(context, session, clock, [[base, topic]]);
        const answer = await ask(
          context,
          session,
          requestPayload({
            lower: base,
            upper: base,
            bloom: bloomOf(topic),
            cursor: cursorOf(base + 1, randomBytes(32)),
          }),
        );
        const c = completed(answer);
        expectEqual('no envelope', 0, answer.envelopes.length);
        expectEqual('cursor', '', hex(c.cursor));
      },
      ['hush'],
    ),

    // §5 Response
    sessionCase(
      '§5.1',
      'batch-is-a-list',
      'a page of one envelope is still sent as a list of envelopes',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = await feed(context, session, clock, [[base, topic]]);
        const answer = await ask(
          context,
          session,
          requestPayload({ lower: base, upper: base, bloom: bloomOf(topic) }),
        );
        completed(answer);
        expectEqual(
          'one code-127 message: list(envelope)',
          [hex(rlpList(encodeEnvelope(fed[0]!)))],
          answer.batches.map(hex),
        );
      },
      ['hush'],
    ),
    sessionCase(
      '§5.1',
      'batch-at-most-100',
      'a page of 250 envelopes goes out as code-127 batches of at most 100 envelopes each, in order (Status bundles by size only, §8.1)',
      async (context, session, _base, clock) => {
        const { fed, request } = await feedMany(context, session, clock, 250);
        const answer = await ask(context, session, requestPayload(request));
        completed(answer);
        const sizes = answer.batches.map((b) => decodeP2PMessage(b).length);
        expectThat(
          'every batch holds at most 100 envelopes',
          sizes.every((n) => n <= 100),
          '≤ 100 each',
          sizes,
        );
        expectEnvelopes('the batches together: the page, in order', fed, answer);
      },
      ['hush'],
    ),
    sessionCase(
      '§5.1',
      'one-request-at-a-time',
      'one request per peer at a time: of five requests sent in one burst, behind one whose page of 60 envelopes is still being read, each is either served whole or answered at once with the failure form of code 125, reason `busy: one request at a time`, serving nothing, and at least one is busy; the first is served whole, and a request after all the answers is served again',
      async (context, session, base, clock) => {
        const [pageTopic, laterTopic] = topicPair();
        const page = sortByKey(
          await feed(
            context,
            session,
            clock,
            Array.from({ length: 60 }, (_, i) => [base + (i % 5), pageTopic] as const),
            { dataBytes: 8 },
          ),
        );
        const later = await feed(context, session, clock, [[base, laterTopic]]);
        const laterPayload = requestPayload({
          lower: base,
          upper: base,
          bloom: bloomOf(laterTopic),
        });
        // Four requests right behind the first: whichever arrives while the one before it is
        // still served must be busy, so one at least is, however fast the node reads.
        const requests = [
          await seal(
            context,
            requestPayload({ lower: base, upper: base + 4, bloom: bloomOf(pageTopic) }),
          ),
          ...(await Promise.all(Array.from({ length: 4 }, () => seal(context, laterPayload)))),
        ];
        const [first, ...rest] = await askTogether(context, session, requests);
        expectThat(
          'the first request is answered by a completion naming it',
          first!.completion?.ok === true,
          'a successful completion',
          first!.completion ?? 'none',
        );
        const all = [first!, ...rest].flatMap((x) => x.envelopes);
        const pageHashes = new Set(hashes(page));
        expectEnvelopes(
          'the first request’s page, whole and in order',
          page,
          all.filter((e) => pageHashes.has(hashOf(e))),
        );
        const BUSY = 'busy: one request at a time';
        const answers = rest.map((x) =>
          x.completion === undefined
            ? 'no completion'
            : x.completion.ok
              ? 'served'
              : x.completion.reason === BUSY
                ? 'busy'
                : { error: x.completion.reason },
        );
        expectThat(
          'each request behind it is served or answered busy (§5.1)',
          answers.every((x) => x === 'served' || x === 'busy'),
          `"served" or "busy" (${BUSY})`,
          answers,
        );
        expectThat(
          'one at least arrived while the one before it was served: busy',
          answers.includes('busy'),
          'one "busy" at least',
          answers,
        );
        expectEqual(
          'copies of the later envelope: one per request served, none for a busy one',
          answers.filter((x) => x === 'served').length,
          all.filter((e) => hashOf(e) === hashOf(later[0]!)).length,
        );
        const again = await ask(context, session, laterPayload);
        completed(again, 'a request after all the answers');
        expectEnvelopes('a request after all the answers is served', later, again);
      },
      ['hush'],
    ),
    sessionCase(
      '§5.2',
      'completion-form',
      'the completion is one RLP byte string, requestId ‖ lastEnvelopeHash ‖ cursor (64 or 100 bytes), nothing after it',
      async (context, session, base, clock) => {
        const [topic] = topicPair();
        const fed = await feed(context, session, clock, [
          [base, topic],
          [base + 1, topic],
        ]);
        for (const limit of [0, 1]) {
          const answer = await ask(
            context,
            session,
            requestPayload({ lower: base, upper: base + 1, bloom: bloomOf(topic), limit }),
          );
          const c = completed(answer);
          expectEqual('the payload', hex(rlpString(c.body)), hex(c.raw));
          expectEqual(`the string’s length with limit ${limit}`, limit ? 100 : 64, c.body.length);
          expectEqual('its requestId', hex(answer.id), hex(c.body.subarray(0, 32)));
          expectEqual(
            'its lastEnvelopeHash',
            hashOf(sortByKey(fed)[limit ? 0 : 1]!),
            hex(c.lastHash),
          );
        }
      },
    ),
  ];
}

async function call(rpc: RpcAdapter, method: string, params: unknown[]): Promise<unknown> {
  try {
    return await rpc.call(method, params);
  } catch (error) {
    if (error instanceof RpcCallError)
      throw new Mismatch(`${method} answers`, 'a result', {
        code: error.code,
        message: error.message,
      });
    // The --rpc URL is an aid of the case, not the peer link under test: its silence skips
    // the case; whether the mailserver still answers is the liveness probe's to say.
    if (error instanceof Unreachable)
      throw new Skip(`the node's RPC (--rpc) does not answer: ${error.message}`);
    throw error;
  }
}

/**
 * The liveness probe the runner calls after each case: a fresh session is sent something
 * first (whatever it is: a malformed status is an answer, for the cases to fail) and then a
 * code-125 completion of any form to a request for a window far ahead of either clock.
 *
 * @throws Unreachable when the node cannot be dialed, sends nothing, or does not answer the
 *   request (a crash)
 */
export async function mailserverAlive(context: MailserverContext): Promise<void> {
  const { peer } = await connectForFirstFrame(context.address, { timeoutMs: context.timeoutMs });
  try {
    peer.send({ code: MessageCode.status, payload: OUR_STATUS });
    const lower = Math.floor(Date.now() / 1000) + 7200;
    const request = await requestEnvelope(
      context,
      requestPayload({ lower, upper: lower, bloom: fullBloom() }),
    );
    const start = peer.received.length;
    peer.send({ code: MessageCode.p2pRequest, payload: encodeEnvelope(request) });
    const completion = (received: Received) =>
      received.some(
        (m, i) => i >= start && 'code' in m && m.code === MessageCode.p2pRequestComplete,
      );
    await peer.until(
      (received, closed) => closed !== undefined || completion(received),
      context.timeoutMs,
    );
    if (!completion(peer.received))
      throw new Unreachable(
        peer.closed
          ? `the mailserver closed the link (${peer.closed.reason}) without answering a request`
          : `the mailserver answered no request within ${context.timeoutMs} ms`,
      );
  } finally {
    await peer.close().catch(() => undefined);
  }
}
