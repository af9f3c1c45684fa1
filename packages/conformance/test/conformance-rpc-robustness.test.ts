/**
 * The RPC suite's robustness, without a real node: the runner's re-probe (one answer that did
 * not come fails its case, only a node that also misses the re-probe is crashed), the
 * WebSocket adapter's one shared connection under concurrent first calls, the restore of the
 * settings a case changes (always, and reported when it fails), and JUnit attributes that keep
 * their newlines through a real XML parser.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  type CaseResult,
  type ConformanceCase,
  type Outcome,
  runCases,
} from '../src/suite/model.js';
import { formatCaseLine, htmlReport, junitXml } from '../src/suite/reports.js';
import {
  type RpcAdapter,
  RpcCallError,
  rpcAdapter,
  type Subscription,
  Unreachable,
} from '../src/suite/rpc-client.js';
import { shhRpcCases } from '../src/suite/shh-rpc.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

const statuses = (results: readonly CaseResult[]) => results.map((r) => [r.id, r.outcome.status]);

/** A case of the model that runs `run`. */
function modelCase(id: string, run: () => Promise<void>): ConformanceCase<null> {
  return {
    id,
    spec: 'x',
    section: '§1',
    title: id,
    adapter: 'rpc',
    run: async () => {
      await run();
      return undefined;
    },
  };
}

describe('runCases: the re-probe before a crash', () => {
  it('a case that meets one Unreachable fails with its message when the node answers the re-probe, and the run goes on', async () => {
    let probes = 0;
    const results = await runCases(
      [
        modelCase('a', async () => {}),
        modelCase('slow', async () => {
          throw new Unreachable('http://x: no answer within 500 ms to shh_post');
        }),
        modelCase('c', async () => {}),
      ],
      null,
      {
        alive: async () => {
          probes++;
        },
      },
    );
    expect(statuses(results)).toEqual([
      ['a', 'pass'],
      ['slow', 'fail'],
      ['c', 'pass'],
    ]);
    expect(results[1]!.outcome).toMatchObject({
      status: 'fail',
      message: 'http://x: no answer within 500 ms to shh_post',
      expected: 'an answer',
    });
    // a, the re-probe of slow, c: no probe after slow beyond its re-probe.
    expect(probes).toBe(3);
  });

  it('a node that also misses every try of the re-probe is crashed, the rest skipped', async () => {
    let probes = 0;
    const results = await runCases(
      [
        modelCase('gone', async () => {
          throw new Unreachable('no answer within 500 ms to shh_info');
        }),
        modelCase('later', async () => {}),
      ],
      null,
      {
        reprobeTries: 3,
        alive: async () => {
          probes++;
          throw new Unreachable('connection refused');
        },
      },
    );
    expect(statuses(results)).toEqual([
      ['gone', 'crashed'],
      ['later', 'skip'],
    ]);
    expect(probes).toBe(3);
    expect(results[0]!.outcome).toMatchObject({
      why: expect.stringMatching(
        /^no answer within 500 ms to shh_info; and no answer to the re-probe: connection refused$/,
      ),
    });
  });

  it('a second try of the re-probe that answers is enough', async () => {
    let probes = 0;
    const results = await runCases(
      [
        modelCase('flaky', async () => {
          throw new Unreachable('no answer within 500 ms to shh_post');
        }),
      ],
      null,
      {
        alive: async () => {
          if (++probes === 1) throw new Unreachable('busy');
        },
      },
    );
    expect(statuses(results)).toEqual([['flaky', 'fail']]);
    expect(probes).toBe(2);
  });

  it('a probe that hangs is bounded by reprobeMs and counts as no answer', async () => {
    const started = performance.now();
    const results = await runCases(
      [
        modelCase('hang', async () => {
          throw new Unreachable('no answer within 100 ms to shh_post');
        }),
      ],
      null,
      { reprobeMs: 300, alive: () => new Promise<void>(() => {}) },
    );
    expect(results[0]!.outcome).toMatchObject({
      status: 'crashed',
      why: expect.stringMatching(/no answer to the re-probe within 300 ms/),
    });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a liveness probe right after a case that misses once, then answers, fails that case instead of crashing the run', async () => {
    let probes = 0;
    const results = await runCases(
      [modelCase('a', async () => {}), modelCase('b', async () => {})],
      null,
      {
        alive: async () => {
          if (++probes === 1) throw new Unreachable('no answer within 500 ms to shh_version');
        },
      },
    );
    expect(statuses(results)).toEqual([
      ['a', 'fail'],
      ['b', 'pass'],
    ]);
    expect(results[0]!.outcome).toMatchObject({
      message: expect.stringMatching(/^no answer right after the case: .*shh_version/),
    });
  });
});

