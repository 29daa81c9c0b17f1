#!/usr/bin/env node
// Runs the compiled platform (dist/, built by `npm run build`; `npm install` and `npm start` build it).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('IntentVision is not built yet: run `npm run build` (or start it with `npm start`, which builds first).\n');
  process.exit(1);
}
await import(main.href);
