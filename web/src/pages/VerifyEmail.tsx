import { useEffect, useRef, useState } from 'react';
import { post } from '../api';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import { ErrorBox, Loading } from '../ui';

/** The link in the verification email lands here: the token is sent once, then sign in (or go on). */
export function VerifyEmailPage() {
  const { search, navigate } = useRouter();
  const { me, refresh } = useSession();
  const token = search.get('token');
  const [state, setState] = useState<{ done: boolean; error?: unknown }>({ done: false });
  const sent = useRef(false);
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true; // single-use token: StrictMode's second effect run must not spend it again
    post('/api/v1/auth/verify-email', { token }).then(
      async () => {
        setState({ done: true });
        const m = await refresh();
        navigate(m ? '/explore' : '/sign-in?verified=1', { replace: true });
      },
      (error: unknown) => setState({ done: true, error }),
    );
  }, [token, refresh, navigate]);
  return (
    <main className="auth-page" id="main">
      <h1>Verify your email address</h1>
      {!token && <ErrorBox error="This link has no token: open the whole link from the email." />}
      {token && !state.done && <Loading what="Verifying" />}
      <ErrorBox error={state.error} />
      {state.error !== undefined && <p>{me ? <Link to="/explore">Go to the dashboard</Link> : <Link to="/sign-in">Sign in</Link>} to ask for a new link.</p>}
    </main>
  );
}
