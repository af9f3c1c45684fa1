/**
 * The web app's bundle budget (issue 15): builds apps/web with Vite's `build()` as it ships
 * (its vite.config.ts, workspace packages from source through `@hush/source`, browser
 * conditions) into a temporary folder, and prints the gzip size (level 9, each file on its
 * own, as a server sends it) of each entry's first screen, with the budget beside it, and of
 * what loads later.
 *
 * The first screen of an entry is its JavaScript chunk and every chunk it imports statically,
 * transitively (the manifest's `imports`); dynamic imports (`await import('./panel.js')`) and
 * the chunks only they reach are not on it. Budget: ≤ 150 KiB gzip.
 *
 * It fails (a thrown error: `pnpm bench` then names this file and exits non-zero) when a
 * first screen is over budget, or when any output carries a Node built-in or a known polyfill
 * of one: an import of `node:*` or of a built-in's bare name, or a module from `buffer/`,
 * `process/browser`, `vite-plugin-node-polyfills` or Vite's `__vite-browser-external` stub.
 * The page must run on the browser's own APIs; a shim would hide a Node path that breaks.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { section } from '@hush/bench-support';
import { build, defaultClientConditions, type Manifest } from 'vite';

/** apps/web. */
const appRoot = join(import.meta.dirname, '..');
/** The first screen's budget, bytes of gzip. */
const FIRST_SCREEN_BUDGET = 150 * 1024;

const KiB = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** One figure line: name, value, and what it is compared with (as the other benches print). */
function figure(name: string, value: string, reference: string): void {
  console.log(`  ${name.padEnd(58)} ${value.padStart(16)}  [${reference}]`);
}

/** Module ids that are a polyfill or stub of a Node built-in, whatever imported them. */
const POLYFILL_MODULES: readonly [RegExp, string][] = [
  [/^node:/, 'a node: built-in'],
  [/__vite-browser-external/, "Vite's __vite-browser-external stub of a Node built-in"],
  [/vite-plugin-node-polyfills/, 'vite-plugin-node-polyfills'],
  [/[\\/]node_modules[\\/]buffer[\\/]/, 'the buffer/ polyfill'],
  [/process[\\/]browser/, 'the process/browser polyfill'],
];

/** Markers that are never legitimate in the page's code, even as text. */
const POLYFILL_TEXT = ['__vite-browser-external', 'vite-plugin-node-polyfills', 'process/browser'];

const BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/**
 * Import specifiers of a built file: static imports and re-exports (`from"x"`, `import"x"`)
 * and dynamic ones (`import("x")`), minified or not.
 */
