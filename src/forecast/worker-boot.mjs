// Entry of a forecast worker thread: workers start without the main thread's TypeScript loader,
// so this plain-JS file registers tsx before loading the task module.
import { register } from 'tsx/esm/api';

register();
const task = await import('./worker-task.ts');
export default task.default;
