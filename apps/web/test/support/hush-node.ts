/**
 * The web tests' node: the web app built as `hush start` serves it, and a real `hush` process
 * (from source, every listener on a free loopback port, a mailserver, the DHT) whose printed
 * addresses the tests read. Stopped with SIGTERM, then SIGKILL if it does not exit.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const WEB_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_MAIN = fileURLToPath(new URL('../../../node/src/main.ts', import.meta.url));

/** Builds the app into apps/node/web, exactly as `pnpm --filter @hush/web build` does. */
export async function buildWebApp(): Promise<void> {
  await build({ configFile: join(WEB_ROOT, 'vite.config.ts'), logLevel: 'error' });
}

/** A running `hush` process and its addresses. */
export interface HushProcess {
  readonly web: string;
  readonly rpc: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `hush` with the given extra flags.
 *
 * @throws Error with the process output if it exits or prints no web address within 60 s
 */
export async function startHush(extra: readonly string[] = []): Promise<HushProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hush-web-node-'));
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      '--conditions=@hush/source',
      '--import',
      'tsx',
      NODE_MAIN,
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--rpc-port',
      '0',
      '--ws-port',
      '0',
      '--web-port',
      '0',
      '--metrics-port',
      '-1',
      '--mailserver',
      ...extra,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const addresses = await new Promise<{ web: string; rpc: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hush printed no web address:\n${output}`)),
      60_000,
    );
    const check = () => {
      const web = /^\s*web\s+(http:\/\/\S+)/m.exec(output)?.[1];
      const rpc = /^\s*rpc\s+(http:\/\/\S+)/m.exec(output)?.[1];
      if (web && rpc) {
        clearTimeout(timer);
        resolve({ web, rpc });
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hush exited with ${code}:\n${output}`));
    });
  });
  return {
    ...addresses,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One JSON-RPC call to the node (the test's, never the page's). */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
