import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { Link } from '../router';
import { ErrorBox, Field, useAction } from '../ui';
import { ProviderButtons } from './SignIn';

export function SignUpPage() {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const register = useAction(async () => {
    const r = await post<{ message: string }>('/api/v1/auth/register', { name, email, password });
    setSent(r.message);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void register.run();
  };
  if (sent) {
    return (
      <main className="auth-page" id="main">
        <h1>Check your email</h1>
        <p role="status">{sent}</p>
        <p>
          We sent the link to <strong>{email}</strong>. <Link to="/sign-in">Back to sign in</Link>
        </p>
      </main>
    );
  }
  return (
    <main className="auth-page" id="main">
      <h1>Create your account</h1>
      <ProviderButtons returnTo="/explore" />
      <form onSubmit={submit} className="card">
        <Field label="Name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          hint="At least 10 characters; not a common password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorBox error={register.error} />
        <button type="submit" disabled={register.busy}>
          {register.busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p>
        Have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </main>
  );
}