describe('the RPC adapter', () => {
  it('20 concurrent calls on a new WebSocket adapter share one connection and are all answered', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    let connections = 0;
    wss.on('connection', (socket) => {
      connections++;
      socket.on('message', (data) => {
        const request = JSON.parse(String(data)) as { id: number; params: unknown[] };
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: request.params[0] }));
      });
    });
    const port = await listen(http);
    closers.push(async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => http.close(resolve));
    });
    const rpc = rpcAdapter(`ws://127.0.0.1:${port}`, { timeoutMs: 5000 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => rpc.call('test_echo', [i])),
      );
      expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(connections).toBe(1);
    } finally {
      await rpc.close();
    }
  });

  it('concurrent first calls to a WebSocket that refuses the handshake all fail with the refusal', async () => {
    const http = createServer((_, response) => response.writeHead(403).end());
    const port = await listen(http);
    closers.push(() => new Promise((resolve) => http.close(() => resolve())));
    const rpc = rpcAdapter(`ws://127.0.0.1:${port}`, { timeoutMs: 5000 });
    try {
      const settled = await Promise.allSettled(
        Array.from({ length: 5 }, () => rpc.call('shh_version')),
      );
      for (const s of settled)
        expect(s).toMatchObject({
          status: 'rejected',
          reason: { name: 'RpcCallError', message: expect.stringMatching(/HTTP 403/) },
        });
    } finally {
      await rpc.close();
    }
  });

  it('a timed-out call names its method, over HTTP and WebSocket', async () => {
    const http = createServer(() => {});
    const wss = new WebSocketServer({ server: http });
    const port = await listen(http);
    closers.push(async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    });
    for (const url of [`http://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`]) {
      const rpc = rpcAdapter(url, { timeoutMs: 300 });
      try {
        await expect(rpc.call('shh_getFilterMessages', ['ab'])).rejects.toMatchObject({
          name: 'Unreachable',
          message: `${url}: no answer within 300 ms to shh_getFilterMessages`,
        });
      } finally {
        await rpc.close();
      }
    }
  });
});

/**
 * An in-memory node with just the settings: shh_info, the two setters, shh_newSymKey and a
 * shh_post that checks the minimum PoW. `misbehave` may answer a call in its place (throw, or
 * return a value); each call is recorded.
 */
function settingsNode(
  misbehave: (method: string, params: unknown[], nth: number) => { answer: unknown } | undefined,
) {
  const state = { minPow: 0.2, maxMessageSize: 1_048_576 };
  const calls: [string, unknown[]][] = [];
  const counts = new Map<string, number>();
  const rpc: RpcAdapter = {
    url: 'memory://settings',
    transport: 'http',
    async call(method, params = []) {
      calls.push([method, params]);
      const nth = (counts.get(method) ?? 0) + 1;
      counts.set(method, nth);
      const instead = misbehave(method, params, nth);
      if (instead) return instead.answer;
      switch (method) {
        case 'shh_version':
          return '6.0';
        case 'shh_info':
          return { memory: 0, messages: 0, ...state };
        case 'shh_setMinPoW':
          state.minPow = params[0] as number;
          return true;
        case 'shh_setMaxMessageSize':
          if (params[0] === 0) throw new RpcCallError(-32000, 'invalid message size');
          state.maxMessageSize = params[0] as number;
          return true;
        case 'shh_newSymKey':
          return 'ab'.repeat(32);
        case 'shh_post':
          if ((params[0] as { powTarget: number }).powTarget < state.minPow)
            throw new RpcCallError(-32000, 'message rejected, PoW too low');
          return `0x${'00'.repeat(32)}`;
        default:
          throw new RpcCallError(-32601, `no ${method}`);
      }
    },
    raw: async () => {
      throw new Error('not here');
    },
    subscribe: async (): Promise<Subscription> => {
      throw new Error('not here');
    },
    close: async () => {},
  };
  return { rpc, state, calls };
}

