// The dashboard's API client: same-origin fetch with the session cookie, the CSRF header on every
// state-changing request (from the readable iv_csrf cookie), the organisation acted in (X-Org-Id),
// and the API's JSON errors thrown as ApiError with the server's message.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let currentOrg: string | null = null;
let onSignedOut: (() => void) | undefined;

/** Called when a request finds the session gone (expired, signed out elsewhere): the app shows sign-in. */
export function onSessionEnded(fn: () => void): void {
  onSignedOut = fn;
}

/** The organisation later requests act in (the switcher sets it). */
export function setOrg(orgId: string | null): void {
  currentOrg = orgId;
}

function cookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** A field-by-field validation error reads better as "field: message" lines. */
function messageOf(body: { error?: { message?: string; details?: unknown } }, status: number): string {
  const e = body.error;
  if (!e?.message) return `The server answered ${status}`;
  if (Array.isArray(e.details) && e.details.length && e.details.every((d) => d && typeof d === 'object' && 'field' in d)) {
    return `${e.message}: ${(e.details as { field: string; message: string }[]).map((d) => `${d.field.replace(/^body\./, '')} ${d.message}`).join('; ')}`;
  }
  return e.message;
}

export async function api<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = cookie('iv_csrf');
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  if (currentOrg) headers['x-org-id'] = currentOrg;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'The server could not be reached; check your connection and try again');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const b = (json ?? {}) as { error?: { code?: string; message?: string; details?: unknown } };
    if (b.error?.code === 'session_expired' && !path.startsWith('/api/v1/me')) onSignedOut?.();
    throw new ApiError(res.status, b.error?.code ?? 'http_error', messageOf(b, res.status), b.error?.details);
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, { signal });
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body ?? {});
export const patch = <T>(path: string, body?: unknown) => api<T>('PATCH', path, body ?? {});
export const del = <T>(path: string) => api<T>('DELETE', path);

/** A query string from the defined entries. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
