/**
 * ARCHITECTURE.md is kept true: its drawing names every published package, and each
 * package's arrows are exactly the `@hush/*` runtime dependencies of its package.json. Sibling
 * protocol packages never import each other.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

/** Every workspace package under packages/ and apps/, by short name, with its dependencies. */
function workspace(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const group of ['packages', 'apps']) {
    for (const folder of readdirSync(join(root, group))) {
      const file = join(root, group, folder, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const name = group === 'apps' ? `apps/${folder}` : folder;
      out.set(
        name,
        Object.keys(manifest.dependencies ?? {})
          .filter((dep) => dep.startsWith('@hush/'))
          .map((dep) => dep.slice('@hush/'.length))
          .sort(),
      );
    }
  }
  return out;
}

/** The drawing: each package's arrow targets, continuation lines included. */
function drawing(): Map<string, string[]> {
  const text = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const block = /```text\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const out = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of block.split('\n')) {
    const arrow = /^(\S+)(?: \([^)]*\))?\s*─*►\s*(.*)$/.exec(line);
    let targets: string;
    if (arrow) {
      current = arrow[1]!;
      out.set(current, []);
      targets = arrow[2]!;
    } else if (current && /^\s+\S/.test(line)) targets = line;
    else {
      current = undefined;
      continue;
    }
    // Parenthesised notes name outside libraries, not packages.
    const names = targets
      .replace(/\([^)]*\)?/g, '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => /^[a-z][a-z0-9-]*$/.test(name));
    out.get(current)!.push(...names);
  }
  for (const [name, targets] of out) out.set(name, [...new Set(targets)].sort());
  return out;
}

describe('ARCHITECTURE.md', () => {
  it("draws every package, with exactly its package.json's @hush dependencies", () => {
    const actual = workspace();
    const drawn = drawing();
    expect([...drawn.keys()].sort()).toEqual([...actual.keys()].sort());
    for (const [name, dependencies] of actual)
      expect([name, drawn.get(name)]).toEqual([name, dependencies]);
  });

  it('shows no protocol package importing a sibling protocol package', () => {
    const protocols = [
      'transport-gossip',
      'transport-direct',
      'inbox-dht',
      'mixnet-sphinx',
      'mailserver',
    ];
    for (const [name, dependencies] of workspace())
      if (protocols.includes(name))
        expect([name, dependencies.filter((d) => protocols.includes(d))]).toEqual([name, []]);
  });
});
