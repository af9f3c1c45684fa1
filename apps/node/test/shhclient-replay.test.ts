/**
 * geth's own Go client against Hush: replays, request for request, what go-ethereum
 * v1.8.27's `whisper/shhclient` sent to a real geth v1.8.27 (fixtures/shhclient: the capture,
 * the program that made it, and how), against a node with the default RPC settings, and
 * checks every answer against geth's.
 *
 * What a replay cannot repeat is matched rather than compared: ids and keys the node makes
 * at random (key ids, filter ids, subscription ids, new keys, envelope hashes) are bound on
 * first sight and must then recur wherever geth's recurred; a message's timestamp, PoW and
 * random padding are checked for form. Everything else must be equal, error codes and
 * messages included, except the documented difference below.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { eventually, testNode } from './helpers.js';

interface RpcMessage {
  jsonrpc: '2.0';
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}
interface Session {
  transport: 'http' | 'ws';
  headers: Record<string, string>;
  events: { from: 'client' | 'node'; message: RpcMessage }[];
}

const capture = JSON.parse(
  readFileSync(new URL('./fixtures/shhclient/geth-v1.8.27.json', import.meta.url), 'utf8'),
) as { sessions: Session[] };

/**
 * Where Hush answers otherwise than geth, on purpose; each says why and what Hush answers.
 */
const DIFFERENCES: {
  why: string;
  applies: (request: RpcMessage, recorded: RpcMessage) => boolean;
  expected: (actual: RpcMessage) => void;
}[] = [
  {
    why:
      "shh_markTrustedPeer of a malformed enode: geth passes on its URL parser's error as -32000; " +
      'Hush answers -32602 (the argument is invalid), as for every malformed argument',
    applies: (request, recorded) =>
      request.method === 'shh_markTrustedPeer' &&
      recorded.error?.code === -32000 &&
      !/Could not find peer/.test(recorded.error.message),
    expected: (actual) =>
      expect(actual.error).toEqual({
        code: -32602,
        message: 'invalid argument 0: invalid enode or public key',
      }),
  },
];

/** Results the node makes at random: bound on first sight. */
const RANDOM_RESULTS = new Set([
  'shh_newKeyPair',
  'shh_addPrivateKey',
  'shh_newSymKey',
  'shh_addSymKey',
  'shh_generateSymKeyFromPassword',
  'shh_newMessageFilter',
  'shh_subscribe',
  'shh_post',
]);
/** Methods that reveal a key: random when the key was made at random. */
const KEY_READS = new Set(['shh_getPublicKey', 'shh_getPrivateKey', 'shh_getSymKey']);

/** What the replay learnt: geth's values and Hush's in their place. */
class Bindings {
  private readonly actual = new Map<string, string>();
  /** Ids of keys made at random (in geth's values). */
  readonly randomKeys = new Set<string>();
  /** geth's envelope hash → the parameters of the post that made it. */
  readonly posts = new Map<string, Record<string, unknown>>();

  bind(recorded: unknown, actual: unknown, what: string) {
    expect(typeof actual, what).toBe('string');
    expect((actual as string).length, `${what}: a value`).toBeGreaterThan(0);
    if (/^0x/.test(recorded as string))
      expect((actual as string).length, `${what}: length of ${recorded}`).toBe(
        (recorded as string).length,
      );
    const known = this.actual.get(recorded as string);
    if (known !== undefined) expect(actual, what).toBe(known);
    this.actual.set(recorded as string, actual as string);
  }

  /** The same value with every bound value replaced by Hush's. */
  substitute(value: unknown): unknown {
    if (typeof value === 'string') return this.actual.get(value) ?? value;
    if (Array.isArray(value)) return value.map((v) => this.substitute(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, this.substitute(v)] as const),
      );
    return value;
  }

  mapped(recorded: unknown): unknown {
    return this.substitute(recorded);
  }
}

