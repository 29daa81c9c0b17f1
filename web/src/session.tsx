// Who is signed in (GET /api/v1/me), the organisation acted in and the role there.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { get, onSessionEnded, put, setOrg, ApiError } from './api';
import type { Me, Membership, Role } from './types';

interface SessionValue {
  /** undefined while loading, null when signed out. */
  me: Me | null | undefined;
  error: unknown;
  refresh(): Promise<Me | null>;
  org: Membership | undefined;
  switchOrg(orgId: string): Promise<void>;
  /** At least this role in the current organisation. */
  can(min: Role): boolean;
}

const SessionContext = createContext<SessionValue | null>(null);
const order: Role[] = ['viewer', 'member', 'admin', 'owner'];

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();

  const refresh = useCallback(async () => {
    try {
      setOrg(null); // ask without a header: the session's own choice comes back as currentOrgId
      const m = await get<Me>('/api/v1/me');
      setOrg(m.currentOrgId);
      setMe(m);
      setError(undefined);
      return m;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setMe(null);
        return null;
      }
      setError(err);
      setMe((old) => old ?? null);
      return null;
    }
  }, []);

  useEffect(() => {
    onSessionEnded(() => void refresh());
    void refresh();
  }, [refresh]);

  const switchOrg = useCallback(async (orgId: string) => {
    setOrg(orgId);
    const m = await put<Me>('/api/v1/me/current-org', { orgId });
    setMe(m);
  }, []);

  const org = me?.memberships.find((m) => m.orgId === me.currentOrgId);
  const can = useCallback((min: Role) => !!org && order.indexOf(org.role) >= order.indexOf(min), [org]);

  return <SessionContext.Provider value={{ me, error, refresh, org, switchOrg, can }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside <SessionProvider>');
  return s;
}
