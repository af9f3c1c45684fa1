#!/usr/bin/env node
// The published `hush` command: runs the built CLI.
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`hush: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