/** A message of a filter or subscription, against geth's. */
function compareMessage(recorded: Record<string, unknown>, actual: unknown, b: Bindings) {
  const got = actual as Record<string, unknown>;
  const post = b.posts.get(recorded.hash as string);
  expect(post, `the post behind message ${recorded.hash}`).toBeDefined();
  expect(Object.keys(got).sort(), 'message fields').toEqual(Object.keys(recorded).sort());
  expect(got.hash, 'message hash').toBe(b.mapped(recorded.hash));
  expect(got.sig, 'message signer').toBe(b.mapped(recorded.sig));
  expect(got.recipientPublicKey, 'message recipient').toBe(b.mapped(recorded.recipientPublicKey));
  expect(got.topic, 'message topic').toBe(recorded.topic);
  expect(got.payload, 'message payload').toBe(recorded.payload);
  expect(got.ttl, 'message ttl').toBe(recorded.ttl);
  expect(Number.isInteger(got.timestamp) && (got.timestamp as number) > 0, 'timestamp').toBe(true);
  expect(got.pow as number, 'message PoW').toBeGreaterThanOrEqual(post!.powTarget as number);
  // Padding given by the sender is kept; geth's random padding has a length fixed by the
  // message's size, and only that can match.
  if (post!.padding && post!.padding !== '0x') expect(got.padding).toBe(recorded.padding);
  else
    expect((got.padding as string).length, 'random padding length').toBe(
      (recorded.padding as string).length,
    );
}

/** One answer against geth's. */
function compareAnswer(
  request: RpcMessage,
  recorded: RpcMessage,
  actual: RpcMessage,
  b: Bindings,
  pending: unknown[],
) {
  const what = `${request.method} (request ${request.id})`;
  const difference = DIFFERENCES.find((d) => d.applies(request, recorded));
  if (difference) {
    difference.expected(actual);
    return;
  }
  if (recorded.error) {
    expect(actual.error, what).toEqual(recorded.error);
    return;
  }
  expect(actual.error, what).toBeUndefined();
  const method = request.method!;
  const params = (request.params ?? []) as unknown[];
  if (RANDOM_RESULTS.has(method)) {
    b.bind(recorded.result, actual.result, what);
    if (method === 'shh_newKeyPair' || method === 'shh_newSymKey')
      b.randomKeys.add(recorded.result as string);
    if (method === 'shh_post')
      b.posts.set(recorded.result as string, params[0] as Record<string, unknown>);
  } else if (KEY_READS.has(method) && b.randomKeys.has(params[0] as string)) {
    b.bind(recorded.result, actual.result, what);
  } else if (method === 'shh_info') {
    const r = recorded.result as Record<string, number>;
    const a = actual.result as Record<string, number>;
    expect(Object.keys(a).sort(), what).toEqual(Object.keys(r).sort());
    expect(a.minPow, what).toBe(r.minPow);
    expect(a.maxMessageSize, what).toBe(r.maxMessageSize);
    expect(a.memory, what).toBeGreaterThanOrEqual(0);
    expect(a.messages, what).toBeGreaterThanOrEqual(0);
  } else if (method === 'shh_getFilterMessages') {
    pending.push(...(actual.result as unknown[]));
    const wanted = recorded.result as Record<string, unknown>[];
    for (const message of wanted) compareMessage(message, pending.shift(), b);
  } else {
    expect(actual.result, what).toEqual(b.mapped(recorded.result));
  }
}