async function runShhCase(id: string, rpc: RpcAdapter, profile?: 'hush'): Promise<Outcome> {
  const cases = shhRpcCases().filter((c) => c.id === id);
  expect(cases).toHaveLength(1);
  const [result] = await runCases(
    cases,
    { rpc, deliveryMs: 1000 },
    {
      ...(profile ? { profile } : {}),
      alive: async () => {
        await rpc.call('shh_version');
      },
    },
  );
  return result!.outcome;
}

describe('withSetting: a setting is always put back, and a failed restore is reported', () => {
  it('restores after the case passed', async () => {
    const node = settingsNode(() => undefined);
    expect(await runShhCase('shh-rpc/set-min-pow', node.rpc)).toEqual({ status: 'pass' });
    expect(node.state.minPow).toBe(0.2);
    expect(node.calls.filter(([m]) => m === 'shh_setMinPoW').map(([, p]) => p)).toEqual([
      [1.25],
      [0.2],
    ]);
  });

  it('restores when the case fails', async () => {
    const node = settingsNode((method, _, nth) =>
      method === 'shh_info' && nth === 2
        ? { answer: { memory: 0, messages: 0, minPow: 9, maxMessageSize: 1 } }
        : undefined,
    );
    expect(await runShhCase('shh-rpc/set-min-pow', node.rpc)).toMatchObject({
      status: 'fail',
      message: 'minPow',
      expected: 1.25,
      actual: 9,
    });
    expect(node.state.minPow).toBe(0.2);
  });

  it('restores when a call of the case times out (the case fails on the re-probe, the setting is back)', async () => {
    const node = settingsNode((method, _, nth) => {
      if (method === 'shh_info' && nth === 2)
        throw new Unreachable('memory://settings: no answer within 100 ms to shh_info');
      return undefined;
    });
    expect(await runShhCase('shh-rpc/set-max-message-size', node.rpc)).toMatchObject({
      status: 'fail',
      message: 'memory://settings: no answer within 100 ms to shh_info',
    });
    expect(node.state.maxMessageSize).toBe(1_048_576);
  });

  it('restores when the set itself timed out after it applied', async () => {
    const node = settingsNode((method, params, nth) => {
      if (method === 'shh_setMinPoW' && nth === 1) {
        node.state.minPow = params[0] as number;
        throw new Unreachable('memory://settings: no answer within 100 ms to shh_setMinPoW');
      }
      return undefined;
    });
    expect(await runShhCase('shh-rpc/post-below-min-pow', node.rpc)).toMatchObject({
      status: 'fail',
    });
    expect(node.state.minPow).toBe(0.2);
  });

  it('a refused restore fails a case that had passed, saying so', async () => {
    const node = settingsNode((method, _, nth) => {
      if (method === 'shh_setMinPoW' && nth === 2) throw new RpcCallError(-32000, 'no');
      return undefined;
    });
    expect(await runShhCase('shh-rpc/set-min-pow', node.rpc)).toMatchObject({
      status: 'fail',
      message: 'the setting was not restored: shh_setMinPoW(0.2) failed',
      actual: { code: -32000, message: 'no' },
    });
  });

  it('a restore answered true that did not apply is found by shh_info', async () => {
    const node = settingsNode((method, _, nth) =>
      method === 'shh_setMaxMessageSize' && nth === 2 ? { answer: true } : undefined,
    );
    expect(await runShhCase('shh-rpc/set-max-message-size', node.rpc)).toMatchObject({
      status: 'fail',
      message:
        "the setting was not restored: after shh_setMaxMessageSize(1048576), shh_info's maxMessageSize",
      expected: 1_048_576,
      actual: 524_288,
    });
  });

  it('a case that failed and whose restore failed reports both', async () => {
    const node = settingsNode((method, _, nth) => {
      if (method === 'shh_info' && nth === 2)
        return { answer: { memory: 0, messages: 0, minPow: 9, maxMessageSize: 1 } };
      if (method === 'shh_setMinPoW' && nth === 2) throw new RpcCallError(-32000, 'no');
      return undefined;
    });
    expect(await runShhCase('shh-rpc/set-min-pow', node.rpc)).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /^minPow; and the setting was not restored: shh_setMinPoW\(0\.2\) failed: .*-32000/,
      ),
      expected: 1.25,
      actual: 9,
    });
  });

  it("the hush profile's size-0 case puts back a size 0 the node took, and fails", async () => {
    const node = settingsNode((method, params) => {
      if (method === 'shh_setMaxMessageSize' && params[0] === 0) {
        node.state.maxMessageSize = 0;
        return { answer: true };
      }
      return undefined;
    });
    expect(
      await runShhCase('shh-rpc/set-max-message-size-zero@hush', node.rpc, 'hush'),
    ).toMatchObject({ status: 'fail', message: 'shh_setMaxMessageSize answered' });
    expect(node.state.maxMessageSize).toBe(1_048_576);
  });

  it('and reports it when that restore is refused (it was silent)', async () => {
    const node = settingsNode((method, params) => {
      if (method === 'shh_setMaxMessageSize' && params[0] !== 0)
        throw new RpcCallError(-32000, 'read-only');
      return undefined;
    });
    expect(
      await runShhCase('shh-rpc/set-max-message-size-zero@hush', node.rpc, 'hush'),
    ).toMatchObject({
      status: 'fail',
      message: 'the setting was not restored: shh_setMaxMessageSize(1048576) failed',
      actual: { code: -32000, message: 'read-only' },
    });
  });
});

