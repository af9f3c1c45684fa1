/**
 * Issue 14, item 6 (specs/inbox-dht/SPEC.md §4.5, §5.2, §6.7): the DHT inbox across 20 real
 * `hush` processes on loopback (testnet/testnet.ts, as `pnpm testnet dht` runs them). Node X
 * publishes its inbox; node S deposits a message to X's inbox key through the RPC; S's process
 * is stopped; X — another process than the depositor — fetches its inbox, and the message is
 * in X's shh filter; the holders deleted it (a second fetch finds nothing). Start-up is
 * parallel and the waits are bounded, not timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpc, startTestnet, type Testnet, waitForDht } from '../testnet/testnet.js';

const NODES = 20;
const topic = '0x7e57d0e5';
const payload = '0x6f66666c696e6520696e626f78'; // "offline inbox"

describe(`the DHT inbox over ${NODES} hush processes`, () => {
  let testnet: Testnet | undefined;

  beforeAll(async () => {
    testnet = await startTestnet({ nodes: NODES });
    // Formed: every node joined and knows at least half the others (lookups find the rest;
    // on a loaded machine an entry that timed out may be out of a table for a while).
    await waitForDht(testnet, { minContacts: NODES / 2, timeoutMs: 300_000 });
  }, 900_000);

  afterAll(async () => {
    await testnet?.stop();
  }, 180_000);

  it('publish on X, deposit from S, S stops, X fetches: the message is in its shh filter', async () => {
    const nodes = testnet!.nodes;
    expect(nodes).toHaveLength(NODES);
    const x = nodes[7]!;
    const s = nodes[13]!;

    const published = (await rpc(x.rpcUrl, 'hush_publishInbox', [
      { minPow: 0.01, maxTtl: 3600 },
    ])) as { inboxKey: string; encryptionKey: string; holders: number; accepted: number };
    expect(published.holders).toBeGreaterThan(NODES / 2);
    expect(published.accepted).toBeGreaterThan(NODES / 2);

    const deposited = (await rpc(s.rpcUrl, 'hush_deposit', [
      published.inboxKey,
      { topic, payload, ttl: 600, powTime: 60 },
    ])) as { hash: string; holders: number; accepted: number };
    expect(deposited.holders).toBeGreaterThan(NODES / 2);
    expect(deposited.accepted).toBeGreaterThan(NODES / 2);

    // The depositor goes away for good.
    await s.stop();
    expect(s.running).toBe(false);

    const filter = (await rpc(x.rpcUrl, 'shh_newMessageFilter', [
      { privateKeyID: 'inbox', topics: [topic], allowP2P: true },
    ])) as string;
    const fetched = (await rpc(x.rpcUrl, 'hush_fetchInbox')) as {
      fetched: number;
      deleted: number;
    };
    expect(fetched).toMatchObject({ fetched: 1, deleted: 1 });
    const messages = (await rpc(x.rpcUrl, 'shh_getFilterMessages', [filter])) as {
      payload: string;
      hash: string;
      recipientPublicKey: string;
    }[];
    expect(messages).toEqual([
      expect.objectContaining({
        payload,
        hash: deposited.hash,
        recipientPublicKey: published.encryptionKey,
      }),
    ]);
    // Fetch-and-delete: the holders no longer hand it out.
    expect(await rpc(x.rpcUrl, 'hush_fetchInbox')).toMatchObject({ fetched: 0 });
  }, 600_000);
});
