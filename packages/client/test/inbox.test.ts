/**
 * specs/inbox-dht/SPEC.md §6.7 (fetch-and-delete) seen from the client: drainInbox pages
 * through a real Inbox (the mailserver's Archive over a MemoryStore), hands every envelope to
 * the client's filters and subscriptions as source `inbox` (p2p: only filters allowing p2p
 * open it), and deletes what it delivered.
 */
import type { Envelope } from '@hush/envelope';
import { MemoryStore } from '@hush/interface';
import { Archive } from '@hush/mailserver';
import { generatePrivateKey, publicKeyOf, type ReceivedMessage, wrapMessage } from '@hush/message';
import { describe, expect, it } from 'vitest';
import { drainInbox, HushClient } from '../src/index.js';

const topic = Uint8Array.of(0x0b, 0x0c, 0x0d, 0x0e);

async function sealedTo(publicKey: Uint8Array, payload: number): Promise<Envelope> {
  return wrapMessage({
    topic,
    payload: Uint8Array.of(payload),
    publicKey,
    pow: 0,
    workTime: 1,
    ttl: 3600,
  });
}

describe('drainInbox', () => {
  it('delivers every page to filters that allow p2p, then deletes what it delivered', async () => {
    const client = new HushClient();
    const keyId = await client.keys.add('keyPair', generatePrivateKey());
    const publicKey = publicKeyOf((await client.keys.get('keyPair', keyId))!);
    const p2p = await client.newFilter({ privateKeyId: keyId, topics: [topic], allowP2P: true });
    const live = await client.newFilter({ privateKeyId: keyId, topics: [topic] });
    const pushed: ReceivedMessage[] = [];
    await client.subscribe({ privateKeyId: keyId, allowP2P: true }, (m) => pushed.push(m));
    const inbox = new Archive(new MemoryStore());
    for (let i = 0; i < 7; i++) await inbox.deposit(await sealedTo(publicKey, i));
    // And one for somebody else: fetched and deleted too, opened by no filter.
    await inbox.deposit(await sealedTo(publicKeyOf(generatePrivateKey()), 99));

    const result = await drainInbox(inbox, client, { pageSize: 3 });
    expect(result).toEqual({ fetched: 8, deleted: 8, pages: 3 });
    const payloads = (client.messages(p2p) ?? []).map((m) => m.payload[0]).sort();
    expect(payloads).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pushed).toHaveLength(7);
    expect(client.messages(live)).toEqual([]);
    expect((await inbox.fetch({ limit: 100 })).items).toEqual([]);

    // Nothing left: a second drain reads one empty page.
    expect(await drainInbox(inbox, client)).toEqual({ fetched: 0, deleted: 0, pages: 1 });
    client.close();
  });

  it('waits for a target that keeps what it is given, and deletes nothing it failed to keep', async () => {
    const inbox = new Archive(new MemoryStore());
    for (let i = 0; i < 4; i++)
      await inbox.deposit(await sealedTo(publicKeyOf(generatePrivateKey()), i));
    const kept: number[] = [];
    let refuse = false;
    const target = {
      async deliver(received: { envelope: Envelope }) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (refuse) throw new Error('locked');
        kept.push(received.envelope.data.length);
      },
    };
    // The first page (2 envelopes) is kept, then deleted; the second fails and stays.
    let pages = 0;
    const counted = {
      fetch: (...args: Parameters<Archive['fetch']>) => {
        refuse = pages++ >= 1;
        return inbox.fetch(...args);
      },
      delete: (...args: Parameters<Archive['delete']>) => inbox.delete(...args),
    } as unknown as Archive;
    await expect(drainInbox(counted, target, { pageSize: 2 })).rejects.toThrow('locked');
    expect(kept).toHaveLength(2);
    expect((await inbox.fetch({ limit: 10 })).items).toHaveLength(2);
  });

  it('keeps what it fetched when asked not to delete, and checks its options', async () => {
    const client = new HushClient();
    const inbox = new Archive(new MemoryStore());
    await inbox.deposit(await sealedTo(publicKeyOf(generatePrivateKey()), 1));
    expect(await drainInbox(inbox, client, { delete: false })).toEqual({
      fetched: 1,
      deleted: 0,
      pages: 1,
    });
    expect((await inbox.fetch({ limit: 10 })).items).toHaveLength(1);
    await expect(drainInbox(inbox, client, { pageSize: 0 })).rejects.toThrow(RangeError);
    await expect(drainInbox(inbox, client, { maxPages: 1.5 })).rejects.toThrow(RangeError);
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await expect(drainInbox(inbox, client, { signal: aborted.signal })).rejects.toThrow('stop');
    client.close();
  });
});
