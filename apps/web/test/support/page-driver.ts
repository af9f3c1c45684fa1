/**
 * Drives the web app in Chromium the way tests outside the repo do: by role and accessible
 * name only (apps/web/README.md lists them), plus what a test needs around it: every frame
 * and request the page sends, recorded through the DevTools protocol, screenshots, and Tab
 * navigation for keyboard-only use.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

/** Where screenshots go (a test artefact, not committed). */
export const ARTIFACTS = fileURLToPath(new URL('../../../../test-results/web/', import.meta.url));

/** What one page sent. */
export interface Traffic {
  /** Payloads of WebSocket frames the page sent, decoded to bytes. */
  readonly frames: Uint8Array[];
  /** HTTP requests: method, URL and body. */
  readonly requests: { method: string; url: string; body: string | undefined }[];
}

/** A page of the app with its recorded traffic. */
export interface AppPage {
  readonly page: Page;
  readonly traffic: Traffic;
  readonly errors: string[];
}

/** Opens the app in a context, recording everything the page sends. */
export async function openApp(context: BrowserContext, url: string): Promise<AppPage> {
  const page = await context.newPage();
  const traffic: Traffic = { frames: [], requests: [] };
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketFrameSent', (event) => {
    const { opcode, payloadData } = event.response;
    traffic.frames.push(
      opcode === 2
        ? new Uint8Array(Buffer.from(payloadData, 'base64'))
        : new TextEncoder().encode(payloadData),
    );
  });
  page.on('request', (request) => {
    traffic.requests.push({
      method: request.method(),
      url: request.url(),
      body: request.postData() ?? undefined,
    });
  });
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as { hushReady?: boolean }).hushReady === true);
  return { page, traffic, errors };
}

/** Whether `haystack` contains `needle`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * The secret's forms that could leak: its bytes, lowercase and uppercase hex, and base64
 * (for binary secrets); its UTF-8 bytes (for text).
 */
export function leakForms(secret: Uint8Array | string): Uint8Array[] {
  const enc = new TextEncoder();
  if (typeof secret === 'string') return [enc.encode(secret)];
  const hex = Buffer.from(secret).toString('hex');
  return [
    secret,
    enc.encode(hex),
    enc.encode(hex.toUpperCase()),
    enc.encode(Buffer.from(secret).toString('base64')),
  ];
}

/** Saves a screenshot as a test artefact; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Moves focus with Tab (Shift+Tab when `back`) until the element `locator` selects has it.
 *
 * @throws Error if it is not reached within `limit` presses
 */
export async function tabTo(
  page: Page,
  locator: ReturnType<Page['getByRole']>,
  limit = 40,
): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${String(locator)}`);
}
