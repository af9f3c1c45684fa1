/**
 * Browser tests: bundle a page with Vite for browsers (so a Node built-in on a browser path
 * fails the build), serve it on loopback, and drive Debian's Chromium with playwright-core.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, defaultClientConditions } from 'vite';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};

/** A built page served on 127.0.0.1 and a browser looking at it. */
export interface BrowserPage {
  readonly page: Page;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Builds the Vite app in `root` (an index.html importing workspace sources), serves it, and
 * opens it in headless Chromium.
 *
 * @throws Error if Chromium is not installed (`apt-get install chromium`)
 */
export async function openBuiltPage(root: string): Promise<BrowserPage> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `browser tests need Debian's Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
    );
  }
  const outDir = mkdtempSync(join(tmpdir(), 'hush-page-'));
  await build({
    root,
    logLevel: 'error',
    resolve: { conditions: ['@hush/source', ...defaultClientConditions] },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
  });
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(outDir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(outDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { hushReady?: boolean }).hushReady === true);
    if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    const opened = browser;
    return {
      page,
      url,
      async close() {
        await opened.close();
        server.close();
        rmSync(outDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}
