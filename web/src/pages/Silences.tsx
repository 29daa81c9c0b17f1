// Silences: the list (active, pending, expired) with their matchers; create one with a matchers editor
// (name, =, !=, =~, !~, value; the API's RE2 errors shown at the field); delete. An alert's "Silence"
// button opens this page with its labels as matchers (?matchers=[[name, op, value], …]).
import { useState, type FormEvent } from 'react';
import { del, get, post, qs } from '../api';
import { fieldErrors, fromOp, matchOps, type MatchOp, type Silence } from '../alerting';
import { InputField, SelectField } from '../components/form';
import { useQueryState } from '../router';
import { useSession } from '../session';
import { toLocalInput } from '../time-range';
import { ConfirmButton, DataTable, ErrorBox, LoadStatus, formatTime, useAction, useLoad } from '../ui';

interface Row {
  name: string;
  op: MatchOp;
  value: string;
}

/** The `matchers` query parameter an alert's Silence button builds: [[name, op, value], …]. */
export function silenceLink(labels: Record<string, string>): string {
  const rows = Object.entries(labels).map(([k, v]) => [k, '=', v]);
  return `/silences?${new URLSearchParams({ matchers: JSON.stringify(rows) })}`;
}

function rowsOf(param: string | null): Row[] | undefined {
  if (!param) return undefined;
  try {
    const v = JSON.parse(param) as unknown;
    if (!Array.isArray(v)) return undefined;
    const rows = v
      .filter((r): r is [string, string, string] => Array.isArray(r) && r.length === 3 && r.every((x) => typeof x === 'string'))
      .map(([name, op, value]) => ({ name, op: (matchOps as string[]).includes(op) ? (op as MatchOp) : '=', value }));
    return rows.length ? rows : undefined;
  } catch {
    return undefined;
  }
}

const durations = [
  { value: '1', text: '1 hour' },
  { value: '2', text: '2 hours' },
  { value: '4', text: '4 hours' },
  { value: '12', text: '12 hours' },
  { value: '24', text: '1 day' },
  { value: '168', text: '1 week' },
  { value: 'custom', text: 'until a time…' },
];
type Filter = 'all' | 'active' | 'pending' | 'expired';

export function SilencesPage() {
  const { can, org } = useSession();
  const admin = can('admin');
  const [params, setParams] = useQueryState();
  const prefill = rowsOf(params.get('matchers'));
  const [filter, setFilter] = useState<Filter>('all');
  const [created, setCreated] = useState(false);
  const list = useLoad((signal) => get<{ items: Silence[] }>(`/api/v1/silences${qs({ status: filter === 'all' ? undefined : filter, limit: 200 })}`, signal), [filter, org?.orgId]);
  // Ending a silence expires it (it stays listed, as Alertmanager does); an expired one can be deleted.
  const remove = useAction(async (id: string, expired: boolean) => {
    if (expired) await del(`/api/v1/silences/${id}`);
    else await post(`/api/v1/silences/${id}/expire`);
    list.reload();
  });
  return (
    <main id="main" className="page">
      <h1>Silences</h1>
      <p className="muted">While a silence is active, alerts whose labels match every matcher send no notifications.</p>
      {created && (
        <p role="status" className="outcome-ok">
          Silence created.
        </p>
      )}
      {admin ? (
        // A new form after each silence (and without the alert's matchers once they were used).
        <CreateSilence
          key={params.get('matchers') ?? ''}
          prefill={prefill}
          onEdited={() => setCreated(false)}
          onCreated={() => {
            setCreated(true);
            if (params.get('matchers')) setParams({ matchers: null });
            list.reload();
          }}
        />
      ) : (
        <p className="muted">Admins and owners of {org?.name} create and delete silences.</p>
      )}
      <h2>All silences</h2>
      <div role="group" aria-label="Which silences" className="segmented">
        {(['all', 'active', 'pending', 'expired'] as const).map((f) => (
          <button key={f} type="button" aria-pressed={filter === f} className={filter === f ? 'on' : 'secondary'} onClick={() => setFilter(f)}>
            {f[0]!.toUpperCase() + f.slice(1)}
          </button>
        ))}
      </div>
      <LoadStatus state={list} what="Loading silences" />
      <ErrorBox error={remove.error} />
      {list.data && (
        <DataTable
          label="Silences"
          className="silences"
          rows={list.data.items}
          rowKey={(s) => s.id}
          rowProps={(s) => ({ 'data-silence-status': s.status })}
          empty={filter === 'all' ? 'No silences.' : `No ${filter} silences.`}
          columns={[
            {
              header: 'Matchers',
              cell: (s) =>
                s.matchers.map((m) => (
                  <code key={m.text} className="matcher">
                    {m.text}{' '}
                  </code>
                )),
            },
            { header: 'Status', cell: (s) => s.status },
            { header: 'Starts', cell: (s) => formatTime(s.startsAt) },
            { header: 'Ends', cell: (s) => formatTime(s.endsAt) },
            { header: 'Comment', cell: (s) => s.comment || '–' },
            admin && {
              header: 'Actions',
              hiddenHeader: true,
              cell: (s) => (
                <ConfirmButton
                  disabled={remove.busy}
                  confirm={s.status === 'expired' ? 'Delete this expired silence?' : 'End this silence now? Alerts it holds back notify again at their next evaluation.'}
                  onConfirm={() => void remove.run(s.id, s.status === 'expired')}
                >
                  {s.status === 'expired' ? 'Delete' : 'End now'}
                  <span className="visually-hidden"> the silence {s.matchers.map((m) => m.text).join(', ')}</span>
                </ConfirmButton>
              ),
            },
          ]}
        />
      )}
    </main>
  );
}

