/** The CLI: --help and the README agree; configuration precedence; refusing bad settings. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, USAGE } from '../src/cli.js';
import {
  ConfigError,
  DEFAULT_CONFIG,
  printableConfig,
  resolveConfig,
  startNode,
} from '../src/index.js';
import { LOCAL_LISTENERS, localConfig, spawnHush } from './helpers.js';

describe('hush CLI', () => {
  it('documents in its README exactly what --help prints', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(USAGE);
  });

  it('takes flags over HUSH_* over the config file over defaults', () => {
    const file = join(tmpdir(), `hush-config-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ minPow: 0.5, 'max-peers': 3, rpcPort: 9000 }));
    const config = resolveConfig({ config: file, 'rpc-port': '9100' }, { HUSH_MIN_POW: '0.7' });
    expect(config.maxPeers).toBe(3); // file
    expect(config.minPow).toBe(0.7); // environment over file
    expect(config.rpcPort).toBe(9100); // flag over file
    expect(config.wsPort).toBe(DEFAULT_CONFIG.wsPort);
  });

  it('refuses unusable settings, naming them', () => {
    expect(() => resolveConfig({ 'min-pow': 'lots' }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ 'rpc-host': '0.0.0.0' }, {})).toThrow(/rpc-token/);
    expect(
      () => resolveConfig({ 'rpc-host': '0.0.0.0', 'rpc-token': 't' }, {}).rpcHost,
    ).not.toThrow();
    expect(() => resolveConfig({}, { HUSH_LOG_FORMAT: 'xml' })).toThrow(/log-format/);
    expect(() => resolveConfig({ light: true, mailserver: true }, {})).toThrow(
      /light and mailserver/,
    );
    // The mixnet's settings: each needs --mixnet, and each is checked.
    const hex = 'ab'.repeat(32);
    expect(() => resolveConfig({ 'post-via': 'mixnet' }, {})).toThrow(/need --mixnet/);
    expect(() => resolveConfig({ 'mixnet-exit': true }, {})).toThrow(/need --mixnet/);
    expect(() => resolveConfig({ mixnet: 'n.json', 'post-via': 'mixnet' }, {})).toThrow(
      /post-via mixnet needs --mixnet-exit-via/,
    );
    expect(() => resolveConfig({ mixnet: 'n.json', 'post-via': 'tor' }, {})).toThrow(/post-via/);
    expect(() => resolveConfig({ mixnet: 'n.json', 'mixnet-inbox': 'xyz' }, {})).toThrow(
      /mixnet-inbox/,
    );
    expect(() => resolveConfig({ mixnet: 'n.json', 'mixnet-exit-via': hex }, {})).toThrow(
      /mixnet-exit-via/,
    );
    expect(
      resolveConfig(
        { mixnet: 'n.json', 'mixnet-exit-via': `${hex}@${hex}`, 'post-via': 'mixnet' },
        {},
      ).postVia,
    ).toBe('mixnet');
  });

  it('reads a value that starts with a dash as the value of its option', () => {
    const { values } = parse(['--metrics-port', '-1', '--min-pow', '-0.5', '--rpc-port', '9']);
    expect(values['metrics-port']).toBe('-1');
    expect(values['min-pow']).toBe('-0.5');
    expect(
      resolveConfig({ 'metrics-port': values['metrics-port'] as string }, {}).metricsPort,
    ).toBe(-1);
    // A flag after a boolean is still a flag, and unknown options are still refused.
    expect(parse(['--light', '--rpc-port', '1']).values).toMatchObject({ light: true });
    expect(() => parse(['--no-such-flag', '-1'])).toThrow();
  });

  it('runs a node when given options and no command (start is the default)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-cli-'));
    const child = spawnHush([
      '--data-dir',
      dataDir,
      ...LOCAL_LISTENERS,
      '--metrics-port',
      '-1',
      '--log-level',
      'warn',
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => {
          if (out.includes(' running')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
      });
      const rpc = /rpc\s+(http:\/\/\S+)/.exec(out)?.[1];
      expect(rpc).toBeDefined();
      const response = await fetch(`${rpc}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'shh_version' }),
      });
      expect(await response.json()).toMatchObject({ result: '6.0' });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps its data per user by default, and reads a relative --data-dir from the caller', () => {
    expect(resolveConfig({}, {}).dataDir).toBe(join(homedir(), '.hush'));
    expect(resolveConfig({ 'data-dir': 'nodes/a' }, { INIT_CWD: '/srv/caller' }).dataDir).toBe(
      '/srv/caller/nodes/a',
    );
    expect(resolveConfig({ 'data-dir': '/abs/dir' }, { INIT_CWD: '/srv/caller' }).dataDir).toBe(
      '/abs/dir',
    );
    expect(resolveConfig({ 'data-dir': '~/n2' }, {}).dataDir).toBe(join(homedir(), 'n2'));
  });

  it('prints every secret of the configuration as (set)', async () => {
    const config = resolveConfig(
      { 'key-passphrase': 'pass-phrase-1', 'rpc-token': 'token-2', 'mailserver-password': 'pw-3' },
      {},
    );
    const shown = JSON.stringify(printableConfig(config));
    for (const secret of ['pass-phrase-1', 'token-2', 'pw-3']) expect(shown).not.toContain(secret);
    expect(printableConfig(config)).toMatchObject({
      keyPassphrase: '(set)',
      rpcToken: '(set)',
      mailserverPassword: '(set)',
    });
    const cli = spawnHush(['config', 'print', '--key-passphrase', 'pass-phrase-1']);
    let out = '';
    cli.stdout.on('data', (chunk) => {
      out += chunk;
    });
    expect(await new Promise((resolve) => cli.once('exit', resolve))).toBe(0);
    expect(out).toContain('"keyPassphrase": "(set)"');
    expect(out).not.toContain('pass-phrase-1');
  });

  it('takes boolean options as --flag, --no-flag, --flag=false and --flag false', () => {
    const allow = (...argv: string[]) => parse(argv).values['allow-get-private-key'];
    expect(allow('--allow-get-private-key')).toBe(true);
    expect(allow('--no-allow-get-private-key')).toBe(false);
    expect(allow('--allow-get-private-key=false')).toBe(false);
    expect(allow('--allow-get-private-key=true')).toBe(true);
    expect(allow('--allow-get-private-key', 'false')).toBe(false);
    expect(parse(['--light', 'start']).positionals).toEqual(['start']);
    expect(() => parse(['--light=maybe'])).toThrow(/--light takes true or false/);
  });

  it('explains what is wrong before anything listens', async () => {
    expect(() => resolveConfig({ 'metrics-port': '99999' }, {})).toThrow(/metrics-port must be in/);
    expect(() => resolveConfig({ listen: '127.0.0.1:70000' }, {})).toThrow(/listen port/);
    // A data dir already in use by a running node.
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-locked-'));
    const running = await startNode(localConfig(dataDir));
    try {
      await expect(startNode(localConfig(dataDir))).rejects.toMatchObject({
        code: 'locked',
        message: expect.stringMatching(/a node is already running with this data dir/),
      });
    } finally {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('has the published bin say how to build when there is no build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-bin-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(new URL('../bin/hush.mjs', import.meta.url), join(dir, 'bin', 'hush.mjs'));
      const run = spawnSync(process.execPath, [join(dir, 'bin', 'hush.mjs'), '--help'], {
        encoding: 'utf8',
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/no build \(apps\/node\/dist\)\. Build it with `pnpm build`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
