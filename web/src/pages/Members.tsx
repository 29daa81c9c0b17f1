// Settings → members: who belongs to the organisation with which role; admins change roles, remove
// members and invite by email (pending invitations: resend, revoke). Anyone may leave.
import { useId, useState, type FormEvent } from 'react';
import { api, del, get, post } from '../api';
import { useRouter } from '../router';
import { useSession } from '../session';
import type { Role } from '../types';
import { ConfirmButton, DataTable, Empty, ErrorBox, Field, LoadStatus, formatTime, useAction, useLoad } from '../ui';

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
      <LoadStatus state={members} what="Loading members" />
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
    await del(`/api/v1/members/${m.userId}`);
    if (isMe(m)) {
      await refresh();
      navigate('/explore');
      return;
    }
    onChanged();
  });
  // Only owners hand out or take away the owner role.
  const assignable = can('owner') ? roles : roles.filter((r) => r !== 'owner');
  const isMe = (m: Member) => m.userId === me?.user.id;
  const editable = (m: Member) => can('admin') && !isMe(m) && (m.role !== 'owner' || can('owner'));
  return (
    <>
      <ErrorBox error={change.error ?? remove.error} />
      <DataTable
        label="Members"
        rows={members}
        rowKey={(m) => m.userId}
        columns={[
          {
            header: 'Name',
            cell: (m) => (
              <>
                {m.name}
                {isMe(m) && ' (you)'}
              </>
            ),
          },
          { header: 'Email', cell: (m) => m.email },
          {
            header: 'Role',
            cell: (m) =>
              editable(m) ? (
                <select aria-label={`Role of ${m.name}`} value={m.role} disabled={change.busy} onChange={(e) => void change.run(m, e.target.value as Role)}>
                  {assignable.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              ) : (
                m.role
              ),
          },
          { header: 'Joined', cell: (m) => formatTime(m.joinedAt) },
          {
            header: 'Actions',
            hiddenHeader: true,
            cell: (m) =>
              (editable(m) || isMe(m)) && (
                <ConfirmButton disabled={remove.busy} confirm={isMe(m) ? 'Leave this organisation?' : `Remove ${m.name} from the organisation?`} onConfirm={() => void remove.run(m)}>
                  {isMe(m) ? 'Leave' : 'Remove'}
                  <span className="visually-hidden"> {m.name}</span>
                </ConfirmButton>
              ),
          },
        ]}
      />
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
      <DataTable
        label="Pending invitations"
        rows={invitations}
        rowKey={(i) => i.id}
        columns={[
          { header: 'Email', cell: (i) => i.email },
          { header: 'Role', cell: (i) => i.role },
          { header: 'Sent', cell: (i) => formatTime(i.createdAt) },
          { header: 'Expires', cell: (i) => formatTime(i.expiresAt) },
          {
            header: 'Actions',
            hiddenHeader: true,
            className: 'row-actions',
            cell: (i) => (
              <>
                <button type="button" className="secondary" disabled={act.busy} onClick={() => void act.run(i, 'resend')}>
                  Resend<span className="visually-hidden"> to {i.email}</span>
                </button>
                <button type="button" className="danger" disabled={act.busy} onClick={() => void act.run(i, 'revoke')}>
                  Revoke<span className="visually-hidden"> the invitation of {i.email}</span>
                </button>
              </>
            ),
          },
        ]}
      />
    </>
  );
}
