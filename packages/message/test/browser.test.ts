/**
 * SPEC §5 in a real browser: @hush/message bundles for browsers (no Node built-ins on its path),
 * runs on the pure-JS backend, opens geth's symmetric and asymmetric messages and re-seals a
 * signed symmetric one byte for byte.
 */
import { fileURLToPath } from 'node:url';
import { loadVectors, type MessageCase } from '@hush/test-support';
import { type BrowserPage, openBuiltPage } from '@hush/test-support/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const sym = loadVectors<MessageCase>('message-sym.json').cases.filter(
  (c) => c.payload.length < 5000,
);
const asym = loadVectors<MessageCase>('message-asym.json').cases.filter(
  (c) => c.payload.length < 5000,
);

describe('@hush/message in Chromium', () => {
  let browser: BrowserPage;
  beforeAll(async () => {
    browser = await openBuiltPage(fileURLToPath(new URL('./browser', import.meta.url)));
  }, 120_000);
  afterAll(() => browser?.close());

  it('uses the pure-JS backend', async () => {
    expect(
      await browser.page.evaluate(() =>
        (globalThis as unknown as { hushMessage: { backend(): string } }).hushMessage.backend(),
      ),
    ).toBe('noble');
  });

  it('opens geth messages and re-seals symmetric ones byte for byte', async () => {
    const cases = [
      ...sym.map((c) => ({
        symKey: c.symKey!,
        rlp: c.envelope.rlp,
        reseal: {
          topic: c.topic,
          payload: c.payload,
          ttl: c.ttl,
          padding: c.padding ?? c.expected.padding,
          salt: c.salt!,
          signingKey: c.signingPrivateKey,
          pow: c.powTarget,
          now: c.envelope.expiry - c.envelope.ttl,
        },
      })),
      ...asym.map((c) => ({ recipientPrivateKey: c.recipientPrivateKey!, rlp: c.envelope.rlp })),
    ];
    const results = await browser.page.evaluate(
      (all) =>
        (
          globalThis as unknown as { hushMessage: { run(c: unknown): Promise<unknown> } }
        ).hushMessage.run(all),
      cases,
    );
    const expected = [
      ...sym.map((c) => ({
        payload: c.expected.payload,
        signer: c.expected.signerPublicKey,
        resealed: c.envelope.rlp,
      })),
      ...asym.map((c) => ({
        payload: c.expected.payload,
        signer: c.expected.signerPublicKey,
        resealed: null,
      })),
    ];
    expect(results).toEqual(expected);
  }, 120_000);
});
