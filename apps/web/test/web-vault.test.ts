/**
 * specs/web/SPEC.md §2 and §5: the identity vault and the sealed history, on IndexedDB
 * (fake-indexeddb in Node; the browser tests run the same code on Chromium's). Keys are kept
 * only as ciphertext; a wrong passphrase, a tampered record or a foreign file is refused with
 * its code, and never leaves the page without an identity it can open.
 */
import 'fake-indexeddb/auto';
import { publicKeyOf } from '@hush/message';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { openHistoryStore, openPageDb } from '../src/db.js';
import { History } from '../src/history.js';
import { IdbStore } from '../src/idb-store.js';
import { VAULT_STORE, Vault } from '../src/vault.js';

/** A cheap scrypt for tests; the page uses DEFAULT_KDF. */
const FAST = { name: 'scrypt', N: 2 ** 10, r: 8, p: 1 } as const;
let dbCount = 0;
const freshDb = () => openPageDb(`vault-test-${dbCount++}`);

describe('§2 vault', () => {
  it('creates, keeps only ciphertext, and unlocks with the passphrase', async () => {
    const db = await freshDb();
    const vault = new Vault(db, FAST);
    expect(await vault.record()).toBeUndefined();
    const made = await vault.create('correct horse battery');
    expect(bytesToHex(made.publicKey)).toBe(bytesToHex(publicKeyOf(made.identityKey)));
    const stored = JSON.stringify(await db.get(VAULT_STORE, 'identity'));
    expect(stored).not.toContain(bytesToHex(made.identityKey));
    expect(stored).not.toContain(bytesToHex(made.inboxSecret));
    const opened = await vault.unlock('correct horse battery');
    expect(opened.identityKey).toEqual(made.identityKey);
    expect(opened.inboxSecret).toEqual(made.inboxSecret);
  });

  it('refuses a wrong passphrase, a short one, and a second identity', async () => {
    const vault = new Vault(await freshDb(), FAST);
    await expect(vault.unlock('whatever1')).rejects.toMatchObject({ code: 'no-identity' });
    await expect(vault.create('short')).rejects.toThrow(RangeError);
    await vault.create('correct horse battery');
    await expect(vault.unlock('correct horse batterz')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    await expect(vault.create('another passphrase')).rejects.toMatchObject({
      code: 'identity-exists',
    });
  });

  it('refuses a tampered record', async () => {
    const db = await freshDb();
    const vault = new Vault(db, FAST);
    await vault.create('correct horse battery');
    const record = await db.get(VAULT_STORE, 'identity');
    const flipped =
      record.ciphertext.slice(0, -2) + (record.ciphertext.endsWith('00') ? '01' : '00');
    await db.put(VAULT_STORE, { ...record, ciphertext: flipped }, 'identity');
    await expect(vault.unlock('correct horse battery')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    // The clear public key is bound as additional data: changing it fails too.
    const other = bytesToHex(publicKeyOf(new Uint8Array(32).fill(7)));
    await db.put(VAULT_STORE, { ...record, publicKey: other }, 'identity');
    await expect(vault.unlock('correct horse battery')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
  });

  it('opens a file without changing anything until it is replaced', async () => {
    const source = new Vault(await freshDb(), FAST);
    await source.create('correct horse battery');
    const target = new Vault(await freshDb(), FAST);
    const mine = await target.create('another passphrase');
    const { record } = await target.openFile(await source.exportFile(), 'correct horse battery');
    expect(bytesToHex(mine.publicKey)).not.toBe(record.publicKey);
    expect((await target.unlock('another passphrase')).identityKey).toEqual(mine.identityKey);
    await target.replace(record);
    await expect(target.unlock('another passphrase')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
  });

  it('exports a file that imports elsewhere only with its passphrase', async () => {
    const first = new Vault(await freshDb(), FAST);
    const made = await first.create('correct horse battery');
    const file = await first.exportFile();
    expect(file).not.toContain(bytesToHex(made.identityKey));
    const second = new Vault(await freshDb(), FAST);
    await expect(second.importFile(file, 'wrong passphrase')).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    expect(await second.record()).toBeUndefined();
    const imported = await second.importFile(file, 'correct horse battery');
    expect(imported.identityKey).toEqual(made.identityKey);
  });

  it('refuses files that are not identity files, or that would cost too much to open', async () => {
    const vault = new Vault(await freshDb(), FAST);
    const source = new Vault(await freshDb(), FAST);
    await source.create('correct horse battery');
    const record = JSON.parse(await source.exportFile());
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ ...record, version: 2 }),
      JSON.stringify({ ...record, publicKey: 'zz' }),
      JSON.stringify({ ...record, kdf: { ...record.kdf, N: 2 ** 24 } }),
      JSON.stringify({ ...record, kdf: { ...record.kdf, N: 1000 } }),
      JSON.stringify({ ...record, iv: '00' }),
    ]) {
      await expect(vault.importFile(bad, 'correct horse battery')).rejects.toMatchObject({
        code: 'bad-identity-file',
      });
    }
  });
});

describe('§5 sealed history', () => {
  it('keeps records sealed under the data key, per identity', async () => {
    const secrets = await new Vault(await freshDb(), FAST).create('correct horse battery');
    const owner = bytesToHex(secrets.publicKey);
    const name = `history-test-${dbCount++}`;
    const store = await openHistoryStore(secrets.dataKey, name);
    const history = new History(store, owner);
    await history.putConversation({
      id: 'channel:status',
      kind: 'channel',
      name: 'status',
      createdAt: 1,
    });
    await history.putMessage({
      id: 'm1',
      conversation: 'channel:status',
      direction: 'in',
      text: 'a secret line',
      at: 2,
      signature: 'unsigned',
      state: 'received',
      path: 'gossip',
    });
    // What IndexedDB holds: every key and value of the database, as an attacker reads them.
    const inner = await IdbStore.open(name);
    const entries: string[] = [];
    for await (const [key, value] of inner.range({})) entries.push(key, bytesToHex(value));
    await inner.close();
    const raw = entries.join(' ');
    expect(raw).not.toContain('a secret line');
    // Not even the record keys name the channel (or, for a contact, its public key).
    expect(raw).not.toContain('status');
    expect(raw).not.toContain(bytesToHex(new TextEncoder().encode('status')));
    expect(raw).not.toContain(bytesToHex(new TextEncoder().encode('a secret line')));
    const loaded = await history.load();
    expect(loaded.messages.map((m) => m.text)).toEqual(['a secret line']);
    expect(loaded.conversations.map((c) => c.name)).toEqual(['status']);

    // Another identity in the same browser sees none of it.
    const otherKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    expect((await new History(store, 'ab'.repeat(65)).load()).messages).toEqual([]);
    // The wrong key for this identity opens nothing and says how much it could not open.
    const wrongStore = await openHistoryStore(otherKey, name);
    const wrong = await new History(wrongStore, owner).load();
    expect(wrong.messages).toEqual([]);
    expect(wrong.corrupt).toBe(2);
    await wrongStore.close();
    await store.close();
  });
});
