// Notification channels: list; create and edit email, Slack, webhook and PagerDuty channels with each
// type's fields (secrets are write-only: never shown back, left unchanged when left empty); send a test
// and see its outcome; a channel's deliveries with their attempts, the dead ones with Retry.
import { useState, type FormEvent } from 'react';
import { api, del, get, post, qs } from '../api';
import { fieldErrors, type Channel, type ChannelTest, type ChannelType, type Delivery } from '../alerting';
import { CheckField, InputField, SelectField } from '../components/form';
import { useSession } from '../session';
import { ConfirmButton, DataTable, Empty, ErrorBox, LoadStatus, Loading, formatTime, useAction, useLoad } from '../ui';

interface ConfigField {
  /** Path in the configuration: `host`, `auth.user`. */
  name: string;
  label: string;
  kind: 'text' | 'secret' | 'bool' | 'number' | 'list';
  required?: boolean;
  hint?: string;
  placeholder?: string;
}

const typeFields: Record<ChannelType, ConfigField[]> = {
  webhook: [
    { name: 'url', label: 'URL', kind: 'text', required: true, placeholder: 'https://example.com/hooks/alerts', hint: 'Signed with Standard Webhooks headers; plain http only to localhost' },
    { name: 'secret', label: 'Signing secret', kind: 'secret', hint: 'whsec_ followed by base64; leave empty to have one generated (shown once)' },
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
const typeNames: Record<ChannelType, string> = { webhook: 'Webhook', slack: 'Slack', pagerduty: 'PagerDuty', email: 'Email' };
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

/** The form's text of each field from a (redacted) configuration: secrets always empty. */
function valuesOf(type: ChannelType, config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of typeFields[type]) {
    const v = getPath(config, f.name);
    if (f.kind === 'secret' || (typeof v === 'string' && v.includes(redacted))) out[f.name] = '';
    else if (f.kind === 'bool') out[f.name] = v === true ? 'true' : '';
    else if (Array.isArray(v)) out[f.name] = v.join(', ');
    else out[f.name] = v === undefined || v === null ? '' : String(v);
  }
  return out;
}

/**
 * The configuration to send. Creating: the fields given. Editing (a JSON merge patch): the fields
 * changed, a cleared optional field as null; an empty secret or redacted field is left as stored.
 */
function configOf(type: ChannelType, values: Record<string, string>, initial?: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of typeFields[type]) {
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

/** A line saying where a channel sends to (from its redacted configuration). */
function destination(c: Channel): string {
  const cfg = c.config;
  if (c.type === 'email') return `${String(cfg.from ?? '')} → ${Array.isArray(cfg.to) ? cfg.to.join(', ') : ''} via ${String(cfg.host ?? '')}`;
  if (c.type === 'pagerduty') return String(cfg.eventsUrl ?? '');
  return String(cfg.url ?? '');
}

export function ChannelsPage() {
  const { can, org } = useSession();
  const admin = can('admin');
  const list = useLoad((signal) => get<{ items: Channel[] }>(`/api/v1/channels${qs({ limit: 100 })}`, signal), [org?.orgId]);
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [generated, setGenerated] = useState<{ name: string; secret: string } | null>(null);
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
          onSaved={(secret, name) => {
            setEditing(null);
            if (secret) setGenerated({ name, secret });
            list.reload();
          }}
        />
      )}
      <h2>All channels</h2>
      <LoadStatus state={list} what="Loading channels" />
      {list.data && list.data.items.length === 0 && <Empty>No channels yet.{admin ? ' Create one to be notified of alerts.' : ''}</Empty>}
      {list.data && list.data.items.length > 0 && (
        <ul className="alert-list">
          {list.data.items.map((c) => (
            <ChannelItem key={c.id} channel={c} admin={admin} onEdit={() => setEditing(c)} onChanged={list.reload} />
          ))}
        </ul>
      )}
    </main>
  );
}

function ChannelForm({ channel, onCancel, onSaved }: { channel?: Channel; onCancel: () => void; onSaved: (generatedSecret: string | undefined, name: string) => void }) {
  const [name, setName] = useState(channel?.name ?? '');
  const [type, setType] = useState<ChannelType>(channel?.type ?? 'webhook');
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [initial] = useState(() => (channel ? valuesOf(channel.type, channel.config) : undefined));
  const [values, setValues] = useState<Record<string, string>>(() => initial ?? {});
  const save = useAction(async () => {
    if (channel) {
      const config = configOf(type, values, initial);
      await api('PATCH', `/api/v1/channels/${channel.id}`, { name: name.trim(), enabled, ...(Object.keys(config).length ? { config } : {}) });
      onSaved(undefined, name);
    } else {
      const c = await post<Channel & { generatedSecret?: string }>('/api/v1/channels', { name: name.trim(), type, enabled, config: configOf(type, values) });
      onSaved(c.generatedSecret, c.name);
    }
  });
  const errs = fieldErrors(save.error);
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
        <SelectField label="Type" value={type} disabled={!!channel} onChange={(e) => (setType(e.target.value as ChannelType), setValues({}))} error={errs.type} hint={channel ? 'The type of a channel cannot change' : undefined}>
          {channelTypes.map((t) => (
            <option key={t} value={t}>
              {typeNames[t]}
            </option>
          ))}
        </SelectField>
        {typeFields[type].map((f) =>
          f.kind === 'bool' ? (
            <CheckField key={`${type}.${f.name}`} label={f.label} checked={values[f.name] === 'true'} onChange={(v) => setValues({ ...values, [f.name]: v ? 'true' : '' })} />
          ) : (
            <InputField
              key={`${type}.${f.name}`}
              label={f.label}
              type={f.kind === 'secret' ? 'password' : f.kind === 'number' ? 'number' : 'text'}
              autoComplete={f.kind === 'secret' ? 'new-password' : 'off'}
              required={f.required && !(channel && (f.kind === 'secret' || initial?.[f.name] === ''))}
              value={values[f.name] ?? ''}
              placeholder={channel && (f.kind === 'secret' || initial?.[f.name] === '') && f.required ? 'unchanged (write-only)' : f.placeholder}
              hint={channel && f.kind === 'secret' ? 'Write-only: leave empty to keep the stored one' : f.hint}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
              error={errOf(f.name)}
            />
          ),
        )}
      </div>
      {errs.config && <p className="error-text">{errs.config}</p>}
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
      </div>
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
