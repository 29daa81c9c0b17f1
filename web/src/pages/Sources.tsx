// Sources: where the organisation's points come from. The list (kind, on/off switch, counters, last
// received and last error, kept fresh by polling); create and edit (default dimensions as rows, the
// key mapping as JSON with the server's objections next to it, targets and interval for scraping);
// delete with confirmation; per source how to point a client at it, and a scrape source's targets.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { api, del, get, post } from '../api';
import { fieldErrors } from '../alerting';
import { CheckField, InputField, SelectField } from '../components/form';
import { useLive } from '../live';
import { useQueryState } from '../router';
import { useSession } from '../session';
import type { Dimensions, MappingRule, ScrapeSettings, ScrapeTargetHealth, Source, SourceKind } from '../types';
import { ConfirmButton, DataTable, ErrorBox, Loading, formatTime, useAction, useLoad } from '../ui';
import '../components/alerting.css';
import './sources.css';

const kindNames: Record<SourceKind, string> = {
  webhook: 'JSON webhook',
  'prometheus-remote-write': 'Prometheus remote-write',
  otlp: 'OpenTelemetry (OTLP/HTTP)',
  influx: 'Influx line protocol',
  'prometheus-scrape': 'Prometheus scrape',
};
const kinds = Object.keys(kindNames) as SourceKind[];

/** The path each pushing kind's clients send to. */
const kindPaths: Partial<Record<SourceKind, string>> = {
  webhook: '/api/v1/ingest',
  'prometheus-remote-write': '/api/v1/write',
  otlp: '/v1/metrics',
  influx: '/api/v2/write',
};

export function SourcesPage() {
  const { can, org, refresh } = useSession();
  const admin = can('admin');
  // Polled, so the counters move while points arrive.
  const list = useLive<{ items: Source[] }>('/api/v1/sources', org?.orgId, 5000, () => void refresh());
  const [params, setParams] = useQueryState();
  const shownId = params.get('source');
  const [editing, setEditing] = useState<Source | 'new' | null>(null);
  const toggle = useAction(async (s: Source) => {
    await api('PATCH', `/api/v1/sources/${s.id}`, { enabled: !s.enabled });
    list.reload();
  });
  const remove = useAction(async (s: Source) => {
    await del(`/api/v1/sources/${s.id}`);
    if (shownId === s.id) setParams({ source: null });
    list.reload();
  });
  const items = list.data?.items ?? [];
  const shown = items.find((s) => s.id === shownId);
  return (
    <main id="main" className="page">
      <h1>Sources</h1>
      <p className="muted">
        Where points come from: the JSON webhook, Prometheus remote-write and scraping, OpenTelemetry and Influx line protocol. A source adds its default dimensions to every point, applies its key
        mapping and counts what it accepted; a disabled one refuses points and keeps its settings.
      </p>
      {admin && editing === null && (
        <p>
          <button type="button" onClick={() => setEditing('new')}>
            New source
          </button>
        </p>
      )}
      {!admin && <p className="muted">Admins and owners of {org?.name} create, change and delete sources.</p>}
      {admin && editing !== null && (
        <SourceForm
          key={editing === 'new' ? 'new' : `edit-${editing.id}`}
          source={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(null)}
          onSaved={(s) => {
            setEditing(null);
            setParams({ source: s.id });
            list.reload();
          }}
        />
      )}
      <h2>All sources</h2>
      {list.loading && !list.data && <Loading what="Loading sources" />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {/* A refused delete (409 source_in_use) names the keys bound to the source. */}
      <ErrorBox error={toggle.error ?? remove.error} />
      {list.data && (
        <DataTable
          label="Sources"
          className="sources"
          rows={items}
          rowKey={(s) => s.id}
          rowProps={(s) => ({ 'data-source-id': s.id, 'data-enabled': String(s.enabled) })}
          empty={`No sources yet.${admin ? ' Create one to send points through it.' : ''} Points sent without one arrive as before, with no defaults or mapping.`}
          columns={[
            {
              header: 'Name',
              cell: (s) => (
                <>
                  <strong>{s.name}</strong>
                  {s.description && <div className="muted small">{s.description}</div>}
                </>
              ),
            },
            { header: 'Kind', cell: (s) => kindNames[s.kind] ?? s.kind },
            {
              header: 'Enabled',
              cell: (s) =>
                admin ? (
                  <input type="checkbox" role="switch" checked={s.enabled} disabled={toggle.busy} aria-label={`Enabled: ${s.name}`} onChange={() => void toggle.run(s)} />
                ) : s.enabled ? (
                  'yes'
                ) : (
                  'no'
                ),
            },
            { header: 'Accepted', cell: (s) => <span data-testid="accepted">{formatCount(s.stats.pointsAccepted)}</span> },
            { header: 'Rejected', cell: (s) => <span data-testid="rejected">{formatCount(s.stats.pointsRejected)}</span> },
            { header: 'Last received', cell: (s) => (s.stats.lastReceivedAt ? <time dateTime={s.stats.lastReceivedAt}>{formatTime(s.stats.lastReceivedAt)}</time> : 'never') },
            {
              header: 'Last error',
              cell: (s) =>
                s.stats.lastError ? (
                  <>
                    <span className="error-text small">{s.stats.lastError}</span>
                    {s.stats.lastErrorAt && <div className="muted small">{formatTime(s.stats.lastErrorAt)}</div>}
                  </>
                ) : (
                  '–'
                ),
            },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (s) => (
                <span className="row-actions">
                  <button type="button" className="secondary" aria-expanded={shownId === s.id} onClick={() => setParams({ source: shownId === s.id ? null : s.id })}>
                    {s.kind === 'prometheus-scrape' ? 'Targets' : 'How to send'}
                    <span className="visually-hidden"> {s.name}</span>
                  </button>
                  {admin && (
                    <>
                      <button type="button" className="secondary" onClick={() => setEditing(s)}>
                        Edit<span className="visually-hidden"> {s.name}</span>
                      </button>
                      <ConfirmButton
                        disabled={remove.busy}
                        confirm={`Delete the source “${s.name}”? Its settings and counters go; points it brought stay. Keys bound to it must be revoked or rebound first.`}
                        onConfirm={() => void remove.run(s)}
                      >
                        Delete<span className="visually-hidden"> {s.name}</span>
                      </ConfirmButton>
                    </>
                  )}
                </span>
              ),
            },
          ]}
        />
      )}
      {shown && <SourceDetail key={`detail-${shown.id}`} source={shown} onClose={() => setParams({ source: null })} />}
    </main>
  );
}

