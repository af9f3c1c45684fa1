#!/usr/bin/env node
/**
 * The repository's entry point for `npm start`, `npm test`, `npm run bench` and the
 * conformance runner. It needs only Node and npm: it fetches the pinned pnpm through npx when
 * pnpm is not the caller, installs the workspace (a no-op when it is up to date), then runs
 * the task from TypeScript sources through the `@hush/source` export condition.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The exact pnpm the lockfile was written with.
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.pnpm;

function run(command, args, env = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpm(args, env) {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return run(process.execPath, [execPath, ...args], env);
  return run('npx', ['--yes', `pnpm@${pnpmVersion}`, ...args], env);
}

function install() {
  const args = ['install', '--prefer-offline'];
  if (process.env.CI) args.push('--frozen-lockfile');
  const status = pnpm(args);
  if (status !== 0) process.exit(status);
}

/** Runs a TypeScript entry point from source. */
function tsx(entry, args) {
  return run(process.execPath, ['--conditions=@hush/source', '--import', 'tsx', entry, ...args]);
}

const [task, ...rest] = process.argv.slice(2);
switch (task) {
  case 'start':
    install();
    process.exit(tsx('packages/envelope/examples/seal-demo.ts', rest));
    break;
  case 'test':
    install();
    process.exit(pnpm(['exec', 'vitest', 'run', ...rest]));
    break;
  case 'bench':
    install();
    process.exit(tsx('scripts/bench.ts', rest));
    break;
  case 'conformance':
    process.exit(tsx('packages/conformance/src/cli.ts', rest));
    break;
  default:
    console.error('usage: node scripts/hush.mjs start|test|bench|conformance [args]');
    process.exit(2);
}
