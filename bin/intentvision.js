#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader: no build step between a change and a start.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
