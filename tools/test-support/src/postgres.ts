/**
 * A throwaway PostgreSQL server for tests and benchmarks. It finds PostgreSQL's programs
 * (HUSH_PG_BIN, Debian's /usr/lib/postgresql/<version>/bin, or PATH), installing Debian's
 * `postgresql` package with apt-get when they are absent and this process is root; creates a
 * cluster with initdb in a temporary folder (as the unprivileged `postgres` user when run as
 * root, since initdb refuses root); starts it with pg_ctl on 127.0.0.1 and a free port, its
 * Unix socket in the same folder; and stops it and removes the folder when asked, or when
 * the process exits.
 *
 * The cluster's user `hush` logs in over TCP with a random password (scram-sha-256), so URLs
 * carry a password as an operator's would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** PostgreSQL cannot be found or started here; the message says how to fix it. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

/** A running throwaway PostgreSQL server. */
export interface PostgresServer {
  /** postgres://hush:<password>@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** PostgreSQL's version, e.g. `15.18`. */
  readonly version: string;
  /** The password of the `hush` login (in every URL this server hands out). */
  readonly password: string;
  /**
   * Creates an empty database and resolves to its URL.
   *
   * @throws Error if psql fails (the server is down)
   */
  createDatabase(): Promise<string>;
  /** Runs one SQL command through psql in `database` and resolves to its output (unaligned). */
  sql(database: string, command: string): Promise<string>;
  /** Kills the server as a crash would (`pg_ctl stop -m immediate`): connections are cut. */
  crash(): Promise<void>;
  /**
   * Starts the server again on the same port.
   *
   * @throws PostgresUnavailableError if it does not start
   */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Settings of a throwaway server. */
export interface PostgresServerOptions {
  /** Keep fsync on (benchmarks). Default off: a test's data need not survive a power cut. */
  readonly durable?: boolean;
  /** Install Debian's postgresql when it is absent (default true; benchmarks say false). */
  readonly install?: boolean;
}

interface Run {
  readonly code: number;
  readonly output: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error) => resolve({ code: -1, output: `${output}${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

const HOW_TO_INSTALL =
  'the PostgreSQL tests need initdb and pg_ctl: install them (Debian: apt-get install postgresql) or set HUSH_PG_BIN to the folder holding them';

/** The folder holding initdb, pg_ctl, postgres and psql, if any. */
export function findPostgresBin(): string | undefined {
  const has = (dir: string) =>
    ['initdb', 'pg_ctl', 'postgres', 'psql'].every((name) => existsSync(join(dir, name)));
  const given = process.env.HUSH_PG_BIN;
  if (given) return has(given) ? given : undefined;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = join(debian, version, 'bin');
      if (has(dir)) return dir;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && has(dir)) return dir;
  return undefined;
}

let installing: Promise<string> | undefined;

/**
 * PostgreSQL's bin folder, installing Debian's `postgresql` first when it is absent and this
 * process is root with apt-get (one install at a time across processes, under flock).
 *
 * @throws PostgresUnavailableError if it is absent and cannot be installed
 */
export function ensurePostgres(): Promise<string> {
  const found = findPostgresBin();
  if (found) return Promise.resolve(found);
  installing ??= (async () => {
    const root = process.getuid?.() === 0;
    const apt = spawnSync('apt-get', ['--version']).status === 0;
    if (!root || !apt || process.env.HUSH_PG_BIN)
      throw new PostgresUnavailableError(HOW_TO_INSTALL);
    const script =
      'ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql; }';
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const flock = spawnSync('flock', ['--version']).status === 0;
    const result = flock
      ? await run('flock', ['/tmp/hush-postgresql-install.lock', 'sh', '-c', script], { env })
      : await run('sh', ['-c', script], { env });
    const bin = findPostgresBin();
    if (!bin)
      throw new PostgresUnavailableError(
        `${HOW_TO_INSTALL} (apt-get install postgresql failed: ${result.output.trim().slice(-500)})`,
      );
    return bin;
  })();
  return installing;
}

/** A TCP port free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** How to run PostgreSQL's programs: directly, or as `postgres` when this process is root. */
function asServerUser(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0 || !Number.isInteger(gid))
    throw new PostgresUnavailableError(
      'initdb refuses to run as root and there is no `postgres` user to run it as (Debian’s postgresql package creates one)',
    );
  if (spawnSync('runuser', ['--help']).status === 0)
    return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
  return {
    prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'],
    uid,
    gid,
  };
}

const live = new Set<{ bin: string; data: string; folder: string; prefix: string[] }>();
let exitHook = false;

/**
 * Creates and starts a throwaway cluster.
 *
 * @throws PostgresUnavailableError if PostgreSQL is absent and cannot (or may not) be
 *   installed, or the cluster does not start
 */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const found = options.install === false ? findPostgresBin() : await ensurePostgres();
  if (!found) throw new PostgresUnavailableError(HOW_TO_INSTALL);
  const bin = found;
  const version =
    /PostgreSQL\)\s+(\S+)/.exec((await run(join(bin, 'postgres'), ['--version'])).output)?.[1] ??
    'unknown';
  const user = asServerUser();
  const folder = mkdtempSync(join(tmpdir(), 'hush-pg-'));
  if (user.uid !== undefined && user.gid !== undefined) chownSync(folder, user.uid, user.gid);
  const data = join(folder, 'data');
  const log = join(folder, 'server.log');
  const password = randomBytes(12).toString('hex');
  const pwfile = join(folder, 'password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined && user.gid !== undefined) chownSync(pwfile, user.uid, user.gid);
  const as = (program: string, args: string[]) =>
    user.prefix.length > 0
      ? run(user.prefix[0]!, [...user.prefix.slice(1), join(bin, program), ...args], {
          cwd: folder,
        })
      : run(join(bin, program), args, { cwd: folder });
  const entry = { bin, data, folder, prefix: user.prefix };
  const fail = (message: string): never => {
    rmSync(folder, { recursive: true, force: true });
    throw new PostgresUnavailableError(message);
  };
  const init = await as('initdb', [
    '-D',
    data,
    '-U',
    'hush',
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  if (init.code !== 0) fail(`initdb failed: ${init.output.trim().slice(-1000)}`);
  rmSync(pwfile, { force: true });
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      '',
      '# hush test cluster',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${folder}'`,
      `fsync = ${options.durable ? 'on' : 'off'}`,
      `full_page_writes = ${options.durable ? 'on' : 'off'}`,
      'max_connections = 200',
      '',
    ].join('\n'),
  );
  let port = 0;
  const startServer = async () => {
    const started = await as('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
    if (started.code !== 0) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-1500) : '';
      return `pg_ctl start failed: ${started.output.trim()} ${tail}`;
    }
    return undefined;
  };
  let problem: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    appendFileSync(join(data, 'postgresql.conf'), `port = ${port}\n`);
    problem = await startServer();
    if (!problem) break;
  }
  if (problem) fail(problem);
  live.add(entry);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const cluster of live) {
        const [command, ...args] = [...cluster.prefix, join(cluster.bin, 'pg_ctl')];
        spawnSync(command!, [...args, '-D', cluster.data, '-m', 'immediate', 'stop'], {
          cwd: cluster.folder,
          stdio: 'ignore',
        });
        rmSync(cluster.folder, { recursive: true, force: true });
      }
    });
  }
  const url = (database: string) => `postgres://hush:${password}@127.0.0.1:${port}/${database}`;
  let databases = 0;
  const server: PostgresServer = {
    url: url('postgres'),
    port,
    version,
    password,
    async sql(database, command) {
      const result = await run(
        join(bin, 'psql'),
        ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url(database), '-c', command],
        {},
      );
      if (result.code !== 0) throw new Error(`psql: ${result.output.trim()}`);
      return result.output.trim();
    },
    async createDatabase() {
      const name = `hush_${process.pid}_${++databases}`;
      await server.sql('postgres', `CREATE DATABASE ${name}`);
      return url(name);
    },
    async crash() {
      const stopped = await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      if (stopped.code !== 0) throw new Error(`pg_ctl stop failed: ${stopped.output.trim()}`);
    },
    async start() {
      const failure = await startServer();
      if (failure) throw new PostgresUnavailableError(failure);
    },
    async stop() {
      if (!live.delete(entry)) return;
      await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      rmSync(folder, { recursive: true, force: true });
    },
  };
  return server;
}

let shared: Promise<PostgresServer> | undefined;

/**
 * One server for the calling test file (process), started on first use; stop it with
 * {@link stopSharedPostgres} in `afterAll`.
 *
 * @throws PostgresUnavailableError as {@link startPostgres}
 */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= startPostgres();
  return shared;
}

/** Stops the shared server if one was started. */
export async function stopSharedPostgres(): Promise<void> {
  const started = shared;
  shared = undefined;
  if (!started) return;
  await (await started.catch(() => undefined))?.stop();
}
