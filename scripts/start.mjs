#!/usr/bin/env node
// `npm start`: rebuilds dist/ if src/ changed since the last build, then runs the compiled
// platform in this same process (signals reach the server directly; arguments pass through).
import { buildIfStale } from './build.mjs';

if (!buildIfStale()) process.exit(1);
await import('../bin/intentvision.js');
