/** Starts a node on free loopback ports with a fresh data directory. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, type HushNode, type NodeConfig, startNode } from '../src/index.js';

/**
 * A configuration on `dataDir` with every listener on a free loopback port, metrics and the
 * browser app off.
 */
export function localConfig(dataDir: string, overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    ...DEFAULT_CONFIG,
    dataDir,
    listen: '127.0.0.1:0',
    rpcPort: 0,
    wsPort: 0,
    metricsPort: -1,
    webPort: -1,
    ...overrides,
  };
}

/** A node on a fresh data directory (removed by `stop`), metrics on a free port. */
export async function testNode(
  overrides: Partial<NodeConfig> = {},
): Promise<HushNode & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hush-node-'));
  const node = await startNode(localConfig(dataDir, { metricsPort: 0, ...overrides }));
  return {
    ...node,
    dataDir,
    async stop() {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One JSON-RPC call over HTTP. */
export async function call(
  url: string,
  method: string,
  params: unknown[] = [],
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  if (!response.ok) return { status: response.status, text: await response.text() };
  return (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
}

export async function eventually(
  condition: () => boolean | Promise<boolean>,
  ms = 20_000,
  what: string | (() => string) = 'condition',
) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A raw HTTP POST, for headers fetch will not send (Host). */
export function rawPost(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: '/',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Flags that put every listener of a `hush` process on a free loopback port. */
export const LOCAL_LISTENERS = [
  '--listen',
  '127.0.0.1:0',
  '--rpc-port',
  '0',
  '--ws-port',
  '0',
  '--web-port',
  '0',
];

/** Runs `hush <args>` from source as a child process, its output piped. */
export function spawnHush(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcessWithoutNullStreams {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  return spawn(process.execPath, ['--conditions=@hush/source', '--import', 'tsx', main, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
}
