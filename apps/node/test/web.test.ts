/**
 * The browser app's server (`--web-port`): the built files with their types, caching and
 * security headers, traversal refused, an aborted download closing its file, `/hush-web.json`
 * (where the page connects, no key of the node, wildcard hosts made dialable), the warning
 * for a non-loopback bind, a missing build answered with 503, and the port turned off with -1.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gossipStaticKey } from '@hush/transport-gossip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  resolveConfig,
  startWebServer,
  WEB_CONTENT_SECURITY_POLICY,
  type WebConnectInfo,
  type WebServer,
  WebServerError,
} from '../src/index.js';
import { connectInfoForHost, dialableAddress, isLoopbackHost } from '../src/web.js';
import { LOCAL_LISTENERS, spawnHush, testNode } from './helpers.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET (or another method) with the request target sent exactly as given: fetch would normalise `..`. */
function raw(
  base: string,
  target: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: target,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        // A connection of its own: each answer is read alone, never after bytes a socket kept
        // alive from another test (a CI run once read such a socket: "Expected HTTP/").
        agent: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

function expectSecurityHeaders(answer: Answer) {
  expect(answer.headers['content-security-policy']).toBe(WEB_CONTENT_SECURITY_POLICY);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['referrer-policy']).toBe('no-referrer');
  expect(answer.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(answer.headers['cross-origin-resource-policy']).toBe('same-origin');
}

/** A logger that keeps the messages of its warnings. */
function warningLogger() {
  const warnings: string[] = [];
  return {
    warnings,
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (_fields: object, message: string) => void warnings.push(message),
      error: () => undefined,
    },
  };
}

/** How many descriptors this process holds open on `file` (undefined without /proc). */
function openDescriptors(file: string): number | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // Closed while we looked.
    }
  }
  return count;
}

/** GETs `target` and goes away after the first chunk of the body; resolves with its size. */
function abortAfterFirstChunk(base: string, target: string): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: target },
      (response) => {
        response.once('data', (chunk: Buffer) => {
          request.destroy();
          resolve(chunk.length);
        });
        response.once('end', () => reject(new Error('the whole body came before the abort')));
      },
    );
    request.on('error', () => undefined);
    request.end();
  });
}

const CONNECT: WebConnectInfo = {
  version: 1,
  gossip: `ws://127.0.0.1:30303#${'ab'.repeat(32)}`,
  gossipPublicKey: `0x04${'cd'.repeat(64)}`,
  minPow: 0.2,
  maxMessageSize: 1024,
  dht: null,
  mailserver: null,
  relay: null,
  stun: [],
};

/** A node listening on every interface: what its addresses say before the page's host is known. */
const WILDCARD_CONNECT: WebConnectInfo = {
  ...CONNECT,
  gossip: `ws://0.0.0.0:30303#${'ab'.repeat(32)}`,
  dht: `${'ef'.repeat(64)}@ws://[::]:30304`,
  relay: 'ws://0.0.0.0:30305/hush-relay/1',
};

/** A fake asset big enough that no socket buffer holds it: a download of it is cut mid-way. */
const BIG_SIZE = 24 * 1024 * 1024;

const INDEX =
  '<!doctype html><title>Hush</title><script type="module" src="/assets/index-abc123.js"></script>';

