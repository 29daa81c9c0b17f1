// Create or edit an alert rule (/alert-rules/edit, ?id= to edit): the common fields, the chosen
// kind's fields only, the channels to notify; a preview of the condition on a matching series; and
// "Evaluate now" with each series' status. Viewers and members see the rule read-only.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, del, get, post, qs } from '../api';
import { defaultCondition, fieldErrors, pairsText, ruleKinds, ruleSeverities, operators, type Channel, type Condition, type EvaluateResult, type Rule, type RuleKind, type RuleSeverity } from '../alerting';
import { CheckField, InputField, SelectField, num } from '../components/form';
import { RulePreview } from '../components/RulePreview';
import { Link, useQueryState, useRouter } from '../router';
import { parseDimFilter, refLabel } from '../series-ref';
import type { DetectionSchedule } from '../types';
import { useSession } from '../session';
import { Empty, ErrorBox, Loading, TableWrap, formatNumber, formatTime, useAction, useLoad } from '../ui';

interface KindField {
  name: string;
  label: string;
  options?: { value: string; text: string }[];
  hint?: string;
  /** The options are the organisation's detection schedules, after "" (none: the field is left out). */
  schedules?: boolean;
  /** The input shows value / scale (expectedIntervalMs in seconds). */
  scale?: number;
  step?: string;
  numeric?: boolean;
}

const opOptions = operators.map((o) => ({ value: o.value, text: o.text }));
const kindFields: Record<RuleKind, KindField[]> = {
  threshold: [
    { name: 'operator', label: 'Operator', options: opOptions },
    { name: 'value', label: 'Value', numeric: true, step: 'any' },
    { name: 'forSeconds', label: 'For (seconds)', numeric: true, step: '1', hint: 'The condition must hold this long before the alert fires; 0 fires at once' },
  ],
  anomaly: [
    { name: 'minSeverity', label: 'Minimum severity', options: ['low', 'medium', 'high', 'critical'].map((s) => ({ value: s, text: s })) },
    { name: 'sensitivity', label: 'Sensitivity', numeric: true, step: '0.05', hint: '0 to 1: higher finds more (when the rule detects itself)' },
    { name: 'detectionScheduleId', label: 'Anomalies from', options: [], schedules: true, hint: 'Detect over the last day at each evaluation, or alert on what a detection schedule stored' },
  ],
  forecast: [
    { name: 'operator', label: 'Operator', options: opOptions },
    { name: 'value', label: 'Value', numeric: true, step: 'any' },
    { name: 'horizonHours', label: 'Horizon (hours)', numeric: true, step: 'any', hint: 'Look this far ahead (at most 720)' },
    { name: 'level', label: 'Interval', numeric: true, options: [{ value: '95', text: '95 %' }, { value: '80', text: '80 %' }], hint: 'gt/gte test its upper edge, lt/lte its lower edge' },
  ],
  rate_of_change: [
    { name: 'maxRate', label: 'Maximum rate', numeric: true, step: 'any' },
    { name: 'unit', label: 'Per', options: [{ value: 'per_minute', text: 'minute' }, { value: 'per_hour', text: 'hour' }] },
    { name: 'windowSeconds', label: 'Window (seconds)', numeric: true, step: '1' },
    { name: 'direction', label: 'Direction', options: [{ value: 'both', text: 'either way' }, { value: 'up', text: 'rising' }, { value: 'down', text: 'falling' }] },
  ],
  missing_data: [{ name: 'expectedIntervalMs', label: 'Expected interval (seconds)', numeric: true, step: '1', scale: 1000, hint: 'Fires when no point arrived for longer than this' }],
};

type Values = Record<string, string>;

function conditionValues(c: Condition): Values {
  const out: Values = {};
  for (const f of kindFields[c.kind]) {
    const v = (c as unknown as Record<string, unknown>)[f.name];
    out[f.name] = typeof v === 'number' && f.scale ? String(v / f.scale) : String(v ?? '');
  }
  return out;
}

function buildCondition(kind: RuleKind, values: Values): Condition {
  const c: Record<string, unknown> = { kind };
  for (const f of kindFields[kind]) {
    const v = values[f.name] ?? '';
    if (f.schedules && v === '') continue;
    c[f.name] = f.numeric ? num(v) * (f.scale ?? 1) : v;
  }
  return c as unknown as Condition;
}

interface Draft {
  name: string;
  key: string;
  dims: string;
  labels: string;
  severity: RuleSeverity;
  interval: string;
  dedup: string;
  repeat: string;
  enabled: boolean;
  channels: string[];
  kind: RuleKind;
  values: Values;
  /** The `summary` and `description` annotations (templates); other annotations are kept as they are. */
  summary: string;
  description: string;
}

