// The signed-in frame: skip link, navigation, organisation switcher, the account and sign-out.
import { useId, useState, type ReactNode } from 'react';
import { post } from './api';
import { Link, useRouter } from './router';
import { useSession } from './session';
import { ErrorBox, useAction } from './ui';

export function Shell({ children }: { children: ReactNode }) {
  const { me, org, switchOrg, refresh } = useSession();
  const { navigate } = useRouter();
  const orgSelect = useId();
  const signOut = useAction(async () => {
    await post('/api/v1/auth/logout');
    await refresh();
    navigate('/sign-in', { replace: true });
  });
  const switching = useAction(async (id: string) => switchOrg(id));
  const [resent, setResent] = useState<string | null>(null);
  const resend = useAction(async () => {
    const r = await post<{ to: string }>('/api/v1/auth/verify-email/resend');
    setResent(r.to);
  });
  if (!me) return null;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/explore" className="brand">
          IntentVision
        </Link>
        <nav aria-label="Main">
          <Link to="/explore">Explore</Link>
          <Link to="/anomalies">Anomalies</Link>
          <Link to="/alerts">Alerts</Link>
          <Link to="/alert-rules">Rules</Link>
          <Link to="/silences">Silences</Link>
          <Link to="/channels">Channels</Link>
          <Link to="/forecast-schedules">Schedules</Link>
          <Link to="/detection-schedules">Detection</Link>
          <Link to="/sources">Sources</Link>
          <Link to="/dead-letters">Dead letters</Link>
          <Link to="/settings/members">Members</Link>
          <Link to="/settings/keys">API keys</Link>
        </nav>
        <div className="account">
          {me.memberships.length > 0 && (
            <span className="org-switch">
              <label htmlFor={orgSelect}>Organisation</label>
              <select id={orgSelect} value={org?.orgId ?? ''} onChange={(e) => void switching.run(e.target.value)} disabled={switching.busy}>
                {me.memberships.map((m) => (
                  <option key={m.orgId} value={m.orgId}>
                    {m.name} ({m.role})
                  </option>
                ))}
              </select>
            </span>
          )}
          <Link to="/orgs/new">New organisation</Link>
          <Link to="/settings/account" className="who" title={`${me.user.email}: your account`}>
            {me.user.name}
          </Link>
          <button type="button" className="secondary" onClick={() => void signOut.run()} disabled={signOut.busy}>
            Sign out
          </button>
        </div>
      </header>
      <ErrorBox error={switching.error ?? signOut.error} />
      {!me.user.emailVerified && (
        <p className="notice" role="status">
          Verify your email address to work in organisations: follow the link we sent to {me.user.email}.{' '}
          {resent ? (
            <>We sent a new link to {resent}.</>
          ) : (
            <button type="button" className="link" disabled={resend.busy} onClick={() => void resend.run()}>
              Send another link
            </button>
          )}
        </p>
      )}
      <ErrorBox error={resend.error} />
      {children}
    </>
  );
}