describe('the web server over a build', () => {
  let dir: string;
  let server: WebServer;
  beforeAll(async () => {
    // A fake build in <dir>/web, and a file beside it that traversal would reach.
    dir = mkdtempSync(join(tmpdir(), 'hush-web-'));
    const root = join(dir, 'web');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"secret": "outside the build"}');
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    symlinkSync(join(dir, 'package.json'), join(root, 'linked.json'));
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("hush");');
    writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(root, 'assets', 'keccak-abc123.wasm'), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(root, 'assets', 'logo-abc123.png'), new Uint8Array([137, 80, 78, 71]));
    writeFileSync(join(root, 'assets', 'data-abc123.bin'), new Uint8Array([1, 2, 3]));
    writeFileSync(join(root, 'assets', 'big-abc123.bin'), Buffer.alloc(BIG_SIZE, 7));
    server = await startWebServer({
      host: '127.0.0.1',
      port: 0,
      connect: CONNECT,
      vhosts: ['localhost', '127.0.0.1'],
      webRoot: root,
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html for / and /index.html, never cached without a check', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.built).toBe(true);
    for (const path of ['/', '/index.html']) {
      const answer = await raw(server.url, path);
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(INDEX);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-cache');
      expectSecurityHeaders(answer);
    }
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-length')).toBe(String(INDEX.length));
  });

  it('serves hashed assets with their types and a long cache', async () => {
    const types: Record<string, string> = {
      '/assets/index-abc123.js': 'text/javascript; charset=utf-8',
      '/assets/index-abc123.css': 'text/css; charset=utf-8',
      '/assets/keccak-abc123.wasm': 'application/wasm',
      '/assets/logo-abc123.png': 'image/png',
      '/assets/data-abc123.bin': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(types)) {
      const answer = await raw(server.url, path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers['content-type'], path).toBe(type);
      expect(answer.headers['cache-control'], path).toBe('public, max-age=31536000, immutable');
      expectSecurityHeaders(answer);
    }
    const js = await raw(server.url, '/assets/index-abc123.js?v=1');
    expect(js.body).toBe('console.log("hush");');
    const svg = await raw(server.url, '/favicon.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['cache-control']).toBe('no-cache');
    // WebAssembly streaming compilation needs the exact type and the bytes.
    const wasm = await fetch(new URL('/assets/keccak-abc123.wasm', server.url));
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
  });

  it('answers HEAD without a body, and 304 to a matching If-None-Match', async () => {
    const head = await raw(server.url, '/assets/index-abc123.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('20');
    const etag = head.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await raw(server.url, '/assets/index-abc123.js', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expectSecurityHeaders(again);
  });

  it('refuses path traversal, plain or encoded', async () => {
    const attempts = [
      '/../package.json',
      '/assets/../../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/..%2fpackage.json',
      '/..%2Fpackage.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..%5cpackage.json',
      '/assets\\..\\..\\package.json',
      '/%00/index.html',
      '/%E0%A4%A',
      '//../package.json',
      'http://127.0.0.1/../package.json',
    ];
    for (const target of attempts) {
      const answer = await raw(server.url, target);
      expect(answer.status, target).toBe(400);
      expect(answer.body, target).not.toContain('outside the build');
      expectSecurityHeaders(answer);
    }
    // Doubly encoded is a file name with % in it, which the build does not have.
    expect((await raw(server.url, '/%252e%252e/package.json')).status).toBe(404);
  });

  it('answers 404 for what the build does not have: dotfiles, directories, links out', async () => {
    const paths = ['/nope', '/assets/nope.js', '/assets/', '/assets', '/.env', '/app/route'];
    for (const path of [...paths, '/linked.json']) {
      const answer = await raw(server.url, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('SECRET');
      expect(answer.body, path).not.toContain('outside the build');
      expectSecurityHeaders(answer);
    }
  });

  it('takes only GET and HEAD, and only allowed Host headers', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const answer = await raw(server.url, '/', { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
      expectSecurityHeaders(answer);
    }
    const rebound = await raw(server.url, '/hush-web.json', {
      headers: { host: 'evil.example:8547' },
    });
    expect(rebound.status).toBe(403);
    expectSecurityHeaders(rebound);
  });

  it('serves /hush-web.json uncached', async () => {
    const answer = await raw(server.url, '/hush-web.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body)).toEqual(CONNECT);
    expectSecurityHeaders(answer);
    // Addresses that name an interface are left as they are, whatever the Host.
    const named = await raw(server.url, '/hush-web.json', { headers: { host: 'localhost:1' } });
    expect(JSON.parse(named.body)).toEqual(CONNECT);
  });

  it('serves the signed directories a mixnet node holds, and 404 for any other', async () => {
    expect((await raw(server.url, '/mixnet/documents/1')).status).toBe(404);
    const signed = {
      document: '{"version":1}',
      signatures: [{ authority: 'aa', signature: 'bb' }],
    };
    const mixnetServer = await startWebServer({
      host: '127.0.0.1',
      port: 0,
      connect: CONNECT,
      vhosts: ['127.0.0.1'],
      webRoot: join(dir, 'web'),
      mixnet: {
        signedDocument: (epoch) => (epoch === 7 ? { ...signed, extra: 'not served' } : undefined),
      },
    });
    try {
      const answer = await raw(mixnetServer.url, '/mixnet/documents/7');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-store');
      expectSecurityHeaders(answer);
      // Exactly the authorities' {document, signatures}: the page verifies them itself.
      expect(JSON.parse(answer.body)).toEqual(signed);
      for (const path of ['/mixnet/documents/8', '/mixnet/documents/007', '/mixnet/documents/x'])
        expect((await raw(mixnetServer.url, path)).status, path).toBe(404);
    } finally {
      await mixnetServer.close();
    }
  });

  it('closes the file of a download the client aborts, and goes on serving', async () => {
    const big = join(dir, 'web', 'assets', 'big-abc123.bin');
    const escaped: unknown[] = [];
    const keep = (error: unknown) => void escaped.push(error);
    process.on('uncaughtException', keep);
    process.on('unhandledRejection', keep);
    try {
      const before = openDescriptors(big);
      const firsts = await Promise.all(
        [1, 2, 3].map(() => abortAfterFirstChunk(server.url, '/assets/big-abc123.bin')),
      );
      for (const size of firsts) expect(size).toBeLessThan(BIG_SIZE);
      if (before !== undefined) {
        // The old `stream.pipe(response)` kept each aborted download's file open for good.
        const deadline = Date.now() + 5000;
        while ((openDescriptors(big) ?? 0) > before && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20));
        expect(openDescriptors(big)).toBe(before);
      }
      const page = await raw(server.url, '/');
      expect(page.status).toBe(200);
      expect(page.body).toBe(INDEX);
      // And the whole file still comes to a client that stays.
      const whole = await fetch(new URL('/assets/big-abc123.bin', server.url));
      expect((await whole.arrayBuffer()).byteLength).toBe(BIG_SIZE);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(escaped).toEqual([]);
    } finally {
      process.off('uncaughtException', keep);
      process.off('unhandledRejection', keep);
    }
  });

  it('serves a build made while it runs, and a changed index.html under a new ETag', async () => {
    const first = await raw(server.url, '/');
    writeFileSync(join(dir, 'web', 'index.html'), `${INDEX}<!-- rebuilt -->`);
    utimesSync(join(dir, 'web', 'index.html'), new Date(), new Date(Date.now() + 5000));
    const second = await raw(server.url, '/', {
      headers: { 'if-none-match': first.headers.etag as string },
    });
    expect(second.status).toBe(200);
    expect(second.body).toContain('rebuilt');
  });
});

describe('/hush-web.json of a node listening on every interface', () => {
  let server: WebServer;
  beforeAll(async () => {
    server = await startWebServer({
      host: '127.0.0.1',
      port: 0,
      connect: WILDCARD_CONNECT,
      vhosts: ['localhost', '127.0.0.1', 'hush.example', '::1'],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const connectInfo = async (headers: Record<string, string>) => {
    const answer = await raw(server.url, '/hush-web.json', { headers });
    expect(answer.status).toBe(200);
    return JSON.parse(answer.body) as WebConnectInfo;
  };

  it('names the host the page was loaded from in the gossip, DHT and relay addresses', async () => {
    expect(await connectInfo({ host: 'hush.example:8547' })).toEqual({
      ...WILDCARD_CONNECT,
      gossip: `ws://hush.example:30303#${'ab'.repeat(32)}`,
      dht: `${'ef'.repeat(64)}@ws://hush.example:30304`,
      relay: 'ws://hush.example:30305/hush-relay/1',
    });
    expect(await connectInfo({ host: 'HUSH.example' })).toMatchObject({
      gossip: `ws://hush.example:30303#${'ab'.repeat(32)}`,
    });
    expect(await connectInfo({ host: '[::1]:8547' })).toMatchObject({
      gossip: `ws://[::1]:30303#${'ab'.repeat(32)}`,
      dht: `${'ef'.repeat(64)}@ws://[::1]:30304`,
    });
    const head = await raw(server.url, '/hush-web.json', {
      method: 'HEAD',
      headers: { host: 'hush.example:8547' },
    });
    const get = await raw(server.url, '/hush-web.json', { headers: { host: 'hush.example:8547' } });
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
  });

  it('keeps the Host rule, and the wildcard when there is no usable Host', async () => {
    expect(
      (await raw(server.url, '/hush-web.json', { headers: { host: 'evil.example' } })).status,
    ).toBe(403);
    // HTTP/1.0 without Host: nothing to name.
    const port = Number(new URL(server.url).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () =>
        socket.write('GET /hush-web.json HTTP/1.0\r\n\r\n'),
      );
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(WILDCARD_CONNECT);
  });

  it('puts only a plain host name or IP address into the addresses', () => {
    for (const host of ['a/b', 'x@y', 'evil.example#', '[zz]', '...', '0.0.0.0', ' '])
      expect(connectInfoForHost(WILDCARD_CONNECT, host), host).toEqual(WILDCARD_CONNECT);
    expect(connectInfoForHost(WILDCARD_CONNECT, undefined)).toEqual(WILDCARD_CONNECT);
    expect(connectInfoForHost(WILDCARD_CONNECT, '192.168.1.5:8547').gossip).toBe(
      `ws://192.168.1.5:30303#${'ab'.repeat(32)}`,
    );
    expect(dialableAddress('ws://[0:0:0:0:0:0:0:0]:1', 'h')).toBe('ws://h:1');
    expect(dialableAddress('wss://0.0.0.0:443/x', 'h')).toBe('wss://h:443/x');
    for (const address of [
      'ws://127.0.0.1:1#k',
      'ws://[::1]:1',
      'ws://node.example:1',
      'tcp://0.0.0.0:1',
    ])
      expect(dialableAddress(address, 'h')).toBe(address);
    expect(connectInfoForHost({ ...WILDCARD_CONNECT, dht: null, relay: null }, 'h')).toMatchObject({
      dht: null,
      relay: null,
    });
  });
});

describe('a web server beyond loopback', () => {
  it('warns at start that the page needs https or localhost there', async () => {
    const { warnings, logger } = warningLogger();
    const server = await startWebServer({
      host: '0.0.0.0',
      port: 0,
      connect: CONNECT,
      vhosts: ['127.0.0.1'],
      logger,
    });
    try {
      const warning = warnings.find((message) => /TLS/.test(message));
      expect(warning, warnings.join('\n')).toBeDefined();
      expect(warning).toMatch(/https/);
      expect(warning).toMatch(/localhost/);
      const port = new URL(server.url).port;
      expect((await raw(`http://127.0.0.1:${port}/`, '/hush-web.json')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('tells loopback hosts from the others', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      'localhost',
      'LocalHost',
      'app.localhost',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '192.168.1.5',
      '10.0.0.1',
      'hush.example',
      '::ffff:10.0.0.1',
      'localhost.example',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('the web server without a build', () => {
  it('starts, warns, answers 503 at / saying how to build, and still serves /hush-web.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-web-missing-'));
    const { warnings, logger } = warningLogger();
    const server = await startWebServer({
      host: '127.0.0.1',
      port: 0,
      connect: CONNECT,
      vhosts: ['127.0.0.1'],
      webRoot: join(dir, 'not-built'),
      logger,
    });
    try {
      expect(server.built).toBe(false);
      expect(warnings.join()).toMatch(/not built/);
      // On loopback the page is a secure context: no word of TLS.
      expect(warnings.join()).not.toMatch(/TLS/);
      for (const path of ['/', '/index.html']) {
        const answer = await raw(server.url, path);
        expect(answer.status, path).toBe(503);
        expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(answer.body).toContain('pnpm --filter @hush/web build');
        expectSecurityHeaders(answer);
      }
      expect((await raw(server.url, '/assets/index.js')).status).toBe(404);
      expect(JSON.parse((await raw(server.url, '/hush-web.json')).body)).toEqual(CONNECT);
      // Built later: served without a restart.
      mkdirSync(join(dir, 'not-built'));
      writeFileSync(join(dir, 'not-built', 'index.html'), INDEX);
      expect(server.built).toBe(true);
      expect((await raw(server.url, '/')).status).toBe(200);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a taken port with a WebServerError', async () => {
    const first = await startWebServer({
      host: '127.0.0.1',
      port: 0,
      connect: CONNECT,
      vhosts: ['127.0.0.1'],
    });
    try {
      const port = Number(new URL(first.url).port);
      await expect(
        startWebServer({ host: '127.0.0.1', port, connect: CONNECT, vhosts: ['127.0.0.1'] }),
      ).rejects.toSatisfy(
        (error: unknown) => error instanceof WebServerError && error.code === 'listen',
      );
    } finally {
      await first.close();
    }
  });
});

describe('--web-port', () => {
  it('defaults to 8547, takes 0 and -1, and refuses anything else', () => {
    expect(DEFAULT_CONFIG.webPort).toBe(8547);
    expect(resolveConfig({}, {}).webPort).toBe(8547);
    expect(resolveConfig({ 'web-port': '-1' }, {}).webPort).toBe(-1);
    expect(resolveConfig({}, { HUSH_WEB_PORT: '0' }).webPort).toBe(0);
    expect(() => resolveConfig({ 'web-port': '-2' }, {})).toThrow(/web-port must be in/);
    expect(() => resolveConfig({ 'web-port': '65536' }, {})).toThrow(/web-port must be in/);
    expect(() => resolveConfig({ 'web-port': '1.5' }, {})).toThrow(/web-port must be in/);
  });

  it('with -1 serves nothing', async () => {
    const node = await testNode({ webPort: -1 });
    try {
      expect(node.webUrl).toBeUndefined();
      expect(node.web).toBeUndefined();
    } finally {
      await node.stop();
    }
  });
});

describe("a node's /hush-web.json", () => {
  it('tells the page where to connect, with no key of the node in it', async () => {
    const node = await testNode({
      webPort: 0,
      mailserver: true,
      mailserverPassword: 'the mailserver password',
      relayPort: 0,
      stun: ['stun:stun.example.org:3478'],
      minPow: 0.05,
      maxMessageSize: 65536,
    });
    try {
      expect(node.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const answer = await raw(node.webUrl!, '/hush-web.json');
      expect(answer.status).toBe(200);
      expectSecurityHeaders(answer);
      const info = JSON.parse(answer.body) as WebConnectInfo;
      expect(info).toEqual({
        version: 1,
        gossip: node.gossip.linkAddresses[0],
        gossipPublicKey: `0x${node.id}`,
        minPow: 0.05,
        maxMessageSize: 65536,
        dht: node.dht!.address,
        mailserver: { peer: `0x${node.id}`, password: 'the mailserver password' },
        relay: node.direct!.relayUrl,
        stun: ['stun:stun.example.org:3478'],
        mixnet: null,
      });
      expect(info.gossip).toMatch(/^ws:\/\/127\.0\.0\.1:\d+#[0-9a-f]{64}$/);
      expect(info.gossipPublicKey).toMatch(/^0x04[0-9a-f]{128}$/);
      expect(info.dht).toMatch(/^[0-9a-f]{128}@ws:\/\/127\.0\.0\.1:\d+$/);
      expect(info.relay).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/hush-relay\/1$/);
      // Every private key the node holds: the node key, the gossip Noise static key derived
      // from it, and the X25519 static keys of the direct and DHT links.
      const nodeKey = (await node.store.get('node/key'))!;
      const secrets = [
        nodeKey,
        gossipStaticKey(nodeKey),
        (await node.store.get('node/direct-key'))!,
        (await node.store.get('node/dht-key'))!,
      ];
      const body = answer.body.toLowerCase();
      for (const secret of secrets) {
        expect(secret).toBeInstanceOf(Uint8Array);
        const hex = Buffer.from(secret).toString('hex');
        expect(body).not.toContain(hex);
        expect(answer.body).not.toContain(Buffer.from(secret).toString('base64'));
      }
    } finally {
      await node.stop();
    }
  });

  it('says null for what the node does not run, and names the relay of --relay', async () => {
    const node = await testNode({
      webPort: 0,
      dht: false,
      relay: 'ws://relay.example:9000/hush-relay/1',
    });
    try {
      const info = (await (
        await fetch(new URL('/hush-web.json', node.webUrl))
      ).json()) as WebConnectInfo;
      expect(info).toMatchObject({
        dht: null,
        mailserver: null,
        relay: 'ws://relay.example:9000/hush-relay/1',
        stun: [],
        minPow: DEFAULT_CONFIG.minPow,
        maxMessageSize: DEFAULT_CONFIG.maxMessageSize,
      });
    } finally {
      await node.stop();
    }
  });

  it('is printed at start as the web listener by hush start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-web-cli-'));
    const child = spawnHush([
      'start',
      '--data-dir',
      dataDir,
      ...LOCAL_LISTENERS,
      '--metrics-port',
      '-1',
      '--no-dht',
      '--no-direct',
      '--log-level',
      'error',
    ]);
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (/\n {2}web +\S+ .*\n/.test(out)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
      });
      const url = /\n {2}web +(http:\/\/127\.0\.0\.1:\d+\/) \(the browser app/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      const info = (await (await fetch(new URL('/hush-web.json', url))).json()) as WebConnectInfo;
      const gossip = /\n {2}gossip +(\S+)/.exec(out)?.[1];
      expect(info.gossip).toBe(gossip);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