const newDraft = (): Draft => ({ name: '', key: '', dims: '', labels: '', severity: 'warning', interval: '60', dedup: '300', repeat: '0', enabled: true, channels: [], kind: 'threshold', values: conditionValues(defaultCondition('threshold')), summary: '', description: '' });

const draftOf = (r: Rule): Draft => ({
  name: r.name,
  key: r.key,
  dims: pairsText(r.dimensions),
  labels: pairsText(r.labels),
  severity: r.severity,
  interval: String(r.evaluationIntervalSeconds),
  dedup: String(r.dedupWindowSeconds),
  repeat: String(r.repeatIntervalSeconds),
  enabled: r.enabled,
  channels: r.channels,
  kind: r.condition.kind,
  values: conditionValues(r.condition),
  summary: r.annotations.summary ?? '',
  description: r.annotations.description ?? '',
});

/** The rule's annotations with the form's summary and description (an empty one is removed). */
function annotationsOf(d: Draft, old: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...old };
  for (const [k, v] of [['summary', d.summary], ['description', d.description]] as const) {
    if (v.trim()) out[k] = v;
    else delete out[k];
  }
  return out;
}

const templateHint = 'A template: {{ $labels.host }}, {{ $value | humanize }}, {{ if gt $value 0.9 }}…{{ end }}';

export function RuleEditorPage() {
  const [params] = useQueryState();
  const id = params.get('id');
  const rule = useLoad((signal) => (id ? get<Rule>(`/api/v1/alert-rules/${id}`, signal) : Promise.resolve(undefined)), [id]);
  if (id && rule.loading && !rule.data) {
    return (
      <main id="main" className="page">
        <h1>Alert rule</h1>
        <Loading what="Loading the rule" />
      </main>
    );
  }
  if (id && rule.error) {
    return (
      <main id="main" className="page">
        <h1>Alert rule</h1>
        <ErrorBox error={rule.error} onRetry={rule.reload} />
        <Link to="/alert-rules">All rules</Link>
      </main>
    );
  }
  return <Editor key={id ?? 'new'} rule={rule.data} onSaved={rule.reload} />;
}

