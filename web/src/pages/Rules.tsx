// Alert rules: the list (name, kind, series, severity, enabled, last evaluation or error), with
// enable/disable and delete for admins; create and edit open the rule editor.
import { del, get, qs, api } from '../api';
import { conditionText, kindText, type Rule } from '../alerting';
import { Link } from '../router';
import { refLabel } from '../series-ref';
import { useSession } from '../session';
import { ConfirmButton, DataTable, ErrorBox, LoadStatus, formatTime, useAction, useLoad } from '../ui';
import '../components/alerting.css';

/** Every rule of the organisation (pages followed; an organisation has dozens, not thousands). */
export async function loadRules(signal: AbortSignal): Promise<Rule[]> {
  const out: Rule[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const r = await get<{ items: Rule[]; nextCursor: string | null }>(`/api/v1/alert-rules${qs({ limit: 100, cursor })}`, signal);
    out.push(...r.items);
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return out;
}

export function RulesPage() {
  const { can, org } = useSession();
  const rules = useLoad(loadRules, [org?.orgId]);
  const admin = can('admin');
  const toggle = useAction(async (r: Rule) => {
    await api('PATCH', `/api/v1/alert-rules/${r.id}`, { enabled: !r.enabled });
    rules.reload();
  });
  const remove = useAction(async (r: Rule) => {
    await del(`/api/v1/alert-rules/${r.id}`);
    rules.reload();
  });
  return (
    <main id="main" className="page">
      <h1>Alert rules</h1>
      {admin ? (
        <p>
          <Link to="/alert-rules/edit" className="button">
            New rule
          </Link>
        </p>
      ) : (
        <p className="muted">Admins and owners of {org?.name} create and change rules.</p>
      )}
      <LoadStatus state={rules} what="Loading alert rules" />
      <ErrorBox error={toggle.error ?? remove.error} />
      {rules.data && (
        <DataTable
          label="Alert rules"
          className="rules"
          rows={rules.data}
          rowKey={(r) => r.id}
          rowProps={(r) => ({ 'data-rule-id': r.id })}
          empty={`No alert rules yet.${admin ? ' Create one to be told when a series misbehaves.' : ''}`}
          columns={[
            { header: 'Name', cell: (r) => <Link to={`/alert-rules/edit?id=${r.id}`}>{r.name}</Link> },
            { header: 'Kind', cell: (r) => kindText(r.condition.kind) },
            { header: 'Series', cell: (r) => <code>{refLabel({ key: r.key, dimensions: r.dimensions })}</code> },
            { header: 'Condition', cell: (r) => conditionText(r.condition) },
            { header: 'Severity', cell: (r) => <span className={`badge sev-${r.severity}`}>{r.severity}</span> },
            { header: 'Enabled', cell: (r) => (r.enabled ? 'yes' : 'no') },
            {
              header: 'Last evaluation',
              cell: (r) => (
                <>
                  {r.lastEvaluatedAt ? formatTime(r.lastEvaluatedAt) : 'not yet'}
                  {r.lastSeriesCount !== null && r.lastEvaluatedAt && <span className="muted"> · {r.lastSeriesCount} series</span>}
                  {r.lastError && <div className="error-text">{r.lastError}</div>}
                </>
              ),
            },
            admin && {
              header: 'Actions',
              hiddenHeader: true,
              cell: (r) => (
                <span className="row-actions">
                  <button type="button" className="secondary" disabled={toggle.busy} onClick={() => void toggle.run(r)}>
                    {r.enabled ? 'Disable' : 'Enable'}
                    <span className="visually-hidden"> {r.name}</span>
                  </button>
                  <ConfirmButton disabled={remove.busy} confirm={`Delete the rule “${r.name}”? Its open alerts are resolved; their history stays.`} onConfirm={() => void remove.run(r)}>
                    Delete<span className="visually-hidden"> {r.name}</span>
                  </ConfirmButton>
                </span>
              ),
            },
          ]}
        />
      )}
    </main>
  );
}
