/**
 * specs/web/SPEC.md end to end, in Debian's Chromium, against one real `hush` process that
 * serves the built app: two browser contexts (two people) create identities, talk on a public
 * channel and 1:1, one reloads, unlocks and still has its history; a channel made in the page
 * talks to the same channel made through `shh_*` on the node; PoW shows progress and can be
 * cancelled; every frame and request each page sent is searched for its keys and plaintexts;
 * the main flows are done by keyboard alone. Controls are found only by the roles and names
 * apps/web/README.md promises. Screenshots of each screen go to test-results/web/.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@hush/test-support/browser';
import { bytesToHex } from '@noble/hashes/utils.js';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordKey, topicOfName } from '../src/channels.js';
import { openPageDb } from '../src/db.js';
import { type Secrets, Vault } from '../src/vault.js';
import { buildWebApp, type HushProcess, rpc, startHush } from './support/hush-node.js';
import {
  type AppPage,
  containsBytes,
  leakForms,
  openApp,
  screenshot,
  tabTo,
} from './support/page-driver.js';

const CHANNEL = 'hush-e2e';
const PASS_A = 'alice passphrase 1';
const PASS_B = 'bob passphrase 22';

const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
const item = (page: Page, text: string) =>
  messages(page).getByRole('listitem').filter({ hasText: text });

async function publicKeyOf(page: Page): Promise<string> {
  const text = (await page.getByLabel('Your public key').textContent())?.trim() ?? '';
  expect(text).toMatch(/^0x04[0-9a-f]{128}$/);
  return text;
}

/** The identity's secrets, read the way a user would move them: export, then open the file. */
async function exportedSecrets(page: Page, passphrase: string): Promise<Secrets> {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export identity' }).click();
  const file = readFileSync(await (await download).path());
  return new Vault(await openPageDb(`export-${Math.random()}`)).importFile(
    file.toString('utf8'),
    passphrase,
  );
}