function Editor({ rule, onSaved }: { rule: Rule | undefined; onSaved: () => void }) {
  const { can } = useSession();
  const { navigate } = useRouter();
  const admin = can('admin');
  const [d, setD] = useState<Draft>(() => (rule ? draftOf(rule) : newDraft()));
  const [saved, setSaved] = useState(false);
  // A saved change comes back as the form's new state; a reload for the last evaluation keeps unsaved edits.
  useEffect(() => {
    if (rule) setD(draftOf(rule));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rule?.updatedAt]);
  const [evaluated, setEvaluated] = useState(0);
  const set = (patch: Partial<Draft>) => {
    setSaved(false);
    setD((old) => ({ ...old, ...patch }));
  };
  const channels = useLoad((signal) => get<{ items: Channel[] }>(`/api/v1/channels${qs({ limit: 100 })}`, signal), []);
  const schedules = useLoad((signal) => get<{ items: DetectionSchedule[] }>(`/api/v1/detection-schedules${qs({ limit: 100 })}`, signal), []);
  const scheduleOptions = [{ value: '', text: 'each evaluation (detect here)' }, ...(schedules.data?.items ?? []).map((s) => ({ value: s.id, text: `schedule ${s.name}` }))];
  const dimensions = parseDimFilter(d.dims);
  const condition = useMemo(() => buildCondition(d.kind, d.values), [d.kind, d.values]);

  const save = useAction(async () => {
    const labels = parseDimFilter(d.labels);
    const body = {
      name: d.name.trim(),
      key: d.key.trim(),
      dimensions: dimensions ?? {},
      labels: labels ?? {},
      severity: d.severity,
      evaluationIntervalSeconds: num(d.interval),
      dedupWindowSeconds: num(d.dedup),
      repeatIntervalSeconds: num(d.repeat),
      enabled: d.enabled,
      channels: d.channels,
      annotations: annotationsOf(d, rule?.annotations),
      condition,
    };
    if (!dimensions) throw new Error('The dimension filter reads “name=value, name=value”.');
    if (!labels) throw new Error('Labels read “name=value, name=value”.');
    if (rule) {
      await api('PATCH', `/api/v1/alert-rules/${rule.id}`, body);
      onSaved();
      setSaved(true);
    } else {
      const r = await post<Rule>('/api/v1/alert-rules', body);
      navigate(`/alert-rules/edit?id=${r.id}`, { replace: true });
    }
  });
  const remove = useAction(async () => {
    await del(`/api/v1/alert-rules/${rule!.id}`);
    navigate('/alert-rules');
  });
  const errs = fieldErrors(save.error);
  const condErr = (name: string) => errs[`condition.${name}`] ?? errs.condition;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  const kindHelp = ruleKinds.find((k) => k.kind === d.kind)?.help;

  return (
    <main id="main" className="page">
      <p>
        <Link to="/alert-rules">← All rules</Link>
      </p>
      <h1>{rule ? `Alert rule “${rule.name}”` : 'New alert rule'}</h1>
      {rule && (
        <p className="muted">
          {rule.lastEvaluatedAt ? `Last evaluated ${formatTime(rule.lastEvaluatedAt)}` : 'Not evaluated yet'}
          {rule.lastError && <span className="error-text"> · {rule.lastError}</span>}
        </p>
      )}
      {!admin && <p className="notice">Only admins and owners change rules; this is a read-only view.</p>}
      <form onSubmit={submit} aria-label={rule ? 'Edit the alert rule' : 'Create an alert rule'} className="card">
        <fieldset disabled={!admin} className="plain-fieldset">
          <legend className="visually-hidden">Rule</legend>
          <div className="form-grid">
            <InputField label="Name" required maxLength={200} value={d.name} onChange={(e) => set({ name: e.target.value })} error={errs.name} />
            <InputField label="Metric key" required value={d.key} onChange={(e) => set({ key: e.target.value })} error={errs.key} placeholder="e.g. cpu.usage" />
            <InputField label="Dimension filter" value={d.dims} onChange={(e) => set({ dims: e.target.value })} error={errs.dimensions ?? (dimensions ? undefined : 'reads “name=value, name=value”')} hint="Every series whose dimensions include these pairs, e.g. service=web" />
            <SelectField label="Severity" value={d.severity} onChange={(e) => set({ severity: e.target.value as RuleSeverity })} error={errs.severity}>
              {ruleSeverities.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </SelectField>
            <InputField label="Evaluate every (seconds)" type="number" min={60} max={86_400} step={1} value={d.interval} onChange={(e) => set({ interval: e.target.value })} error={errs.evaluationIntervalSeconds} />
            <InputField label="Quiet repeats for (seconds)" type="number" min={0} step={1} value={d.dedup} onChange={(e) => set({ dedup: e.target.value })} error={errs.dedupWindowSeconds} hint="Repeated firings of an open alert within this send nothing" />
            <InputField label="Re-notify after (seconds)" type="number" min={0} step={1} value={d.repeat} onChange={(e) => set({ repeat: e.target.value })} error={errs.repeatIntervalSeconds} hint="0: never" />
            <InputField label="Labels" value={d.labels} onChange={(e) => set({ labels: e.target.value })} error={errs.labels} hint="Added to the alert’s labels, e.g. team=web" />
            <InputField label="Summary" maxLength={4096} value={d.summary} onChange={(e) => set({ summary: e.target.value })} error={errs['annotations.summary']} hint={`The alert’s one line, rendered when it fires. ${templateHint}`} />
            <InputField label="Description" maxLength={4096} value={d.description} onChange={(e) => set({ description: e.target.value })} error={errs['annotations.description']} hint={templateHint} />
          </div>
          <CheckField label="Enabled" checked={d.enabled} onChange={(v) => set({ enabled: v })} hint="A disabled rule is not evaluated on schedule" />

          <fieldset className="plain">
            <legend>Condition</legend>
            <SelectField label="Kind" value={d.kind} onChange={(e) => set({ kind: e.target.value as RuleKind, values: conditionValues(defaultCondition(e.target.value as RuleKind)) })} hint={kindHelp} error={errs['condition.kind']}>
              {ruleKinds.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.text}
                </option>
              ))}
            </SelectField>
            <div className="form-grid">
              {kindFields[d.kind].map((f) =>
                f.options ? (
                  <SelectField key={`${d.kind}.${f.name}`} label={f.label} hint={f.hint} value={d.values[f.name] ?? ''} onChange={(e) => set({ values: { ...d.values, [f.name]: e.target.value } })} error={condErr(f.name)}>
                    {(f.schedules ? scheduleOptions : f.options).map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.text}
                      </option>
                    ))}
                  </SelectField>
                ) : (
                  <InputField
                    key={`${d.kind}.${f.name}`}
                    label={f.label}
                    hint={f.hint}
                    type="number"
                    step={f.step}
                    required
                    value={d.values[f.name] ?? ''}
                    onChange={(e) => set({ values: { ...d.values, [f.name]: e.target.value } })}
                    error={condErr(f.name)}
                  />
                ),
              )}
            </div>
          </fieldset>

          <fieldset className="plain">
            <legend>Notify these channels</legend>
            {channels.loading && !channels.data && <Loading what="Loading channels" />}
            <ErrorBox error={channels.error} onRetry={channels.reload} />
            {channels.data && channels.data.items.length === 0 && (
              <p className="muted">
                No channels yet: <Link to="/channels">create one</Link>, or save the rule without (alerts still show here).
              </p>
            )}
            {channels.data?.items.map((c) => (
              <CheckField
                key={c.id}
                label={`${c.name} (${c.type})`}
                checked={d.channels.includes(c.id)}
                onChange={(on) => set({ channels: on ? [...d.channels, c.id] : d.channels.filter((x) => x !== c.id) })}
              />
            ))}
            {errs.channels && <p className="error-text">{errs.channels}</p>}
          </fieldset>
        </fieldset>
        <ErrorBox error={save.error} />
        {saved && (
          <p role="status" className="outcome-ok">
            Saved.
          </p>
        )}
        {admin && (
          <div className="button-row">
            <button type="submit" disabled={save.busy}>
              {rule ? 'Save changes' : 'Create rule'}
            </button>
            {rule && (
              <button type="button" className="danger" disabled={remove.busy} onClick={() => window.confirm(`Delete the rule “${rule.name}”? Its open alerts are resolved; their history stays.`) && void remove.run()}>
                Delete rule
              </button>
            )}
          </div>
        )}
        <ErrorBox error={remove.error} />
      </form>

      <section aria-labelledby="preview-heading">
        <h2 id="preview-heading">Preview</h2>
        <RulePreview ruleKey={d.key.trim()} dimensions={dimensions} condition={condition} refresh={evaluated} />
      </section>

      {rule && admin && <EvaluateNow rule={rule} onDone={() => (onSaved(), setEvaluated((n) => n + 1))} />}
    </main>
  );
}

