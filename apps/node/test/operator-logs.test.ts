/**
 * What a first-time operator sees: malformed peer addresses refused at start, failed dials
 * logged with their reason, peers connecting and leaving logged, `hush status` explaining a
 * token it lacks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@hush/interface';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { resolveConfig, startNode } from '../src/index.js';
import { eventually, localConfig, testNode } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A logger that keeps every line. */
function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { logger, lines };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('what an operator sees', () => {
  it('refuses a bootstrap entry that is not a peer address, naming it', () => {
    for (const bad of [
      '127.0.0.1:30303',
      'http://127.0.0.1:30303',
      'enode://abc@127.0.0.1:30303',
      'nonsense',
    ])
      expect(() => resolveConfig({ bootstrap: bad }, {})).toThrow(
        new RegExp(`bootstrap: "${bad.replace(/[.:/]/g, '\\$&')}" is not a peer address`),
      );
    expect(
      resolveConfig({ bootstrap: 'ws://127.0.0.1:30303,wss://peer.example:443' }, {}).bootstrap,
    ).toHaveLength(2);
  });

  it('logs failed dials with their reason, and peers connecting and leaving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-logs-'));
    dirs.push(dataDir);
    const unreachable = `ws://127.0.0.1:${await closedPort()}`;
    const { logger, lines } = recordingLogger();
    const server = await testNode();
    const node = await startNode(
      localConfig(dataDir, { bootstrap: [unreachable, server.gossip.addresses[0]!] }),
      logger,
    );
    try {
      await eventually(
        () => lines.some((l) => l.message === 'dial failed'),
        20_000,
        'a dial failure',
      );
      const failed = lines.find((l) => l.message === 'dial failed')!;
      expect(failed.level).toBe('warn');
      expect(failed.fields).toMatchObject({ address: unreachable, reason: expect.any(String) });
      await eventually(() => lines.some((l) => l.message === 'peer connected'), 20_000, 'a peer');
      expect(lines.find((l) => l.message === 'peer connected')).toMatchObject({
        level: 'info',
        fields: { peer: server.id, outbound: true },
      });
      await server.stop();
      await eventually(
        () => lines.some((l) => l.message === 'peer disconnected'),
        20_000,
        'a leave',
      );
      expect(lines.find((l) => l.message === 'peer disconnected')?.fields).toMatchObject({
        peer: server.id,
      });
    } finally {
      await node.stop();
      await server.stop().catch(() => {});
    }
  });

  it('has hush status say that the node wants a token', async () => {
    const guarded = await testNode({ rpcToken: 's3cret' });
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const port = new URL(guarded.rpc.httpUrl).port;
      expect(await main(['status', '--rpc-port', port])).toBe(1);
    } finally {
      process.stderr.write = write;
      await guarded.stop();
    }
    expect(errors.join('')).toMatch(/the node wants a token: pass --rpc-token/);
  });
});
