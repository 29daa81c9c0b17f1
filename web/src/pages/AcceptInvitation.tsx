import { post } from '../api';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import type { Membership } from '../types';
import { ErrorBox, useAction } from '../ui';

/** The invitation link: a signed-in person (with the invited, verified address) joins with one click. */
export function AcceptInvitationPage() {
  const { search, path, navigate } = useRouter();
  const { me, refresh, switchOrg } = useSession();
  const token = search.get('token');
  const accept = useAction(async () => {
    const m = await post<Membership>('/api/v1/invitations/accept', { token });
    await refresh();
    await switchOrg(m.orgId);
    navigate('/explore');
  });
  const here = `${path}?${search.toString()}`;
  return (
    <main className="auth-page" id="main">
      <h1>Join an organisation</h1>
      {!token && <ErrorBox error="This link has no token: open the whole link from the email." />}
      {token && !me && (
        <p>
          <Link to={`/sign-in?returnTo=${encodeURIComponent(here)}`}>Sign in</Link> or <Link to="/sign-up">create an account</Link> with the invited address, then open the link again.
        </p>
      )}
      {token && me && (
        <div className="card">
          <p>
            Signed in as <strong>{me.user.email}</strong>.
          </p>
          <ErrorBox error={accept.error} />
          <button type="button" onClick={() => void accept.run()} disabled={accept.busy}>
            Accept the invitation
          </button>
        </div>
      )}
    </main>
  );
}
