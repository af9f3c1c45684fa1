/** The CLI: --help and the README agree; configuration precedence; refusing bad settings. */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/cli.js';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../src/index.js';

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
  });
});
