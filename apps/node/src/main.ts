/** Entry point of `hush` when run from source (the published bin runs the built CLI). */
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`hush: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
