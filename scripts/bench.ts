/**
 * `pnpm bench`: runs every `packages/*\/bench/*.bench.ts` and `apps/*\/bench/*.bench.ts` (each exports `run()`), in order,
 * printing each figure with its reference and ratio. Pass names to run only matching files.
 */
import { readdirSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const only = process.argv.slice(2);
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
console.log(
  'Reference figures: go-ethereum v1.8.27 on one pinned core of this machine kind (medians of 3).',
);
for (const file of files) {
  console.log(`\n== ${file.slice(root.length + 1)}`);
  const mod = (await import(pathToFileURL(file).href)) as { run: () => Promise<void> };
  await mod.run();
}
