/**
 * `pnpm bench`: runs every `packages/*\/bench/*.bench.ts` and `apps/*\/bench/*.bench.ts` (each exports `run()`), in order,
 * printing each figure with geth's figure for the same work and the ratio. Pass names to run
 * only matching files.
 *
 *   --geth PATH   a tools/geth-reference binary: geth's figures are measured in this run,
 *                 alternating with Hush's, on one pinned core (taskset where present)
 *   --core N      that core (default: the last one this process may use)
 *   --record      with --geth: write this run's geth medians to tools/geth-reference/recorded.json
 *
 * Without --geth, geth's figures are the recorded ones, printed with their date and machine.
 */
import { readdirSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  recordedFile,
  recordedHeader,
  recordGethFigures,
  useGeth,
} from '../tools/bench-support/src/index.ts';

const root = join(import.meta.dirname, '..');
const only: string[] = [];
let gethPath: string | undefined;
let core: number | undefined;
let record = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s) : [arg];
  const value = () => {
    const v = inline ?? args[++i];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  if (flag === '--geth') gethPath = resolve(process.env.INIT_CWD ?? process.cwd(), value());
  else if (flag === '--core') core = Number(value());
  else if (flag === '--record') record = true;
  else if (arg.startsWith('--'))
    throw new Error(`unknown option ${arg} (--geth PATH, --core N, --record)`);
  else only.push(arg);
}
if (record && !gethPath) throw new Error('--record needs --geth PATH');
if (core !== undefined && !Number.isInteger(core)) throw new Error('--core takes a core number');
const files = ['packages', 'apps']
  .flatMap((kind) => readdirSync(join(root, kind)).map((name) => join(root, kind, name)))
  .flatMap((dir) => {
    try {
      return readdirSync(join(dir, 'bench'))
        .filter((f) => f.endsWith('.bench.ts'))
        .map((f) => join(dir, 'bench', f));
    } catch {
      return [];
    }
  })
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)));

console.log(
  `Hush benchmarks: Node ${process.version}, ${platform()}/${arch()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
console.log(gethPath ? useGeth(gethPath, core) : recordedHeader());
const failed: string[] = [];
for (const file of files) {
  const name = file.slice(root.length + 1);
  console.log(`\n== ${name}`);
  try {
    const mod = (await import(pathToFileURL(file).href)) as { run: () => Promise<void> };
    await mod.run();
  } catch (error) {
    // One broken bench does not lose the others' figures (or a recording).
    console.error(`  ${name} failed:`, error);
    failed.push(name);
  }
}
if (record) {
  const written = recordGethFigures();
  console.log(
    `\nRecorded ${written.length} geth figures in ${recordedFile.slice(root.length + 1)}: ${written.join(', ')}`,
  );
}
if (failed.length > 0) {
  console.error(`\n${failed.length} bench file(s) failed: ${failed.join(', ')}`);
  process.exit(1);
}
