/**
 * The shh-rpc suite (specs/shh-rpc/SPEC.md) against a real `hush start`, over HTTP and over
 * WebSocket, with the `hush` profile: nothing fails or crashes. A node killed mid-run is
 * reported as crashed, and the rest skipped; the JUnit XML is well-formed with the right
 * counts, the HTML report holds every section of the spec; the suite's section list is the
 * spec's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The suite's own modules, not the package index: the RPC suite is tested by itself.
import {
  type CaseResult,
  type ConformanceCase,
  expectEqual,
  runCases,
  Skip,
  suiteTotals,
} from '../src/suite/model.js';
import { githubAnchor, htmlReport, junitXml } from '../src/suite/reports.js';
import { Unreachable } from '../src/suite/rpc-client.js';
import { runRpcSuite } from '../src/suite/run-rpc.js';
import { SHH_RPC_SECTIONS, shhRpcCases } from '../src/suite/shh-rpc.js';
import { type HushNode, ROOT, startHush } from './hush-start.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-rpc-'));

let node: HushNode | undefined;
beforeAll(async () => {
  node = await startHush(mkdtempSync(join(scratch, 'suite-')));
}, 120_000);
afterAll(async () => {
  await node?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 30_000);

const failures = (results: readonly CaseResult[]) =>
  results.filter((r) => r.outcome.status === 'fail' || r.outcome.status === 'crashed');

describe('hush-conformance rpc against hush start', () => {
  it('passes every case over HTTP with --profile hush', async () => {
    const results = await runRpcSuite(node!.httpUrl, { profile: 'hush' });
    expect(failures(results)).toEqual([]);
    const t = suiteTotals(results);
    expect(t.passed).toBeGreaterThanOrEqual(40);
    // Over HTTP only the WebSocket cases are skipped, each saying why.
    for (const r of results.filter((r) => r.outcome.status === 'skip'))
      expect(r.outcome).toMatchObject({ why: expect.stringMatching(/WebSocket/) });
  }, 120_000);

  it('passes every case over WebSocket with --profile hush, subscriptions included', async () => {
    const results = await runRpcSuite(node!.rpcUrl, { profile: 'hush' });
    expect(failures(results)).toEqual([]);
    expect(suiteTotals(results).passed).toBeGreaterThanOrEqual(45);
    const passed = new Set(results.filter((r) => r.outcome.status === 'pass').map((r) => r.id));
    for (const id of ['shh-rpc/subscribe-sym', 'shh-rpc/subscribe-asym', 'shh-rpc/sym-round-trip'])
      expect(passed).toContain(id);
  }, 120_000);

  it('the CLI exits 0 and writes a JUnit XML that parses with the right counts and an HTML report of every section', async () => {
    const junit = join(scratch, 'out', 'junit.xml');
    const html = join(scratch, 'out', 'report.html');
    const run = spawn(
      process.execPath,
      [
        '--conditions=@hush/source',
        '--import',
        'tsx',
        cli,
        'rpc',
        node!.rpcUrl,
        '--profile',
        'hush',
        '--junit',
        junit,
        '--html',
        html,
        '--quiet',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    run.stdout.on('data', (c) => {
      stdout += c;
    });
    run.stderr.on('data', (c) => {
      stdout += c;
    });
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(stdout).toMatch(/^(\d+) passed, 0 failed, (\d+) skipped, 0 crashed$/m);
    expect(code).toBe(0);
    const [, passed, skipped] = /^(\d+) passed, 0 failed, (\d+) skipped/m.exec(stdout)!;

    const xml = readFileSync(junit, 'utf8');
    const tree = parseXml(xml);
    expect(tree.name).toBe('testsuites');
    expect(Number(tree.attributes.tests)).toBe(Number(passed) + Number(skipped));
    expect(tree.attributes).toMatchObject({ failures: '0', errors: '0', skipped });
    const cases = tree.children.flatMap((suite) => suite.children);
    expect(cases.length).toBe(Number(passed) + Number(skipped));
    expect(cases.filter((c) => c.children.some((x) => x.name === 'skipped')).length).toBe(
      Number(skipped),
    );

    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<link|<script|src=/);
    for (const { section, title } of SHH_RPC_SECTIONS) {
      expect(page).toContain(`data-section="${section}"`);
      expect(page).toContain(`#${githubAnchor(`${section} ${title}`)}"`);
    }
    // The links are relative into the repo: ../../…/specs/shh-rpc/SPEC.md#…
    expect(page).toMatch(/href="[./]*[^"]*specs\/shh-rpc\/SPEC\.md#11-transports"/);
  }, 180_000);
});

describe('crash detection', () => {
  it('reports the case during or after which the node died as crashed, and skips the rest', async () => {
    const victim = await startHush(mkdtempSync(join(scratch, 'victim-')));
    try {
      let seen = 0;
      const results = await runRpcSuite(victim.httpUrl, {
        profile: 'hush',
        timeoutMs: 3000,
        onResult: () => {
          if (++seen === 5) victim.child.kill('SIGKILL');
        },
      });
      const statuses = results.map((r) => r.outcome.status);
      expect(statuses.slice(0, 5)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
      expect(statuses.filter((s) => s === 'crashed')).toHaveLength(1);
      expect(statuses).not.toContain('fail');
      const at = statuses.indexOf('crashed');
      expect(at).toBeGreaterThanOrEqual(5);
      expect(at).toBeLessThanOrEqual(6);
      for (const r of results.slice(at + 1))
        expect(r.outcome).toMatchObject({
          status: 'skip',
          why: expect.stringMatching(/^the implementation crashed/),
        });
      expect(results.length).toBeGreaterThan(at + 10);
    } finally {
      await victim.stop();
    }
  }, 120_000);

  it('reports a node that accepts connections but never answers as crashed (HTTP and WebSocket)', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      for (const url of [`http://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`]) {
        const results = await runRpcSuite(url, { timeoutMs: 500 });
        expect(results[0]!.outcome).toMatchObject({
          status: 'crashed',
          why: expect.stringMatching(/no answer within 500 ms|timed out|Opening handshake/i),
        });
        expect(results.slice(1).every((r) => r.outcome.status === 'skip')).toBe(true);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000);

  it('runCases: profiles, failures with expected and actual, skips and a crash', async () => {
    const make = (id: string, run: () => Promise<void>, profiles?: ['hush']) =>
      ({
        id,
        spec: 'x',
        section: '§1',
        title: id,
        adapter: 'rpc',
        ...(profiles ? { profiles } : {}),
        run: async () => {
          await run();
          return undefined;
        },
      }) satisfies ConformanceCase<null>;
    let alive = true;
    const cases = [
      make('a', async () => {}),
      make('b', async () => expectEqual('value', 1, 2)),
      make('c', async () => {
        throw new Skip('not here');
      }),
      make('only-hush', async () => {}, ['hush']),
      make('d', async () => {
        alive = false;
      }),
      make('e', async () => {}),
    ];
    const run = (profile?: 'hush') =>
      runCases(cases, null, {
        ...(profile ? { profile } : {}),
        alive: async () => {
          if (!alive) throw new Unreachable('gone');
        },
      });
    const plain = await run();
    expect(plain.map((r) => [r.id, r.outcome.status])).toEqual([
      ['a', 'pass'],
      ['b', 'fail'],
      ['c', 'skip'],
      ['d', 'crashed'],
      ['e', 'skip'],
    ]);
    expect(plain[1]!.outcome).toMatchObject({ expected: 1, actual: 2, message: 'value' });
    alive = true;
    expect((await run('hush')).map((r) => r.id)).toContain('only-hush');
    const meta = { target: 'x', started: '2026-01-01T00:00:00Z' };
    const xml = parseXml(junitXml(plain, meta));
    expect(xml.attributes).toMatchObject({ tests: '5', failures: '1', errors: '1', skipped: '2' });
    const html = htmlReport(plain, meta, [
      { spec: 'x', sections: [{ section: '§1', title: 'One <b>' }], href: 'x.md' },
    ]);
    expect(html).toContain('One &lt;b&gt;');
    expect(html).toMatch(/<td class="v">1<\/td><td class="v">2<\/td>/);
  });
});

describe('the suite and its spec', () => {
  it('lists every numbered heading of specs/shh-rpc/SPEC.md, and every case is in one', async () => {
    const spec = readFileSync(join(ROOT, 'specs/shh-rpc/SPEC.md'), 'utf8');
    const headings = [...spec.matchAll(/^#{2,4} (§\d+(?:\.\d+)*) (.+)$/gm)].map((m) => ({
      section: m[1],
      title: m[2]!.trim(),
    }));
    expect(headings).toEqual(SHH_RPC_SECTIONS);
    const sections = new Set(SHH_RPC_SECTIONS.map((s) => s.section));
    for (const c of shhRpcCases()) expect(sections).toContain(c.section);
  });
});

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

/** A strict little XML reader for the report: throws on anything not well-formed. */
function parseXml(text: string): XmlElement {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: XmlElement[] = [];
  let top: XmlElement | undefined;
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let at = 0;
  for (let m = token.exec(body); m; m = token.exec(body)) {
    at = token.lastIndex;
    const [, close, name, attrs, selfClose, textNode] = m;
    if (textNode !== undefined) {
      if (/&(?!amp;|lt;|gt;|quot;|apos;)/.test(textNode)) throw new Error('bad entity');
      if (stack.length === 0 && textNode.trim()) throw new Error('text outside the root');
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
      attributes[a[1]!] = a[2]!;
    }
    const element = { name: name!, attributes, children: [] };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
    else if (top) throw new Error('two roots');
    else top = element;
    if (!selfClose) stack.push(element);
  }
  if (at !== body.length) throw new Error(`not XML at ${at}: ${body.slice(at, at + 40)}`);
  if (stack.length > 0 || !top) throw new Error('unclosed elements');
  return top;
}
