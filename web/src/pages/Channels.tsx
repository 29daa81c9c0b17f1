// Notification channels: list; create and edit email, Slack, webhook (in the platform's or
// Alertmanager's body format), PagerDuty and Alertmanager channels with each type's fields (secrets are
// write-only: never shown back, left unchanged when left empty); send a test and see its outcome; a
// channel's deliveries with their attempts, the dead ones with Retry; and Alertmanager-style grouping
// of a channel's notifications (group by, wait, interval, repeat), except on Alertmanager channels,
// which group alerts themselves.
import { useState, type FormEvent } from 'react';
import { api, del, get, post, qs } from '../api';
import { fieldErrors, typesWithoutGrouping, webhookFormats, type AlertmanagerChannelConfig, type Channel, type ChannelGrouping, type ChannelTest, type ChannelType, type Delivery } from '../alerting';
import { CheckField, InputField, SelectField } from '../components/form';
import { useSession } from '../session';
import { ConfirmButton, DataTable, Empty, ErrorBox, LoadStatus, Loading, formatTime, useAction, useLoad } from '../ui';

interface ConfigField {
  /** Path in the configuration: `host`, `auth.user`. */
  name: string;
  label: string;
  kind: 'text' | 'secret' | 'bool' | 'number' | 'list' | 'choice';
  required?: boolean;
  hint?: string;
  placeholder?: string;
  /** choice: its options, the first the default. */
  options?: { value: string; text: string }[];
  /** Shown (and sent) only while the choice `field` has `value`. */
  shownWhen?: { field: string; value: string };
  /**
   * choice that is not stored itself but picks one of mutually exclusive parts of the configuration:
   * option → the part's path. Its value comes from the part present; leaving a part on edit removes it.
   */
  selects?: Record<string, string>;
}

const typeFields: Record<ChannelType, ConfigField[]> = {
  webhook: [
    { name: 'url', label: 'URL', kind: 'text', required: true, placeholder: 'https://example.com/hooks/alerts', hint: 'Signed with Standard Webhooks headers; plain http only to localhost' },
    { name: 'secret', label: 'Signing secret', kind: 'secret', hint: 'whsec_ followed by base64; leave empty to have one generated (shown once)' },
    { name: 'format', label: 'Body format', kind: 'choice', options: webhookFormats, hint: 'Alertmanager’s webhook message suits receivers written for Alertmanager; signed the same way' },
  ],
  alertmanager: [
    { name: 'url', label: 'Alertmanager URL', kind: 'text', required: true, hint: 'The base URL, e.g. https://alertmanager.example.com: alerts are posted to its /api/v2/alerts; plain http only to localhost' },
    {
      name: 'auth',
      label: 'Authentication',
      kind: 'choice',
      options: [
        { value: 'none', text: 'None' },
        { value: 'basic', text: 'Basic (user name and password)' },
        { value: 'bearer', text: 'Bearer token' },
      ],
      selects: { basic: 'basicAuth', bearer: 'bearerToken' },
    },
    { name: 'basicAuth.username', label: 'User name', kind: 'text', required: true, shownWhen: { field: 'auth', value: 'basic' } },
    { name: 'basicAuth.password', label: 'Password', kind: 'secret', required: true, shownWhen: { field: 'auth', value: 'basic' } },
    { name: 'bearerToken', label: 'Bearer token', kind: 'secret', required: true, shownWhen: { field: 'auth', value: 'bearer' } },
  ],
  slack: [{ name: 'url', label: 'Incoming webhook URL', kind: 'secret', required: true, placeholder: 'https://hooks.slack.com/services/…' }],
  pagerduty: [
    { name: 'routingKey', label: 'Integration (routing) key', kind: 'secret', required: true, hint: 'The 32-character key of an Events API v2 integration' },
    { name: 'eventsUrl', label: 'Events API URL', kind: 'text', placeholder: 'https://events.pagerduty.com/v2/enqueue', hint: 'Leave empty for the default (US) service region' },
  ],
  email: [
    { name: 'host', label: 'SMTP host', kind: 'text', required: true, placeholder: 'smtp.example.com' },
    { name: 'port', label: 'Port', kind: 'number', hint: 'Default 465 with TLS from the start, else 587' },
    { name: 'secure', label: 'TLS from the first byte (SMTPS)', kind: 'bool' },
    { name: 'requireTLS', label: 'Require STARTTLS', kind: 'bool' },
    { name: 'ignoreTLS', label: 'Never use STARTTLS', kind: 'bool' },
    { name: 'auth.user', label: 'SMTP user', kind: 'text' },
    { name: 'auth.pass', label: 'SMTP password', kind: 'secret' },
    { name: 'from', label: 'From', kind: 'text', required: true, placeholder: 'IntentVision <alerts@example.com>' },
    { name: 'to', label: 'To', kind: 'list', required: true, placeholder: 'ops@example.com, oncall@example.com', hint: 'One or more addresses, separated by commas' },
    { name: 'subjectPrefix', label: 'Subject prefix', kind: 'text', placeholder: '[prod]' },
  ],
};
const typeNames: Record<ChannelType, string> = { webhook: 'Webhook', slack: 'Slack', pagerduty: 'PagerDuty', email: 'Email', alertmanager: 'Alertmanager' };
const channelTypes = Object.keys(typeNames) as ChannelType[];
const redacted = '********';

