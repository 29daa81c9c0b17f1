// Entry of a worker thread when running the TypeScript sources (tests, benchmarks, `npm run dev`):
// workers start without the main thread's TypeScript loader, so this plain-JS file registers tsx
// before loading the task module. The compiled build (dist/) loads tasks.js directly and has no copy.
import { register } from 'tsx/esm/api';

register();
const tasks = await import('./tasks.ts');
export default tasks.default;