const formatCount = (n: number) => n.toLocaleString('en');

/** A form row of a key/value list (dimensions, target labels). */
interface Pair {
  name: string;
  value: string;
}
const pairsOf = (d: Dimensions | undefined): Pair[] => Object.entries(d ?? {}).map(([name, value]) => ({ name, value }));
const dimensionsOf = (rows: Pair[]): Dimensions => Object.fromEntries(rows.filter((r) => r.name.trim() !== '').map((r) => [r.name.trim(), r.value]));

/** "k=v, k2=v2" → labels, or the part that is not a pair. */
function parseLabels(text: string): { ok: true; labels: Dimensions } | { ok: false; error: string } {
  const labels: Dimensions = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, error: `“${part}” is not name=value` };
    labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { ok: true, labels };
}
const labelsText = (d: Dimensions | undefined) =>
  Object.entries(d ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** The mapping editor's text → rules, or why it is not a JSON array. */
function parseMapping(text: string): { ok: true; rules: MappingRule[] } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, rules: [] };
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? { ok: true, rules: v as MappingRule[] } : { ok: false, error: 'The mapping is a JSON array of rules: [ {…}, … ]' };
  } catch (err) {
    return { ok: false, error: `Not valid JSON: ${(err as Error).message}` };
  }
}

const mappingExample = `[
  { "action": "rename", "pattern": "node_(.*)", "to": "host.$1" },
  { "action": "prefix", "prefix": "edge." },
  { "action": "drop", "pattern": "go_.*" }
]`;