function getPath(o: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);
}
function setPath(o: Record<string, unknown>, path: string, v: unknown): void {
  const parts = path.split('.');
  let cur = o;
  for (const k of parts.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]!] = v;
}

const shown = (f: ConfigField, values: Record<string, string>) => !f.shownWhen || values[f.shownWhen.field] === f.shownWhen.value;

/** A new channel's form: each choice at its first option, the rest empty. */
function defaultsOf(type: ChannelType): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of typeFields[type]) if (f.kind === 'choice') out[f.name] = f.options?.[0]?.value ?? '';
  return out;
}

/** The form's text of each field from a (redacted) configuration: secrets always empty. */
function valuesOf(type: ChannelType, config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of typeFields[type]) {
    const v = getPath(config, f.name);
    if (f.selects) out[f.name] = Object.entries(f.selects).find(([, path]) => getPath(config, path) !== undefined)?.[0] ?? f.options?.[0]?.value ?? '';
    else if (f.kind === 'choice') out[f.name] = typeof v === 'string' ? v : (f.options?.[0]?.value ?? '');
    else if (f.kind === 'secret' || (typeof v === 'string' && v.includes(redacted))) out[f.name] = '';
    else if (f.kind === 'bool') out[f.name] = v === true ? 'true' : '';
    else if (Array.isArray(v)) out[f.name] = v.join(', ');
    else out[f.name] = v === undefined || v === null ? '' : String(v);
  }
  return out;
}

/**
 * The configuration to send. Creating: the fields given. Editing (a JSON merge patch): the fields
 * changed, a cleared optional field as null, a part no longer selected as null; an empty secret or
 * redacted field is left as stored. Hidden fields are not sent.
 */
function configOf(type: ChannelType, values: Record<string, string>, initial?: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of typeFields[type]) {
    if (f.selects) {
      const was = initial?.[f.name];
      const part = was !== undefined && was !== values[f.name] ? f.selects[was] : undefined;
      if (part) setPath(out, part, null);
      continue;
    }
    if (!shown(f, values)) continue;
    const v = (values[f.name] ?? '').trim();
    if (initial && v === (initial[f.name] ?? '')) continue;
    if (v === '') {
      if (initial && f.kind !== 'secret' && f.kind !== 'bool' && initial[f.name]) setPath(out, f.name, null);
      if (initial && f.kind === 'bool') setPath(out, f.name, false);
      continue;
    }
    const value = f.kind === 'bool' ? true : f.kind === 'number' ? Number(v) : f.kind === 'list' ? v.split(',').map((s) => s.trim()).filter(Boolean) : f.kind === 'secret' ? values[f.name] : v;
    setPath(out, f.name, value);
  }
  return out;
}

/** The grouping part of the form, as typed. */
interface GroupingForm {
  on: boolean;
  groupBy: string;
  groupWaitSeconds: string;
  groupIntervalSeconds: string;
  repeatIntervalSeconds: string;
}

