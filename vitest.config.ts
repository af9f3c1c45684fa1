import { existsSync, readdirSync } from 'node:fs';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { CountReporter } from './scripts/count-reporter.ts';

/** Every workspace folder with tests becomes a project that inherits this configuration. */
const projects = ['packages', 'apps', 'tools'].flatMap((group) =>
  existsSync(group)
    ? readdirSync(group)
        .filter((name) => existsSync(`${group}/${name}/test`))
        .map((name) => ({
          extends: true as const,
          test: { name: `${group}/${name}`, root: `${group}/${name}` },
        }))
    : [],
);

/**
 * One Vitest run over every workspace package. Packages resolve each other to source through
 * the `@hush/source` export condition, so no test waits for a build.
 */
export default defineConfig({
  resolve: { conditions: ['@hush/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@hush/source', ...defaultServerConditions] } },
  test: {
    projects,
    // Generous: CI machines have two cores; tests wait for events, never for a deadline.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', new CountReporter()],
  },
});
