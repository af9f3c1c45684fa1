/**
 * A local testnet of real `hush` processes on loopback for the DHT inbox (issue 14, item 6;
 * specs/inbox-dht/SPEC.md §2.4 joining): each node from source in its own data directory
 * under one temporary directory, on free ports, all holding inboxes (`--inbox`); the first
 * starts alone and is the DHT bootstrap (and gossip peer) of the others, which start in
 * parallel. `startTestnet` resolves once every node runs; `waitForDht` once every node has
 * joined and knows the others. `stop` ends them all with SIGTERM (the node's clean shutdown)
 * and removes the directory. `pnpm testnet dht` (cli.ts) and the tests use it.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHush, TestnetError } from './process.js';

/** How a testnet is made. */
export interface TestnetOptions {
  /** Nodes (default 20). */
  readonly nodes?: number;
  /** Flags every node gets besides those of the testnet. */
  readonly extraArgs?: readonly string[];
  /** Longest wait for one node to print its addresses, ms (default 180 s). */
  readonly startTimeoutMs?: number;
  /** Told each line a node prints on standard output. */
  readonly onOutput?: (index: number, line: string) => void;
}

/** One running node of the testnet. */
export interface TestnetNode {
  readonly index: number;
  readonly dataDir: string;
  /** Its standard error (the JSON log). */
  readonly logFile: string;
  /** The node id (65-byte public key, hex). */
  readonly id: string;
  /** Its gossip address (`ws://…#<noise key>`). */
  readonly gossip: string;
  /** Its DHT address (`<peer id>@ws://…`). */
  readonly dht: string;
  /** JSON-RPC over HTTP and WebSocket. */
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly process: ChildProcess;
  /** Whether it still runs. */
  readonly running: boolean;
  /**
   * Stops it (SIGTERM, SIGKILL after 20 s); resolves when it exited.
   *
   * @returns its exit code, or the signal that ended it
   */
  stop(): Promise<number | string>;
}

/** A running testnet. */
export interface Testnet {
  readonly dir: string;
  readonly nodes: readonly TestnetNode[];
  /** Stops every node still running and removes the directory. */
  stop(): Promise<void>;
}

export { TestnetError };

/**
 * One JSON-RPC call over HTTP.
 *
 * @returns the result
 * @throws TestnetError with the error's message and code, or the HTTP status; what fetch
 *   throws when nothing answers
 */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  if (!response.ok) throw new TestnetError(`${method}: HTTP ${response.status}`);
  const answer = (await response.json()) as {
    result?: unknown;
    error?: { code: number; message: string };
  };
  if (answer.error)
    throw new TestnetError(`${method}: ${answer.error.message} (${answer.error.code})`);
  return answer.result;
}

/** Starts one node; resolves once it printed its addresses. */
async function startNode(
  index: number,
  dir: string,
  args: readonly string[],
  options: TestnetOptions,
): Promise<TestnetNode> {
  const dataDir = join(dir, `node-${String(index).padStart(2, '0')}`);
  const found: Record<string, string> = {};
  const { process: node, value } = await spawnHush(
    `node ${index}`,
    [
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
      '--dht-port',
      '0',
      '--inbox',
      '--no-direct',
      '--log-format',
      'json',
      ...args,
    ],
    `${dataDir}.log`,
    (line) => {
      const match =
        /^hush node ([0-9a-f]+) running/.exec(line) ?? /^ {2}(gossip|dht|rpc|ws) +(\S+)/.exec(line);
      if (!match) return undefined;
      if (line.startsWith('hush node')) found.id = match[1]!;
      else found[match[1]!] = match[2]!;
      if (!found.ws) return undefined;
      if (!found.dht || !found.rpc || !found.gossip || !found.id)
        throw new Error('it started without a DHT');
      return { ...found };
    },
    {
      ...(options.startTimeoutMs !== undefined ? { timeoutMs: options.startTimeoutMs } : {}),
      ...(options.onOutput ? { onOutput: (line: string) => options.onOutput!(index, line) } : {}),
    },
  );
  return {
    index,
    dataDir,
    logFile: node.logFile,
    id: value.id!,
    gossip: value.gossip!,
    dht: value.dht!,
    rpcUrl: value.rpc!,
    wsUrl: value.ws!,
    process: node.process,
    get running() {
      return node.running;
    },
    stop: () => node.stop(),
  };
}

/**
 * Starts `nodes` hush processes: the first alone, then the others in parallel with the first
 * as their DHT bootstrap and gossip peer. A node that fails to start stops every other.
 *
 * @throws TestnetError naming the node that did not start and its log
 */
export async function startTestnet(options: TestnetOptions = {}): Promise<Testnet> {
  const count = options.nodes ?? 20;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`nodes must be a positive integer, not ${count}`);
  const dir = mkdtempSync(join(tmpdir(), 'hush-testnet-'));
  const extra = options.extraArgs ?? [];
  const nodes: TestnetNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const first = await startNode(0, dir, extra, options);
    nodes.push(first);
    const started = await Promise.allSettled(
      Array.from({ length: count - 1 }, (_, i) =>
        startNode(
          i + 1,
          dir,
          ['--dht-bootstrap', first.dht, '--bootstrap', first.gossip, ...extra],
          options,
        ),
      ),
    );
    for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (error) {
    await stop();
    throw error;
  }
  nodes.sort((a, b) => a.index - b.index);
  return { dir, nodes, stop };
}

/** What `hush_inboxInfo` says of a node's place in the DHT. */
interface DhtInfo {
  readonly joined: boolean;
  readonly contacts: number;
}

/**
 * Waits until every running node has joined the DHT and knows at least `minContacts` others
 * (default: all the others).
 *
 * @throws TestnetError after `timeoutMs` (default 180 s), naming the nodes still short
 */
export async function waitForDht(
  testnet: Testnet,
  options: { minContacts?: number; timeoutMs?: number } = {},
): Promise<void> {
  const running = testnet.nodes.filter((n) => n.running);
  const want = options.minContacts ?? running.length - 1;
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let short: string[] = [];
  while (Date.now() < deadline) {
    const infos = await Promise.all(
      running.map((node) =>
        (rpc(node.rpcUrl, 'hush_inboxInfo') as Promise<DhtInfo>).catch(() => undefined),
      ),
    );
    short = infos.flatMap((info, i) =>
      info?.joined && info.contacts >= want
        ? []
        : [`node ${running[i]!.index} (${info ? `${info.contacts} contacts` : 'no answer'})`],
    );
    if (short.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new TestnetError(`the DHT did not form: ${short.join(', ')} short of ${want} contacts`);
}
