// Alerts: the open ones first, then recent ones; acknowledge with a comment, resolve, and each
// alert's history of transitions and notifications.
import { useId, useState, type FormEvent } from 'react';
import { get, post, qs } from '../api';
import { Link, useQueryState } from '../router';
import { refToParam } from '../series-ref';
import { silenceLink } from './Silences';
import { useSession } from '../session';
import type { Alert, AlertDetail } from '../types';
import { Empty, ErrorBox, Loading, formatNumber, formatTime, useAction, useLoad } from '../ui';
import { useLive } from '../live';

export function AlertsPage() {
  const [params, setParams] = useQueryState();
  const view = params.get('view') === 'recent' ? 'recent' : 'open';
  const { org, refresh } = useSession();
  // Live: polled every 5 s with the last ETag (a 304 while nothing changed), paused while the tab is hidden.
  const list = useLive<{ items: Alert[] }>(`/api/v1/alerts${qs({ state: view === 'open' ? 'open' : undefined, limit: 100 })}`, org?.orgId, 5000, () => void refresh());
  return (
    <main id="main" className="page">
      <h1>Alerts</h1>
      <div role="group" aria-label="Which alerts" className="segmented">
        <button type="button" aria-pressed={view === 'open'} className={view === 'open' ? 'on' : 'secondary'} onClick={() => setParams({ view: null })}>
          Open
        </button>
        <button type="button" aria-pressed={view === 'recent'} className={view === 'recent' ? 'on' : 'secondary'} onClick={() => setParams({ view: 'recent' })}>
          Recent
        </button>
      </div>
      {list.checkedAt && (
        <p className="muted small" data-testid="alerts-live">
          Updates live · checked {new Date(list.checkedAt).toLocaleTimeString()}
        </p>
      )}
      {list.loading && !list.data && <Loading what="Loading alerts" />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 && <Empty>{view === 'open' ? 'No open alerts. All quiet.' : 'No alerts yet.'}</Empty>}
      {list.data && list.data.items.length > 0 && (
        <ul className="alert-list">
          {list.data.items.map((a) => (
            <AlertItem key={a.id} alert={a} onChanged={list.reload} />
          ))}
        </ul>
      )}
    </main>
  );
}

function AlertItem({ alert, onChanged }: { alert: Alert; onChanged: () => void }) {
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState('');
  const commentId = useId();
  const act = useAction(async (action: 'acknowledge' | 'resolve') => {
    await post(`/api/v1/alerts/${alert.id}/${action}`, comment.trim() ? { comment: comment.trim() } : {});
    setComment('');
    onChanged();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run('acknowledge');
  };
  const chart = `/explore?${new URLSearchParams({ s: refToParam({ key: alert.key, dimensions: alert.dimensions }), range: '24h' })}`;
  const canAck = can('member') && alert.state === 'firing';
  const canResolve = can('member') && alert.state !== 'resolved';
  return (
    <li className={`alert card state-${alert.state}`} data-alert-id={alert.id}>
      <div className="alert-head">
        <span className={`badge sev-${alert.severity}`}>{alert.severity}</span>
        <span className={`badge state`}>{alert.state}</span>
        <strong>{alert.ruleName}</strong>
        <Link to={chart}>{alert.key}</Link>
        <span className="muted">since {formatTime(alert.firedAt ?? alert.startedAt)}</span>
      </div>
      <p>{alert.summary}</p>
      {alert.value !== null && <p className="muted small">Value {formatNumber(alert.value)}</p>}
      {(canAck || canResolve) && (
        <form className="inline-form" onSubmit={submit} aria-label={`Act on alert ${alert.ruleName}`}>
          <span className="field-inline grow">
            <label htmlFor={commentId}>Comment</label>
            <input id={commentId} value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} placeholder="What you are doing about it" />
          </span>
          {canAck && (
            <button type="submit" disabled={act.busy}>
              Acknowledge
            </button>
          )}
          {canResolve && (
            <button type="button" className="secondary" disabled={act.busy} onClick={() => void act.run('resolve')}>
              Resolve
            </button>
          )}
        </form>
      )}
      <ErrorBox error={act.error} />
      {can('admin') && alert.state !== 'resolved' && (
        <Link to={silenceLink(alert.labels ?? { alertname: alert.ruleName, __name__: alert.key, ...alert.dimensions })} className="button secondary">
          Silence<span className="visually-hidden"> alerts like {alert.ruleName}</span>
        </Link>
      )}{' '}
      <button type="button" className="link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide history' : 'Show history'}
      </button>
      {open && <AlertHistory id={alert.id} version={alert.updatedAt} />}
    </li>
  );
}

function actorText(actor: unknown, me: string | undefined): string {
  if (!actor || typeof actor !== 'object') return 'the evaluator';
  const a = actor as { kind?: string; id?: string; comment?: string | null };
  const who = a.kind === 'user' ? (a.id && a.id === me ? 'you' : 'a member') : a.kind === 'key' ? 'an API key' : 'the evaluator';
  return a.comment ? `${who}: “${a.comment}”` : who;
}

function AlertHistory({ id, version }: { id: string; version: string }) {
  const userId = useSession().me?.user.id;
  const d = useLoad((signal) => get<AlertDetail>(`/api/v1/alerts/${id}`, signal), [id, version]);
  if (d.loading && !d.data) return <Loading what="Loading the history" />;
  if (d.error) return <ErrorBox error={d.error} onRetry={d.reload} />;
  if (!d.data) return null;
  return (
    <div className="history">
      <h3>Transitions</h3>
      <ol>
        {d.data.transitions.map((t, i) => (
          <li key={i}>
            <time dateTime={t.at}>{formatTime(t.at)}</time>: {t.from ?? 'new'} → {t.to} by {actorText(t.actor, userId)}
          </li>
        ))}
      </ol>
      <h3>Notifications</h3>
      {d.data.notifications.length === 0 ? (
        <p className="muted">None sent.</p>
      ) : (
        <ul>
          {d.data.notifications.map((n) => (
            <li key={n.id}>
              {n.event} → channel {n.channelId.slice(0, 8)}: {n.status}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
