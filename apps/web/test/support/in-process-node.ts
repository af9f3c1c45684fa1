/**
 * An in-process hush node for the web tests that need one without a process of its own: free
 * loopback ports, a fresh data directory (removed by `stop`), no web server (8547 is taken by
 * other tests' nodes and a developer's own) and no direct channels unless asked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type HushNode, startNode } from '@hush/node';

/** A running node and its cleanup. */
export interface InProcessNode {
  readonly node: HushNode;
  stop(): Promise<void>;
}

/** Starts a node with `overrides` on top of the test defaults. */
export async function hushNode(
  overrides: Partial<typeof DEFAULT_CONFIG> = {},
): Promise<InProcessNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hush-web-node-'));
  const node = await startNode({
    ...DEFAULT_CONFIG,
    dataDir,
    listen: '127.0.0.1:0',
    rpcPort: 0,
    wsPort: 0,
    metricsPort: -1,
    webPort: -1,
    direct: false,
    ...overrides,
  });
  return {
    node,
    async stop() {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
