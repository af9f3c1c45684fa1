/**
 * The page's IndexedDB databases: `hush`, the vault (one ciphertext record), and
 * `hush-history`, the sealed history of every identity of this browser (opened per unlock,
 * through a `SealedStore` under that identity's data key).
 */
import { type IDBPDatabase, openDB } from 'idb';
import { IdbStore } from './idb-store.js';
import { SealedStore } from './sealed-store.js';
import { VAULT_STORE } from './vault.js';

/** The vault database's name. */
export const DB_NAME = 'hush';
/** The history database's name. */
export const HISTORY_DB_NAME = 'hush-history';
/** The additional data's domain of history records (not another sealed store's). */
const HISTORY_DOMAIN = 'hush-history/1';

/**
 * Opens (creating or upgrading) the vault's database.
 *
 * @throws DOMException when IndexedDB is unavailable (a private window that forbids it)
 */
export function openPageDb(name: string = DB_NAME): Promise<IDBPDatabase> {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore(VAULT_STORE);
    },
  });
}

/**
 * Opens the history database sealed under `dataKey`.
 *
 * @throws StoreError when IndexedDB is unavailable; TypeError for a key that is not AES-256-GCM
 */
export async function openHistoryStore(
  dataKey: CryptoKey,
  name: string = HISTORY_DB_NAME,
): Promise<SealedStore> {
  return new SealedStore(await IdbStore.open(name), dataKey, { domain: HISTORY_DOMAIN });
}
