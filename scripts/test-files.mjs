// The test files of the tree, shared by scripts/test.mjs (all of them) and scripts/pg-versions.mjs
// (those using the store helpers).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every *.test.ts under `dirs` (relative to `root`, skipping node_modules and dot-folders), sorted, as paths relative to `root`. */
export function findTests(root, dirs) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts')) out.push(relative(root, p));
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return out.sort();
}