/** The form of a channel's grouping; Alertmanager's defaults (by alertname, 30 s, 5 min, 4 h) when it has none. */
function groupingFormOf(g: ChannelGrouping | null | undefined): GroupingForm {
  return {
    on: !!g,
    groupBy: g ? g.groupBy.join(', ') : 'alertname',
    groupWaitSeconds: String(g?.groupWaitSeconds ?? 30),
    groupIntervalSeconds: String(g?.groupIntervalSeconds ?? 300),
    repeatIntervalSeconds: String(g?.repeatIntervalSeconds ?? 14_400),
  };
}

/** The grouping to send: null when off; numbers as typed (the API says which are out of range). */
function groupingOf(f: GroupingForm): ChannelGrouping | null {
  if (!f.on) return null;
  return {
    groupBy: f.groupBy.split(',').map((s) => s.trim()).filter(Boolean),
    groupWaitSeconds: Number(f.groupWaitSeconds),
    groupIntervalSeconds: Number(f.groupIntervalSeconds),
    repeatIntervalSeconds: Number(f.repeatIntervalSeconds),
  };
}

/** "by alertname, env · wait 30 s · every 5 min · repeat 4 h". */
function groupingText(g: ChannelGrouping): string {
  const d = (s: number) => (s % 3600 === 0 && s > 0 ? `${s / 3600} h` : s % 60 === 0 && s > 0 ? `${s / 60} min` : `${s} s`);
  const by = g.groupBy.length === 1 && g.groupBy[0] === '...' ? 'every label set' : g.groupBy.join(', ');
  return `grouped by ${by} · wait ${d(g.groupWaitSeconds)} · every ${d(g.groupIntervalSeconds)} · repeat ${d(g.repeatIntervalSeconds)}`;
}

/** A line saying where a channel sends to (from its redacted configuration). */
function destination(c: Channel): string {
  const cfg = c.config;
  if (c.type === 'email') return `${String(cfg.from ?? '')} → ${Array.isArray(cfg.to) ? cfg.to.join(', ') : ''} via ${String(cfg.host ?? '')}`;
  if (c.type === 'pagerduty') return String(cfg.eventsUrl ?? '');
  return String(cfg.url ?? '');
}

/** How a channel sends, where its type has a choice: an Alertmanager's authentication, a webhook's body format. */
function sendingNote(c: Channel): string | null {
  if (c.type === 'alertmanager') {
    const cfg = c.config as Partial<AlertmanagerChannelConfig>;
    return cfg.basicAuth ? `basic authentication as ${cfg.basicAuth.username}` : cfg.bearerToken !== undefined ? 'bearer token' : 'no authentication';
  }
  if (c.type === 'webhook' && c.config.format === 'alertmanager') return 'Alertmanager webhook format';
  return null;
}

export function ChannelsPage() {
  const { can, org } = useSession();
  const admin = can('admin');
  const list = useLoad((signal) => get<{ items: Channel[] }>(`/api/v1/channels${qs({ limit: 100 })}`, signal), [org?.orgId]);
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [generated, setGenerated] = useState<{ name: string; secret: string } | null>(null);
  // The channel a save returned, shown at once in place of the list's older copy until the list has reloaded.
  const [saved, setSaved] = useState<Channel | null>(null);
  const items = list.data?.items.map((c) => (saved && c.id === saved.id && c.updatedAt <= saved.updatedAt ? saved : c));
  return (
    <main id="main" className="page">
      <h1>Channels</h1>
      <p className="muted">Where alert rules send their notifications. Secrets are write-only: they are never shown again.</p>
      {generated && (
        <section className="card new-key" aria-labelledby="generated-heading">
          <h2 id="generated-heading">Signing secret of “{generated.name}”</h2>
          <p>Configure the receiver with it now: it is shown only once.</p>
          <div className="secret-row">
            <code data-testid="generated-secret">{generated.secret}</code>
          </div>
          <button type="button" className="link" onClick={() => setGenerated(null)}>
            Done
          </button>
        </section>
      )}
      {admin && editing === null && (
        <p>
          <button type="button" onClick={() => setEditing('new')}>
            New channel
          </button>
        </p>
      )}
      {!admin && <p className="muted">Admins and owners of {org?.name} create, change and test channels.</p>}
      {admin && editing !== null && (
        <ChannelForm
          key={editing === 'new' ? 'new' : editing.id}
          channel={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(null)}
          onSaved={(c, secret) => {
            setEditing(null);
            setSaved(c);
            if (secret) setGenerated({ name: c.name, secret });
            list.reload();
          }}
        />
      )}
      <h2>All channels</h2>
      <LoadStatus state={list} what="Loading channels" />
      {items && items.length === 0 && <Empty>No channels yet.{admin ? ' Create one to be notified of alerts.' : ''}</Empty>}
      {items && items.length > 0 && (
        <ul className="alert-list">
          {items.map((c) => (
            <ChannelItem key={c.id} channel={c} admin={admin} onEdit={() => setEditing(c)} onChanged={list.reload} />
          ))}
        </ul>
      )}
    </main>
  );
}

