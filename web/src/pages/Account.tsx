// Settings → account: name, password, signed-in devices (sign one out), linked Google/GitHub accounts.
import { useState, type FormEvent } from 'react';
import { api, del, get, post } from '../api';
import { useRouter } from '../router';
import { useSession } from '../session';
import type { Me, Provider } from '../types';
import { DataTable, ErrorBox, Field, Loading, formatTime, useAction, useLoad } from '../ui';

interface Session {
  id: string;
  userAgent: string | null;
  address: string | null;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

export function AccountPage() {
  return (
    <main id="main" className="page narrow-wide">
      <h1>Your account</h1>
      <Profile />
      <Password />
      <Sessions />
      <Providers />
    </main>
  );
}

function Profile() {
  const { me, refresh } = useSession();
  const [name, setName] = useState(me?.user.name ?? '');
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    setSaved(false);
    await api<Me>('PATCH', '/api/v1/me', { name });
    await refresh();
    setSaved(true);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  if (!me) return null;
  return (
    <form className="card" onSubmit={submit} aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <p>
        {me.user.email} · {me.user.emailVerified ? 'verified' : 'not verified yet'}
      </p>
      <Field label="Your name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      <ErrorBox error={save.error} />
      <button type="submit" disabled={save.busy}>
        Save
      </button>
      {saved && (
        <span role="status" className="muted">
          {' '}
          Saved.
        </span>
      )}
    </form>
  );
}

function Password() {
  const { me } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const change = useAction(async () => {
    setDone(false);
    await post('/api/v1/auth/password', { ...(me?.user.hasPassword ? { currentPassword: current } : {}), newPassword: next });
    setCurrent('');
    setNext('');
    setDone(true);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void change.run();
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="password-heading">
      <h2 id="password-heading">{me?.user.hasPassword ? 'Change password' : 'Set a password'}</h2>
      {me?.user.hasPassword && <Field label="Current password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />}
      <Field label="New password" type="password" autoComplete="new-password" required minLength={10} hint="At least 10 characters; your other sessions are signed out" value={next} onChange={(e) => setNext(e.target.value)} />
      <ErrorBox error={change.error} />
      <button type="submit" disabled={change.busy}>
        {me?.user.hasPassword ? 'Change password' : 'Set password'}
      </button>
      {done && (
        <span role="status" className="muted">
          {' '}
          Password changed; other sessions were signed out.
        </span>
      )}
    </form>
  );
}

function Sessions() {
  const { refresh } = useSession();
  const { navigate } = useRouter();
  const list = useLoad((signal) => get<{ sessions: Session[] }>('/api/v1/auth/sessions', signal), []);
  const end = useAction(async (s: Session) => {
    await del(`/api/v1/auth/sessions/${s.id}`);
    if (s.current) {
      await refresh();
      navigate('/sign-in', { replace: true });
      return;
    }
    list.reload();
  });
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Where you are signed in</h2>
      {list.loading && !list.data && <Loading what="Loading sessions" />}
      <ErrorBox error={list.error ?? end.error} onRetry={list.error ? list.reload : undefined} />
      {list.data && (
        <DataTable
          label="Sessions"
          rows={list.data.sessions}
          rowKey={(s) => s.id}
          empty="No sessions."
          columns={[
            {
              header: 'Device',
              cell: (s) => (
                <>
                  {browserName(s.userAgent)}
                  {s.current && <strong> (this one)</strong>}
                </>
              ),
            },
            { header: 'Address', cell: (s) => s.address ?? '–' },
            { header: 'Signed in', cell: (s) => formatTime(s.createdAt) },
            { header: 'Last seen', cell: (s) => formatTime(s.lastSeenAt) },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (s) => (
                <button type="button" className="secondary" disabled={end.busy} onClick={() => void end.run(s)}>
                  Sign out{s.current ? '' : ' there'}
                  <span className="visually-hidden"> ({browserName(s.userAgent)}, {formatTime(s.createdAt)})</span>
                </button>
              ),
            },
          ]}
        />
      )}
    </section>
  );
}

/** A short name for a User-Agent ("Chrome on Linux"); the whole string when not recognised. */
function browserName(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : undefined;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : undefined;
  return browser ? `${browser}${os ? ` on ${os}` : ''}` : ua.slice(0, 60);
}

function Providers() {
  const { me, refresh } = useSession();
  const configured = useLoad((signal) => get<{ providers: Provider[] }>('/api/v1/auth/providers', signal), []);
  const unlink = useAction(async (provider: string) => {
    await del(`/api/v1/auth/identities/${provider}`);
    await refresh();
  });
  if (!me) return null;
  const providers = configured.data?.providers ?? [];
  const linked = new Map(me.identities.map((i) => [i.provider, i]));
  return (
    <section className="card" aria-labelledby="providers-heading">
      <h2 id="providers-heading">Google and GitHub</h2>
      {configured.loading && <Loading />}
      <ErrorBox error={configured.error ?? unlink.error} />
      {configured.data && providers.length === 0 && me.identities.length === 0 && <p className="muted">This platform offers no sign-in through Google or GitHub.</p>}
      <ul className="plain">
        {providers.map((p) => {
          const l = linked.get(p.id);
          return (
            <li key={p.id} className="provider-row">
              <strong>{p.name}</strong>{' '}
              {l ? (
                <>
                  linked{l.email ? ` (${l.email})` : ''} {formatTime(l.linkedAt)}{' '}
                  <button type="button" className="secondary" disabled={unlink.busy} onClick={() => void unlink.run(p.id)}>
                    Unlink {p.name}
                  </button>
                </>
              ) : (
                <a className="button secondary" href={`${p.startUrl}?returnTo=${encodeURIComponent('/settings/account')}`}>
                  Link {p.name}
                </a>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
