/**
 * Issue 17, item 3, the web part (specs/web/SPEC.md §9): "send through the mixnet" in
 * Debian's Chromium, against a loopback mixnet of real processes (3 authorities, 3 × 3 mixes,
 * a gateway) and two real `hush` nodes that share no gossip link:
 *
 * - X, the exit (`--mixnet --mixnet-exit`): it injects what comes to it into its gossip;
 * - W, the page's node (`--mixnet --mixnet-exit-via <X>`): it serves the built app, names the
 *   mixnet and X in /hush-web.json and serves the signed directories it holds.
 *
 * The page, with the option on, runs its own Loopix client (its own identity, the directory it
 * verifies itself, a link to the gateway, cover traffic) and posts on a channel. The message can
 * reach X only through the mixnet: X's `shh_*` filter gets it, X counts an injection, and W,
 * the only node the page talks to, never sees it on its gossip. An envelope over one packet is
 * refused with a clear message. The waits are bounded, not timed.
 */
import 'fake-indexeddb/auto';
import { waitFor } from '@hush/interface-compliance';
import { encodeNetworkConfig, epochAt } from '@hush/mixnet-sphinx';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@hush/test-support/browser';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mixnet, startMixnet, waitForMixnet } from '../../node/testnet/mixnet.js';
import { freePort, scrapeMetric } from '../../node/testnet/process.js';
import { topicOfName } from '../src/channels.js';
import { buildWebApp, type HushProcess, rpc, startHush } from './support/hush-node.js';
import { type AppPage, openApp, screenshot } from './support/page-driver.js';

const CHANNEL = 'hush-mixnet-e2e';
const INJECTED = 'hush_mixnet_envelopes_received_total{kind="inject"}';

/** A `hush` node on the mixnet with its metrics on a known port. */
async function mixnetNode(
  mixnet: Mixnet,
  args: readonly string[],
): Promise<{ hush: HushProcess; metrics: string }> {
  const port = await freePort();
  // The last --metrics-port given wins over the support's -1.
  const hush = await startHush([
    '--mixnet',
    mixnet.networkFile,
    '--metrics-port',
    String(port),
    ...args,
  ]);
  return { hush, metrics: `http://127.0.0.1:${port}` };
}

async function mixnetInfo(node: HushProcess): Promise<{ address: string; ready: boolean }> {
  return (await rpc(node.rpc, 'hush_mixnetInfo')) as { address: string; ready: boolean };
}

/** The texts a node's `shh_*` filter has got so far (the filter forgets what it gave). */
async function filterTexts(node: HushProcess, filter: string, seen: string[]): Promise<string[]> {
  const got = (await rpc(node.rpc, 'shh_getFilterMessages', [filter])) as { payload: string }[];
  seen.push(...got.map((m) => Buffer.from(m.payload.slice(2), 'hex').toString('utf8')));
  return seen;
}

async function channelFilter(node: HushProcess): Promise<string> {
  const symKeyID = (await rpc(node.rpc, 'shh_generateSymKeyFromPassword', [CHANNEL])) as string;
  const topic = `0x${Buffer.from(topicOfName(CHANNEL)).toString('hex')}`;
  return (await rpc(node.rpc, 'shh_newMessageFilter', [{ symKeyID, topics: [topic] }])) as string;
}

const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
const item = (page: Page, text: string) =>
  messages(page).getByRole('listitem').filter({ hasText: text });

