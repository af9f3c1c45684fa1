/**
 * SPEC §4.4, §4.6 in a real browser: the bundle builds for browsers (no Node built-ins), the
 * WebAssembly SIMD kernel loads, and sealing in the page and on Web Workers finds geth's nonces
 * for every target case of seal-pow.json.
 */
import { fileURLToPath } from 'node:url';
import { hex, loadVectors, type SealPowCase as SealCase } from '@hush/test-support';
import { type BrowserPage, openBuiltPage } from '@hush/test-support/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cases = loadVectors<SealCase>('seal-pow.json').cases.filter((c) => c.mode === 'target');
const requests = cases.map((c) => ({
  prefix: [...hex(c.rlpWithoutNonceHash)],
  size: c.envelope.size,
  ttl: c.envelope.ttl,
  target: c.powTarget,
}));
const expected = cases.map((c) => BigInt(c.envelope.nonce).toString());

describe('@hush/pow in Chromium', () => {
  let browser: BrowserPage;
  beforeAll(async () => {
    browser = await openBuiltPage(fileURLToPath(new URL('./browser', import.meta.url)));
  }, 120_000);
  afterAll(() => browser?.close());

  it('serves hashing from the WebAssembly SIMD kernel', async () => {
    const backend = await browser.page.evaluate(() =>
      (globalThis as unknown as { hushPow: { backend(): Promise<string> } }).hushPow.backend(),
    );
    expect(backend).toBe('wasm-simd');
  });

  it.each([0, 1, 3])(
    'finds geth nonces with %i Web Workers (0 = page thread)',
    async (workers) => {
      const nonces = await browser.page.evaluate(
        ([r, w]) =>
          (
            globalThis as unknown as { hushPow: { seal(r: unknown, w: number): Promise<string[]> } }
          ).hushPow.seal(r, w as number),
        [requests, workers] as const,
      );
      expect(nonces).toEqual(expected);
    },
    60_000,
  );
});
