/**
 * The client runs in browsers: its sources use no Node built-in (no `node:` import, no
 * Buffer, no process) and import only the packages it may depend on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');
const ALLOWED = new Set(['@hush/crypto', '@hush/envelope', '@hush/interface', '@hush/message']);

describe('@hush/client sources', () => {
  it('use no Node built-in and import only their declared siblings', () => {
    const files = readdirSync(src).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      // Code only: comments may name what the code avoids.
      const text = readFileSync(join(src, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(text, file).not.toMatch(/from 'node:|\bBuffer\b|\bprocess\.|require\(/);
      for (const [, name] of text.matchAll(/from '([^'.][^']*)'/g))
        expect(ALLOWED.has(name!), `${file} imports ${name}`).toBe(true);
    }
  });
});
