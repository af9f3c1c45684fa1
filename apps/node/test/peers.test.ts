/**
 * The peer book: a node remembers the peers it dialed, in its store, and a restarted node
 * reconnects to them without a bootstrap list; stale, excess and damaged entries are dropped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, PeerBook, startNode } from '../src/index.js';
import { eventually, localConfig, testNode } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const id = (n: number) => `04${n.toString(16).padStart(128, '0')}`;

describe('PeerBook', () => {
  it('returns remembered peers, most recent first, and forgets stale and excess ones', async () => {
    const store = new MemoryStore();
    const book = new PeerBook(store, { maxPeers: 2, maxAgeMs: 1000 });
    await book.remember(id(1), 'ws://10.0.0.1:30303', 5000);
    await book.remember(id(2), 'ws://10.0.0.2:30303', 5500);
    await book.remember(id(3), 'ws://10.0.0.3:30303', 5200);
    await book.remember(id(4), 'ws://10.0.0.4:30303', 100); // stale
    const peers = await book.load(5600);
    expect(peers.map((p) => p.address)).toEqual(['ws://10.0.0.2:30303', 'ws://10.0.0.3:30303']);
    expect((await book.load(5600)).length).toBe(2);
    expect(await store.get(`peer/${id(4)}`)).toBeUndefined();
    expect(await store.get(`peer/${id(1)}`)).toBeUndefined();
  });

  it('remembers an RLPx peer by its enode URL', async () => {
    const book = new PeerBook(new MemoryStore());
    const enode = `enode://${id(5).slice(2)}@10.0.0.5:30303`;
    await book.remember(id(5), enode, 10);
    expect((await book.load(20)).map((p) => p.address)).toEqual([enode]);
  });

  it('drops damaged entries instead of dialing them', async () => {
    const store = new MemoryStore();
    const book = new PeerBook(store);
    const bytes = (s: string) => new TextEncoder().encode(s);
    await store.put(`peer/${id(1)}`, bytes('{not json'));
    await store.put(`peer/${id(2)}`, bytes('{"address":"file:///etc/passwd","lastSeen":1}'));
    await store.put('peer/short', bytes('{"address":"ws://a:1","lastSeen":1}'));
    await book.remember(id(3), 'ws://127.0.0.1:1', 10);
    expect((await book.load(20)).map((p) => p.id)).toEqual([id(3)]);
    expect(await store.get(`peer/${id(1)}`)).toBeUndefined();
  });

  it('refuses non-positive limits with a RangeError', () => {
    expect(() => new PeerBook(new MemoryStore(), { maxPeers: 0 })).toThrow(RangeError);
  });
});

describe('a restarted node', () => {
  it('reconnects to the peers it dialed before, without a bootstrap list', async () => {
    const hub = await testNode();
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-peers-'));
    dirs.push(dataDir);
    const settings = localConfig(dataDir);
    try {
      const first = await startNode({ ...settings, bootstrap: [hub.gossip.addresses[0]!] });
      await eventually(
        () => first.gossip.stats().peers.some((p) => p.ready),
        20_000,
        'first connection',
      );
      await eventually(async () => (await new PeerBook(first.store).load(Date.now())).length === 1);
      await first.stop();
      const again = await startNode({ ...settings, bootstrap: [] });
      try {
        await eventually(
          () => again.gossip.stats().peers.some((p) => p.ready && p.id === hub.id),
          20_000,
          'reconnection',
        );
      } finally {
        await again.stop();
      }
    } finally {
      await hub.stop();
    }
  });
});
