// Which page a path shows, and the guards: signed-out people get the public pages, signed-in
// people without an organisation are asked to create one.
import { lazy, Suspense, useEffect, type ComponentType } from 'react';
import { useRouter } from './router';
import { useSession } from './session';
import { Shell } from './Shell';
import { ErrorBox, Loading } from './ui';
import { AcceptInvitationPage } from './pages/AcceptInvitation';
import { AccountPage } from './pages/Account';
import { AlertsPage } from './pages/Alerts';
import { AnomaliesPage } from './pages/Anomalies';
import { ChannelsPage } from './pages/Channels';
import { RulesPage } from './pages/Rules';
import { SilencesPage } from './pages/Silences';
import { ApiKeysPage } from './pages/ApiKeys';
import { CreateOrgPage } from './pages/CreateOrg';
import { DeadLettersPage } from './pages/DeadLetters';
import { DetectionSchedulesPage } from './pages/DetectionSchedules';
import { MembersPage } from './pages/Members';
import { ResetPasswordPage } from './pages/ResetPassword';
import { SchedulesPage } from './pages/Schedules';
import { SourcesPage } from './pages/Sources';
import { SignInPage } from './pages/SignIn';
import { SignUpPage } from './pages/SignUp';
import { VerifyEmailPage } from './pages/VerifyEmail';

// Explore carries uPlot: loaded when first opened, so the sign-in page loads without it.
const ExplorePage = lazy(() => import('./pages/Explore').then((m) => ({ default: m.ExplorePage })));
// The rule editor previews on the same chart: loaded when first opened too.
const RuleEditorPage = lazy(() => import('./pages/RuleEditor').then((m) => ({ default: m.RuleEditorPage })));

const publicPages: Record<string, ComponentType> = {
  '/sign-in': SignInPage,
  '/sign-up': SignUpPage,
  '/verify-email': VerifyEmailPage,
  '/reset-password': ResetPasswordPage,
  '/invitations/accept': AcceptInvitationPage,
};

const orgPages: Record<string, ComponentType> = {
  '/explore': ExplorePage,
  '/anomalies': AnomaliesPage,
  '/alerts': AlertsPage,
  '/alert-rules': RulesPage,
  '/alert-rules/edit': RuleEditorPage,
  '/channels': ChannelsPage,
  '/silences': SilencesPage,
  '/forecast-schedules': SchedulesPage,
  '/detection-schedules': DetectionSchedulesPage,
  '/dead-letters': DeadLettersPage,
  '/sources': SourcesPage,
  '/settings/keys': ApiKeysPage,
  '/settings/members': MembersPage,
};

const titles: Record<string, string> = {
  '/sign-in': 'Sign in',
  '/sign-up': 'Sign up',
  '/verify-email': 'Verify email',
  '/reset-password': 'Reset password',
  '/invitations/accept': 'Invitation',
  '/explore': 'Explore',
  '/anomalies': 'Anomalies',
  '/alerts': 'Alerts',
  '/alert-rules': 'Alert rules',
  '/alert-rules/edit': 'Alert rule',
  '/channels': 'Channels',
  '/silences': 'Silences',
  '/forecast-schedules': 'Forecast schedules',
  '/detection-schedules': 'Detection schedules',
  '/dead-letters': 'Dead letters',
  '/sources': 'Sources',
  '/settings/keys': 'API keys',
  '/settings/members': 'Members',
  '/orgs/new': 'New organisation',
  '/settings/account': 'Your account',
};

function Redirect({ to }: { to: string }) {
  const { navigate } = useRouter();
  useEffect(() => navigate(to, { replace: true }), [to, navigate]);
  return null;
}

export function App() {
  const { path, search } = useRouter();
  const { me, org, error } = useSession();
  useEffect(() => {
    document.title = `${titles[path] ?? 'Not found'} · IntentVision`;
  }, [path]);

  if (me === undefined) {
    return (
      <main id="main" className="page">
        <Loading />
      </main>
    );
  }
  const Public = publicPages[path];
  if (Public) {
    // Signed in already: the sign-in and sign-up pages have nothing to do.
    if (me && (path === '/sign-in' || path === '/sign-up')) return <Redirect to="/explore" />;
    return <Public />;
  }
  if (!me) {
    if (error) return <ErrorBox error={error} onRetry={() => window.location.reload()} />;
    const here = path + (search.toString() ? `?${search}` : '');
    return <Redirect to={path === '/' ? '/sign-in' : `/sign-in?returnTo=${encodeURIComponent(here)}`} />;
  }
  if (path === '/') return <Redirect to="/explore" />;
  if (path === '/orgs/new') return <Shell>{<CreateOrgPage />}</Shell>;
  if (path === '/settings/account') return <Shell>{<AccountPage />}</Shell>; // no organisation needed
  const Page = orgPages[path];
  if (!Page) {
    return (
      <Shell>
        <main id="main" className="page">
          <h1>Page not found</h1>
          <p>Nothing lives at {path}.</p>
        </main>
      </Shell>
    );
  }
  if (!org) return <Shell>{me.user.emailVerified ? <CreateOrgPage /> : <main id="main" className="page"><h1>Verify your email</h1><p>Follow the link in the email we sent, then come back.</p></main>}</Shell>;
  return (
    <Shell>
      <Suspense
        fallback={
          <main id="main" className="page">
            <Loading />
          </main>
        }
      >
        <Page key={org.orgId} />
      </Suspense>
    </Shell>
  );
}
