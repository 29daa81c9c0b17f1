// Where the browser goes after signing in: a path on this platform only, never another site (an
// open redirect would let a phishing link pass through the platform's sign-in).
import { AppError } from '../../core/errors.js';

const maxLength = 2000;
const probeOrigin = 'http://return-to.invalid';

/**
 * `raw` when it is a relative path on this origin (`/alerts?x=1`); null when absent. Refuses
 * (400) anything a browser could resolve elsewhere: absolute URLs, `//host`, backslashes (browsers
 * read `/\host` as `//host`), control characters and whitespace (URL parsers drop tabs and newlines).
 */
export function safeReturnTo(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  const refuse = (why: string) => new AppError('bad_request', `returnTo must be a path on this platform such as /alerts: ${why}`, { field: 'returnTo' });
  if (raw.length > maxLength) throw refuse(`at most ${maxLength} characters`);
  if (!raw.startsWith('/') || raw.startsWith('//')) throw refuse('it must start with a single /');
  if (/[\\\s\u0000-\u001f\u007f]/.test(raw)) throw refuse('no backslashes, spaces or control characters');
  if (new URL(raw, probeOrigin).origin !== probeOrigin) throw refuse('it leads to another site');
  return raw;
}
