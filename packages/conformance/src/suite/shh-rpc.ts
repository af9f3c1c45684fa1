/**
 * The shh-rpc suite: specs/shh-rpc/SPEC.md as cases run through the RPC adapter against any
 * node that serves geth v1.8.27's `shh_*` API. Expectations are geth's (its source, see the
 * spec's PROVENANCE.md); where Hush deliberately or knowingly differs (SPEC §8), the case is in
 * a profile.
 */
import { randomBytes } from 'node:crypto';
import {
  type ConformanceCase,
  caseBuilder,
  expectEqual,
  expectThat,
  Mismatch,
  Skip,
} from './model.js';
import { type RpcAdapter, RpcCallError, type Subscription, Unreachable } from './rpc-client.js';

/** What the shh-rpc cases run with. */
export interface ShhRpcContext {
  readonly rpc: RpcAdapter;
  /** Longest wait for a posted message to reach a filter or subscription, ms. */
  readonly deliveryMs: number;
}

/** A heading of the spec, for the reports (checked against SPEC.md by a test). */
export interface SpecSection {
  readonly section: string;
  readonly title: string;
}

export const SHH_RPC_SPEC = 'shh-rpc';

/** Every numbered heading of specs/shh-rpc/SPEC.md. */
export const SHH_RPC_SECTIONS: readonly SpecSection[] = [
  { section: '§1', title: 'Transport and errors' },
  { section: '§1.1', title: 'Transports' },
  { section: '§1.2', title: 'Requests and arguments' },
  { section: '§1.3', title: 'Error codes' },
  { section: '§1.4', title: 'Encodings' },
  { section: '§2', title: 'Node info and settings' },
  { section: '§2.1', title: 'shh_version' },
  { section: '§2.2', title: 'shh_info' },
  { section: '§2.3', title: 'shh_setMaxMessageSize' },
  { section: '§2.4', title: 'shh_setMinPoW' },
  { section: '§2.5', title: 'shh_markTrustedPeer' },
  { section: '§3', title: 'Keys' },
  { section: '§3.1', title: 'Key ids and kinds' },
  { section: '§3.2', title: 'Key pairs' },
  { section: '§3.3', title: 'Symmetric keys' },
  { section: '§3.4', title: 'Password keys' },
  { section: '§4', title: 'Posting' },
  { section: '§4.1', title: 'The message object' },
  { section: '§4.2', title: 'Checks' },
  { section: '§4.3', title: 'Sealing and the minimum PoW' },
  { section: '§5', title: 'Filters' },
  { section: '§5.1', title: 'Criteria' },
  { section: '§5.2', title: 'shh_newMessageFilter' },
  { section: '§5.3', title: 'shh_getFilterMessages and the message object' },
  { section: '§5.4', title: 'shh_deleteMessageFilter' },
  { section: '§6', title: 'Subscriptions' },
  { section: '§6.1', title: 'shh_subscribe' },
  { section: '§6.2', title: 'Notifications' },
  { section: '§6.3', title: 'shh_unsubscribe' },
  { section: '§7', title: 'Limits and bad parameters' },
  { section: '§7.1', title: 'Message size' },
  { section: '§7.2', title: 'Bad parameters' },
  { section: '§8', title: 'Differences' },
];

type Case = ConformanceCase<ShhRpcContext>;

const hex = (bytes: Uint8Array | Buffer) => `0x${Buffer.from(bytes).toString('hex')}`;
const randomTopic = () => hex(randomBytes(4));
const ID = /^[0-9a-f]{64}$/;
const HASH = /^0x[0-9a-f]{64}$/;
const PUBLIC_KEY = /^0x04[0-9a-f]{128}$/;
/** secp256k1: private key 1 and its public key, the generator G. */
const KEY_ONE = `0x${'00'.repeat(31)}01`;
const G = `0x0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8`;
const CURVE_ORDER = '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
/** An id no node gave out (64 hex digits, as key and filter ids are). */
const UNKNOWN_ID = 'a0'.repeat(32);
/** A valid enode of a node that is not connected. */
const STRANGER_ENODE = `enode://${G.slice(4)}@127.0.0.1:30399`;

/** The call must be refused with `code` and, when given, a message matching `message`. */
async function refused(
  rpc: RpcAdapter,
  method: string,
  params: unknown[],
  code: number,
  message?: string | RegExp,
): Promise<void> {
  let result: unknown;
  try {
    result = await rpc.call(method, params);
  } catch (error) {
    if (!(error instanceof RpcCallError)) throw error;
    const matches =
      message === undefined ||
      (typeof message === 'string' ? error.message === message : message.test(error.message));
    if (error.code !== code || !matches)
      throw new Mismatch(
        `${method} refused otherwise`,
        { code, ...(message !== undefined ? { message: String(message) } : {}) },
        { code: error.code, message: error.message },
      );
    return;
  }
  throw new Mismatch(
    `${method} answered`,
    { error: { code, ...(message !== undefined ? { message: String(message) } : {}) } },
    { result },
  );
}

async function ok<T = unknown>(rpc: RpcAdapter, method: string, params: unknown[] = []) {
  try {
    return (await rpc.call(method, params)) as T;
  } catch (error) {
    if (error instanceof RpcCallError)
      throw new Mismatch(`${method} refused`, 'a result', {
        code: error.code,
        message: error.message,
      });
    throw error;
  }
}

async function info(rpc: RpcAdapter) {
  return ok<{ memory: number; messages: number; minPow: number; maxMessageSize: number }>(
    rpc,
    'shh_info',
  );
}

/** A post's common fields: TTL, and PoW enough for the node's minimum. */
async function postBase(rpc: RpcAdapter) {
  const { minPow } = await info(rpc);
  return { ttl: 60, powTime: 2, powTarget: Math.max(minPow, 0.2) };
}

type RpcMessage = Record<string, unknown>;