describe('JUnit XML', () => {
  it('keeps newlines, tabs and CRs of messages in attributes through a real XML parser', async () => {
    const message = 'line one\nline two\tafter a tab\r\nthird & <last> "quoted"';
    const results: CaseResult[] = [
      {
        id: 'x/fail',
        spec: 'x',
        section: '§1',
        title: 'multi\nline',
        adapter: 'rpc',
        outcome: { status: 'fail', message, expected: 'a\nb', actual: 'c\rd' },
        ms: 1,
      },
      {
        id: 'x/skip',
        spec: 'x',
        section: '§1',
        title: 'skipped',
        adapter: 'rpc',
        outcome: { status: 'skip', why: message },
        ms: 1,
      },
      {
        id: 'x/crash',
        spec: 'x',
        section: '§1',
        title: 'crashed',
        adapter: 'rpc',
        outcome: { status: 'crashed', why: message },
        ms: 1,
      },
    ];
    const xml = junitXml(results, { target: 'x\ny', started: '2026-01-01T00:00:00Z' });
    expect(xml).toContain('line one&#10;line two&#9;after a tab&#13;&#10;third');
    const root = parseXml(xml);
    const find = (name: string): XmlElement => {
      const walk = (e: XmlElement): XmlElement | undefined =>
        e.name === name ? e : e.children.map(walk).find(Boolean);
      const found = walk(root);
      if (!found) throw new Error(`no <${name}>`);
      return found;
    };
    expect(root.attributes.name).toBe('hush-conformance x\ny');
    expect(find('testcase').attributes.name).toBe('x/fail: multi\nline');
    expect(find('failure').attributes.message).toBe(message);
    expect(find('failure').text).toBe('expected: a\nb\nactual: c\rd');
    expect(find('skipped').attributes.message).toBe(message);
    expect(find('error').attributes.message).toBe(message);
    expect(find('error').text).toBe(message);
  });

  it('the parser of this test does what XML parsers do to a literal newline in an attribute', () => {
    // Without the escapes, a multi-line message came back on one line: this is why.
    expect(parseXml('<a m="one\ntwo\tthree\r\nfour"/>').attributes.m).toBe('one two three four');
    expect(parseXml('<a>x\r\ny\rz</a>').text).toBe('x\ny\nz');
  });
});

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Character and entity references, as an XML parser resolves them. */
function resolveReferences(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    const c = named[ref];
    if (c === undefined) throw new Error(`unknown entity &${ref};`);
    return c;
  });
}