function SourceForm({ source, onCancel, onSaved }: { source?: Source; onCancel: () => void; onSaved: (s: Source) => void }) {
  const mappingId = useId();
  const [name, setName] = useState(source?.name ?? '');
  const [kind, setKind] = useState<SourceKind>(source?.kind ?? 'webhook');
  const [description, setDescription] = useState(source?.description ?? '');
  const [enabled, setEnabled] = useState(source?.enabled ?? true);
  const [dims, setDims] = useState<Pair[]>(() => pairsOf(source?.defaultDimensions));
  const [mappingText, setMappingText] = useState(() => (source?.mapping.length ? JSON.stringify(source.mapping, null, 2) : ''));
  const scrape = source?.settings as Partial<ScrapeSettings> | undefined;
  const [targets, setTargets] = useState<Pair[]>(() => (scrape?.targets ?? []).map((t) => ({ name: t.url, value: labelsText(t.labels) })));
  const [interval, setIntervalText] = useState(String(scrape?.intervalSeconds ?? 60));
  const [timeout, setTimeoutText] = useState(String(scrape?.timeoutSeconds ?? 10));
  const [job, setJob] = useState(scrape?.job ?? '');
  const mapping = parseMapping(mappingText);
  const targetLabels = targets.map((t) => parseLabels(t.value));
  const isScrape = kind === 'prometheus-scrape';

  const save = useAction(async () => {
    if (!mapping.ok || targetLabels.some((l) => !l.ok)) return;
    const settings: ScrapeSettings | undefined = isScrape
      ? {
          targets: targets.map((t, i) => {
            const l = targetLabels[i]!;
            return { url: t.name.trim(), ...(l.ok && Object.keys(l.labels).length ? { labels: l.labels } : {}) };
          }),
          intervalSeconds: Number(interval),
          timeoutSeconds: Number(timeout),
          ...(job.trim() ? { job: job.trim() } : {}),
        }
      : undefined;
    const defaultDimensions = dimensionsOf(dims);
    const body = { name: name.trim(), description: description.trim(), enabled, defaultDimensions, mapping: mapping.rules, ...(settings ? { settings } : {}) };
    if (!source) return onSaved(await post<Source>('/api/v1/sources', { ...body, kind }));
    // PATCH merges defaultDimensions and settings (JSON merge patch): what the form removed is sent as null.
    const removed = Object.keys(source.defaultDimensions).filter((k) => !(k in defaultDimensions));
    const patch = {
      ...body,
      defaultDimensions: { ...Object.fromEntries(removed.map((k) => [k, null])), ...defaultDimensions },
      ...(settings ? { settings: { ...settings, ...(settings.job === undefined && scrape?.job !== undefined ? { job: null } : {}) } } : {}),
    };
    onSaved(await api<Source>('PATCH', `/api/v1/sources/${source.id}`, patch));
  });
  const errs = fieldErrors(save.error);
  const errsUnder = (prefix: string) =>
    Object.entries(errs)
      .filter(([k]) => k === prefix || k.startsWith(`${prefix}.`) || k.startsWith(`${prefix}[`) || k.startsWith(`${prefix}/`))
      .map(([k, m]) => (k === prefix ? m : `${k.slice(prefix.length).replace(/^[./]/, '')}: ${m}`));
  // `mapping[2].pattern` reads better as "Rule 3 (pattern)".
  const mappingErrors = errsUnder('mapping').map((m) => m.replace(/^\[(\d+)\]\.?([^:]*): /, (_, i: string, f: string) => `Rule ${Number(i) + 1}${f ? ` (${f})` : ''}: `));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  return (
    <form className="card source-form" onSubmit={submit} aria-label={source ? `Edit the source ${source.name}` : 'Create a source'}>
      <h2>{source ? `Edit “${source.name}”` : 'New source'}</h2>
      <div className="form-grid">
        <InputField
          label="Source name"
          required
          maxLength={64}
          pattern="[A-Za-z0-9_.:\-]{1,64}"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errsUnder('name').join('; ') || undefined}
          hint="Letters, digits and _ . : - (clients name it with ?source= or the X-Source header)"
        />
        <SelectField label="Kind" value={kind} disabled={!!source} onChange={(e) => setKind(e.target.value as SourceKind)} error={errsUnder('kind').join('; ') || undefined} hint={source ? 'The kind of a source cannot change' : undefined}>
          {kinds.map((k) => (
            <option key={k} value={k}>
              {kindNames[k]}
            </option>
          ))}
        </SelectField>
        <InputField label="Description" className="wide" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} error={errsUnder('description').join('; ') || undefined} />
      </div>

      <PairRows
        legend="Default dimensions"
        help="Added to every point this source brings; a point's own dimension of the same name wins."
        noun="dimension"
        rows={dims}
        onChange={setDims}
        first={{ label: (n) => `Dimension ${n} name`, required: true, maxLength: 128 }}
        second={{ label: (n) => `Dimension ${n} value`, maxLength: 256 }}
        errors={errsUnder('defaultDimensions')}
      />

      <div className="field">
        <label htmlFor={mappingId}>Key mapping rules (JSON)</label>
        <textarea
          id={mappingId}
          className="json-editor"
          rows={Math.min(16, Math.max(4, mappingText.split('\n').length + 1))}
          spellCheck={false}
          value={mappingText}
          placeholder={mappingExample}
          aria-invalid={!mapping.ok || mappingErrors.length > 0}
          aria-describedby={`${mappingId}-hint ${mappingId}-errors`}
          onChange={(e) => setMappingText(e.target.value)}
        />
        <small id={`${mappingId}-hint`} className={mapping.ok ? 'muted' : 'error-text'}>
          {mapping.ok
            ? 'Applied in order to each point: rename (key or RE2 pattern with $1), prefix, drop, keep, and Prometheus’ replace, labelmap, labeldrop, labelkeep. Empty: none.'
            : mapping.error}
        </small>
        <ul id={`${mappingId}-errors`} className="plain error-text" aria-label="Mapping errors" data-testid="mapping-errors" hidden={mappingErrors.length === 0}>
          {mappingErrors.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      </div>

      {isScrape && (
        <PairRows
          legend="Scrape targets"
          help="Exposition endpoints (Prometheus text format or OpenMetrics) scraped every interval; labels are added to a target's samples."
          noun="target"
          rows={targets}
          onChange={setTargets}
          first={{ label: (n) => `Target ${n} URL`, type: 'url', required: true, placeholder: 'http://127.0.0.1:9100/metrics' }}
          second={{ label: (n) => `Target ${n} labels`, placeholder: 'env=prod, team=web', error: (i) => (targetLabels[i]?.ok === false ? targetLabels[i].error : undefined) }}
          errors={errsUnder('settings')}
        >
          <div className="form-grid">
            <InputField label="Interval (seconds)" type="number" min={5} max={3600} required value={interval} onChange={(e) => setIntervalText(e.target.value)} />
            <InputField label="Timeout (seconds)" type="number" min={1} required value={timeout} onChange={(e) => setTimeoutText(e.target.value)} hint="At most the interval" />
            <InputField label="Job" value={job} maxLength={128} placeholder={name || 'the source name'} onChange={(e) => setJob(e.target.value)} hint="The job dimension of the samples and of up" />
          </div>
        </PairRows>
      )}

      <CheckField label="Enabled" checked={enabled} onChange={setEnabled} hint="A disabled source refuses points (403 source_disabled)" />
      <ErrorBox error={save.error} />
      <div className="button-row">
        <button type="submit" disabled={save.busy || !mapping.ok || targetLabels.some((l) => !l.ok)}>
          {source ? 'Save source' : 'Create source'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface PairInput {
  label: (n: number) => string;
  type?: string;
  required?: boolean;
  maxLength?: number;
  placeholder?: string;
  error?: (i: number) => string | undefined;
}

/** Editable rows of two fields each (a dimension's name and value, a target's URL and labels). */
function PairRows({ legend, help, noun, rows, onChange, first, second, errors, children }: { legend: string; help: string; noun: string; rows: Pair[]; onChange: (rows: Pair[]) => void; first: PairInput; second: PairInput; errors: string[]; children?: ReactNode }) {
  const set = (i: number, patch: Partial<Pair>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const input = (f: PairInput, i: number, field: keyof Pair) => (
    <InputField label={f.label(i + 1)} type={f.type} required={f.required} maxLength={f.maxLength} placeholder={f.placeholder} error={f.error?.(i)} value={rows[i]![field]} onChange={(e) => set(i, { [field]: e.target.value })} />
  );
  return (
    <fieldset className="plain-fieldset">
      <legend>{legend}</legend>
      <p className="muted small">{help}</p>
      {rows.map((_, i) => (
        <div className="pair-row" key={i}>
          {input(first, i, 'name')}
          {input(second, i, 'value')}
          <button type="button" className="secondary" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove<span className="visually-hidden"> {noun} {i + 1}</span>
          </button>
        </div>
      ))}
      {errors.map((m) => (
        <p key={m} className="error-text">
          {m}
        </p>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...rows, { name: '', value: '' }])}>
        Add a {noun}
      </button>
      {children}
    </fieldset>
  );
}

/** How a client sends to this source: its configuration block with this platform's URL filled in. */
function snippet(s: Source, origin: string, orgSlug: string): { client: string; text: string } {
  const key = 'iv_…'; // an API key with the write scope: the reader puts in their own
  switch (s.kind) {
    case 'prometheus-remote-write':
      return {
        client: 'Prometheus (prometheus.yml)',
        text: `remote_write:
  - url: ${origin}/api/v1/write
    authorization:
      credentials: ${key}        # an API key with the write scope
    headers:
      X-Source: ${s.name}`,
      };
    case 'otlp':
      return {
        client: 'OpenTelemetry Collector (otlphttp exporter)',
        text: `exporters:
  otlphttp/intentvision:
    metrics_endpoint: ${origin}/v1/metrics
    compression: gzip
    headers:
      Authorization: Bearer ${key}
      X-Source: ${s.name}

service:
  pipelines:
    metrics:
      exporters: [otlphttp/intentvision]`,
      };
    case 'influx':
      return {
        client: 'Telegraf (telegraf.conf)',
        text: `[[outputs.influxdb_v2]]
  urls = ["${origin}"]        # Telegraf writes to /api/v2/write
  token = "${key}"
  organization = "${orgSlug}"
  bucket = "${s.name}"        # the bucket names the source`,
      };
    case 'webhook':
      return {
        client: 'curl',
        text: `curl -X POST '${origin}/api/v1/ingest?source=${encodeURIComponent(s.name)}' \\
  -H 'Authorization: Bearer ${key}' \\
  -H 'Content-Type: application/json' \\
  -d '{"metrics": [{"key": "requests", "value": 1, "dimensions": {"host": "web-1"}}]}'`,
      };
    default:
      return { client: '', text: '' };
  }
}

function SourceDetail({ source, onClose }: { source: Source; onClose: () => void }) {
  const { org } = useSession();
  const headingId = useId();
  const isScrape = source.kind === 'prometheus-scrape';
  const { client, text } = snippet(source, window.location.origin, org?.slug ?? '');
  return (
    <section className="card" aria-labelledby={headingId} data-testid="source-detail">
      <h2 id={headingId}>{isScrape ? `Targets of “${source.name}”` : `Sending to “${source.name}”`}</h2>
      <dl className="facts source-facts">
        <dt>Kind</dt>
        <dd>{kindNames[source.kind]}</dd>
        {!isScrape && (
          <>
            <dt>Path</dt>
            <dd>
              <code>POST {kindPaths[source.kind]}{source.kind === 'webhook' ? `?source=${source.name}` : ''}</code>
            </dd>
          </>
        )}
        <dt>Default dimensions</dt>
        <dd>{Object.keys(source.defaultDimensions).length ? <code>{labelsText(source.defaultDimensions)}</code> : 'none'}</dd>
        <dt>Mapping rules</dt>
        <dd>{source.mapping.length || 'none'}</dd>
      </dl>
      {!isScrape && (
        <>
          <h3>{client}</h3>
          <p className="muted small">
            Use an API key with the write scope. A key bound to this source needs no <code>X-Source</code> header or <code>?source=</code>: everything it sends goes through the source.
          </p>
          <pre className="snippet" tabIndex={0} aria-label={`${client} configuration`}>
            <code data-testid="snippet">{text}</code>
          </pre>
        </>
      )}
      {isScrape && <Targets source={source} />}
      <button type="button" className="secondary" onClick={onClose}>
        Close
      </button>
    </section>
  );
}

function Targets({ source }: { source: Source }) {
  const targets = useLoad((signal) => get<{ targets: ScrapeTargetHealth[] }>(`/api/v1/sources/${source.id}/targets`, signal), [source.id, source.updatedAt, source.stats.lastReceivedAt]);
  const settings = source.settings as Partial<ScrapeSettings>;
  return (
    <>
      <p className="muted">
        Scraped every {settings.intervalSeconds ?? 60} s (timeout {settings.timeoutSeconds ?? 10} s) as job <code>{settings.job ?? source.name}</code>.
      </p>
      {targets.loading && !targets.data && <Loading what="Loading targets" />}
      <ErrorBox error={targets.error} onRetry={targets.reload} />
      {targets.data && (
        <DataTable
          label="Scrape targets"
          className="targets"
          rows={targets.data.targets}
          rowKey={(t) => t.url}
          empty="No targets: edit the source to add some."
          columns={[
            { header: 'Target', cell: (t) => <code className="small">{t.url}</code> },
            { header: 'Up', cell: (t) => (t.up === null ? <span className="badge">unknown</span> : <span className={`badge ${t.up ? 'sev-info' : 'sev-critical'}`}>{t.up ? 'up' : 'down'}</span>) },
            { header: 'Last scrape', cell: (t) => (t.lastScrapeAt ? formatTime(t.lastScrapeAt) : 'not yet') },
            { header: 'Duration', cell: (t) => (t.lastDurationMs === null ? '–' : `${t.lastDurationMs < 10 ? t.lastDurationMs.toFixed(1) : Math.round(t.lastDurationMs)} ms`) },
            { header: 'Samples', cell: (t) => (t.samplesScraped === null ? '–' : formatCount(t.samplesScraped)) },
            { header: 'Last error', cell: (t) => (t.lastError ? <span className="error-text small">{t.lastError}</span> : '–') },
          ]}
        />
      )}
    </>
  );
}
