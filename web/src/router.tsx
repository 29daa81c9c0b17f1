// A tiny history router: the location is state (path + query), links push entries, and pages read
// and write their query parameters so a URL reproduces a view.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

interface Loc {
  path: string;
  search: URLSearchParams;
}

interface RouterValue extends Loc {
  navigate(to: string, opts?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterValue | null>(null);

const current = (): Loc => ({ path: window.location.pathname, search: new URLSearchParams(window.location.search) });

export function Router({ children }: { children: ReactNode }) {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const onPop = () => setLoc(current());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, opts: { replace?: boolean } = {}) => {
    const target = new URL(to, window.location.href);
    const here = window.location;
    if (target.pathname + target.search === here.pathname + here.search) return;
    if (opts.replace) window.history.replaceState(null, '', target.pathname + target.search);
    else window.history.pushState(null, '', target.pathname + target.search);
    setLoc(current());
  }, []);
  const value = useMemo(() => ({ ...loc, navigate }), [loc, navigate]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  const r = useContext(RouterContext);
  if (!r) throw new Error('useRouter outside <Router>');
  return r;
}

/** The query parameters of the page, and a setter that replaces the URL (no history entry per keystroke). */
export function useQueryState(): [URLSearchParams, (patch: Record<string, string | null>, opts?: { push?: boolean }) => void] {
  const { search, path, navigate } = useRouter();
  const set = useCallback(
    (patch: Record<string, string | null>, opts: { push?: boolean } = {}) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      const q = next.toString();
      navigate(`${path}${q ? `?${q}` : ''}`, { replace: !opts.push });
    },
    [path, navigate],
  );
  return [search, set];
}

/** An anchor that navigates without a reload (modifier clicks still open a new tab). */
export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { navigate, path } = useRouter();
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  const active = path === to.split('?')[0];
  return (
    <a href={to} onClick={onClick} aria-current={active ? 'page' : undefined} {...rest}>
      {children}
    </a>
  );
}
