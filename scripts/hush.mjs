#!/usr/bin/env node
/**
 * The repository's entry point for `npm start`, `npm test`, `npm run bench` and the
 * conformance runner. It needs only Node and npm: it fetches the pinned pnpm through npx when
 * pnpm is not the caller, installs the workspace (a no-op when it is up to date), then runs
 * the task from TypeScript sources through the `@hush/source` export condition.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The exact pnpm the lockfile was written with.
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.pnpm;

function run(command, args, env = {}, stdio = 'inherit') {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio,
    env: { ...process.env, ...env },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** The pinned pnpm: the caller's when pnpm runs us, one on PATH of the same version, or npx. */
function pnpmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) {
    // `npm install --global pnpm@12` gives a native executable, which must be run as it is;
    // a pnpm that is a JavaScript file (older releases, npx caches) is run by Node.
    return /\.[cm]?js$/.test(execPath) ? [process.execPath, execPath] : [execPath];
  }
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() === pnpmVersion) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${pnpmVersion}`];
}

function pnpm(args, env, stdio) {
  const [command, ...prefix] = pnpmCommand();
  return run(command, [...prefix, ...args], env, stdio);
}

function install() {
  const args = ['install', '--prefer-offline'];
  if (process.env.CI) args.push('--frozen-lockfile');
  // The install reports on stderr, so that what a command prints (`npm start -- keygen`) is
  // all its stdout says.
  const status = pnpm(args, {}, ['inherit', 2, 'inherit']);
  if (status !== 0) process.exit(status);
}

/** The newest modification time of `path` or of any file under it, 0 when there is none. */
function newestChange(path) {
  let info;
  try {
    info = statSync(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

/**
 * The newest change among the sources the browser app's bundle is made of: its own (src/,
 * index.html, vite.config.ts), every workspace package's src/ (Vite bundles them from
 * source), and the lockfile (a dependency changed).
 */
function newestWebSource(web) {
  const paths = ['src', 'index.html', 'vite.config.ts'].map((path) => join(web, path));
  const packages = join(root, 'packages');
  let names = [];
  try {
    names = readdirSync(packages);
  } catch {
    // No packages/: only the app's own sources count.
  }
  for (const name of names) paths.push(join(packages, name, 'src'));
  paths.push(join(root, 'pnpm-lock.yaml'));
  return Math.max(0, ...paths.map(newestChange));
}

/**
 * Builds the browser app (`@hush/web`) into apps/node/web/, which `hush start` serves on
 * --web-port, when it was never built or a source of its bundle (see newestWebSource)
 * changed since; whatever the command (a second's build once, where telling the CLI's
 * commands apart here would mean parsing its arguments twice). The build reports on stderr,
 * as the install does, so a command's stdout stays its own. A failed build does not stop the
 * node: it starts without the app, whose page then says how to build it.
 */
function buildWeb() {
  const web = join(root, 'apps/web');
  // Without its Vite configuration the app would be built into its own dist/, not for the node.
  if (!existsSync(join(web, 'vite.config.ts'))) return;
  const built = newestChange(join(root, 'apps/node/web/index.html'));
  const sources = newestWebSource(web);
  if (built > 0 && built >= sources) return;
  console.error(
    built > 0 ? 'the browser app changed: building it…' : 'building the browser app (once)…',
  );
  if (pnpm(['--filter', '@hush/web', 'build'], {}, ['inherit', 2, 'inherit']) !== 0)
    console.error(
      'note: the browser app did not build; the node starts without it (pnpm --filter @hush/web build to retry)',
    );
}

/**
 * Browser tests drive Debian's Chromium (Playwright's own browser download cannot work on our
 * machines). Installs it when missing and this process may use apt-get; otherwise the browser
 * tests fail and say how to install it.
 */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) {
    console.error(
      'note: browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)',
    );
    return;
  }
  console.error('installing Debian chromium for the browser tests…');
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (
    run('apt-get', ['update', '-qq'], env) !== 0 ||
    run('apt-get', ['install', '-y', '-qq', 'chromium'], env) !== 0
  ) {
    console.error('note: could not install chromium; the browser tests will fail');
  }
}

/** Runs a TypeScript entry point from source. */
function tsx(entry, args, nodeFlags = []) {
  // INIT_CWD keeps the caller's directory for relative paths, as pnpm sets it for scripts.
  return run(
    process.execPath,
    [...nodeFlags, '--conditions=@hush/source', '--import', 'tsx', entry, ...args],
    {
      INIT_CWD: process.env.INIT_CWD ?? process.cwd(),
    },
  );
}

/**
 * Runs the node from source as a child that outlives nothing: SIGINT, SIGTERM and SIGHUP sent
 * to this process (`kill`, Ctrl-C, npm passing them on) go to the node, which shuts down
 * cleanly; this process then exits with the node's status.
 */
function node(entry, args) {
  const child = spawn(
    process.execPath,
    ['--conditions=@hush/source', '--import', 'tsx', entry, ...args],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) =>
    process.exit(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)),
  );
}

const [task, ...given] = process.argv.slice(2);
// `node scripts/hush.mjs start -- --flag` passes the separator through; npm and pnpm drop it.
const rest = given[0] === '--' ? given.slice(1) : given;
switch (task) {
  case 'start':
    install();
    buildWeb();
    // `start` is the CLI's default command: `npm start -- --data-dir X` runs a node, and so
    // does `npm start -- keygen` run that command.
    node('apps/node/src/main.ts', rest);
    break;
  case 'demo':
    install();
    process.exit(tsx('packages/envelope/examples/seal-demo.ts', rest));
    break;
  case 'test':
    install();
    ensureChromium();
    process.exit(pnpm(['exec', 'vitest', 'run', ...rest]));
    break;
  case 'bench':
    install();
    process.exit(tsx('scripts/bench.ts', rest, ['--expose-gc']));
    break;
  case 'sim': {
    // `pnpm sim gossip …`, `pnpm sim dht …`, `pnpm sim mixnet …`: each simulation has its own CLI.
    const sims = {
      gossip: 'packages/transport-gossip/sim/cli.ts',
      dht: 'packages/inbox-dht/sim/cli.ts',
      mixnet: 'packages/mixnet-sphinx/sim/cli.ts',
    };
    const entry = sims[rest[0]];
    if (!entry) {
      console.error(`usage: pnpm sim ${Object.keys(sims).join('|')} [options]`);
      process.exit(2);
    }
    process.exit(tsx(entry, rest));
    break;
  }
  case 'testnet':
    install();
    process.exit(tsx('apps/node/testnet/cli.ts', rest));
    break;
  case 'conformance':
    process.exit(tsx('packages/conformance/src/cli.ts', rest));
    break;
  default:
    console.error(
      'usage: node scripts/hush.mjs start|demo|test|bench|conformance|sim|testnet [args]',
    );
    process.exit(2);
}
