// Entry of a worker thread: workers start without the main thread's TypeScript loader, so this
// plain-JS file registers tsx before loading the task module.
import { register } from 'tsx/esm/api';

register();
const tasks = await import('./tasks.ts');
export default tasks.default;