/** Polls a filter until `until` holds of what it gave, within `ms`; answers everything given. */
async function pollFilter(
  rpc: RpcAdapter,
  id: string,
  ms: number,
  until: (all: RpcMessage[]) => boolean = (all) => all.length > 0,
): Promise<RpcMessage[]> {
  const all: RpcMessage[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await ok<RpcMessage[]>(rpc, 'shh_getFilterMessages', [id]);
    expectThat('shh_getFilterMessages answers an array', Array.isArray(got), 'an array', got);
    all.push(...got);
    if (until(all)) return all;
    if (Date.now() > deadline)
      throw new Mismatch(`not delivered within ${ms} ms`, 'the posted message', all);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Checks a delivered message against what was posted. */
function expectMessage(
  message: RpcMessage,
  want: {
    topic: string;
    payload: string;
    padding?: string;
    ttl: number;
    hash: string;
    powTarget: number;
    sig?: string;
    recipientPublicKey?: string;
  },
) {
  expectEqual('topic', want.topic, message.topic);
  expectEqual('payload', want.payload, message.payload);
  if (want.padding !== undefined) expectEqual('padding', want.padding, message.padding);
  else
    expectThat(
      'padding is hex',
      typeof message.padding === 'string' && /^0x([0-9a-f]{2})*$/.test(message.padding),
      '0x-prefixed hex',
      message.padding,
    );
  expectEqual('ttl', want.ttl, message.ttl);
  expectEqual('hash (as shh_post answered)', want.hash, message.hash);
  expectThat(
    'pow at least powTarget',
    typeof message.pow === 'number' && message.pow >= want.powTarget,
    `≥ ${want.powTarget}`,
    message.pow,
  );
  expectThat(
    'timestamp is a uint32',
    Number.isInteger(message.timestamp) && (message.timestamp as number) >= 0,
    'an integer ≥ 0',
    message.timestamp,
  );
  expectEqual('sig', want.sig, message.sig);
  expectEqual('recipientPublicKey', want.recipientPublicKey, message.recipientPublicKey);
}

/** A round trip: keys, a filter, a post, the message checked. */
async function roundTrip(
  context: ShhRpcContext,
  options: { asym: boolean; signed: boolean; viaSubscription?: boolean },
): Promise<void> {
  const { rpc } = context;
  const topic = randomTopic();
  const payload = hex(randomBytes(37));
  const padding = hex(randomBytes(19));
  let filterKey: Record<string, string>;
  let postKey: Record<string, string>;
  let recipientPublicKey: string | undefined;
  if (options.asym) {
    const pair = await ok<string>(rpc, 'shh_newKeyPair');
    recipientPublicKey = await ok<string>(rpc, 'shh_getPublicKey', [pair]);
    filterKey = { privateKeyID: pair };
    postKey = { pubKey: recipientPublicKey };
  } else {
    const sym = await ok<string>(rpc, 'shh_newSymKey');
    filterKey = { symKeyID: sym };
    postKey = { symKeyID: sym };
  }
  let sig: string | undefined;
  let signer: string | undefined;
  if (options.signed) {
    signer = await ok<string>(rpc, 'shh_newKeyPair');
    sig = await ok<string>(rpc, 'shh_getPublicKey', [signer]);
  }
  const criteria = { ...filterKey, topics: [topic] };
  let subscription: Subscription | undefined;
  let filter: string | undefined;
  if (options.viaSubscription) {
    if (rpc.transport !== 'ws') throw new Skip('subscriptions need a WebSocket URL (ws://)');
    try {
      subscription = await rpc.subscribe('shh', ['messages', criteria]);
    } catch (error) {
      if (error instanceof RpcCallError)
        throw new Mismatch('shh_subscribe refused', 'a subscription id', {
          code: error.code,
          message: error.message,
        });
      throw error;
    }
  } else filter = await ok<string>(rpc, 'shh_newMessageFilter', [criteria]);
  const base = await postBase(rpc);
  const hash = await ok<string>(rpc, 'shh_post', [
    { ...postKey, ...(signer ? { sig: signer } : {}), topic, payload, padding, ...base },
  ]);
  expectThat('shh_post answers the envelope hash', HASH.test(String(hash)), 'a 32-byte hash', hash);
  const want = {
    topic,
    payload,
    padding,
    ttl: base.ttl,
    hash,
    powTarget: base.powTarget,
    ...(sig ? { sig } : {}),
    ...(recipientPublicKey ? { recipientPublicKey } : {}),
  };
  if (subscription) {
    let message: unknown;
    try {
      message = await subscription.next(context.deliveryMs);
    } catch (error) {
      if ((error as Error).name === 'Unreachable') throw error;
      throw new Mismatch((error as Error).message, 'a notification', subscription.pending());
    }
    expectMessage(message as RpcMessage, want);
    expectEqual('shh_unsubscribe', true, await subscription.unsubscribe());
    // Nothing more after it: a second post is not notified (geth sends every 250 ms).
    await ok(rpc, 'shh_post', [{ ...postKey, topic, payload, ...base }]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expectEqual('notifications after shh_unsubscribe', [], subscription.pending());
    return;
  }
  const messages = await pollFilter(rpc, filter!, context.deliveryMs);
  expectEqual('messages delivered', 1, messages.length);
  expectMessage(messages[0]!, want);
  expectEqual('a second poll', [], await ok(rpc, 'shh_getFilterMessages', [filter]));
  expectEqual('shh_deleteMessageFilter', true, await ok(rpc, 'shh_deleteMessageFilter', [filter]));
}

type SettingMethod = 'shh_setMinPoW' | 'shh_setMaxMessageSize';

/** The `shh_info` field a setting method sets. */
const SETTING_FIELD = { shh_setMinPoW: 'minPow', shh_setMaxMessageSize: 'maxMessageSize' } as const;

/**
 * Runs `run` and then, whatever it did (resolved, threw, timed out), puts the setting of
 * `method` back to the value `shh_info` gave before, and checks with `shh_info` that it is
 * back. A restore that fails is reported, never dropped: on a case that passed it is the
 * case's failure; on a case that failed or crashed it is added to that failure's message.
 *
 * @throws Mismatch when the restore fails (or the case's own error, with the restore's
 *   failure in its message); Unreachable when the case or the restore met no answer
 */
async function restoring<T>(
  rpc: RpcAdapter,
  method: SettingMethod,
  run: () => Promise<T>,
): Promise<T> {
  const field = SETTING_FIELD[method];
  const before = (await info(rpc))[field];
  let result: T;
  try {
    result = await run();
  } catch (error) {
    const problem = await restore(rpc, method, field, before);
    if (problem === undefined) throw error;
    throw withRestoreProblem(error, problem);
  }
  const problem = await restore(rpc, method, field, before);
  if (problem !== undefined) throw withRestoreProblem(undefined, problem);
  return result;
}

/** Sets a setting for the body of `run` and puts it back after ({@link restoring}). */
async function withSetting<T>(
  rpc: RpcAdapter,
  method: SettingMethod,
  value: number,
  run: () => Promise<T>,
): Promise<T> {
  // The set itself is inside: a set that timed out or answered oddly may still have applied.
  return restoring(rpc, method, async () => {
    expectEqual(method, true, await ok(rpc, method, [value]));
    return run();
  });
}

interface RestoreProblem {
  readonly message: string;
  readonly expected: unknown;
  readonly actual: unknown;
  /** The restore met no answer (the node may be gone). */
  readonly unreachable: boolean;
}

/** Puts the setting back and checks it; undefined when it is back, else what went wrong. */
async function restore(
  rpc: RpcAdapter,
  method: SettingMethod,
  field: 'minPow' | 'maxMessageSize',
  value: number,
): Promise<RestoreProblem | undefined> {
  const what = `${method}(${value})`;
  try {
    const answer = await rpc.call(method, [value]);
    if (answer !== true)
      return { message: `${what} answered`, expected: true, actual: answer, unreachable: false };
    const now = (await info(rpc))[field];
    if (now !== value)
      return {
        message: `after ${what}, shh_info's ${field}`,
        expected: value,
        actual: now,
        unreachable: false,
      };
    return undefined;
  } catch (error) {
    const actual =
      error instanceof RpcCallError
        ? { code: error.code, message: error.message }
        : error instanceof Mismatch
          ? error.actual
          : (error as Error).message;
    return {
      message: `${what} failed${error instanceof Mismatch ? `: ${error.message}` : ''}`,
      expected: 'true, and shh_info giving the value back',
      actual,
      unreachable: error instanceof Unreachable,
    };
  }
}

/**
 * What a case reports when its restore failed: the case's error (undefined if it passed) with
 * the failed restore in its message, its kind kept where it says more than the restore.
 */
function withRestoreProblem(error: unknown, problem: RestoreProblem): Error {
  const said = `the setting was not restored: ${problem.message}: ${JSON.stringify(problem.actual)}`;
  // A case that met no answer stays Unreachable, so that the runner's re-probe decides it.
  if (error instanceof Unreachable) return new Unreachable(`${error.message}; and ${said}`);
  if (error instanceof Mismatch)
    return new Mismatch(`${error.message}; and ${said}`, error.expected, error.actual);
  if (problem.unreachable) return new Unreachable(said);
  // A pass, a skip or an unexpected error: the failed restore is the case's failure.
  const before =
    error === undefined
      ? ''
      : error instanceof Skip
        ? ` (the case was skipped: ${error.message})`
        : ` (the case threw: ${(error as Error).message ?? String(error)})`;
  return new Mismatch(
    `the setting was not restored: ${problem.message}${before}`,
    problem.expected,
    problem.actual,
  );
}

const make = caseBuilder<ShhRpcContext>(SHH_RPC_SPEC, 'rpc', '');

const INVALID_ARG_0 = /^invalid argument 0/;

/** Each call is refused with -32602 and a message that begins `invalid argument 0`. */
async function allInvalidArgument(
  rpc: RpcAdapter,
  calls: readonly (readonly [method: string, params: readonly unknown[]])[],
): Promise<void> {
  for (const [method, params] of calls)
    await refused(rpc, method, [...params], -32602, INVALID_ARG_0);
}

/** The public key G, compressed (33 bytes): a point, but not in the 65-byte form of §1.4. */
const G_COMPRESSED = `0x02${G.slice(4, 68)}`;

/** The adapter's raw bodies; HTTP only (the case is skipped over WebSocket). */
function rawOnly(rpc: RpcAdapter): (text: string) => Promise<unknown> {
  if (!rpc.rawText) throw new Skip('raw bodies are sent over HTTP only');
  return rpc.rawText;
}

function expectErrorCode(answer: unknown, code: number) {
  const error = (answer as { error?: { code?: unknown } } | null)?.error;
  expectEqual('error code', code, error?.code);
}

/** The cases, in the order they run. */
export function shhRpcCases(): Case[] {
  return [
    // §1 transport and errors
    make('§1.3', 'unknown-method', 'an unknown method is refused with -32601', async ({ rpc }) =>
      refused(rpc, 'shh_noSuchMethod', [], -32601),
    ),
    make('§1.2', 'missing-argument', 'a missing argument is refused with -32602', async ({ rpc }) =>
      refused(rpc, 'shh_getSymKey', [], -32602, 'missing value for required argument 0'),
    ),
    make(
      '§1.2',
      'extra-argument',
      'an argument too many is refused with -32602',
      async ({ rpc }) => refused(rpc, 'shh_hasSymKey', [UNKNOWN_ID, 'more'], -32602),
      ['geth-1.8.27'],
    ),
    make(
      '§1.2',
      'params-omitted',
      'params may be omitted for a method without arguments',
      async ({ rpc }) => {
        const response = (await rpc.raw({ jsonrpc: '2.0', id: 7, method: 'shh_version' })) as {
          result?: unknown;
        };
        expectEqual('result', '6.0', response.result);
      },
    ),
    make('§1.1', 'batch', 'a batch is answered by an array of the answers', async ({ rpc }) => {
      const answers = await rawOnly(rpc)(
        JSON.stringify([
          { jsonrpc: '2.0', id: 1, method: 'shh_version', params: [] },
          { jsonrpc: '2.0', id: 2, method: 'shh_noSuchMethod', params: [] },
        ]),
      );
      expectThat(
        'an array of two',
        Array.isArray(answers) && answers.length === 2,
        'two answers',
        answers,
      );
      const byId = new Map((answers as { id: unknown }[]).map((a) => [a.id, a]));
      expectEqual('answer 1', '6.0', (byId.get(1) as { result?: unknown } | undefined)?.result);
      expectEqual(
        'answer 2 code',
        -32601,
        (byId.get(2) as { error?: { code?: unknown } } | undefined)?.error?.code,
      );
    }),
    make('§1.2', 'string-id', 'a string id is answered with the same id', async ({ rpc }) => {
      const answer = (await rawOnly(rpc)(
        JSON.stringify({ jsonrpc: '2.0', id: 'conformance', method: 'shh_version', params: null }),
      )) as { id?: unknown; result?: unknown };
      expectEqual(
        'answer',
        { id: 'conformance', result: '6.0' },
        { id: answer.id, result: answer.result },
      );
    }),
    make(
      '§8',
      'not-json',
      'a body that is not JSON is refused with -32600',
      async ({ rpc }) => expectErrorCode(await rawOnly(rpc)('{"jsonrpc":"2.0","id":1,'), -32600),
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'not-json',
      'a body that is not JSON is refused with -32700 (JSON-RPC 2.0)',
      async ({ rpc }) => expectErrorCode(await rawOnly(rpc)('{"jsonrpc":"2.0","id":1,'), -32700),
      ['hush'],
    ),
    make(
      '§8',
      'no-method',
      'a request without a method is refused with -32601',
      async ({ rpc }) => expectErrorCode(await rawOnly(rpc)('{"jsonrpc":"2.0","id":1}'), -32601),
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'no-method',
      'a request without a method is refused with -32600 (JSON-RPC 2.0)',
      async ({ rpc }) => expectErrorCode(await rawOnly(rpc)('{"jsonrpc":"2.0","id":1}'), -32600),
      ['hush'],
    ),
    make(
      '§8',
      'params-object',
      'params as an object is taken for a method without arguments',
      async ({ rpc }) => {
        const answer = (await rawOnly(rpc)(
          JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'shh_version', params: {} }),
        )) as { result?: unknown };
        expectEqual('result', '6.0', answer.result);
      },
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'params-object',
      'params as an object is refused with -32602',
      async ({ rpc }) =>
        expectErrorCode(
          await rawOnly(rpc)(
            JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'shh_version', params: {} }),
          ),
          -32602,
        ),
      ['hush'],
    ),
    // §2 node info and settings
    make('§2.1', 'version', 'shh_version answers "6.0"', async ({ rpc }) =>
      expectEqual('shh_version', '6.0', await ok(rpc, 'shh_version')),
    ),
    make(
      '§2.2',
      'info',
      'shh_info answers memory, messages, minPow and maxMessageSize',
      async ({ rpc }) => {
        const i = (await info(rpc)) as unknown as Record<string, unknown>;
        expectEqual(
          'fields',
          ['maxMessageSize', 'memory', 'messages', 'minPow'],
          Object.keys(i).sort(),
        );
        for (const field of ['memory', 'messages', 'maxMessageSize'])
          expectThat(
            field,
            Number.isInteger(i[field]) && (i[field] as number) >= 0,
            'an integer ≥ 0',
            i[field],
          );
        expectThat(
          'minPow',
          typeof i.minPow === 'number' && i.minPow >= 0,
          'a number ≥ 0',
          i.minPow,
        );
      },
    ),
    make(
      '§2.3',
      'set-max-message-size',
      'shh_setMaxMessageSize takes effect in shh_info',
      async ({ rpc }) => {
        await withSetting(rpc, 'shh_setMaxMessageSize', 524_288, async () =>
          expectEqual('maxMessageSize', 524_288, (await info(rpc)).maxMessageSize),
        );
      },
    ),
    make(
      '§2.3',
      'set-max-message-size-over',
      'a size over 10 MiB is refused with -32000',
      async ({ rpc }) => refused(rpc, 'shh_setMaxMessageSize', [10_485_761], -32000),
    ),
    make(
      '§8',
      'set-max-message-size-zero',
      'size 0 is accepted (and then every envelope is too large)',
      async ({ rpc }) =>
        withSetting(rpc, 'shh_setMaxMessageSize', 0, async () =>
          expectEqual('maxMessageSize', 0, (await info(rpc)).maxMessageSize),
        ),
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'set-max-message-size-zero',
      'size 0 is refused with -32000 (sizes are 1 … 10 MiB)',
      // An implementation that took 0 would refuse every later post: it is put back.
      async ({ rpc }) =>
        restoring(rpc, 'shh_setMaxMessageSize', () =>
          refused(rpc, 'shh_setMaxMessageSize', [0], -32000),
        ),
      ['hush'],
    ),
    make('§2.4', 'set-min-pow', 'shh_setMinPoW takes effect in shh_info', async ({ rpc }) => {
      await withSetting(rpc, 'shh_setMinPoW', 1.25, async () =>
        expectEqual('minPow', 1.25, (await info(rpc)).minPow),
      );
    }),
    make('§2.4', 'set-min-pow-negative', 'a negative PoW is refused with -32000', async ({ rpc }) =>
      refused(rpc, 'shh_setMinPoW', [-1], -32000, /^invalid PoW: -1/),
    ),
    make(
      '§2.5',
      'mark-trusted-stranger',
      'marking a node that is not a peer is refused with -32000',
      async ({ rpc }) =>
        refused(
          rpc,
          'shh_markTrustedPeer',
          [STRANGER_ENODE],
          -32000,
          /^Could not find peer with ID: [0-9a-f]{64}$/,
        ),
    ),
    make(
      '§8',
      'mark-trusted-malformed',
      'a malformed enode (shh_markTrustedPeer, targetPeer) is refused with -32000',
      async ({ rpc }) => {
        await refused(rpc, 'shh_markTrustedPeer', ['enode://zz'], -32000);
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const post = {
          ...(await postBase(rpc)),
          symKeyID: sym,
          topic: randomTopic(),
          payload: '0x01',
        };
        await refused(
          rpc,
          'shh_post',
          [{ ...post, targetPeer: 'enode://zz' }],
          -32000,
          /^failed to parse target peer/,
        );
      },
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'mark-trusted-malformed',
      'a malformed enode (shh_markTrustedPeer, targetPeer) is refused with -32602',
      async ({ rpc }) => {
        await refused(rpc, 'shh_markTrustedPeer', ['enode://zz'], -32602, INVALID_ARG_0);
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const post = {
          ...(await postBase(rpc)),
          symKeyID: sym,
          topic: randomTopic(),
          payload: '0x01',
        };
        await refused(
          rpc,
          'shh_post',
          [{ ...post, targetPeer: 'enode://zz' }],
          -32602,
          INVALID_ARG_0,
        );
      },
      ['hush'],
    ),
    // §3 keys
    make(
      '§3.2',
      'new-key-pair',
      'shh_newKeyPair: an id, its public and private key',
      async ({ rpc }) => {
        const id = await ok<string>(rpc, 'shh_newKeyPair');
        expectThat('key id', ID.test(String(id)), '64 lowercase hex digits', id);
        expectEqual('shh_hasKeyPair', true, await ok(rpc, 'shh_hasKeyPair', [id]));
        const pub = await ok<string>(rpc, 'shh_getPublicKey', [id]);
        expectThat('public key', PUBLIC_KEY.test(String(pub)), '0x04 and 128 hex digits', pub);
        const priv = await ok<string>(rpc, 'shh_getPrivateKey', [id]);
        expectThat('private key', /^0x[0-9a-f]{64}$/.test(String(priv)), '32 bytes', priv);
        const again = await ok<string>(rpc, 'shh_addPrivateKey', [priv]);
        expectThat('a new id for the same key', again !== id, `not ${id}`, again);
        expectEqual('its public key', pub, await ok(rpc, 'shh_getPublicKey', [again]));
      },
    ),
    make(
      '§3.2',
      'add-private-key',
      'shh_addPrivateKey: key 1 has public key G',
      async ({ rpc }) => {
        const id = await ok<string>(rpc, 'shh_addPrivateKey', [KEY_ONE]);
        expectEqual('shh_getPublicKey', G, await ok(rpc, 'shh_getPublicKey', [id]));
        expectEqual('shh_getPrivateKey', KEY_ONE, await ok(rpc, 'shh_getPrivateKey', [id]));
      },
    ),
    make(
      '§3.2',
      'add-private-key-invalid',
      'a private key of the wrong length, zero or ≥ n is refused with -32000',
      async ({ rpc }) => {
        await refused(
          rpc,
          'shh_addPrivateKey',
          ['0x0102'],
          -32000,
          'invalid length, need 256 bits',
        );
        await refused(
          rpc,
          'shh_addPrivateKey',
          [`0x${'00'.repeat(32)}`],
          -32000,
          'invalid private key, zero or negative',
        );
        await refused(rpc, 'shh_addPrivateKey', [CURVE_ORDER], -32000, 'invalid private key, >=N');
      },
    ),
    make(
      '§3.2',
      'delete-key-pair',
      'shh_deleteKeyPair removes the pair; a second delete is refused',
      async ({ rpc }) => {
        const id = await ok<string>(rpc, 'shh_newKeyPair');
        expectEqual('shh_deleteKeyPair', true, await ok(rpc, 'shh_deleteKeyPair', [id]));
        expectEqual('shh_hasKeyPair', false, await ok(rpc, 'shh_hasKeyPair', [id]));
        await refused(rpc, 'shh_deleteKeyPair', [id], -32000, `key pair ${id} not found`);
        await refused(rpc, 'shh_getPublicKey', [id], -32000, 'invalid id');
      },
    ),
    make(
      '§3.2',
      'unknown-key-pair',
      'an unknown key pair id: has false, get refused with "invalid id"',
      async ({ rpc }) => {
        expectEqual('shh_hasKeyPair', false, await ok(rpc, 'shh_hasKeyPair', [UNKNOWN_ID]));
        await refused(rpc, 'shh_getPublicKey', [UNKNOWN_ID], -32000, 'invalid id');
        await refused(rpc, 'shh_getPrivateKey', [UNKNOWN_ID], -32000, 'invalid id');
      },
    ),
    make(
      '§3.3',
      'new-sym-key',
      'shh_newSymKey: an id and a 32-byte key, not all zero',
      async ({ rpc }) => {
        const id = await ok<string>(rpc, 'shh_newSymKey');
        expectThat('key id', ID.test(String(id)), '64 lowercase hex digits', id);
        expectEqual('shh_hasSymKey', true, await ok(rpc, 'shh_hasSymKey', [id]));
        const key = await ok<string>(rpc, 'shh_getSymKey', [id]);
        expectThat(
          'key',
          /^0x[0-9a-f]{64}$/.test(String(key)) && !/^0x0+$/.test(String(key)),
          '32 bytes, not all zero',
          key,
        );
      },
    ),
    make('§3.3', 'add-sym-key', 'shh_addSymKey keeps the key as given', async ({ rpc }) => {
      const key = hex(randomBytes(32));
      const id = await ok<string>(rpc, 'shh_addSymKey', [key]);
      expectEqual('shh_getSymKey', key, await ok(rpc, 'shh_getSymKey', [id]));
    }),
    make(
      '§3.3',
      'add-sym-key-size',
      'a symmetric key of 2 bytes is refused with -32000',
      async ({ rpc }) => refused(rpc, 'shh_addSymKey', ['0x0102'], -32000, 'wrong key size: 2'),
    ),
    make('§3.3', 'delete-sym-key', 'shh_deleteSymKey answers true, then false', async ({ rpc }) => {
      const id = await ok<string>(rpc, 'shh_newSymKey');
      expectEqual('shh_deleteSymKey', true, await ok(rpc, 'shh_deleteSymKey', [id]));
      expectEqual('shh_hasSymKey', false, await ok(rpc, 'shh_hasSymKey', [id]));
      expectEqual('a second shh_deleteSymKey', false, await ok(rpc, 'shh_deleteSymKey', [id]));
      await refused(rpc, 'shh_getSymKey', [id], -32000, 'non-existent key ID');
    }),
    make(
      '§3.1',
      'kinds-apart',
      'key pairs and symmetric keys are separate kinds',
      async ({ rpc }) => {
        const pair = await ok<string>(rpc, 'shh_newKeyPair');
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        expectEqual('shh_hasSymKey(pair id)', false, await ok(rpc, 'shh_hasSymKey', [pair]));
        expectEqual('shh_hasKeyPair(sym id)', false, await ok(rpc, 'shh_hasKeyPair', [sym]));
        await refused(rpc, 'shh_getSymKey', [pair], -32000, 'non-existent key ID');
        await refused(rpc, 'shh_getPublicKey', [sym], -32000, 'invalid id');
      },
    ),
    make(
      '§3.4',
      'password-key',
      "shh_generateSymKeyFromPassword derives geth's key",
      async ({ rpc }) => {
        for (const [password, key] of [
          ['password', '0x9afe990d1915aa6c20da3c5c26b4656ed871418867e89709f15f571c91d21824'],
          ['ünïcødé ✓', '0x737264515edba9b19c33dfa28465812832fab9309b39fa0c63846785be1b9c72'],
        ] as const) {
          const id = await ok<string>(rpc, 'shh_generateSymKeyFromPassword', [password]);
          expectThat('key id', ID.test(String(id)), '64 lowercase hex digits', id);
          expectEqual(
            `the key of ${JSON.stringify(password)}`,
            key,
            await ok(rpc, 'shh_getSymKey', [id]),
          );
        }
      },
    ),
    make(
      '§3.4',
      'password-key-twice',
      'the same password twice: two ids, one key',
      async ({ rpc }) => {
        const password = `conformance ${hex(randomBytes(8))}`;
        const a = await ok<string>(rpc, 'shh_generateSymKeyFromPassword', [password]);
        const b = await ok<string>(rpc, 'shh_generateSymKeyFromPassword', [password]);
        expectThat('two ids', a !== b, `not ${a}`, b);
        expectEqual(
          'one key',
          await ok(rpc, 'shh_getSymKey', [a]),
          await ok(rpc, 'shh_getSymKey', [b]),
        );
      },
    ),
    // §4 posting
    make(
      '§4.2',
      'post-key-choice',
      'a post needs exactly one of symKeyID and pubKey',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const pair = await ok<string>(rpc, 'shh_newKeyPair');
        const pub = await ok<string>(rpc, 'shh_getPublicKey', [pair]);
        const base = { ...(await postBase(rpc)), topic: randomTopic(), payload: '0x01' };
        const message = 'specify either a symmetric or an asymmetric key';
        await refused(rpc, 'shh_post', [base], -32000, message);
        await refused(rpc, 'shh_post', [{ ...base, symKeyID: sym, pubKey: pub }], -32000, message);
      },
    ),
    make('§4.2', 'post-sym-topic', 'a symmetric post needs a topic', async ({ rpc }) => {
      const sym = await ok<string>(rpc, 'shh_newSymKey');
      await refused(
        rpc,
        'shh_post',
        [{ ...(await postBase(rpc)), symKeyID: sym, payload: '0x01' }],
        -32000,
        'missing topic(s)',
      );
    }),
    make(
      '§4.2',
      'post-unknown-keys',
      'unknown symKeyID and sig ids are refused',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const base = { ...(await postBase(rpc)), topic: randomTopic(), payload: '0x01' };
        await refused(
          rpc,
          'shh_post',
          [{ ...base, symKeyID: UNKNOWN_ID }],
          -32000,
          'non-existent key ID',
        );
        await refused(
          rpc,
          'shh_post',
          [{ ...base, symKeyID: sym, sig: UNKNOWN_ID }],
          -32000,
          'invalid id',
        );
      },
    ),
    make(
      '§4.2',
      'post-bad-public-key',
      'a pubKey that is not a point is refused',
      async ({ rpc }) => {
        const base = { ...(await postBase(rpc)), topic: randomTopic(), payload: '0x01' };
        await refused(
          rpc,
          'shh_post',
          [{ ...base, pubKey: '0x0401' }],
          -32000,
          'invalid public key',
        );
        await refused(
          rpc,
          'shh_post',
          [{ ...base, pubKey: `0x04${'00'.repeat(64)}` }],
          -32000,
          'invalid public key',
        );
      },
    ),
    make(
      '§4.3',
      'post-below-min-pow',
      'shh_setMinPoW takes effect: a post below it is refused',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const base = await postBase(rpc);
        await withSetting(rpc, 'shh_setMinPoW', base.powTarget + 50, async () =>
          refused(
            rpc,
            'shh_post',
            [{ ...base, symKeyID: sym, topic: randomTopic(), payload: '0x01' }],
            -32000,
            'message rejected, PoW too low',
          ),
        );
      },
    ),
    make(
      '§4.2',
      'post-target-stranger',
      'a post to a targetPeer that is not connected is refused with -32000',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const post = {
          ...(await postBase(rpc)),
          symKeyID: sym,
          topic: randomTopic(),
          payload: '0x01',
        };
        await refused(rpc, 'shh_post', [{ ...post, targetPeer: STRANGER_ENODE }], -32000);
      },
    ),
    // §5 filters, with the round trips of §4
    make('§5.3', 'sym-round-trip', 'symmetric, unsigned: post → filter', (c) =>
      roundTrip(c, { asym: false, signed: false }),
    ),
    make('§5.3', 'sym-round-trip-signed', 'symmetric, signed: the signer in sig', (c) =>
      roundTrip(c, { asym: false, signed: true }),
    ),
    make('§5.3', 'asym-round-trip', 'asymmetric, unsigned: recipientPublicKey', (c) =>
      roundTrip(c, { asym: true, signed: false }),
    ),
    make('§5.3', 'asym-round-trip-signed', 'asymmetric, signed: sig and recipientPublicKey', (c) =>
      roundTrip(c, { asym: true, signed: true }),
    ),
    make(
      '§5.1',
      'filter-topic',
      'a filter receives only its topics',
      async ({ rpc, deliveryMs }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const [mine, other] = [randomTopic(), randomTopic()];
        const filter = await ok<string>(rpc, 'shh_newMessageFilter', [
          { symKeyID: sym, topics: [mine] },
        ]);
        const base = { ...(await postBase(rpc)), symKeyID: sym };
        await ok(rpc, 'shh_post', [{ ...base, topic: other, payload: '0x02' }]);
        await ok(rpc, 'shh_post', [{ ...base, topic: mine, payload: '0x01' }]);
        const got = await pollFilter(rpc, filter, deliveryMs);
        await new Promise((resolve) => setTimeout(resolve, 500));
        got.push(...(await ok<RpcMessage[]>(rpc, 'shh_getFilterMessages', [filter])));
        expectEqual(
          'topics delivered',
          [mine],
          got.map((m) => m.topic),
        );
      },
    ),
    make(
      '§5.1',
      'filter-signer',
      "a filter with sig receives only that signer's messages",
      async ({ rpc, deliveryMs }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const [alice, bob] = [
          await ok<string>(rpc, 'shh_newKeyPair'),
          await ok<string>(rpc, 'shh_newKeyPair'),
        ];
        const alicePub = await ok<string>(rpc, 'shh_getPublicKey', [alice]);
        const topic = randomTopic();
        const filter = await ok<string>(rpc, 'shh_newMessageFilter', [
          { symKeyID: sym, topics: [topic], sig: alicePub },
        ]);
        const base = { ...(await postBase(rpc)), symKeyID: sym, topic };
        await ok(rpc, 'shh_post', [{ ...base, payload: '0x0b', sig: bob }]);
        await ok(rpc, 'shh_post', [{ ...base, payload: '0x0c' }]);
        await ok(rpc, 'shh_post', [{ ...base, payload: '0x0a', sig: alice }]);
        const got = await pollFilter(rpc, filter, deliveryMs, (all) =>
          all.some((m) => m.payload === '0x0a'),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        got.push(...(await ok<RpcMessage[]>(rpc, 'shh_getFilterMessages', [filter])));
        expectEqual(
          'payloads delivered',
          ['0x0a'],
          got.map((m) => m.payload),
        );
        expectEqual('sig', alicePub, got[0]!.sig);
      },
    ),
    make(
      '§5.2',
      'filter-key-choice',
      'a filter needs exactly one of symKeyID and privateKeyID',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const pair = await ok<string>(rpc, 'shh_newKeyPair');
        const message = 'specify either a symmetric or an asymmetric key';
        await refused(rpc, 'shh_newMessageFilter', [{ topics: [randomTopic()] }], -32000, message);
        await refused(
          rpc,
          'shh_newMessageFilter',
          [{ symKeyID: sym, privateKeyID: pair }],
          -32000,
          message,
        );
      },
    ),
    make(
      '§5.2',
      'filter-unknown-keys',
      'unknown key ids and a bad sig are refused',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        await refused(
          rpc,
          'shh_newMessageFilter',
          [{ symKeyID: UNKNOWN_ID, topics: [randomTopic()] }],
          -32000,
          'non-existent key ID',
        );
        await refused(
          rpc,
          'shh_newMessageFilter',
          [{ privateKeyID: UNKNOWN_ID }],
          -32000,
          'invalid id',
        );
        await refused(
          rpc,
          'shh_newMessageFilter',
          [{ symKeyID: sym, topics: [randomTopic()], sig: '0x0401' }],
          -32000,
          'invalid signing public key',
        );
      },
    ),
    make('§5.3', 'filter-unknown', 'polling an unknown filter is refused', async ({ rpc }) =>
      refused(rpc, 'shh_getFilterMessages', [UNKNOWN_ID], -32000, 'filter not found'),
    ),
    make(
      '§5.4',
      'delete-filter',
      'a deleted filter is gone; deleting it again is refused',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const filter = await ok<string>(rpc, 'shh_newMessageFilter', [
          { symKeyID: sym, topics: [randomTopic()] },
        ]);
        expectThat('filter id', ID.test(String(filter)), '64 lowercase hex digits', filter);
        expectEqual(
          'shh_deleteMessageFilter',
          true,
          await ok(rpc, 'shh_deleteMessageFilter', [filter]),
        );
        await refused(rpc, 'shh_getFilterMessages', [filter], -32000, 'filter not found');
        await refused(rpc, 'shh_deleteMessageFilter', [filter], -32000, 'Unsubscribe: Invalid ID');
      },
    ),
    make(
      '§5.1',
      'filter-min-pow',
      "a filter whose minPow is above the message's PoW does not receive it",
      async ({ rpc, deliveryMs }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const topic = randomTopic();
        const strict = await ok<string>(rpc, 'shh_newMessageFilter', [
          { symKeyID: sym, topics: [topic], minPow: 1e6 },
        ]);
        const open = await ok<string>(rpc, 'shh_newMessageFilter', [
          { symKeyID: sym, topics: [topic] },
        ]);
        await ok(rpc, 'shh_post', [
          { ...(await postBase(rpc)), symKeyID: sym, topic, payload: '0x01' },
        ]);
        const got = await pollFilter(rpc, open, deliveryMs);
        expectEqual(
          'the filter without minPow',
          ['0x01'],
          got.map((m) => m.payload),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        expectEqual(
          'the filter with minPow 1e6',
          [],
          await ok(rpc, 'shh_getFilterMessages', [strict]),
        );
      },
    ),
    // §6 subscriptions
    make('§6.2', 'subscribe-sym', 'a subscription is notified of a symmetric post', (c) =>
      roundTrip(c, { asym: false, signed: true, viaSubscription: true }),
    ),
    make('§6.2', 'subscribe-asym', 'a subscription is notified of an asymmetric post', (c) =>
      roundTrip(c, { asym: true, signed: false, viaSubscription: true }),
    ),
    make(
      '§6.1',
      'subscribe-refusals',
      'shh_subscribe refuses what shh_newMessageFilter refuses, and a symmetric one without topics',
      async ({ rpc }) => {
        if (rpc.transport !== 'ws') throw new Skip('subscriptions need a WebSocket URL (ws://)');
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        await refused(
          rpc,
          'shh_subscribe',
          ['messages', { symKeyID: sym }],
          -32000,
          'missing topic(s)',
        );
        await refused(
          rpc,
          'shh_subscribe',
          ['messages', { privateKeyID: UNKNOWN_ID }],
          -32000,
          'invalid public key',
        );
        await refused(
          rpc,
          'shh_subscribe',
          ['messages', {}],
          -32000,
          'specify either a symmetric or an asymmetric key',
        );
        await refused(rpc, 'shh_subscribe', ['nonsense', {}], -32601);
      },
    ),
    make(
      '§8',
      'unsubscribe-unknown',
      'unsubscribing an unknown id is refused with -32000',
      async ({ rpc }) => {
        if (rpc.transport !== 'ws') throw new Skip('subscriptions need a WebSocket URL (ws://)');
        await refused(rpc, 'shh_unsubscribe', ['0x0123456789abcdef0123456789abcdef'], -32000);
      },
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'unsubscribe-unknown',
      'unsubscribing an unknown id answers false',
      async ({ rpc }) => {
        if (rpc.transport !== 'ws') throw new Skip('subscriptions need a WebSocket URL (ws://)');
        expectEqual(
          'shh_unsubscribe',
          false,
          await ok(rpc, 'shh_unsubscribe', ['0x0123456789abcdef0123456789abcdef']),
        );
      },
      ['hush'],
    ),
    make(
      '§8',
      'subscribe-over-http',
      'shh_subscribe over HTTP is refused with -32000 "notifications not supported"',
      async ({ rpc }) => {
        if (rpc.transport !== 'http') throw new Skip('over HTTP only');
        await refused(
          rpc,
          'shh_subscribe',
          ['messages', {}],
          -32000,
          'notifications not supported',
        );
        await refused(
          rpc,
          'shh_unsubscribe',
          ['0x0123456789abcdef0123456789abcdef'],
          -32000,
          'notifications not supported',
        );
      },
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'subscribe-over-http',
      'shh_subscribe over HTTP is refused with -32601 "notifications not supported"',
      async ({ rpc }) => {
        if (rpc.transport !== 'http') throw new Skip('over HTTP only');
        await refused(
          rpc,
          'shh_subscribe',
          ['messages', {}],
          -32601,
          'notifications not supported',
        );
      },
      ['hush'],
    ),
    // §7 limits and bad parameters
    make(
      '§7.1',
      'post-over-max-size',
      'a post larger than the max message size is refused; one within it is not',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const base = { ...(await postBase(rpc)), symKeyID: sym, topic: randomTopic() };
        await withSetting(rpc, 'shh_setMaxMessageSize', 1024, async () => {
          // §4.2 step 8 quotes geth's reason; Hush says more after the same words.
          await refused(
            rpc,
            'shh_post',
            [{ ...base, payload: hex(randomBytes(2048)) }],
            -32000,
            /^huge messages are not allowed/,
          );
          const hash = await ok(rpc, 'shh_post', [{ ...base, payload: hex(randomBytes(100)) }]);
          expectThat('a hash', HASH.test(String(hash)), 'a 32-byte hash', hash);
        });
      },
    ),
    make(
      '§1.4',
      'bad-hex',
      'hex without 0x, of odd length or with a non-hex digit is refused with -32602',
      async ({ rpc }) => {
        for (const bad of ['0102', '0x123', '0xzz'])
          await refused(rpc, 'shh_addSymKey', [bad], -32602, INVALID_ARG_0);
      },
    ),
    make(
      '§7.2',
      'wrong-types',
      'arguments of the wrong type are refused with -32602',
      async ({ rpc }) => {
        await refused(rpc, 'shh_addSymKey', [12], -32602, INVALID_ARG_0);
        await refused(rpc, 'shh_hasKeyPair', [12], -32602, INVALID_ARG_0);
        await refused(rpc, 'shh_setMinPoW', ['high'], -32602, INVALID_ARG_0);
        await refused(rpc, 'shh_setMaxMessageSize', [-1], -32602, INVALID_ARG_0);
        await refused(rpc, 'shh_setMaxMessageSize', [1.5], -32602, INVALID_ARG_0);
        await refused(rpc, 'shh_post', ['a message'], -32602, INVALID_ARG_0);
        await refused(rpc, 'shh_post', [{ ttl: 'long' }], -32602, INVALID_ARG_0);
      },
    ),
    make(
      '§7.2',
      'bad-topics',
      'a topic that is not 4 bytes is refused with -32602',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        await refused(
          rpc,
          'shh_post',
          [{ symKeyID: sym, topic: '0x0102', payload: '0x01' }],
          -32602,
          INVALID_ARG_0,
        );
        await refused(
          rpc,
          'shh_newMessageFilter',
          [{ symKeyID: sym, topics: ['0x010203'] }],
          -32602,
          INVALID_ARG_0,
        );
      },
    ),
    // More bad input, each expectation from geth v1.8.27's decoders (hexutil, encoding/json,
    // rpc/json.go parsePositionalArguments) and whisperv6/api.go, checked against geth.
    make(
      '§1.4',
      'bad-hex-fields',
      "hex that is not hex in a message's or filter's bytes field is refused with -32602",
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const post = { ...(await postBase(rpc)), symKeyID: sym, topic: randomTopic() };
        const filter = { symKeyID: sym, topics: [randomTopic()] };
        await allInvalidArgument(rpc, [
          ['shh_post', [{ ...post, payload: '0xzz' }]],
          ['shh_post', [{ ...post, payload: '0102' }]],
          ['shh_post', [{ ...post, payload: '0x123' }]],
          ['shh_post', [{ ...post, payload: '0x01', padding: '0xgg' }]],
          ['shh_post', [{ ...post, symKeyID: '', payload: '0x01', pubKey: 'zz' }]],
          ['shh_newMessageFilter', [{ ...filter, sig: '0x123' }]],
          ['shh_newMessageFilter', [{ ...filter, sig: '0xzz' }]],
        ]);
      },
    ),
    make(
      '§1.4',
      'topic-size-and-hex',
      'a topic of 0 or 5 bytes, without 0x or with a non-hex digit is refused with -32602',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const post = { ...(await postBase(rpc)), symKeyID: sym, payload: '0x01' };
        await allInvalidArgument(rpc, [
          ...['0x0102030405', '', '0x', '01020304', '0xzz020304'].map(
            (topic): [string, unknown[]] => ['shh_post', [{ ...post, topic }]],
          ),
          ['shh_newMessageFilter', [{ symKeyID: sym, topics: ['0x0102030405'] }]],
          ['shh_newMessageFilter', [{ symKeyID: sym, topics: [''] }]],
        ]);
      },
    ),
    make(
      '§3.3',
      'add-sym-key-lengths',
      'symmetric keys of 31, 33 and 0 bytes are refused with -32000 "wrong key size: N"',
      async ({ rpc }) => {
        for (const [key, size] of [
          [hex(randomBytes(31)), 31],
          [hex(randomBytes(33)), 33],
          ['0x', 0],
          ['', 0],
        ] as const)
          await refused(rpc, 'shh_addSymKey', [key], -32000, `wrong key size: ${size}`);
      },
    ),
    make(
      '§3.2',
      'add-private-key-lengths',
      'private keys of 31, 33 and 0 bytes are refused with -32000 "invalid length, need 256 bits"',
      async ({ rpc }) => {
        for (const key of [hex(randomBytes(31)), hex(randomBytes(33)), '0x'])
          await refused(rpc, 'shh_addPrivateKey', [key], -32000, 'invalid length, need 256 bits');
      },
    ),
    make(
      '§4.2',
      'post-public-key-forms',
      'a pubKey compressed (33 bytes), without its 0x04 (64) or with a byte more (66) is refused',
      async ({ rpc }) => {
        const base = { ...(await postBase(rpc)), topic: randomTopic(), payload: '0x01' };
        for (const pubKey of [G_COMPRESSED, `0x${G.slice(4)}`, `${G}00`])
          await refused(rpc, 'shh_post', [{ ...base, pubKey }], -32000, 'invalid public key');
      },
    ),
    make(
      '§5.2',
      'filter-sig-forms',
      'a filter sig compressed (33 bytes) or without its 0x04 (64) is refused',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        for (const sig of [G_COMPRESSED, `0x${G.slice(4)}`])
          await refused(
            rpc,
            'shh_newMessageFilter',
            [{ symKeyID: sym, topics: [randomTopic()], sig }],
            -32000,
            'invalid signing public key',
          );
      },
    ),
    make(
      '§5.2',
      'filter-empty-keys',
      'empty or null symKeyID and privateKeyID are unset: neither key given (filter and post)',
      async ({ rpc }) => {
        const message = 'specify either a symmetric or an asymmetric key';
        const topics = [randomTopic()];
        await refused(
          rpc,
          'shh_newMessageFilter',
          [{ symKeyID: '', privateKeyID: '', topics }],
          -32000,
          message,
        );
        await refused(
          rpc,
          'shh_newMessageFilter',
          [{ symKeyID: null, privateKeyID: null, topics }],
          -32000,
          message,
        );
        const post = { ...(await postBase(rpc)), topic: randomTopic(), payload: '0x01' };
        await refused(rpc, 'shh_post', [{ ...post, symKeyID: '', pubKey: '0x' }], -32000, message);
      },
    ),
    make(
      '§4.1',
      'post-ttl-zero',
      'ttl 0 is unset: the message is sealed with the default TTL of 50 s',
      async ({ rpc, deliveryMs }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const topic = randomTopic();
        const filter = await ok<string>(rpc, 'shh_newMessageFilter', [
          { symKeyID: sym, topics: [topic] },
        ]);
        await ok(rpc, 'shh_post', [
          { ...(await postBase(rpc)), ttl: 0, symKeyID: sym, topic, payload: '0x01' },
        ]);
        const [message] = await pollFilter(rpc, filter, deliveryMs);
        expectEqual('ttl', 50, message!.ttl);
      },
    ),
    make(
      '§7.2',
      'bad-numbers',
      'a uint32 that is negative, fractional, ≥ 2³² or a string is refused with -32602',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const post = { ...(await postBase(rpc)), symKeyID: sym, topic: randomTopic() };
        await allInvalidArgument(rpc, [
          ...[-1, 1.5, 2 ** 32, '60'].map((ttl): [string, unknown[]] => [
            'shh_post',
            [{ ...post, ttl }],
          ]),
          ['shh_post', [{ ...post, powTime: -1 }]],
          ['shh_post', [{ ...post, powTime: 2 ** 32 }]],
          ['shh_setMaxMessageSize', [2 ** 32]],
          ['shh_setMaxMessageSize', [1e20]],
          ['shh_setMaxMessageSize', ['1024']],
        ]);
      },
    ),
    make(
      '§7.2',
      'pow-not-a-number',
      'a PoW given as a string or a boolean is refused with -32602',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const post = { ...(await postBase(rpc)), symKeyID: sym, topic: randomTopic() };
        await allInvalidArgument(rpc, [
          ['shh_post', [{ ...post, powTarget: '0.5' }]],
          ['shh_post', [{ ...post, powTarget: true }]],
          ['shh_newMessageFilter', [{ symKeyID: sym, topics: [randomTopic()], minPow: 'high' }]],
          ['shh_setMinPoW', ['0.5']],
        ]);
      },
    ),
    make(
      '§7.2',
      'number-too-large',
      'a number beyond float64 (1e400) is refused with -32602, as a PoW and as a size',
      async ({ rpc }) => {
        const send = rawOnly(rpc);
        for (const method of ['shh_setMinPoW', 'shh_setMaxMessageSize']) {
          // Not expressible in JSON.stringify's output: the body is written by hand.
          const answer = (await send(
            `{"jsonrpc":"2.0","id":1,"method":"${method}","params":[1e400]}`,
          )) as { error?: { code?: unknown; message?: unknown } };
          expectEqual(`${method}(1e400): error code`, -32602, answer.error?.code);
          expectThat(
            `${method}(1e400): error message`,
            INVALID_ARG_0.test(String(answer.error?.message)),
            String(INVALID_ARG_0),
            answer.error?.message,
          );
        }
      },
    ),
    make(
      '§7.2',
      'wrong-field-types',
      'fields and ids of the wrong JSON type are refused with -32602',
      async ({ rpc }) => {
        const sym = await ok<string>(rpc, 'shh_newSymKey');
        const topics = [randomTopic()];
        const post = { ...(await postBase(rpc)), symKeyID: sym, topic: randomTopic() };
        await allInvalidArgument(rpc, [
          ['shh_newMessageFilter', [{ symKeyID: 12, topics }]],
          ['shh_newMessageFilter', [{ symKeyID: sym, topics, allowP2P: 'yes' }]],
          ['shh_newMessageFilter', [{ symKeyID: sym, topics: topics[0] }]],
          ['shh_newMessageFilter', ['criteria']],
          ['shh_post', [{ ...post, sig: 12 }]],
          ['shh_post', [[]]],
          ['shh_getFilterMessages', [12]],
          ['shh_deleteKeyPair', [12]],
          ['shh_markTrustedPeer', [12]],
          ['shh_generateSymKeyFromPassword', [12]],
        ]);
      },
    ),
    make(
      '§8',
      'null-argument',
      'a null argument reads as the zero value ("" or an empty object)',
      async ({ rpc }) => {
        expectEqual('shh_hasSymKey(null)', false, await ok(rpc, 'shh_hasSymKey', [null]));
        await refused(rpc, 'shh_getSymKey', [null], -32000, 'non-existent key ID');
        await refused(
          rpc,
          'shh_post',
          [null],
          -32000,
          'specify either a symmetric or an asymmetric key',
        );
      },
      ['geth-1.8.27'],
    ),
    make(
      '§8',
      'null-argument',
      'a null argument is refused with -32602',
      async ({ rpc }) =>
        allInvalidArgument(rpc, [
          ['shh_hasSymKey', [null]],
          ['shh_getSymKey', [null]],
          ['shh_post', [null]],
        ]),
      ['hush'],
    ),
  ];
}

/** The liveness probe the runner calls after each case. */
export async function shhRpcAlive(context: ShhRpcContext): Promise<void> {
  try {
    await context.rpc.call('shh_version');
  } catch (error) {
    // An answer, even an error, is a node that answers; only Unreachable is a crash.
    if (!(error instanceof RpcCallError)) throw error;
  }
}