function CreateSilence({ prefill, onCreated, onEdited }: { prefill: Row[] | undefined; onCreated: () => void; onEdited: () => void }) {
  const [rows, setRows] = useState<Row[]>(() => prefill ?? [{ name: 'alertname', op: '=', value: '' }]);
  const [length, setLength] = useState('2');
  const [until, setUntil] = useState(() => toLocalInput(Date.now() + 2 * 3_600_000));
  const [comment, setComment] = useState('');
  const create = useAction(async () => {
    const endsAt = length === 'custom' ? new Date(until).toISOString() : new Date(Date.now() + Number(length) * 3_600_000).toISOString();
    await post('/api/v1/silences', { matchers: rows.map((r) => ({ name: r.name.trim(), value: r.value, ...fromOp(r.op) })), endsAt, comment });
    setComment('');
    onCreated();
  });
  const errs = fieldErrors(create.error);
  const setRow = (i: number, patch: Partial<Row>) => {
    onEdited();
    setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Create a silence">
      <h2>New silence</h2>
      {prefill && <p className="notice">Matchers filled in from the alert’s labels: remove the ones that should not narrow the silence.</p>}
      <fieldset className="plain">
        <legend>Matchers (every one must match)</legend>
        {rows.map((r, i) => (
          <div className="matcher-row" key={i} data-testid="matcher-row">
            <InputField label={`Label ${i + 1}`} required value={r.name} onChange={(e) => setRow(i, { name: e.target.value })} error={errs[`matchers[${i}].name`] ?? errs[`matchers[${i}]`]} />
            <SelectField label={`Operator ${i + 1}`} className="op" value={r.op} onChange={(e) => setRow(i, { op: e.target.value as MatchOp })}>
              {matchOps.map((op) => (
                <option key={op} value={op}>
                  {op}
                </option>
              ))}
            </SelectField>
            <InputField label={`Value ${i + 1}`} value={r.value} onChange={(e) => setRow(i, { value: e.target.value })} error={errs[`matchers[${i}].value`]} hint={r.op === '=~' || r.op === '!~' ? 'RE2 regular expression, matching the whole value' : undefined} />
            <button type="button" className="secondary" disabled={rows.length === 1} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              Remove<span className="visually-hidden"> matcher {i + 1}</span>
            </button>
          </div>
        ))}
        {errs.matchers && <p className="error-text">{errs.matchers}</p>}
        <button type="button" className="secondary" onClick={() => setRows([...rows, { name: '', op: '=', value: '' }])}>
          Add matcher
        </button>
      </fieldset>
      <div className="form-grid">
        <SelectField label="Silence for" value={length} onChange={(e) => setLength(e.target.value)}>
          {durations.map((d) => (
            <option key={d.value} value={d.value}>
              {d.text}
            </option>
          ))}
        </SelectField>
        {length === 'custom' && <InputField label="Until" type="datetime-local" required value={until} onChange={(e) => setUntil(e.target.value)} error={errs.endsAt} />}
        <InputField label="Comment" className="wide" maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Why, and who to ask" />
      </div>
      {length !== 'custom' && errs.endsAt && <p className="error-text">{errs.endsAt}</p>}
      <ErrorBox error={create.error} />
      <button type="submit" disabled={create.busy}>
        Create silence
      </button>
    </form>
  );
}
