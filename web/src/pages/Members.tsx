// Settings → members: who belongs to the organisation with which role; admins change roles, remove
// members and invite by email (pending invitations: resend, revoke). Anyone may leave.
import { useId, useState, type FormEvent } from 'react';
import { api, del, get, post } from '../api';
import { useRouter } from '../router';
import { useSession } from '../session';
import type { Role } from '../types';
import { Empty, ErrorBox, Field, Loading, TableWrap, formatTime, useAction, useLoad } from '../ui';

interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: string;
}

interface Invitation {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
}

const roles: Role[] = ['viewer', 'member', 'admin', 'owner'];

export function MembersPage() {
  const { can, org } = useSession();
  const members = useLoad((signal) => get<{ members: Member[] }>('/api/v1/members', signal), [org?.orgId]);
  const invitations = useLoad((signal) => (can('admin') ? get<{ invitations: Invitation[] }>('/api/v1/invitations', signal) : Promise.resolve({ invitations: [] })), [org?.orgId]);
  return (
    <main id="main" className="page narrow-wide">
      <h1>Members of {org?.name}</h1>
      {members.loading && !members.data && <Loading what="Loading members" />}
      <ErrorBox error={members.error} onRetry={members.reload} />
      {members.data && <MemberTable members={members.data.members} onChanged={members.reload} />}
      {can('admin') && (
        <>
          <Invite onSent={invitations.reload} />
          <h2>Pending invitations</h2>
          <ErrorBox error={invitations.error} onRetry={invitations.reload} />
          {invitations.data && invitations.data.invitations.length === 0 && <Empty>No pending invitations.</Empty>}
          {invitations.data && invitations.data.invitations.length > 0 && <InvitationTable invitations={invitations.data.invitations} onChanged={invitations.reload} />}
        </>
      )}
    </main>
  );
}

function MemberTable({ members, onChanged }: { members: Member[]; onChanged: () => void }) {
  const { me, can, refresh } = useSession();
  const { navigate } = useRouter();
  const change = useAction(async (m: Member, role: Role) => {
    await api('PATCH', `/api/v1/members/${m.userId}`, { role });
    onChanged();
  });
  const remove = useAction(async (m: Member) => {
    const self = m.userId === me?.user.id;
    if (!window.confirm(self ? 'Leave this organisation?' : `Remove ${m.name} from the organisation?`)) return;
    await del(`/api/v1/members/${m.userId}`);
    if (self) {
      await refresh();
      navigate('/explore');
      return;
    }
    onChanged();
  });
  // Only owners hand out or take away the owner role.
  const assignable = can('owner') ? roles : roles.filter((r) => r !== 'owner');
  return (
    <>
      <ErrorBox error={change.error ?? remove.error} />
      <TableWrap label="Members">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => {
              const self = m.userId === me?.user.id;
              const editable = can('admin') && !self && (m.role !== 'owner' || can('owner'));
              return (
                <tr key={m.userId}>
                  <td>
                    {m.name}
                    {self && ' (you)'}
                  </td>
                  <td>{m.email}</td>
                  <td>
                    {editable ? (
                      <select aria-label={`Role of ${m.name}`} value={m.role} disabled={change.busy} onChange={(e) => void change.run(m, e.target.value as Role)}>
                        {assignable.map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    ) : (
                      m.role
                    )}
                  </td>
                  <td>{formatTime(m.joinedAt)}</td>
                  <td>
                    {(editable || self) && (
                      <button type="button" className="danger" disabled={remove.busy} onClick={() => void remove.run(m)}>
                        {self ? 'Leave' : 'Remove'}
                        <span className="visually-hidden"> {m.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

function Invite({ onSent }: { onSent: () => void }) {
  const { can } = useSession();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [sent, setSent] = useState<string | null>(null);
  const roleId = useId();
  const invite = useAction(async () => {
    setSent(null);
    await post('/api/v1/invitations', { email, role });
    setSent(email);
    setEmail('');
    onSent();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void invite.run();
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <div className="field">
        <label htmlFor={roleId}>Role</label>
        <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {(can('owner') ? roles : roles.filter((r) => r !== 'owner')).map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </div>
      <ErrorBox error={invite.error} />
      <button type="submit" disabled={invite.busy}>
        Send invitation
      </button>
      {sent && (
        <span role="status" className="muted">
          {' '}
          Invitation sent to {sent}.
        </span>
      )}
    </form>
  );
}

function InvitationTable({ invitations, onChanged }: { invitations: Invitation[]; onChanged: () => void }) {
  const act = useAction(async (i: Invitation, action: 'resend' | 'revoke') => {
    if (action === 'resend') await post(`/api/v1/invitations/${i.id}/resend`);
    else await del(`/api/v1/invitations/${i.id}`);
    onChanged();
  });
  return (
    <>
      <ErrorBox error={act.error} />
      <TableWrap label="Pending invitations">
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Sent</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invitations.map((i) => (
              <tr key={i.id}>
                <td>{i.email}</td>
                <td>{i.role}</td>
                <td>{formatTime(i.createdAt)}</td>
                <td>{formatTime(i.expiresAt)}</td>
                <td className="row-actions">
                  <button type="button" className="secondary" disabled={act.busy} onClick={() => void act.run(i, 'resend')}>
                    Resend<span className="visually-hidden"> to {i.email}</span>
                  </button>
                  <button type="button" className="danger" disabled={act.busy} onClick={() => void act.run(i, 'revoke')}>
                    Revoke<span className="visually-hidden"> the invitation of {i.email}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}
