/**
 * One `hush` process of a testnet, from source: its standard error to a log file, its
 * standard output read line by line until it has printed what the caller waits for (its
 * addresses), then stopped with SIGTERM (the clean shutdown), SIGKILL after 20 s. Both
 * testnets (the DHT's, testnet.ts, and the mixnet's, mixnet.ts) start their processes so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** A testnet that could not start or form; the message names the node and its log. */
/** A port free now (for a listener whose address must be known before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * One series' value in a process's Prometheus text at `${metricsUrl}/metrics` (0 when absent).
 *
 * @throws what fetch throws when nothing answers
 */
export async function scrapeMetric(metricsUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

export class TestnetError extends Error {
  override readonly name = 'TestnetError';
}

/** A started process. */
export interface HushProcess {
  readonly process: ChildProcess;
  readonly logFile: string;
  readonly running: boolean;
  /**
   * Stops it (SIGTERM, SIGKILL after 20 s); resolves when it exited.
   *
   * @returns its exit code, or the signal that ended it
   */
  stop(): Promise<number | string>;
}

/**
 * Starts `hush <args>`; resolves once `started` has seen enough of its output (it returns a
 * value), with that value.
 *
 * @throws TestnetError when it exits first, or prints nothing that satisfies `started` in
 *   `timeoutMs`; the message names `name` and the log
 */
export function spawnHush<T>(
  name: string,
  args: readonly string[],
  logFile: string,
  started: (line: string) => T | undefined,
  options: { timeoutMs?: number; onOutput?: (line: string) => void } = {},
): Promise<{ process: HushProcess; value: T }> {
  const log = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    ['--conditions=@hush/source', '--import', 'tsx', MAIN, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', log],
      env: { ...process.env, INIT_CWD: ROOT },
    },
  );
  closeSync(log);
  let running = true;
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const handle: HushProcess = {
    process: child,
    logFile,
    get running() {
      return running;
    },
    async stop() {
      if (!running) return exited;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const status = await exited;
      clearTimeout(kill);
      return status;
    },
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TestnetError(`${name} printed no addresses in time (log: ${logFile})`));
    }, options.timeoutMs ?? 180_000);
    void exited.then((status) => {
      clearTimeout(timer);
      if (!done) reject(new TestnetError(`${name} exited (${status}) at start (log: ${logFile})`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      options.onOutput?.(line);
      if (done) return;
      let value: T | undefined;
      try {
        value = started(line);
      } catch (error) {
        done = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new TestnetError(`${name}: ${(error as Error).message} (log: ${logFile})`));
        return;
      }
      if (value === undefined) return;
      done = true;
      clearTimeout(timer);
      resolve({ process: handle, value });
    });
  });
}