function specifiers(code: string): string[] {
  const found: string[] = [];
  for (const match of code.matchAll(/\b(?:from|import)\s*\(?\s*(["'`])([^"'`\s]+)\1/g))
    found.push(match[2]!);
  return found;
}

/** What is wrong with one output file's code, as sentences. */
function problemsOfCode(file: string, code: string): string[] {
  const problems: string[] = [];
  for (const specifier of specifiers(code)) {
    const bare = specifier.replace(/^node:/, '').split('/')[0]!;
    if (specifier.startsWith('node:') || (BUILTINS.has(bare) && !specifier.startsWith('.')))
      problems.push(`${file} imports the Node built-in "${specifier}"`);
    else if (/^buffer\/|^process\/browser/.test(specifier))
      problems.push(`${file} imports the polyfill "${specifier}"`);
  }
  for (const marker of POLYFILL_TEXT)
    if (code.includes(marker)) problems.push(`${file} contains "${marker}"`);
  return problems;
}

/** `root` as the repository names it (apps/web), or as given when outside it. */
function where(root: string): string {
  const inRepo = relative(join(appRoot, '..', '..'), root)
    .split('\\')
    .join('/');
  return inRepo.startsWith('..') || inRepo === '' ? root : inRepo;
}

/** Every file under `dir`, relative to it, with forward slashes. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

interface OutputChunkLike {
  readonly type: 'chunk' | 'asset';
  readonly fileName: string;
  readonly moduleIds?: readonly string[];
  readonly modules?: Readonly<Record<string, unknown>>;
}

/** The chunks of a build result, whether one output or several. */
function chunksOf(result: unknown): OutputChunkLike[] {
  const outputs = Array.isArray(result) ? result : [result];
  return outputs.flatMap((o) =>
    o && typeof o === 'object' && 'output' in o ? (o.output as OutputChunkLike[]) : [],
  );
}

/**
 * Builds the app and prints its sizes (what `pnpm bench` runs).
 *
 * @throws Error when a first screen is over budget, or an output carries a Node built-in or a
 *   polyfill (after printing every figure and every problem found)
 */
export function run(): Promise<void> {
  return checkBundle(appRoot);
}

/**
 * Builds the Vite app in `root` (its index.html, and its vite.config.ts when there is one) and
 * prints its sizes; {@link run} does it for apps/web.
 *
 * @throws Error when `root` has no index.html, when a first screen is over budget, or an
 *   output carries a Node built-in or a polyfill (after printing every figure and problem)
 */
export async function checkBundle(root: string): Promise<void> {
  if (!existsSync(join(root, 'index.html')))
    throw new Error(`${join(root, 'index.html')} is missing: there is no app to build`);
  const outDir = mkdtempSync(join(tmpdir(), 'hush-web-bundle-'));
  const configFile = join(root, 'vite.config.ts');
  try {
    const started = performance.now();
    const result = await build({
      root,
      configFile: existsSync(configFile) ? configFile : false,
      logLevel: 'warn',
      resolve: { conditions: ['@hush/source', ...defaultClientConditions] },
      build: {
        outDir,
        emptyOutDir: true,
        write: true,
        manifest: true,
        // Maps are fetched by developer tools only; they are no part of what a visitor loads.
        sourcemap: false,
        // The budget below is the limit that counts; Vite's own warning would only repeat it.
        chunkSizeWarningLimit: Number.MAX_SAFE_INTEGER,
      },
    });
    const buildSeconds = (performance.now() - started) / 1000;
    const manifest = JSON.parse(
      readFileSync(join(outDir, '.vite', 'manifest.json'), 'utf8'),
    ) as Manifest;

    const gzip = new Map<string, { raw: number; gzip: number }>();
    const sizeOf = (file: string) => {
      let size = gzip.get(file);
      if (!size) {
        const bytes = readFileSync(join(outDir, file));
        size = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
        gzip.set(file, size);
      }
      return size;
    };
    const sum = (files: Iterable<string>) => {
      let raw = 0;
      let zipped = 0;
      for (const file of files) {
        const size = sizeOf(file);
        raw += size.raw;
        zipped += size.gzip;
      }
      return { raw, gzip: zipped };
    };
    /** The manifest keys an entry reaches through static imports, itself included. */
    const staticClosure = (key: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(key)) return seen;
      seen.add(key);
      for (const imported of manifest[key]?.imports ?? []) staticClosure(imported, seen);
      return seen;
    };

    section(
      `Bundle of ${where(root)} (vite build, ${buildSeconds.toFixed(1)} s; gzip -9 per file; first screen = entry JS + its static imports)`,
    );
    const problems: string[] = [];
    const firstScreenFiles = new Set<string>();
    const entries = Object.entries(manifest).filter(([, chunk]) => chunk.isEntry);
    if (entries.length === 0) problems.push('the manifest names no entry');
    for (const [key, entry] of entries) {
      const closure = [...staticClosure(key)].map((k) => manifest[k]!);
      const js = closure.map((c) => c.file).filter((f) => /\.m?js$/.test(f));
      const css = [...new Set(closure.flatMap((c) => c.css ?? []))];
      const assets = [...new Set(closure.flatMap((c) => c.assets ?? []))];
      for (const f of [...js, ...css, ...assets]) firstScreenFiles.add(f);
      const own = sizeOf(entry.file);
      const screen = sum(js);
      const within = screen.gzip <= FIRST_SCREEN_BUDGET;
      console.log(`  entry ${key} → ${entry.file}`);
      figure(
        '  entry chunk alone, gzip',
        KiB(own.gzip),
        `${KiB(own.raw)} minified; no budget of its own`,
      );
      figure(
        `  first screen JS (${js.length} chunk${js.length === 1 ? '' : 's'}), gzip`,
        KiB(screen.gzip),
        `budget ≤ ${KiB(FIRST_SCREEN_BUDGET)} gzip: ${((100 * screen.gzip) / FIRST_SCREEN_BUDGET).toFixed(0)}% used${within ? '' : ', OVER BUDGET'}; ${KiB(screen.raw)} minified`,
      );
      if (css.length > 0)
        figure(
          '  first screen CSS, gzip',
          KiB(sum(css).gzip),
          `no budget; ${css.length} file${css.length === 1 ? '' : 's'}`,
        );
      if (assets.length > 0)
        figure(
          '  first screen assets (wasm, images…), gzip',
          KiB(sum(assets).gzip),
          `no budget; ${assets.join(', ')}`,
        );
      if (!within)
        problems.push(
          `first screen of ${key} is ${KiB(screen.gzip)} gzip, over its budget of ${KiB(FIRST_SCREEN_BUDGET)}`,
        );
    }

    // What loads later: each dynamic entry with the chunks only it brings, and workers.
    const lazy = Object.entries(manifest).filter(([, chunk]) => chunk.isDynamicEntry);
    for (const [key] of lazy) {
      const closure = [...staticClosure(key)].map((k) => manifest[k]!);
      const files = [
        ...new Set(closure.flatMap((c) => [c.file, ...(c.css ?? []), ...(c.assets ?? [])])),
      ].filter((f) => !firstScreenFiles.has(f));
      figure(
        `lazy ${key}, gzip`,
        KiB(sum(files).gzip),
        `not on the first screen; ${files.length} file${files.length === 1 ? '' : 's'} beyond it`,
      );
    }
    const all = filesUnder(outDir).filter((f) => !f.startsWith('.vite/'));
    const listed = new Set(Object.values(manifest).map((c) => c.file));
    const others = all.filter(
      (f) => /\.m?js$/.test(f) && !listed.has(f) && !firstScreenFiles.has(f),
    );
    if (others.length > 0)
      figure(
        'workers and other scripts, gzip',
        KiB(sum(others).gzip),
        `not on the first screen; ${others.join(', ')}`,
      );
    const everything = sum(all.filter((f) => f !== 'index.html'));
    figure('everything built (excluding index.html), gzip', KiB(everything.gzip), 'no budget');

    // Node built-ins and polyfills: by the modules that went in, and by the code that came out
    // (workers are bundled apart, so only their code can be read).
    for (const chunk of chunksOf(result)) {
      if (chunk.type !== 'chunk') continue;
      const ids = chunk.moduleIds ?? Object.keys(chunk.modules ?? {});
      for (const id of ids)
        for (const [pattern, what] of POLYFILL_MODULES)
          if (pattern.test(id))
            problems.push(`${chunk.fileName} bundles ${what} (${id.replace(/\0/g, '')})`);
    }
    for (const file of all)
      if (['.js', '.mjs'].includes(extname(file)))
        problems.push(...problemsOfCode(file, readFileSync(join(outDir, file), 'utf8')));

    if (problems.length > 0) {
      for (const problem of problems) console.error(`  ERROR: ${problem}`);
      throw new Error(
        `bundle check failed: ${problems.length} problem${problems.length === 1 ? '' : 's'} (above)`,
      );
    }
    console.log('  no Node built-in or polyfill in any output chunk');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
