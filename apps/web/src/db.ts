/**
 * The page's IndexedDB database: the vault (one ciphertext record) and the sealed history.
 * One versioned schema, opened once per page.
 */
import { type IDBPDatabase, openDB } from 'idb';
import { VAULT_STORE } from './vault.js';

/** The database's name. */
export const DB_NAME = 'hush';
/** Sealed history records, key `id`, indexed by owner. */
export const RECORD_STORE = 'records';

/**
 * Opens (creating or upgrading) the page's database.
 *
 * @throws DOMException when IndexedDB is unavailable (a private window that forbids it)
 */
export function openPageDb(name: string = DB_NAME): Promise<IDBPDatabase> {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore(VAULT_STORE);
      const records = db.createObjectStore(RECORD_STORE, { keyPath: 'id' });
      records.createIndex('owner', 'owner');
    },
  });
}
