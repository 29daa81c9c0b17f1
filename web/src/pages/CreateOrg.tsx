import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { useRouter } from '../router';
import { useSession } from '../session';
import { ErrorBox, Field, useAction } from '../ui';

export function CreateOrgPage() {
  const { me, refresh, switchOrg } = useSession();
  const { navigate } = useRouter();
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const r = await post<{ organization: { id: string } }>('/api/v1/orgs', { name });
    await refresh();
    await switchOrg(r.organization.id);
    navigate('/explore');
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const none = !me?.memberships.length;
  return (
    <main id="main" className="page narrow">
      <h1>{none ? 'Create your first organisation' : 'Create an organisation'}</h1>
      {none && <p>An organisation holds your series, forecasts, alerts and team. You will be its owner; invite colleagues later.</p>}
      <form onSubmit={submit} className="card">
        <Field label="Organisation name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        <ErrorBox error={create.error} />
        <button type="submit" disabled={create.busy || !me?.user.emailVerified}>
          Create organisation
        </button>
      </form>
    </main>
  );
}
