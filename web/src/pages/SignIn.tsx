import { useState, type FormEvent } from 'react';
import { get, post } from '../api';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import type { Provider } from '../types';
import { ErrorBox, Field, useAction, useLoad } from '../ui';

/** Google/GitHub buttons, only for the providers this platform has configured. */
export function ProviderButtons({ returnTo }: { returnTo: string }) {
  const { data } = useLoad((signal) => get<{ providers: Provider[] }>('/api/v1/auth/providers', signal), []);
  if (!data?.providers.length) return null;
  return (
    <div className="providers">
      {data.providers.map((p) => (
        <a key={p.id} className="button secondary" href={`${p.startUrl}?returnTo=${encodeURIComponent(returnTo)}`}>
          Continue with {p.name}
        </a>
      ))}
      <p className="or">or</p>
    </div>
  );
}

export function SignInPage() {
  const { search, navigate } = useRouter();
  const { refresh } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const returnTo = safeReturn(search.get('returnTo'));
  const signIn = useAction(async () => {
    await post('/api/v1/auth/login', { email, password });
    await refresh();
    navigate(returnTo, { replace: true });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signIn.run();
  };
  return (
    <main className="auth-page" id="main">
      <h1>Sign in to IntentVision</h1>
      {search.get('verified') && <p className="notice" role="status">Your email address is verified. Sign in to continue.</p>}
      {search.get('reset') && <p className="notice" role="status">Your password was changed. Sign in with the new one.</p>}
      <ProviderButtons returnTo={returnTo} />
      <form onSubmit={submit} className="card">
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <ErrorBox error={signIn.error} />
        <button type="submit" disabled={signIn.busy}>
          {signIn.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        <Link to="/reset-password">Forgot your password?</Link> · New here? <Link to="/sign-up">Create an account</Link>
      </p>
    </main>
  );
}

/** Only paths of this site: a link must not send someone elsewhere after signing in. */
export function safeReturn(to: string | null): string {
  return to && to.startsWith('/') && !to.startsWith('//') ? to : '/explore';
}