function ChannelForm({ channel, onCancel, onSaved }: { channel?: Channel; onCancel: () => void; onSaved: (saved: Channel, generatedSecret: string | undefined) => void }) {
  const [name, setName] = useState(channel?.name ?? '');
  const [type, setType] = useState<ChannelType>(channel?.type ?? 'webhook');
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [initial] = useState(() => (channel ? valuesOf(channel.type, channel.config) : undefined));
  const [values, setValues] = useState<Record<string, string>>(() => initial ?? defaultsOf(channel?.type ?? 'webhook'));
  const [groupingForm, setGroupingForm] = useState<GroupingForm>(() => groupingFormOf(channel?.grouping));
  const groupable = !typesWithoutGrouping.includes(type);
  const save = useAction(async () => {
    const grouping = groupable ? groupingOf(groupingForm) : null;
    if (channel) {
      const config = configOf(type, values, initial);
      const groupingChanged = JSON.stringify(grouping) !== JSON.stringify(channel.grouping ?? null);
      const c = await api<Channel>('PATCH', `/api/v1/channels/${channel.id}`, { name: name.trim(), enabled, ...(Object.keys(config).length ? { config } : {}), ...(groupingChanged ? { grouping } : {}) });
      onSaved(c, undefined);
    } else {
      const { generatedSecret, ...c } = await post<Channel & { generatedSecret?: string }>('/api/v1/channels', { name: name.trim(), type, enabled, config: configOf(type, values), ...(grouping ? { grouping } : {}) });
      onSaved(c, generatedSecret);
    }
  });
  const errs = fieldErrors(save.error);
  const groupingErr = (f: string) => errs[`grouping.${f}`] ?? Object.entries(errs).find(([k]) => k.startsWith(`grouping.${f}[`))?.[1];
  const setGrouping = (patch: Partial<GroupingForm>) => setGroupingForm({ ...groupingForm, ...patch });
  const errOf = (f: string) => errs[`config.${f}`] ?? Object.entries(errs).find(([k]) => k.startsWith(`config.${f}[`))?.[1];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  return (
    <form className="card" onSubmit={submit} aria-label={channel ? `Edit the channel ${channel.name}` : 'Create a channel'}>
      <h2>{channel ? `Edit “${channel.name}”` : 'New channel'}</h2>
      <div className="form-grid">
        <InputField label="Channel name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} error={errs.name} />
        <SelectField label="Type" value={type} disabled={!!channel} onChange={(e) => (setType(e.target.value as ChannelType), setValues(defaultsOf(e.target.value as ChannelType)))} error={errs.type} hint={channel ? 'The type of a channel cannot change' : undefined}>
          {channelTypes.map((t) => (
            <option key={t} value={t}>
              {typeNames[t]}
            </option>
          ))}
        </SelectField>
        {typeFields[type].filter((f) => shown(f, values)).map((f) => {
          const key = `${type}.${f.name}`;
          if (f.kind === 'bool') return <CheckField key={key} label={f.label} checked={values[f.name] === 'true'} onChange={(v) => setValues({ ...values, [f.name]: v ? 'true' : '' })} />;
          if (f.kind === 'choice')
            return (
              <SelectField key={key} label={f.label} value={values[f.name] ?? ''} hint={f.hint} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} error={errOf(f.name)}>
                {f.options?.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.text}
                  </option>
                ))}
              </SelectField>
            );
          // On edit, a stored secret (or a field shown redacted) is kept when left empty.
          const kept = !!channel && (f.kind === 'secret' ? getPath(channel.config, f.name) !== undefined : initial?.[f.name] === '');
          return (
            <InputField
              key={key}
              label={f.label}
              type={f.kind === 'secret' ? 'password' : f.kind === 'number' ? 'number' : 'text'}
              autoComplete={f.kind === 'secret' ? 'new-password' : 'off'}
              required={f.required && !kept}
              value={values[f.name] ?? ''}
              placeholder={kept && f.required ? 'unchanged (write-only)' : f.placeholder}
              hint={kept && f.kind === 'secret' ? 'Write-only: leave empty to keep the stored one' : f.hint}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
              error={errOf(f.name)}
            />
          );
        })}
      </div>
      {errs.config && <p className="error-text">{errs.config}</p>}
      {groupable && (
        <fieldset className="grouping">
          <legend>Grouping</legend>
          <CheckField
            label="Group notifications"
            hint="Alertmanager-style: alerts with the same values of the group-by labels go out together, one message per group; acknowledgements still go out one by one"
            checked={groupingForm.on}
            onChange={(on) => setGrouping({ on })}
          />
          {groupingForm.on && (
            <div className="form-grid">
              <InputField
                label="Group by"
                required
                value={groupingForm.groupBy}
                placeholder="alertname, env"
                hint="Label names separated by commas (alertname, severity, the series' dimensions, the rule's labels), or ... for every label set on its own"
                onChange={(e) => setGrouping({ groupBy: e.target.value })}
                error={groupingErr('groupBy') ?? errs.grouping}
              />
              <InputField label="Group wait (seconds)" type="number" min={0} required value={groupingForm.groupWaitSeconds} hint="Before a new group's first message" onChange={(e) => setGrouping({ groupWaitSeconds: e.target.value })} error={groupingErr('groupWaitSeconds')} />
              <InputField label="Group interval (seconds)" type="number" min={1} required value={groupingForm.groupIntervalSeconds} hint="Between messages of a group; alerts arriving meanwhile go together" onChange={(e) => setGrouping({ groupIntervalSeconds: e.target.value })} error={groupingErr('groupIntervalSeconds')} />
              <InputField label="Repeat interval (seconds)" type="number" min={1} required value={groupingForm.repeatIntervalSeconds} hint="A group still firing is sent again after this long" onChange={(e) => setGrouping({ repeatIntervalSeconds: e.target.value })} error={groupingErr('repeatIntervalSeconds')} />
            </div>
          )}
        </fieldset>
      )}
      <CheckField label="Enabled" checked={enabled} onChange={setEnabled} />
      <ErrorBox error={save.error} />
      <div className="button-row">
        <button type="submit" disabled={save.busy}>
          {channel ? 'Save channel' : 'Create channel'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ChannelItem({ channel, admin, onEdit, onChanged }: { channel: Channel; admin: boolean; onEdit: () => void; onChanged: () => void }) {
  const [outcome, setOutcome] = useState<ChannelTest | null>(null);
  const [open, setOpen] = useState(false);
  const [version, setVersion] = useState(0);
  const test = useAction(async () => {
    setOutcome(null);
    setOutcome(await post<ChannelTest>(`/api/v1/channels/${channel.id}/test`));
    setVersion((v) => v + 1);
  });
  const remove = useAction(async () => {
    await del(`/api/v1/channels/${channel.id}`);
    onChanged();
  });
  return (
    <li className="card" data-channel-id={channel.id}>
      <div className="alert-head">
        <span className="badge">{typeNames[channel.type] ?? channel.type}</span>
        <strong>{channel.name}</strong>
        {!channel.enabled && <span className="badge">disabled</span>}
        <code className="small">{destination(channel)}</code>
        {sendingNote(channel) && (
          <span className="small muted" data-testid="channel-sending">
            {sendingNote(channel)}
          </span>
        )}
      </div>
      {channel.grouping && (
        <p className="small muted" data-testid="channel-grouping">
          {groupingText(channel.grouping)}
        </p>
      )}
      <div className="button-row">
        {admin && (
          <>
            <button type="button" onClick={() => void test.run()} disabled={test.busy}>
              {test.busy ? 'Sending…' : 'Send test'}
              <span className="visually-hidden"> to {channel.name}</span>
            </button>
            <button type="button" className="secondary" onClick={onEdit}>
              Edit<span className="visually-hidden"> {channel.name}</span>
            </button>
            <ConfirmButton disabled={remove.busy} confirm={`Delete the channel “${channel.name}” and its delivery records?`} onConfirm={() => void remove.run()}>
              Delete<span className="visually-hidden"> {channel.name}</span>
            </ConfirmButton>
          </>
        )}
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? 'Hide deliveries' : 'Show deliveries'}
        </button>
      </div>
      {outcome && (
        <p role="status" className={outcome.ok ? 'outcome-ok' : 'error'} data-testid="test-outcome">
          {outcome.ok ? 'Test delivered' : 'Test failed'}: {outcome.classification}
          {outcome.status !== null ? ` (${outcome.status})` : ''} in {Math.round(outcome.durationMs)} ms{outcome.error ? ` · ${outcome.error}` : ''}
        </p>
      )}
      <ErrorBox error={test.error ?? remove.error} />
      {open && <Deliveries channelId={channel.id} admin={admin} version={version} />}
    </li>
  );
}

