// A JSON resource kept fresh by polling with ETags: each poll sends the last reply's tag as
// If-None-Match and a 304 (no body) keeps what is shown. Polls pause while the tab is hidden and run
// at once when it shows again. The tag is sent by hand with `cache: 'no-store'`, so the 304 reaches
// this code (with the HTTP cache in between, the browser would turn it into a 200 from its cache).
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export interface Live<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** When the server last confirmed what is shown (a 200 or a 304). */
  checkedAt: number | undefined;
  /** Polls now (after an action, say). */
  reload: () => void;
}

/** One conditional GET: the body and its tag, or 'unchanged' on 304. */
export async function getIfChanged<T>(path: string, etag: string | undefined, orgId: string | undefined, signal: AbortSignal): Promise<{ body: T; etag: string | undefined } | 'unchanged'> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (etag) headers['if-none-match'] = etag;
  if (orgId) headers['x-org-id'] = orgId;
  let res: Response;
  try {
    res = await fetch(path, { headers, credentials: 'same-origin', cache: 'no-store', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'The server could not be reached; showing the last list received');
  }
  if (res.status === 304) return 'unchanged';
  const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string; details?: unknown } } | undefined;
  if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'http_error', json?.error?.message ?? `The server answered ${res.status}`, json?.error?.details);
  return { body: json as T, etag: res.headers.get('etag') ?? undefined };
}

/** `path` polled every `intervalMs` while the document is visible; a new path starts afresh. */
export function useLive<T>(path: string, orgId: string | undefined, intervalMs = 5000, onSignedOut?: () => void): Live<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean; checkedAt: number | undefined }>({ data: undefined, error: undefined, loading: true, checkedAt: undefined });
  const [kick, setKick] = useState(0);
  const etag = useRef<string | undefined>(undefined);
  const signedOut = useRef(onSignedOut);
  signedOut.current = onSignedOut;

  // A new list: forget the old one and its tag.
  useEffect(() => {
    etag.current = undefined;
    setState({ data: undefined, error: undefined, loading: true, checkedAt: undefined });
  }, [path, orgId]);

  useEffect(() => {
    const ctl = new AbortController();
    let timer: number | undefined;
    let running = false;
    const poll = async () => {
      window.clearTimeout(timer);
      if (document.hidden || running) return; // visibilitychange polls again when the tab shows
      running = true;
      try {
        const r = await getIfChanged<T>(path, etag.current, orgId, ctl.signal);
        if (r !== 'unchanged') etag.current = r.etag;
        setState((s) => ({ data: r === 'unchanged' ? s.data : r.body, error: undefined, loading: false, checkedAt: Date.now() }));
      } catch (err) {
        if (ctl.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) signedOut.current?.();
        setState((s) => ({ ...s, error: err, loading: false }));
      } finally {
        running = false;
      }
      if (!ctl.signal.aborted) timer = window.setTimeout(() => void poll(), intervalMs);
    };
    const onVisible = () => {
      if (!document.hidden) void poll();
    };
    document.addEventListener('visibilitychange', onVisible);
    void poll();
    return () => {
      ctl.abort();
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [path, orgId, intervalMs, kick]);

  const reload = useCallback(() => setKick((k) => k + 1), []);
  return { ...state, reload };
}
