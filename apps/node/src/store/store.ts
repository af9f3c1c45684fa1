/**
 * The node's embedded stores, implementations of `@hush/interface`'s `Store` that run its
 * compliance suite: LevelDB on disk (the default) and PostgreSQL (`./postgres-store.ts`, a
 * mailserver archive with `--archive postgres://…`); `MemoryStore` (tests, nodes without a
 * data directory) is @hush/interface's. Keys are strings ordered by their UTF-16 code units
 * (LevelDB's byte order for the ASCII keys the node uses).
 */
import { type RangeOptions, type Store, StoreError, type StoreOperation } from '@hush/interface';
import { ClassicLevel } from 'classic-level';

export {
  MemoryStore,
  type RangeOptions,
  type Store,
  StoreError,
  type StoreErrorCode,
  type StoreOperation,
} from '@hush/interface';

/** A store in a LevelDB database on disk (classic-level). */
export class LevelStore implements Store {
  private readonly db: ClassicLevel<string, Uint8Array>;

  private constructor(db: ClassicLevel<string, Uint8Array>) {
    this.db = db;
  }

  /**
   * Opens (creating if needed) the database in `directory`.
   *
   * @throws StoreError 'locked' if another process holds it (a node already running there)
   * @throws if the database is damaged
   */
  static async open(directory: string): Promise<LevelStore> {
    const db = new ClassicLevel<string, Uint8Array>(directory, {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    });
    try {
      await db.open();
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED')
        throw new StoreError(
          'locked',
          `${directory} is in use: a node is already running with this data dir (stop it, or give another --data-dir)`,
          { cause: error },
        );
      throw error;
    }
    return new LevelStore(db);
  }

  async get(key: string) {
    const value = await this.db.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }
  async put(key: string, value: Uint8Array) {
    await this.db.put(key, value);
  }
  async delete(key: string) {
    await this.db.del(key);
  }
  async batch(operations: readonly StoreOperation[]) {
    await this.db.batch(
      operations.map((op) =>
        op.type === 'put'
          ? { type: 'put' as const, key: op.key, value: op.value }
          : { type: 'del' as const, key: op.key },
      ),
    );
  }
  async *range(options: RangeOptions): AsyncIterable<[string, Uint8Array]> {
    const iterator = this.db.iterator({
      ...(options.gte !== undefined ? { gte: options.gte } : {}),
      ...(options.lt !== undefined ? { lt: options.lt } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      reverse: options.reverse ?? false,
    });
    try {
      for await (const [key, value] of iterator) yield [key, new Uint8Array(value)];
    } finally {
      await iterator.close();
    }
  }
  async close() {
    await this.db.close();
  }
}
