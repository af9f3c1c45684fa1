/**
 * `hush mix` and `hush directory` (specs/mixnet-sphinx/SPEC.md §9–§11): their help is in the
 * README; `mix id` and `directory key` print the keys a network file lists, the same each
 * time; a missing or malformed network file, an identity the network does not list and a bad
 * option (a bad `--workers` among them) are refused with a message and a non-zero status,
 * never a crash.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MIX_USAGE } from '../src/mixnet/cli.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hush-mix-cli-'));
const hush = (...args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@hush/source', '--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A network file whose one mix is `mix` (no authority answers: none is needed here). */
function writeNetwork(file: string, mix: string): void {
  writeFileSync(
    file,
    JSON.stringify({
      epochMs: 60_000,
      sphinx: { hops: 3, userPayloadLength: 2048 },
      parameters: { lambdaP: 1, lambdaL: 1, lambdaD: 1, lambdaM: 1, meanDelayMs: 50 },
      authorities: [{ publicKey: 'cd'.repeat(32), url: 'http://127.0.0.1:1' }],
      threshold: 1,
      layers: [[mix]],
      gateways: ['ef'.repeat(64)],
    }),
  );
}

describe('hush mix and hush directory', () => {
  it('documents in the README exactly what --help prints', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(MIX_USAGE);
    const help = hush('mix', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(`${MIX_USAGE}\n`);
  });

  it('prints the keys a network file lists, the same each time', () => {
    const mix = hush('mix', 'id', '--data-dir', join(dir, 'm'));
    expect(mix.status, mix.stderr).toBe(0);
    expect(mix.stdout).toMatch(/^[0-9a-f]{128}\n$/);
    expect(hush('mix', 'id', '--data-dir', join(dir, 'm')).stdout).toBe(mix.stdout);
    const authority = hush('directory', 'key', '--data-dir', join(dir, 'a'));
    expect(authority.status, authority.stderr).toBe(0);
    expect(authority.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('runs a mix with --workers, and stops it on SIGTERM', async () => {
    const id = hush('mix', 'id', '--data-dir', join(dir, 'w')).stdout.trim();
    const network = join(dir, 'network-workers.json');
    // No authority answers: the mix runs without a document, which is all this needs.
    writeNetwork(network, id);
    const child = spawn(
      process.execPath,
      [
        '--conditions=@hush/source',
        '--import',
        'tsx',
        MAIN,
        'mix',
        '--network',
        network,
        '--data-dir',
        join(dir, 'w'),
        '--listen',
        '127.0.0.1:0',
        '--workers',
        '2',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('links')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect(out).toMatch(/unwrap {3}on 2 worker threads/);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited, err).toBe(0);
  });

  it('refuses a missing or malformed network file, a stranger and bad options', () => {
    const network = join(dir, 'network.json');
    const missing = hush('mix', '--data-dir', join(dir, 'm'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--network <file> is needed/);
    writeFileSync(network, '{"epochMs": 5}');
    const malformed = hush('mix', '--network', network, '--data-dir', join(dir, 'm'));
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/epochMs/);
    const other = 'ab'.repeat(64);
    writeNetwork(network, other);
    const stranger = hush(
      'mix',
      '--network',
      network,
      '--data-dir',
      join(dir, 'm'),
      '--listen',
      '127.0.0.1:0',
    );
    expect(stranger.status).toBe(1);
    expect(stranger.stderr).toMatch(/not a mix or gateway of the network/);
    const notAuthority = hush('directory', '--network', network, '--data-dir', join(dir, 'a'));
    expect(notAuthority.status).toBe(2);
    expect(notAuthority.stderr).toMatch(/is not in/);
    const badListen = hush(
      'mix',
      '--network',
      network,
      '--data-dir',
      join(dir, 'm'),
      '--listen',
      'nowhere',
    );
    expect(badListen.status).toBe(2);
    for (const workers of ['lots', '-1', '257', '1.5']) {
      const badWorkers = hush(
        'mix',
        '--network',
        network,
        '--data-dir',
        join(dir, 'm'),
        '--workers',
        workers,
      );
      expect(badWorkers.status, workers).toBe(2);
      expect(badWorkers.stderr).toMatch(/--workers must be a number of worker threads/);
    }
    expect(hush('mix', '--data-dir', join(dir, 'm'), '--bogus').status).toBe(2);
    expect(hush('mix', 'frobnicate', '--data-dir', join(dir, 'm')).status).toBe(2);
  });
});
