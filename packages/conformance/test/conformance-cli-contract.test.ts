/**
 * The CLI's contract and the reports' safety against a hostile implementation: a run whose
 * output is cut short (`| head`) still ends with the run's exit status and writes its reports;
 * an answer that is not JSON-RPC is a failure of the implementation, not a crash; what a node
 * answers cannot forge a line of the terminal report; `--timeout` is bounded. The node here is
 * a fake on loopback that answers every call with an error, or with no result at all.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCaseLine, runRpcSuite } from '../src/index.js';
import { ROOT } from './hush-start.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hush-conformance-contract-'));
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

/** A fake node on loopback: each JSON-RPC request gets `answer(id)` back. */
async function fakeNode(answer: (id: unknown) => unknown): Promise<string> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      let id: unknown = null;
      try {
        id = (JSON.parse(body) as { id?: unknown }).id ?? null;
      } catch {}
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(answer(id)));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const refusing = (id: unknown) => ({
  jsonrpc: '2.0',
  id,
  error: { code: -32601, message: 'x\nok    forged line\u001b[31m' },
});

describe('hush-conformance’s contract', () => {
  it('a run cut short by its reader still exits with the run’s status and writes its reports', async () => {
    const url = await fakeNode(refusing);
    const junit = join(scratch, 'cut.xml');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--conditions=@hush/source', '--import', 'tsx', cli, 'rpc', url, '--junit', junit],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      // The reader goes away after the first line, as `| head -1` does.
      child.stdout.once('data', () => child.stdout.destroy());
      child.once('exit', resolve);
    });
    expect(code).toBe(1);
    expect(existsSync(junit)).toBe(true);
  }, 120_000);

  it('refuses a --timeout no timer can hold as a usage error', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=@hush/source',
          '--import',
          'tsx',
          cli,
          'rpc',
          'http://127.0.0.1:9',
          '--timeout',
          '3000000000',
        ],
        { cwd: ROOT, stdio: 'ignore' },
      );
      child.once('exit', resolve);
    });
    expect(code).toBe(2);
  }, 60_000);

  it('refuses, as usage errors, options a command does not take and addresses it cannot dial', async () => {
    const usage = (args: readonly string[]) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--conditions=@hush/source', '--import', 'tsx', cli, ...args],
          { cwd: ROOT, stdio: 'ignore' },
        );
        child.once('exit', resolve);
      });
    const key = 'ab'.repeat(32);
    for (const args of [
      ['vectors', 'specs/whisper-v6/vectors', '--junit', 'x.xml'],
      ['rpc', 'http://127.0.0.1:9', '--backend', 'noble'],
      ['peer', 'http://127.0.0.1:9'],
      ['peer', `ws://127.0.0.1:9#${key}`, '--rpc', 'http://127.0.0.1:9'],
      ['mailserver', `ws://127.0.0.1:9#${key}`, '--profile', 'geth-1.8.27'],
    ])
      expect(await usage(args), args.join(' ')).toBe(2);
  }, 120_000);

  it('an answer with neither result nor error fails the case; it is no crash', async () => {
    const url = await fakeNode((id) => ({ jsonrpc: '2.0', id }));
    const results = await runRpcSuite(url, { only: ['shh-rpc/version'] });
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.outcome.status === 'fail')).toBe(true);
  }, 60_000);

  it('an answer under another id (a string for our number) fails the case; it is no crash', async () => {
    const url = await fakeNode((id) => ({ jsonrpc: '2.0', id: String(id), result: '6.0' }));
    const results = await runRpcSuite(url, { only: ['shh-rpc/version'] });
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.outcome.status === 'fail')).toBe(true);
  }, 60_000);

  it('what a node answers cannot forge a line of the terminal report', async () => {
    const url = await fakeNode(refusing);
    const results = await runRpcSuite(url, { only: ['shh-rpc/version'] });
    for (const r of results) {
      const line = formatCaseLine(r);
      const control = [...line].filter((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
      expect(control).toEqual([]);
      expect(line).toContain('forged line');
    }
    // A skip's or crash's reason is the implementation's words too: escaped the same way.
    const crash = formatCaseLine({
      ...results[0]!,
      outcome: { status: 'crashed', why: 'gone\nok    forged\u001b[31m' },
    });
    expect(crash).toContain('gone\\x0aok    forged\\x1b[31m');
  }, 60_000);
});