function Deliveries({ channelId, admin, version }: { channelId: string; admin: boolean; version: number }) {
  const [dead, setDead] = useState(false);
  const list = useLoad((signal) => get<{ items: Delivery[] }>(`/api/v1/deliveries${qs({ channelId, status: dead ? 'dead' : undefined, limit: 50 })}`, signal), [channelId, dead, version]);
  const [shown, setShown] = useState<string | null>(null);
  const retry = useAction(async (id: string) => {
    await post(`/api/v1/deliveries/${id}/retry`);
    list.reload();
  });
  return (
    <div className="channel-detail">
      <div role="group" aria-label="Which deliveries" className="segmented">
        <button type="button" aria-pressed={!dead} className={!dead ? 'on' : 'secondary'} onClick={() => setDead(false)}>
          All
        </button>
        <button type="button" aria-pressed={dead} className={dead ? 'on' : 'secondary'} onClick={() => setDead(true)}>
          Dead
        </button>
      </div>
      {list.loading && !list.data && <Loading what="Loading deliveries" />}
      <ErrorBox error={list.error ?? retry.error} onRetry={list.error ? list.reload : undefined} />
      {list.data && (
        <DataTable
          label="Deliveries"
          className="deliveries"
          rows={list.data.items}
          rowKey={(d) => d.id}
          rowProps={(d) => ({ 'data-delivery-status': d.status, 'data-event': d.event })}
          empty={dead ? 'No dead deliveries.' : 'Nothing sent through this channel yet.'}
          detail={(d) => shown === d.id && <AttemptLog id={d.id} />}
          columns={[
            { header: 'Created', cell: (d) => formatTime(d.createdAt) },
            { header: 'Event', cell: (d) => d.event },
            { header: 'Status', cell: (d) => d.status },
            {
              header: 'Attempts',
              cell: (d) => (
                <>
                  {d.attempts} of {d.maxAttempts}
                </>
              ),
            },
            { header: 'Last error', cell: (d) => d.lastError ?? '–' },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (d) => (
                <span className="row-actions">
                  <button type="button" className="link" aria-expanded={shown === d.id} onClick={() => setShown(shown === d.id ? null : d.id)}>
                    {shown === d.id ? 'Hide attempts' : 'Attempts'}
                  </button>
                  {admin && d.status === 'dead' && (
                    <button type="button" className="secondary" disabled={retry.busy} onClick={() => void retry.run(d.id)}>
                      Retry
                    </button>
                  )}
                </span>
              ),
            },
          ]}
        />
      )}
    </div>
  );
}

function AttemptLog({ id }: { id: string }) {
  const d = useLoad((signal) => get<Delivery>(`/api/v1/deliveries/${id}`, signal), [id]);
  if (d.loading && !d.data) return <Loading what="Loading attempts" />;
  if (d.error) return <ErrorBox error={d.error} onRetry={d.reload} />;
  const log = d.data?.attemptLog ?? [];
  if (!log.length) return <p className="muted">No attempt yet.</p>;
  return (
    <ol className="small">
      {log.map((a) => (
        <li key={a.attempt}>
          {formatTime(a.at)}: {a.ok ? 'delivered' : 'failed'} ({a.classification}
          {a.status !== null ? `, ${a.status}` : ''}, {Math.round(a.durationMs)} ms){a.error ? ` · ${a.error}` : ''}
          {!a.ok && (a.retryable ? ' · retried' : ' · permanent')}
        </li>
      ))}
    </ol>
  );
}