/** Geth polls a filter until its message is there; so does the replay, as often as needed. */
async function pollUntil(
  ask: (request: RpcMessage) => Promise<RpcMessage>,
  request: RpcMessage,
  recorded: RpcMessage,
  pending: unknown[],
): Promise<RpcMessage> {
  const wanted = Array.isArray(recorded.result) ? recorded.result.length : 0;
  let answer = await ask(request);
  const gathered: unknown[] = [];
  while (!answer.error && gathered.length + (answer.result as unknown[]).length < wanted) {
    gathered.push(...(answer.result as unknown[]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await ask({ ...request, id: (request.id ?? 0) + 1_000_000 });
  }
  if (!answer.error) pending.push(...gathered);
  return answer;
}

describe("geth v1.8.27's Go client (whisper/shhclient) against hush with its defaults", () => {
  let node: Awaited<ReturnType<typeof testNode>>;
  const bindings = new Bindings();
  const pending = new Map<string, unknown[]>();
  const pendingOf = (filter: unknown) => {
    const key = String(filter);
    if (!pending.has(key)) pending.set(key, []);
    return pending.get(key)!;
  };

  beforeAll(async () => {
    node = await testNode();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('holds a capture of every shh_* method the client has, over WebSocket and HTTP', () => {
    const methods = new Set(
      capture.sessions.flatMap((s) =>
        s.events.filter((e) => e.from === 'client').map((e) => e.message.method),
      ),
    );
    for (const method of [
      'shh_version',
      'shh_info',
      'shh_setMaxMessageSize',
      'shh_setMinPoW',
      'shh_markTrustedPeer',
      'shh_newKeyPair',
      'shh_addPrivateKey',
      'shh_deleteKeyPair',
      'shh_hasKeyPair',
      'shh_getPublicKey',
      'shh_getPrivateKey',
      'shh_newSymKey',
      'shh_addSymKey',
      'shh_generateSymKeyFromPassword',
      'shh_hasSymKey',
      'shh_getSymKey',
      'shh_deleteSymKey',
      'shh_post',
      'shh_subscribe',
      'shh_unsubscribe',
      'shh_newMessageFilter',
      'shh_deleteMessageFilter',
      'shh_getFilterMessages',
    ])
      expect(methods).toContain(method);
    expect(capture.sessions.map((s) => s.transport)).toContain('ws');
    expect(capture.sessions.map((s) => s.transport)).toContain('http');
  });

  it('answers the WebSocket session as geth did, from the Origin the Go client sends', async () => {
    const session = capture.sessions.find((s) => s.transport === 'ws')!;
    // rpc.DialWebsocket sends Origin http://<the client's host name>: on this machine, this
    // machine's name, which geth's default origin rule admits.
    expect(session.headers.origin).toMatch(/^http:\/\/[^/]+$/);
    const socket = new WebSocket(node.rpc.wsUrl, {
      headers: { origin: `http://${hostname().toLowerCase()}` },
    });
    const answers = new Map<number, RpcMessage>();
    const notifications: RpcMessage[] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as RpcMessage;
      if (message.method === 'shh_subscription') notifications.push(message);
      else answers.set(message.id!, message);
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const ask = async (request: RpcMessage) => {
      socket.send(JSON.stringify(request));
      await eventually(() => answers.has(request.id!), 30_000, `an answer to ${request.method}`);
      const answer = answers.get(request.id!)!;
      answers.delete(request.id!);
      return answer;
    };
    const requests = new Map<number, RpcMessage>();
    let replayed = 0;
    try {
      for (const event of session.events) {
        const message = event.message;
        if (event.from === 'client') {
          requests.set(message.id!, message);
          continue;
        }
        if (message.method === 'shh_subscription') {
          const params = message.params as { subscription: string; result: object };
          const subscription = bindings.mapped(params.subscription);
          await eventually(
            () =>
              notifications.some((n) => (n.params as typeof params).subscription === subscription),
            30_000,
            'a subscription notification',
          );
          const index = notifications.findIndex(
            (n) => (n.params as typeof params).subscription === subscription,
          );
          const [got] = notifications.splice(index, 1);
          compareMessage(
            params.result as Record<string, unknown>,
            (got!.params as typeof params).result,
            bindings,
          );
          replayed++;
          continue;
        }
        const recordedRequest = requests.get(message.id!)!;
        const request = bindings.substitute(recordedRequest) as RpcMessage;
        const queue = pendingOf((request.params as unknown[] | null)?.[0]);
        const answer =
          request.method === 'shh_getFilterMessages'
            ? await pollUntil(ask, request, message, queue)
            : await ask(request);
        compareAnswer(recordedRequest, message, answer, bindings, queue);
        replayed++;
      }
      expect(notifications, 'notifications geth did not send').toEqual([]);
    } finally {
      socket.close();
    }
    expect(replayed).toBeGreaterThan(40);
  });

  it('answers the HTTP sessions as geth did', async () => {
    const sessions = capture.sessions.filter((s) => s.transport === 'http');
    const ask = async (request: RpcMessage, headers: Record<string, string>) => {
      const response = await fetch(`${node.rpc.httpUrl}/`, {
        method: 'POST',
        headers,
        body: JSON.stringify(request),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as RpcMessage;
    };
    for (const session of sessions) {
      const [sent, answered] = session.events;
      expect(session.headers.origin).toBeUndefined();
      const request = bindings.substitute(sent!.message) as RpcMessage;
      const queue = pendingOf((request.params as unknown[] | null)?.[0]);
      const answer =
        request.method === 'shh_getFilterMessages'
          ? await pollUntil((r) => ask(r, session.headers), request, answered!.message, queue)
          : await ask(request, session.headers);
      compareAnswer(sent!.message, answered!.message, answer, bindings, queue);
    }
    expect(sessions.length).toBeGreaterThan(40);
    for (const [filter, left] of pending) expect(left, `messages left on ${filter}`).toEqual([]);
  });
});
