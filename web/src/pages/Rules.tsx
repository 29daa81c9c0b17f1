// Alert rules: the list (name, kind, series, severity, enabled, last evaluation or error), with
// enable/disable and delete for admins; create and edit open the rule editor.
import { del, get, qs, api } from '../api';
import { conditionText, kindText, type Rule } from '../alerting';
import { Link } from '../router';
import { refLabel } from '../series-ref';
import { useSession } from '../session';
import { Empty, ErrorBox, Loading, TableWrap, formatTime, useAction, useLoad } from '../ui';
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
      {rules.loading && !rules.data && <Loading what="Loading alert rules" />}
      <ErrorBox error={rules.error} onRetry={rules.reload} />
      <ErrorBox error={toggle.error ?? remove.error} />
      {rules.data && rules.data.length === 0 && <Empty>No alert rules yet.{admin ? ' Create one to be told when a series misbehaves.' : ''}</Empty>}
      {rules.data && rules.data.length > 0 && (
        <TableWrap label="Alert rules">
          <table className="rules">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Series</th>
                <th scope="col">Condition</th>
                <th scope="col">Severity</th>
                <th scope="col">Enabled</th>
                <th scope="col">Last evaluation</th>
                {admin && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rules.data.map((r) => (
                <tr key={r.id} data-rule-id={r.id}>
                  <td>
                    <Link to={`/alert-rules/edit?id=${r.id}`}>{r.name}</Link>
                  </td>
                  <td>{kindText(r.condition.kind)}</td>
                  <td>
                    <code>{refLabel({ key: r.key, dimensions: r.dimensions })}</code>
                  </td>
                  <td>{conditionText(r.condition)}</td>
                  <td>
                    <span className={`badge sev-${r.severity}`}>{r.severity}</span>
                  </td>
                  <td>{r.enabled ? 'yes' : 'no'}</td>
                  <td>
                    {r.lastEvaluatedAt ? formatTime(r.lastEvaluatedAt) : 'not yet'}
                    {r.lastSeriesCount !== null && r.lastEvaluatedAt && <span className="muted"> · {r.lastSeriesCount} series</span>}
                    {r.lastError && <div className="error-text">{r.lastError}</div>}
                  </td>
                  {admin && (
                    <td>
                      <span className="row-actions">
                        <button type="button" className="secondary" disabled={toggle.busy} onClick={() => void toggle.run(r)}>
                          {r.enabled ? 'Disable' : 'Enable'}
                          <span className="visually-hidden"> {r.name}</span>
                        </button>
                        <button
                          type="button"
                          className="danger"
                          disabled={remove.busy}
                          onClick={() => window.confirm(`Delete the rule “${r.name}”? Its open alerts are resolved; their history stays.`) && void remove.run(r)}
                        >
                          Delete<span className="visually-hidden"> {r.name}</span>
                        </button>
                      </span>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </main>
  );
}