function EvaluateNow({ rule, onDone }: { rule: Rule; onDone: () => void }) {
  const [result, setResult] = useState<EvaluateResult | null>(null);
  const run = useAction(async () => {
    setResult(await post<EvaluateResult>(`/api/v1/alert-rules/${rule.id}/evaluate`));
    onDone();
  });
  return (
    <section aria-labelledby="evaluate-heading">
      <h2 id="evaluate-heading">Evaluate now</h2>
      <p className="muted">One pass over every matching series, as the schedule runs it: alerts open, change and notify as they would then.</p>
      <button type="button" onClick={() => void run.run()} disabled={run.busy}>
        {run.busy ? 'Evaluating…' : 'Evaluate now'}
      </button>
      <ErrorBox error={run.error} />
      {result && <EvaluationResult result={result} />}
    </section>
  );
}

function EvaluationResult({ result }: { result: EvaluateResult }) {
  const firing = result.series.filter((s) => s.status === 'firing').length;
  return (
    <div className="evaluation" data-testid="evaluation">
      <p role="status">
        Evaluated {result.seriesCount} series at {formatTime(result.evaluatedAt)}: {firing} firing, {result.transitions.length} alert change{result.transitions.length === 1 ? '' : 's'}, {result.notifications} notification
        {result.notifications === 1 ? '' : 's'} queued{result.truncated ? ' (more series matched than one pass evaluates)' : ''}.
      </p>
      {result.errors.map((e) => (
        <p key={e} className="error-text">
          {e}
        </p>
      ))}
      {result.series.length === 0 ? (
        <Empty>No series match the rule.</Empty>
      ) : (
        <TableWrap label="Evaluation per series">
          <table>
            <thead>
              <tr>
                <th scope="col">Series</th>
                <th scope="col">Status</th>
                <th scope="col">Value</th>
                <th scope="col">Summary</th>
                <th scope="col">Alert</th>
              </tr>
            </thead>
            <tbody>
              {result.series.map((s) => (
                <tr key={s.seriesId}>
                  <td>
                    <code>{refLabel(s)}</code>
                  </td>
                  <td className={`status-${s.status}`}>{s.status}</td>
                  <td>{formatNumber(s.value)}</td>
                  <td>{s.summary}</td>
                  <td>{s.alertId ? <Link to="/alerts">{s.alertState ?? 'open'}</Link> : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </div>
  );
}