describe('apps/web sends through a loopback mixnet of real processes', () => {
  let mixnet: Mixnet | undefined;
  let exit: { hush: HushProcess; metrics: string } | undefined;
  let web: { hush: HushProcess; metrics: string } | undefined;
  let exitAddress = '';
  let browser: Browser | undefined;
  let app: AppPage;

  beforeAll(async () => {
    await buildWebApp();
    mixnet = await startMixnet({ meanDelayMs: 10 });
    await waitForMixnet(mixnet, { timeoutMs: 240_000 });
    exit = await mixnetNode(mixnet, ['--mixnet-exit']);
    exitAddress = (await mixnetInfo(exit.hush)).address;
    web = await mixnetNode(mixnet, ['--mixnet-exit-via', exitAddress]);
    for (const node of [exit.hush, web.hush])
      await waitFor(
        async () => (await mixnetInfo(node)).ready,
        'each node holds the directory and is linked to the gateway',
        60_000,
      );
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await web?.hush.stop();
    await exit?.hush.stop();
    await mixnet?.stop();
  }, 180_000);

  it('names the mixnet and its exit in /hush-web.json and serves the signed directories', async () => {
    const config = (await (await fetch(new URL('/hush-web.json', web!.hush.web))).json()) as {
      mixnet: { network: unknown; exit: string } | null;
    };
    expect(config.mixnet).toEqual({
      network: encodeNetworkConfig(mixnet!.network),
      exit: exitAddress,
    });
    const epoch = epochAt(Date.now(), mixnet!.network.epochMs);
    const held = await fetch(new URL(`/mixnet/documents/${epoch}`, web!.hush.web));
    expect(held.status).toBe(200);
    const signed = (await held.json()) as { document: string; signatures: unknown[] };
    expect(JSON.parse(signed.document)).toMatchObject({ version: 1, epoch });
    expect(signed.signatures.length).toBeGreaterThanOrEqual(mixnet!.network.threshold);
    expect((await fetch(new URL('/mixnet/documents/1', web!.hush.web))).status).toBe(404);
  });

  it('the page, with the option on, posts on a channel through the mixnet; it enters gossip at the exit', async () => {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 800 } });
    app = await openApp(context, web!.hush.web);
    const { page } = app;
    await page.getByRole('textbox', { name: 'Passphrase' }).fill('mixnet passphrase 1');
    await page.getByRole('button', { name: 'Create identity' }).click();
    await page.getByText('connected to the node').waitFor();
    await page.getByRole('textbox', { name: 'Channel name' }).fill(CHANNEL);
    await page.getByRole('button', { name: 'Join channel' }).click();
    await page.getByRole('heading', { name: `#${CHANNEL}` }).waitFor();

    const atExit = await channelFilter(exit!.hush);
    const atWeb = await channelFilter(web!.hush);
    const seenAtExit: string[] = [];
    const seenAtWeb: string[] = [];

    const option = page.getByRole('checkbox', { name: 'Send through the mixnet' });
    const status = page.getByRole('status', { name: 'Mixnet status' });
    await expect(status.textContent()).resolves.toBe('Mixnet: off');
    await option.check();
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^Mixnet: ready/);
    await screenshot(page, 'mixnet-ready');

    const text = `through the mixnet ${Date.now()}`;
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await item(page, text).waitFor();
    await expect
      .poll(() => item(page, text).getAttribute('data-state'), { timeout: 30_000 })
      .toBe('sent');
    await expect(item(page, text).textContent()).resolves.toContain('via the mixnet');

    await waitFor(
      async () => (await filterTexts(exit!.hush, atExit, seenAtExit)).includes(text),
      'the message in the exit’s filter',
      60_000,
    );
    expect(await scrapeMetric(exit!.metrics, INJECTED)).toBe(1);
    // The page's node is no exit and never had the envelope: the page did not post it to
    // its gossip, and the exit shares no gossip link with it.
    expect(await scrapeMetric(web!.metrics, INJECTED)).toBe(0);
    expect(await filterTexts(web!.hush, atWeb, seenAtWeb)).not.toContain(text);
    // The page's own cover: its loops come back to it through the mixnet.
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/loops back/);
    await screenshot(page, 'mixnet-sent');
  });

  it('refuses a message too large for one packet, saying so, and keeps its text', async () => {
    const { page } = app;
    const long = 'x'.repeat(3000);
    await page.getByRole('textbox', { name: 'Message' }).fill(long);
    await page.getByRole('button', { name: 'Send' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'do not fit one mixnet packet' })
      .waitFor({ timeout: 10_000 });
    await expect(page.getByRole('textbox', { name: 'Message' }).inputValue()).resolves.toBe(long);
    expect(app.errors).toEqual([]);
  });

  it('with the option off, the page posts to its node’s gossip again', async () => {
    const { page } = app;
    const atWeb = await channelFilter(web!.hush);
    const seen: string[] = [];
    await page.getByRole('checkbox', { name: 'Send through the mixnet' }).uncheck();
    await expect
      .poll(() => page.getByRole('status', { name: 'Mixnet status' }).textContent())
      .toBe('Mixnet: off');
    const text = `by gossip ${Date.now()}`;
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await waitFor(
      async () => (await filterTexts(web!.hush, atWeb, seen)).includes(text),
      'the message in the page node’s filter',
      30_000,
    );
    await expect(item(page, text).textContent()).resolves.not.toContain('via the mixnet');
    expect(await scrapeMetric(exit!.metrics, INJECTED)).toBe(1);
  });
});
