import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { Link, useRouter } from '../router';
import { ErrorBox, Field, useAction } from '../ui';

/** Without a token: ask for a reset link. With one (the emailed link): choose a new password. */
export function ResetPasswordPage() {
  const { search } = useRouter();
  const token = search.get('token');
  return token ? <ChooseNewPassword token={token} /> : <RequestReset />;
}

function RequestReset() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const request = useAction(async () => {
    setSent((await post<{ message: string }>('/api/v1/auth/password-reset/request', { email })).message);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void request.run();
  };
  return (
    <main className="auth-page" id="main">
      <h1>Reset your password</h1>
      {sent ? (
        <p role="status">{sent}</p>
      ) : (
        <form onSubmit={submit} className="card">
          <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <ErrorBox error={request.error} />
          <button type="submit" disabled={request.busy}>
            Email me a reset link
          </button>
        </form>
      )}
      <p>
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </main>
  );
}

function ChooseNewPassword({ token }: { token: string }) {
  const { navigate } = useRouter();
  const [password, setPassword] = useState('');
  const confirm = useAction(async () => {
    await post('/api/v1/auth/password-reset/confirm', { token, password });
    navigate('/sign-in?reset=1', { replace: true });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void confirm.run();
  };
  return (
    <main className="auth-page" id="main">
      <h1>Choose a new password</h1>
      <form onSubmit={submit} className="card">
        <Field label="New password" type="password" autoComplete="new-password" required minLength={10} hint="At least 10 characters; not a common password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <ErrorBox error={confirm.error} />
        <button type="submit" disabled={confirm.busy}>
          Set password
        </button>
      </form>
    </main>
  );
}