/**
 * A strict small XML reader (throws on anything not well-formed) that does what XML 1.0 says a
 * parser does to what it reads: line ends become LF (§2.11) and, in an attribute value, each
 * literal tab, CR or LF becomes a space before references are resolved (§3.3.3).
 */
function parseXml(input: string): XmlElement {
  const body = input.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: XmlElement[] = [];
  let top: XmlElement | undefined;
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let at = 0;
  for (let m = token.exec(body); m; m = token.exec(body)) {
    at = token.lastIndex;
    const [, close, name, attrs, selfClose, textNode] = m;
    if (textNode !== undefined) {
      if (/&(?!amp;|lt;|gt;|quot;|apos;|#\d+;|#x[0-9a-fA-F]+;)/.test(textNode))
        throw new Error('bad entity');
      const open = stack[stack.length - 1];
      if (!open) {
        if (textNode.trim()) throw new Error('text outside the root');
        continue;
      }
      open.text += resolveReferences(textNode.replace(/\r\n?/g, '\n'));
      continue;
    }
    if (close) {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const a of attrs!.matchAll(/([\w.-]+)="([^"]*)"/g)) {
      if (a[1]! in attributes) throw new Error(`duplicate attribute ${a[1]}`);
      attributes[a[1]!] = resolveReferences(a[2]!.replace(/\r\n/g, '\n').replace(/[\t\n\r]/g, ' '));
    }
    const element: XmlElement = { name: name!, attributes, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
    else if (top) throw new Error('two roots');
    else top = element;
    if (!selfClose) stack.push(element);
  }
  if (at !== body.length) throw new Error(`not XML at ${at}: ${body.slice(at, at + 40)}`);
  if (stack.length > 0 || !top) throw new Error('unclosed elements');
  return top;
}

describe('a passing case’s note', () => {
  const result = {
    id: 'whisper-v6/peer/clock-offset',
    spec: 'whisper-v6',
    section: '§6.1',
    title: 'the node’s clock',
    adapter: 'peer' as const,
    outcome: {
      status: 'pass' as const,
      note: 'the node’s clock is this machine’s +90.3 s\n(±0.4 s)',
    },
    ms: 5,
  };
  it('is on the terminal line, escaped, in JUnit’s system-out and in the HTML row', () => {
    expect(formatCaseLine(result)).toBe(
      'ok    whisper-v6 §6.1 whisper-v6/peer/clock-offset: the node’s clock: the node’s clock is this machine’s +90.3 s\\x0a(±0.4 s)',
    );
    const xml = junitXml([result], { target: 'x', started: '2026-12-02T00:00:00Z' });
    expect(xml).toContain(
      '<system-out>the node’s clock is this machine’s +90.3 s\n(±0.4 s)</system-out>',
    );
    const html = htmlReport([result], { target: 'x', started: '2026-12-02T00:00:00Z' }, [
      { spec: 'whisper-v6', sections: [{ section: '§6.1', title: 'Admission' }], href: 'SPEC.md' },
    ]);
    expect(html).toContain('+90.3 s');
  });
});