async function sendMessage(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

async function sentState(page: Page, text: string): Promise<string> {
  return (await item(page, text).getAttribute('data-state')) ?? '';
}

describe('apps/web in Chromium against a hush node', () => {
  let node: HushProcess;
  let browser: Browser;
  let contextA: BrowserContext;
  let contextB: BrowserContext;
  let a: AppPage;
  let b: AppPage;
  const pages: AppPage[] = [];
  let keyA = '';
  let keyB = '';
  const plaintexts: string[] = [];

  beforeAll(async () => {
    await buildWebApp();
    node = await startHush(['--inbox']);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      // Two contexts on one machine: host candidates by address, not mDNS names.
      args: [...CHROMIUM_ARGS, '--disable-features=WebRtcHideLocalIpsWithMdns'],
    });
    contextA = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1200, height: 800 },
    });
    contextB = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1200, height: 800 },
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  });

  it('shows the welcome screen and creates an identity by keyboard alone', async () => {
    a = await openApp(contextA, node.web);
    pages.push(a);
    await screenshot(a.page, '1-welcome');
    const { page } = a;
    await tabTo(page, page.getByRole('textbox', { name: 'Passphrase' }));
    await page.keyboard.type(PASS_A);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Lock' }).waitFor();
    keyA = await publicKeyOf(page);
    expect(page.getByText('connected to the node')).toBeDefined();
    await page.getByText('connected to the node').waitFor();
  });

  it('creates the second identity with the pointer', async () => {
    b = await openApp(contextB, node.web);
    pages.push(b);
    await b.page.getByRole('textbox', { name: 'Passphrase' }).fill(PASS_B);
    await b.page.getByRole('button', { name: 'Create identity' }).click();
    await b.page.getByRole('button', { name: 'Lock' }).waitFor();
    keyB = await publicKeyOf(b.page);
    expect(keyB).not.toBe(keyA);
    await b.page.getByText('connected to the node').waitFor();
  });

  it('joins a channel and posts on it by keyboard; the other page receives it', async () => {
    const { page } = a;
    await tabTo(page, page.getByRole('textbox', { name: 'Channel name' }));
    await page.keyboard.type(CHANNEL);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `#${CHANNEL}` }).waitFor();
    await b.page.getByRole('textbox', { name: 'Channel name' }).fill(CHANNEL);
    await b.page.getByRole('button', { name: 'Join channel' }).click();
    await b.page.getByRole('heading', { name: `#${CHANNEL}` }).waitFor();

    const text = `hello channel ${Date.now()}`;
    plaintexts.push(text);
    // Joining moved focus to the message box.
    await tabTo(page, page.getByRole('textbox', { name: 'Message' }));
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await item(b.page, text).waitFor({ timeout: 30_000 });
    await expect.poll(() => sentState(page, text), { timeout: 30_000 }).toBe('sent');
    await screenshot(a.page, '3-channel');
  });

  it('talks to the same channel made through shh_* on the node (Status derivation)', async () => {
    // The node's side, through its JSON-RPC as any shh_* client would do it.
    const symKeyID = (await rpc(node.rpc, 'shh_generateSymKeyFromPassword', [CHANNEL])) as string;
    const symKey = (await rpc(node.rpc, 'shh_getSymKey', [symKeyID])) as string;
    expect(symKey).toBe(`0x${bytesToHex(await passwordKey(CHANNEL))}`);
    const topic = `0x${bytesToHex(topicOfName(CHANNEL))}`;
    const filter = (await rpc(node.rpc, 'shh_newMessageFilter', [
      { symKeyID, topics: [topic] },
    ])) as string;

    const fromPage = `from the page ${Date.now()}`;
    plaintexts.push(fromPage);
    await sendMessage(a.page, fromPage);
    await expect
      .poll(
        async () => {
          const got = (await rpc(node.rpc, 'shh_getFilterMessages', [filter])) as {
            payload: string;
            sig?: string;
          }[];
          return got.map((m) => ({
            text: Buffer.from(m.payload.slice(2), 'hex').toString('utf8'),
            sig: m.sig,
          }));
        },
        { timeout: 30_000 },
      )
      .toContainEqual({ text: fromPage, sig: keyA });

    const fromNode = `from shh_post ${Date.now()}`;
    await rpc(node.rpc, 'shh_post', [
      {
        symKeyID,
        topic,
        payload: `0x${Buffer.from(fromNode).toString('hex')}`,
        powTarget: 0.2,
        powTime: 5,
        ttl: 60,
      },
    ]);
    for (const page of [a.page, b.page]) {
      await item(page, fromNode).waitFor({ timeout: 30_000 });
      await expect(item(page, fromNode).textContent()).resolves.toContain('unsigned');
    }
  });

  it('shows PoW progress and cancels it', async () => {
    const { page } = a;
    await page.getByRole('spinbutton', { name: 'PoW target' }).fill('1000');
    const text = `never sealed ${Date.now()}`;
    plaintexts.push(text);
    await sendMessage(page, text);
    const progress = page.getByRole('progressbar', { name: 'Proof of work' });
    await progress.waitFor();
    await screenshot(page, '4-pow-progress');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => sentState(page, text), { timeout: 30_000 }).toBe('cancelled');
    await progress.waitFor({ state: 'detached' });
    await page.getByRole('spinbutton', { name: 'PoW target' }).fill('0.2');
  });

  it('adds contacts by public key and chats 1:1, signatures verified', async () => {
    await a.page.getByRole('textbox', { name: 'Contact public key' }).fill(keyB);
    await a.page.getByRole('button', { name: 'Add contact' }).click();
    await b.page.getByRole('textbox', { name: 'Contact public key' }).fill(keyA);
    await b.page.getByRole('button', { name: 'Add contact' }).click();
    const text = `hello B, from A ${Date.now()}`;
    plaintexts.push(text);
    await sendMessage(a.page, text);
    await item(b.page, text).waitFor({ timeout: 30_000 });
    await expect(item(b.page, text).textContent()).resolves.toContain('signature verified');
    const reply = `hello A, from B ${Date.now()}`;
    plaintexts.push(reply);
    await sendMessage(b.page, reply);
    await item(a.page, reply).waitFor({ timeout: 30_000 });
    await expect(item(a.page, reply).textContent()).resolves.toContain('signature verified');
    await screenshot(b.page, '5-one-to-one');
  });

  it('shows a 1:1 message from a key that is not a contact as not verified (sent by shh_post)', async () => {
    const stranger = (await rpc(node.rpc, 'shh_newKeyPair')) as string;
    const text = `from a stranger ${Date.now()}`;
    await rpc(node.rpc, 'shh_post', [
      {
        pubKey: keyB,
        sig: stranger,
        topic: '0xf8946aac',
        payload: `0x${Buffer.from(text).toString('hex')}`,
        powTarget: 0.2,
        powTime: 5,
        ttl: 60,
      },
    ]);
    const { page } = b;
    await page.getByRole('button', { name: /not a contact/ }).click();
    await item(page, text).waitFor({ timeout: 30_000 });
    const shown = await item(page, text).textContent();
    expect(shown).toContain('signed by an unknown key');
    expect(shown).not.toContain('signature verified');
    // Back to the contact's conversation for what follows.
    await page.getByRole('button', { name: /^0x.*…[0-9a-f]{6}$/ }).click();
  });

  it('opens a direct channel between the two contacts by WebRTC and delivers over it', async () => {
    await a.page.getByText(/Direct channel: open \(webrtc\)/).waitFor({ timeout: 90_000 });
    await b.page.getByText(/Direct channel: open \(webrtc\)/).waitFor({ timeout: 90_000 });
    const text = `over the direct channel ${Date.now()}`;
    plaintexts.push(text);
    await sendMessage(a.page, text);
    await expect.poll(() => sentState(a.page, text), { timeout: 60_000 }).toBe('delivered');
    await item(b.page, text).waitFor();
    await screenshot(a.page, '8-direct-channel');
  });

  it('refuses a bad contact key with a message, not a crash', async () => {
    await a.page.getByRole('textbox', { name: 'Contact public key' }).fill('0x04deadbeef');
    await a.page.getByRole('button', { name: 'Add contact' }).click();
    await a.page.getByRole('alert').filter({ hasText: 'public key' }).waitFor();
    expect(a.errors).toEqual([]);
  });

  it('reloads, shows the locked screen, refuses a wrong passphrase, unlocks with history', async () => {
    const { page } = b;
    await page.reload();
    await page.waitForFunction(() => (globalThis as { hushReady?: boolean }).hushReady === true);
    await page.getByRole('button', { name: 'Unlock' }).waitFor();
    expect(await publicKeyOf(page)).toBe(keyB);
    await screenshot(page, '2-locked');
    await page.getByRole('textbox', { name: 'Passphrase' }).fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: 'passphrase' }).waitFor();
    // By keyboard: the passphrase box, then Enter.
    await page.getByRole('textbox', { name: 'Passphrase' }).fill('');
    await tabTo(page, page.getByRole('textbox', { name: 'Passphrase' }));
    await page.keyboard.type(PASS_B);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Lock' }).waitFor();
    await page.getByRole('button', { name: `#${CHANNEL}` }).click();
    // From the page's own sealed history, not fetched again: the path it first came by is kept
    // (the mailserver's copy, if it comes, is the same envelope and shown once).
    await item(page, plaintexts[0]!).waitFor();
    await expect(item(page, plaintexts[0]!).textContent()).resolves.toContain('via gossip');
    expect(await item(page, plaintexts[0]!).count()).toBe(1);
    await page.getByRole('button', { name: /…/ }).first().click();
    await item(page, plaintexts.find((t) => t.startsWith('hello B'))!).waitFor();
    await item(page, plaintexts.find((t) => t.startsWith('hello A'))!).waitFor();
  });

  it('locks on the Lock button: keys gone from the screen', async () => {
    const { page } = a;
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.getByRole('button', { name: 'Unlock' }).waitFor();
    expect(await page.getByRole('list', { name: 'Messages' }).count()).toBe(0);
    await page.getByRole('textbox', { name: 'Passphrase' }).fill(PASS_A);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('button', { name: 'Lock' }).waitFor();
  });

  it('brings back what was missed while locked: DHT inbox and mailserver, with progress', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.getByRole('button', { name: 'Unlock' }).waitFor();
    // A writes to B 1:1 (deposited to B's inbox: B's contact card came while B was online) and
    // on the channel. Both may still be in the node's gossip pool when B comes back (TTL 60 s),
    // so either may come by gossip first; the inbox's count says it delivered the 1:1 one.
    await a.page.getByRole('button', { name: /^0x/ }).first().click();
    const direct = `while you were away ${Date.now()}`;
    plaintexts.push(direct);
    await sendMessage(a.page, direct);
    await expect.poll(() => sentState(a.page, direct), { timeout: 60_000 }).toBe('stored');
    await a.page.getByRole('button', { name: `#${CHANNEL}` }).click();
    const onChannel = `channel while away ${Date.now()}`;
    plaintexts.push(onChannel);
    await sendMessage(a.page, onChannel);
    await expect.poll(() => sentState(a.page, onChannel), { timeout: 30_000 }).toBe('sent');
    // One only the mailserver can bring back: posted on the channel through shh_post with a
    // 2-second TTL, and expired (gone from every pool) before B unlocks.
    const symKeyID = (await rpc(node.rpc, 'shh_generateSymKeyFromPassword', [CHANNEL])) as string;
    const expired = `expired before you came back ${Date.now()}`;
    await rpc(node.rpc, 'shh_post', [
      {
        symKeyID,
        topic: `0x${bytesToHex(topicOfName(CHANNEL))}`,
        payload: `0x${Buffer.from(expired).toString('hex')}`,
        powTarget: 0.2,
        powTime: 5,
        ttl: 2,
      },
    ]);
    const postedAt = Date.now();
    await expect.poll(() => Date.now() - postedAt > 4000, { timeout: 10_000 }).toBe(true);

    await page.getByRole('textbox', { name: 'Passphrase' }).fill(PASS_B);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('button', { name: 'Lock' }).waitFor();
    const missed = page.getByRole('region', { name: 'Missed messages' });
    await missed.getByText(/DHT inbox: done, [1-9]\d* received/).waitFor({ timeout: 60_000 });
    await missed.getByText(/Mailserver: done, [1-9]/).waitFor({ timeout: 60_000 });
    await screenshot(page, '7-missed-messages');
    await page.getByRole('button', { name: `#${CHANNEL}` }).click();
    await item(page, onChannel).waitFor();
    await item(page, expired).waitFor();
    await expect(item(page, expired).textContent()).resolves.toContain('from the mailserver');
    await page.getByRole('button', { name: /^0x/ }).first().click();
    await item(page, direct).waitFor();
    expect(await item(page, direct).count()).toBe(1);
  }, 240_000);

  it('no frame or request a page sent carries a key or a plaintext, and no JSON-RPC call', {
    timeout: 120_000,
  }, async () => {
    const secretsA = await exportedSecrets(a.page, PASS_A);
    const secretsB = await exportedSecrets(b.page, PASS_B);
    const channelKey = await passwordKey(CHANNEL);
    const secrets: [string, Uint8Array | string][] = [
      ['A identity key', secretsA.identityKey],
      ['A inbox secret', secretsA.inboxSecret],
      ['B identity key', secretsB.identityKey],
      ['B inbox secret', secretsB.inboxSecret],
      ['channel key', channelKey],
      ...plaintexts.map((t): [string, string] => [`plaintext ${t}`, t]),
      ['passphrase A', PASS_A],
      ['passphrase B', PASS_B],
    ];
    for (const page of pages) {
      expect(page.traffic.frames.length).toBeGreaterThan(0);
      for (const [name, secret] of secrets) {
        for (const form of leakForms(secret)) {
          for (const frame of page.traffic.frames)
            expect(containsBytes(frame, form), name).toBe(false);
          for (const request of page.traffic.requests)
            expect(
              request.body && containsBytes(new TextEncoder().encode(request.body), form),
              name,
            ).toBeFalsy();
        }
      }
      // The page loads itself and asks where to connect; it calls no JSON-RPC method.
      for (const request of page.traffic.requests.filter((r) => /^https?:/.test(r.url))) {
        expect(request.method).toBe('GET');
        expect(request.url.startsWith(node.web)).toBe(true);
        expect(request.url).not.toContain(new URL(node.rpc).port);
      }
      expect(page.errors).toEqual([]);
    }
  });

  it('opens the live panel with its plots', async () => {
    const { page } = a;
    await page.getByText('Live panel').click();
    await page.locator('figure').first().waitFor();
    expect(await page.locator('figure canvas').count()).toBeGreaterThanOrEqual(4);
    // The charts fit the column: nothing pushes the page wider than the window.
    await page.waitForTimeout(1500);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    ).toBe(true);
    await screenshot(page, '6-live-panel');
  });
});
