import { defineConfig } from 'vitest/config';
import { CountReporter } from './scripts/count-reporter.ts';

/**
 * One Vitest run over every workspace package. Packages resolve each other to source through
 * the `@hush/source` export condition, so no test waits for a build.
 */
export default defineConfig({
  resolve: { conditions: ['@hush/source'] },
  ssr: { resolve: { conditions: ['@hush/source'] } },
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default', new CountReporter()],
  },
});
