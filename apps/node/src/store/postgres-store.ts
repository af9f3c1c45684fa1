/**
 * The store in a PostgreSQL table, for a mailserver archive shared beyond one machine
 * (`--archive postgres://…`, as status-go's mailserver keeps its archive in PostgreSQL or
 * LevelDB). It implements the node's `Store` with node-postgres:
 *
 * - one table `(key bytea primary key, value bytea)`; keys are stored as their UTF-8 bytes,
 *   so PostgreSQL orders them byte by byte exactly as LevelDB does, whatever the database's
 *   encoding or collation;
 * - ranges are read in key order in chunks (keyset paging on the primary key), so a range of
 *   100,000 keys never loads at once and holds no connection between chunks;
 * - a batch is one statement (a delete and an upsert), so it applies whole or not at all;
 * - a failed operation rejects with a `StoreError` and never reports success for a write the
 *   server did not commit; the pool replaces lost connections on the next operation, and an
 *   operation that failed on a connection the server had closed is retried once on a new one.
 *
 * Connection URLs may carry a password; every message of this module shows them redacted.
 */
import pg from 'pg';
import { type RangeOptions, type Store, StoreError, type StoreOperation } from './store.js';

/** Settings of a PostgreSQL store. */
export interface PostgresStoreOptions {
  /** The table (created when absent): lowercase letters, digits and `_`. Default `hush_store`. */
  readonly table?: string;
  /** Most rows one range query fetches (chunks grow to this from 64). Default 1024. */
  readonly chunkSize?: number;
  /** Most connections the store opens. Default 10. */
  readonly maxConnections?: number;
  /** Milliseconds to wait for a new connection before failing. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /** Milliseconds one query may take before it fails (and its connection is dropped). Default 30,000. */
  readonly queryTimeoutMs?: number;
  /**
   * Told when an idle connection fails (the server restarted or went away); the store opens a
   * new one on its next operation. Without it such failures are ignored (never thrown).
   */
  readonly onConnectionError?: (error: StoreError) => void;
}

const SCHEMES = /^postgres(?:ql)?:\/\//i;
const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;
/** Node's socket errors that mean the connection, not the query, failed. */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** SQLSTATEs of a server that is shutting down, crashed, or not accepting connections yet. */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03']);

/**
 * `url` with its password (in the user part or a `password=` parameter) replaced by `***`,
 * fit for logs and error messages.
 */
export function redactUrl(url: string): string {
  let shown = url.replace(/([?&]password=)[^&]*/gi, '$1***');
  const start = shown.indexOf('://');
  if (start < 0) return shown;
  const query = shown.indexOf('?', start);
  const at = shown.lastIndexOf('@', query < 0 ? shown.length : query);
  if (at > start) {
    const userinfo = shown.slice(start + 3, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0)
      shown = `${shown.slice(0, start + 3)}${userinfo.slice(0, colon)}:***${shown.slice(at)}`;
  }
  return shown;
}

/** Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return SCHEMES.test(url);
}

/** Whether an error from node-postgres means the connection failed (the server is unreachable). */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_ERRORS.has(code) || SERVER_GONE.has(code))) return true;
  if (typeof code === 'string' && code.startsWith('08')) return true; // connection exception
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable/i.test(
    error.message,
  );
}

/** A query that timed out may still run on the server: failed, not retried. */
const isQueryTimeout = (error: unknown) =>
  error instanceof Error && /Query read timeout/.test(error.message);

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
const keyBytes = (key: string) => Buffer.from(key, 'utf8');

