/**
 * A real `hush start` for the conformance tests: spawned from the sources on loopback ports
 * with no DHT or direct links, its printed WebSocket RPC URL and Noise peer address read from
 * its output (bounded wait), and stopped with SIGTERM (SIGKILL after 20 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface HushNode {
  /** The WebSocket RPC URL (`ws://…`). */
  readonly rpcUrl: string;
  /** The HTTP RPC URL (`http://…`). */
  readonly httpUrl: string;
  readonly peerAddress: string;
  /** Its RLPx enode URL (the node listens on RLPx too). */
  readonly enode: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `hush start --data-dir dataDir …extra` and resolves once it prints its addresses. */
export async function startHush(
  dataDir: string,
  extra: readonly string[] = [],
  timeoutMs = 90_000,
): Promise<HushNode> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@hush/source',
      '--import',
      'tsx',
      join(ROOT, 'apps/node/src/main.ts'),
      'start',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--rpc-port',
      '0',
      '--ws-port',
      '0',
      '--metrics-port',
      '-1',
      '--web-port',
      '-1',
      '--no-dht',
      '--no-direct',
      '--rlpx',
      '127.0.0.1:0',
      ...extra,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(kill);
  };
  let out = '';
  // Read, or the node blocks on a full pipe once it has logged 64 KiB.
  child.stderr!.resume();
  try {
    const [rpcUrl, httpUrl, peerAddress, enode] = await new Promise<
      [string, string, string, string]
    >((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`hush did not start in ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        const ws = /^\s*ws\s+(ws:\/\/\S+)/m.exec(out)?.[1];
        const http = /^\s*rpc\s+(http:\/\/\S+)/m.exec(out)?.[1];
        const gossip = /^\s*gossip\s+(ws:\/\/\S+#[0-9a-f]{64})/m.exec(out)?.[1];
        const rlpx = /^\s*rlpx\s+(enode:\/\/[0-9a-f]{128}@\S+)/m.exec(out)?.[1];
        if (ws && http && gossip && rlpx) {
          clearTimeout(timer);
          resolve([ws, http, gossip, rlpx]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hush exited (${code}) at start:\n${out}`));
      });
    });
    return { rpcUrl, httpUrl, peerAddress, enode, child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
