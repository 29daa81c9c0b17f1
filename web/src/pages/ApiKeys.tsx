// Settings → API keys: list, create with scopes (the secret shown once, with a copy button), revoke.
import { useId, useState, type FormEvent } from 'react';
import { del, get, post } from '../api';
import { useSession } from '../session';
import type { ApiKey, Role } from '../types';
import { ConfirmButton, DataTable, Empty, ErrorBox, Field, LoadStatus, formatTime, useAction, useLoad } from '../ui';

/** The scopes a role may put on a key (the API refuses more). */
const grantable: Record<Role, string[]> = {
  viewer: ['read'],
  member: ['read', 'write'],
  admin: ['read', 'write', 'admin'],
  owner: ['read', 'write', 'admin', 'owner', '*'],
};

const scopeHelp: Record<string, string> = {
  read: 'query series, forecasts, anomalies and alerts',
  write: 'ingest points, acknowledge alerts',
  admin: 'configure rules, channels, keys and members',
  owner: 'rename or delete the organisation',
  '*': 'everything',
};

export function ApiKeysPage() {
  const { can, org } = useSession();
  const keys = useLoad((signal) => (can('admin') ? get<{ keys: ApiKey[] }>('/api/v1/keys', signal) : Promise.resolve({ keys: [] })), [org?.orgId]);
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  if (!can('admin')) {
    return (
      <main id="main" className="page">
        <h1>API keys</h1>
        <p>Only admins and owners of {org?.name} manage API keys. Ask one of them for a key.</p>
      </main>
    );
  }
  return (
    <main id="main" className="page">
      <h1>API keys</h1>
      <p className="muted">Programs send points and read results with a key: <code>Authorization: Bearer iv_…</code>.</p>
      {created && <NewKey created={created} onDismiss={() => setCreated(null)} />}
      <CreateKey
        role={org!.role}
        onCreated={(k) => {
          setCreated(k);
          keys.reload();
        }}
      />
      <h2>Keys</h2>
      <LoadStatus state={keys} what="Loading keys" />
      {keys.data && keys.data.keys.length === 0 && <Empty>No keys yet.</Empty>}
      {keys.data && keys.data.keys.length > 0 && <KeyTable keys={keys.data.keys} onRevoked={keys.reload} />}
    </main>
  );
}

function NewKey({ created, onDismiss }: { created: ApiKey & { key: string }; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(created.key);
    setCopied(true);
  };
  return (
    <section className="card new-key" aria-labelledby="new-key-heading">
      <h2 id="new-key-heading">Key “{created.name}” created</h2>
      <p>Copy it now: it is shown only once.</p>
      <div className="secret-row">
        <code data-testid="new-key-secret">{created.key}</code>
        <button type="button" onClick={() => void copy().catch(() => setCopied(false))}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <button type="button" className="link" onClick={onDismiss}>
        Done
      </button>
    </section>
  );
}

function CreateKey({ role, onCreated }: { role: Role; onCreated: (k: ApiKey & { key: string }) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read', 'write']);
  const [expires, setExpires] = useState('');
  const legend = useId();
  const create = useAction(async () => {
    const k = await post<ApiKey & { key: string }>('/api/v1/keys', { name, scopes, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) });
    setName('');
    onCreated(k);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const toggle = (s: string) => setScopes((old) => (old.includes(s) ? old.filter((x) => x !== s) : [...old, s]));
  return (
    <form className="card" onSubmit={submit} aria-label="Create an API key">
      <h2>Create a key</h2>
      <Field label="Name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. collector on web-1" />
      <fieldset aria-describedby={legend}>
        <legend id={legend}>Scopes</legend>
        {grantable[role].map((s) => (
          <label key={s} className="check">
            <input type="checkbox" checked={scopes.includes(s)} onChange={() => toggle(s)} /> <code>{s}</code> <span className="muted">{scopeHelp[s]}</span>
          </label>
        ))}
      </fieldset>
      <Field label="Expires (optional)" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
      <ErrorBox error={create.error} />
      <button type="submit" disabled={create.busy || scopes.length === 0}>
        Create key
      </button>
    </form>
  );
}

function KeyTable({ keys, onRevoked }: { keys: ApiKey[]; onRevoked: () => void }) {
  const revoke = useAction(async (id: string) => {
    await del(`/api/v1/keys/${id}`);
    onRevoked();
  });
  return (
    <>
      <ErrorBox error={revoke.error} />
      <DataTable
        label="API keys"
        rows={keys}
        rowKey={(k) => k.id}
        columns={[
          { header: 'Name', cell: (k) => k.name },
          { header: 'Prefix', cell: (k) => <code>{k.prefix}</code> },
          { header: 'Scopes', cell: (k) => k.scopes.join(', ') },
          { header: 'Status', cell: (k) => k.status },
          { header: 'Created', cell: (k) => formatTime(k.createdAt) },
          { header: 'Last used', cell: (k) => (k.lastUsedAt ? formatTime(k.lastUsedAt) : 'never') },
          {
            header: 'Actions',
            hiddenHeader: true,
            cell: (k) =>
              k.status === 'active' && (
                <ConfirmButton disabled={revoke.busy} confirm={`Revoke the key “${k.name}”? Programs using it stop working.`} onConfirm={() => void revoke.run(k.id)}>
                  Revoke<span className="visually-hidden"> {k.name}</span>
                </ConfirmButton>
              ),
          },
        ]}
      />
    </>
  );
}
