#!/usr/bin/env node
// The published `hush` command: runs the built CLI (dist/). In a checkout that was never
// built, it says how to build it or to run from source instead of failing on a missing file.
let main;
try {
  ({ main } = await import('../dist/cli.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist'))
    throw error;
  process.stderr.write(
    'hush: this checkout has no build (apps/node/dist). Build it with `pnpm build`, or run the node from source with `npm start -- <options>` at the repository root.\n',
  );
  process.exit(1);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`hush: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