/** An ordered key-value store in one PostgreSQL table. */
export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly where: string;
  private readonly chunkSize: number;
  private closed = false;

  private constructor(pool: pg.Pool, table: string, where: string, chunkSize: number) {
    this.pool = pool;
    this.table = table;
    this.where = where;
    this.chunkSize = chunkSize;
  }

  /**
   * Connects to the database at `url` and creates the table when absent. The node does not
   * wait for an unreachable server: it fails at once, and a supervisor may start it again.
   *
   * @throws StoreError 'invalid-url' if `url` is not a `postgres://` URL or a table name is
   *   not a plain identifier; 'unavailable' if the server cannot be reached; 'failed' if it
   *   refuses the login (wrong password, no such database) or the table cannot be created
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const where = redactUrl(url);
    if (!isPostgresUrl(url))
      throw new StoreError('invalid-url', `${where} is not a postgres:// or postgresql:// URL`);
    const table = options.table ?? 'hush_store';
    if (!TABLE.test(table))
      throw new StoreError(
        'invalid-url',
        `table name ${JSON.stringify(table)} is not a plain identifier`,
      );
    let pool: pg.Pool;
    try {
      pool = new pg.Pool({
        connectionString: url,
        max: options.maxConnections ?? 10,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
        query_timeout: options.queryTimeoutMs ?? 30_000,
        keepAlive: true,
        application_name: 'hush',
      });
    } catch (error) {
      throw new StoreError('invalid-url', `${where}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // An idle connection that fails must not crash the process: the pool drops it.
    pool.on('error', (error) => {
      options.onConnectionError?.(
        new StoreError(
          'unavailable',
          `archive database ${where}: connection lost: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    });
    const store = new PostgresStore(pool, table, where, Math.max(1, options.chunkSize ?? 1024));
    const create = `CREATE TABLE IF NOT EXISTS ${table} (key bytea PRIMARY KEY, value bytea NOT NULL)`;
    try {
      await store.run(() => pool.query(create), 'open');
    } catch (error) {
      // Two nodes creating the table at once: one wins, the other sees a duplicate type.
      const code = ((error as StoreError).cause as { code?: string } | undefined)?.code;
      if (code === '23505' || code === '42P07') {
        await store
          .run(() => pool.query(create), 'open')
          .catch(async (again: unknown) => {
            await pool.end().catch(() => undefined);
            throw again;
          });
        return store;
      }
      await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** Where this store is (its URL without the password). */
  get location(): string {
    return this.where;
  }

  /**
   * Runs `operation`, once more on a new connection if it failed on one the server had
   * closed; rejects with a StoreError naming what failed.
   */
  private async run<T>(operation: () => Promise<T>, what: string): Promise<T> {
    if (this.closed) throw new StoreError('closed', `archive database ${this.where} is closed`);
    try {
      return await operation();
    } catch (first) {
      if (isConnectionError(first) && !isQueryTimeout(first) && !this.closed) {
        try {
          return await operation();
        } catch (second) {
          throw this.failure(second, what);
        }
      }
      throw this.failure(first, what);
    }
  }

  private failure(error: unknown, what: string): StoreError {
    const reason = error instanceof Error ? error.message : String(error);
    if (this.closed) return new StoreError('closed', `archive database ${this.where} is closed`);
    if (isConnectionError(error) || isQueryTimeout(error))
      return new StoreError(
        'unavailable',
        `archive database ${this.where} unavailable (${what}): ${reason}`,
        { cause: error },
      );
    return new StoreError('failed', `archive database ${this.where} refused ${what}: ${reason}`, {
      cause: error,
    });
  }

  /** @throws StoreError when the database is unavailable or refuses the read */
  async get(key: string): Promise<Uint8Array | undefined> {
    const result = await this.run(
      () =>
        this.pool.query<{ value: Buffer }>({
          name: `hush-get-${this.table}`,
          text: `SELECT value FROM ${this.table} WHERE key = $1`,
          values: [keyBytes(key)],
        }),
      'a read',
    );
    const value = result.rows[0]?.value;
    return value === undefined ? undefined : new Uint8Array(value);
  }

  /** @throws StoreError when the write was not committed (it may be retried) */
  async put(key: string, value: Uint8Array): Promise<void> {
    await this.run(
      () =>
        this.pool.query({
          name: `hush-put-${this.table}`,
          text: `INSERT INTO ${this.table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          values: [keyBytes(key), toBuffer(value)],
        }),
      'a write',
    );
  }

  /** @throws StoreError when the delete was not committed */
  async delete(key: string): Promise<void> {
    await this.run(
      () =>
        this.pool.query({
          name: `hush-del-${this.table}`,
          text: `DELETE FROM ${this.table} WHERE key = $1`,
          values: [keyBytes(key)],
        }),
      'a delete',
    );
  }

  /**
   * Applies the operations in one statement: all or none. Operations on the same key count
   * as the last of them, as they would applied in order.
   *
   * @throws StoreError when the batch was not committed (none of it was)
   */
  async batch(operations: readonly StoreOperation[]): Promise<void> {
    const last = new Map<string, StoreOperation>();
    for (const op of operations) {
      last.delete(op.key); // keep insertion order of the final operations
      last.set(op.key, op);
    }
    if (last.size === 0) return;
    const deleted: Buffer[] = [];
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    for (const op of last.values()) {
      if (op.type === 'del') deleted.push(keyBytes(op.key));
      else {
        keys.push(keyBytes(op.key));
        values.push(toBuffer(op.value));
      }
    }
    await this.run(
      () =>
        this.pool.query({
          name: `hush-batch-${this.table}`,
          text: `WITH gone AS (DELETE FROM ${this.table} WHERE key = ANY($1::bytea[]))
            INSERT INTO ${this.table} (key, value)
            SELECT k, v FROM unnest($2::bytea[], $3::bytea[]) AS u(k, v)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          values: [deleted, keys, values],
        }),
      'a batch',
    );
  }

  /**
   * Entries in key order (or reverse) within the range, read in chunks. Each key is seen at
   * most once; writes made while a range is read may or may not be seen (there is no
   * snapshot across chunks).
   *
   * @throws StoreError when the database is unavailable or refuses a chunk's read
   */
  async *range(options: RangeOptions): AsyncIterable<[string, Uint8Array]> {
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    const reverse = options.reverse ?? false;
    const bounds: string[] = [];
    const fixed: Buffer[] = [];
    if (options.gte !== undefined) {
      fixed.push(keyBytes(options.gte));
      bounds.push(`key >= $${fixed.length}`);
    }
    if (options.lt !== undefined) {
      fixed.push(keyBytes(options.lt));
      bounds.push(`key < $${fixed.length}`);
    }
    const order = reverse ? 'DESC' : 'ASC';
    const shape = `${options.gte !== undefined ? 'g' : ''}${options.lt !== undefined ? 'l' : ''}${reverse ? 'r' : ''}`;
    const first = {
      name: `hush-range-${this.table}-${shape}`,
      text: `SELECT key, value FROM ${this.table}${bounds.length ? ` WHERE ${bounds.join(' AND ')}` : ''} ORDER BY key ${order} LIMIT $${fixed.length + 1}`,
    };
    const after = [...bounds, `key ${reverse ? '<' : '>'} $${fixed.length + 1}`];
    const next = {
      name: `hush-range-${this.table}-${shape}-next`,
      text: `SELECT key, value FROM ${this.table} WHERE ${after.join(' AND ')} ORDER BY key ${order} LIMIT $${fixed.length + 2}`,
    };
    let last: Buffer | undefined;
    let chunk = Math.min(64, this.chunkSize);
    while (remaining > 0) {
      const size = Math.min(chunk, remaining);
      const values: unknown[] = last === undefined ? [...fixed, size] : [...fixed, last, size];
      const query = last === undefined ? first : next;
      const { rows } = await this.run(
        () => this.pool.query<{ key: Buffer; value: Buffer }>({ ...query, values }),
        'a range read',
      );
      for (const row of rows) {
        remaining--;
        yield [row.key.toString('utf8'), new Uint8Array(row.value)];
      }
      if (rows.length < size) return;
      last = rows[rows.length - 1]!.key;
      chunk = Math.min(chunk * 2, this.chunkSize);
    }
  }

  /** Closes every connection; operations after this reject with StoreError 'closed'. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
