/**
 * Browser tests: bundle a page with Vite for browsers (so a Node built-in on a browser path
 * fails the build), serve it on loopback, and drive Debian's Chromium with playwright-core.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build, defaultClientConditions } from 'vite';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** How the tests launch it: headless in a container, no network of its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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

/** How the browser of a built site is launched. */
export interface BuiltSiteOptions {
  /**
   * Chromium flags added to the defaults (e.g. `--disable-features=WebRtcHideLocalIpsWithMdns`,
   * so that two pages on one machine see each other's host candidates as addresses).
   */
  readonly args?: readonly string[];
}

/**
 * A built page served on 127.0.0.1 and one browser for it, in which any number of isolated
 * contexts (each with its own storage, as two browsers' profiles) open it.
 */
export interface BuiltSite {
  readonly url: string;
  readonly browser: Browser;
  /** A new isolated context (its own IndexedDB, cookies…). */
  newContext(): Promise<BrowserContext>;
  /**
   * Opens the page in `context` (default a new one) and waits for `globalThis.hushReady`.
   *
   * @throws Error naming the page errors thrown while it loaded
   */
  open(context?: BrowserContext): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Builds the Vite app in `root` (an index.html importing workspace sources), serves it, and
 * launches headless Chromium for it; pages are opened with `open`.
 *
 * @throws Error if Chromium is not installed (`apt-get install chromium`), or what the build
 *   throws
 */
export async function openBuiltSite(
  root: string,
  options: BuiltSiteOptions = {},
): Promise<BuiltSite> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `browser tests need Debian's Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
    );
  }
  const outDir = mkdtempSync(join(tmpdir(), 'hush-page-'));
  let server: Server | undefined;
  let browser: Browser | undefined;
  const cleanUp = async () => {
    await browser?.close();
    server?.close();
    rmSync(outDir, { recursive: true, force: true });
  };
  try {
    await build({
      root,
      logLevel: 'error',
      resolve: { conditions: ['@hush/source', ...defaultClientConditions] },
      build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
    });
    const serving = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      const file = join(outDir, path === '/' ? 'index.html' : path);
      if (!file.startsWith(outDir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    server = serving;
    await new Promise<void>((resolve) => serving.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(serving.address() as AddressInfo).port}/`;
    const launched = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    });
    browser = launched;
    return {
      url,
      browser: launched,
      newContext: () => launched.newContext(),
      async open(context) {
        const page = await (context ?? (await launched.newContext())).newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(url);
        await page.waitForFunction(
          () => (globalThis as { hushReady?: boolean }).hushReady === true,
        );
        if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
        return page;
      },
      close: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/**
 * Builds the Vite app in `root` (an index.html importing workspace sources), serves it, and
 * opens it in headless Chromium.
 *
 * @throws Error if Chromium is not installed (`apt-get install chromium`)
 */
export async function openBuiltPage(root: string): Promise<BrowserPage> {
  const site = await openBuiltSite(root);
  try {
    const page = await site.open(await site.browser.newContext());
    return { page, url: site.url, close: () => site.close() };
  } catch (error) {
    await site.close();
    throw error;
  }
}
