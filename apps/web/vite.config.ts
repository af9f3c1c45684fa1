/**
 * The web app's build: a plain Vite build for browsers. Workspace packages resolve to their
 * TypeScript sources (`@hush/source`), and a Node built-in on a browser path fails the build
 * rather than being shimmed. The output goes into the node package (`apps/node/web`), which
 * `hush start` serves.
 */
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['@hush/source', ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL('../node/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    manifest: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
  worker: { format: 'es' },
});
