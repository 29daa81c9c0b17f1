// Forecast schedules: the list (name, series, schedule, next run, paused), create (series, step,
// horizon, backend; hourly, daily or cron), pause and resume, run now, delete, and each schedule's
// runs with their states (refreshed while one is pending or running). Row buttons name their schedule
// with aria-label: a visually hidden span would be positioned outside the table's scrolling box.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { del, get, post } from '../api';
import { Link, useQueryState } from '../router';
import { parseDimFilter, refLabel } from '../series-ref';
import { useSession } from '../session';
import type { Backend, ForecastRun, ForecastSchedule } from '../types';
import { ConfirmButton, DataTable, Empty, ErrorBox, Field, LoadStatus, formatTime, useAction, useLoad } from '../ui';

type Page<T> = { items: T[]; nextCursor: string | null };
const steps = ['1m', '5m', '1h', '1d'] as const;

export function SchedulesPage() {
  const { can, org } = useSession();
  const [params, setParams] = useQueryState();
  const open = params.get('runs');
  const list = useLoad((signal) => get<Page<ForecastSchedule>>('/api/v1/forecast-schedules?limit=100', signal), [org?.orgId]);
  const [note, setNote] = useState<string | null>(null);
  const selected = list.data?.items.find((s) => s.id === open);
  return (
    <main id="main" className="page">
      <h1>Forecast schedules</h1>
      <p className="muted">
        Each run forecasts every series of the key whose dimensions include the given pairs; runs are jobs that retry with backoff. Continuous anomaly detection has its own{' '}
        <Link to="/detection-schedules">detection schedules</Link>.
      </p>
      {can('admin') ? (
        <CreateSchedule
          onCreated={(s) => {
            setNote(`Schedule “${s.name}” created; next run ${s.nextRunAt ? formatTime(s.nextRunAt) : '–'}.`);
            list.reload();
          }}
        />
      ) : (
        <p>Only admins and owners create and change schedules.</p>
      )}
      {note && (
        <p className="notice" role="status">
          {note}
        </p>
      )}
      <h2>Schedules</h2>
      <LoadStatus state={list} what="Loading schedules" />
      {list.data && list.data.items.length === 0 && <Empty>No forecast schedules yet.{can('admin') ? ' Create one above.' : ''}</Empty>}
      {list.data && list.data.items.length > 0 && (
        <ScheduleTable
          items={list.data.items}
          open={open}
          onToggleRuns={(id) => setParams({ runs: open === id ? null : id })}
          onChanged={(message, runsOf) => {
            setNote(message);
            if (runsOf) setParams({ runs: runsOf });
            list.reload();
          }}
        />
      )}
      {list.data?.nextCursor && <p className="muted small">Showing the first 100 schedules.</p>}
      {selected && <Runs schedule={selected} />}
    </main>
  );
}

function CreateSchedule({ onCreated }: { onCreated: (s: ForecastSchedule) => void }) {
  const ids = { step: useId(), kind: useId(), backend: useId() };
  const [form, setForm] = useState({ name: '', key: '', dims: '', frequency: '1h', horizon: 24, backend: '', kind: 'hourly', cron: '*/15 * * * *' });
  const backends = useLoad((signal) => get<{ backends: Backend[] }>('/api/v1/forecast/backends', signal), []);
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const dims = parseDimFilter(form.dims);
  const create = useAction(async () => {
    const s = await post<ForecastSchedule>('/api/v1/forecast-schedules', {
      name: form.name.trim(),
      key: form.key.trim(),
      dimensions: dims ?? {},
      frequency: form.frequency,
      horizon: form.horizon,
      ...(form.backend ? { backend: form.backend } : {}),
      schedule: form.kind === 'cron' ? form.cron.trim() : form.kind,
    });
    setForm((f) => ({ ...f, name: '' }));
    onCreated(s);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dims) void create.run();
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="create-schedule-heading">
      <h2 id="create-schedule-heading">Create a schedule</h2>
      <div className="inline-form">
        <Field label="Name" required maxLength={200} value={form.name} onChange={(e) => set({ name: e.target.value })} placeholder="e.g. cpu every hour" />
        <Field label="Metric key" required maxLength={200} value={form.key} onChange={(e) => set({ key: e.target.value })} placeholder="e.g. cpu.load" />
        <Field
          label="Dimensions"
          value={form.dims}
          onChange={(e) => set({ dims: e.target.value })}
          placeholder="host=web-1, region=eu"
          aria-invalid={!dims}
          hint={dims ? 'optional; name=value pairs the series must have' : 'Write each pair as name=value'}
        />
      </div>
      <div className="inline-form">
        <span className="field-inline">
          <label htmlFor={ids.step}>Step</label>
          <select id={ids.step} value={form.frequency} onChange={(e) => set({ frequency: e.target.value })}>
            {steps.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </span>
        <Field label="Horizon (steps)" type="number" min={1} max={720} required value={form.horizon} onChange={(e) => set({ horizon: Number(e.target.value) })} />
        <span className="field-inline">
          <label htmlFor={ids.backend}>Backend</label>
          <select id={ids.backend} value={form.backend} onChange={(e) => set({ backend: e.target.value })}>
            <option value="">default</option>
            {backends.data?.backends.map((b) => (
              <option key={b.name} value={b.name} disabled={!b.available}>
                {b.name}
                {b.available ? '' : ' (unavailable)'}
              </option>
            ))}
          </select>
        </span>
        <span className="field-inline">
          <label htmlFor={ids.kind}>Runs</label>
          <select id={ids.kind} value={form.kind} onChange={(e) => set({ kind: e.target.value })}>
            <option value="hourly">hourly (at minute 0)</option>
            <option value="daily">daily (at 00:00 UTC)</option>
            <option value="cron">on a cron expression</option>
          </select>
        </span>
        {form.kind === 'cron' && <Field label="Cron (UTC)" required value={form.cron} onChange={(e) => set({ cron: e.target.value })} hint="minute hour day month weekday" />}
      </div>
      <ErrorBox error={create.error} />
      <button type="submit" disabled={create.busy || !dims}>
        Create schedule
      </button>
    </form>
  );
}

function ScheduleTable({ items, open, onToggleRuns, onChanged }: { items: ForecastSchedule[]; open: string | null; onToggleRuns: (id: string) => void; onChanged: (message: string, runsOf?: string) => void }) {
  const { can } = useSession();
  const act = useAction(async (s: ForecastSchedule, action: 'pause' | 'resume' | 'run' | 'delete') => {
    if (action === 'delete') {
      await del(`/api/v1/forecast-schedules/${s.id}`);
      return onChanged(`Schedule “${s.name}” deleted.`);
    }
    if (action === 'run') {
      await post(`/api/v1/forecast-schedules/${s.id}/run`);
      return onChanged(`A run of “${s.name}” is queued.`, s.id);
    }
    await post(`/api/v1/forecast-schedules/${s.id}/${action}`);
    onChanged(`Schedule “${s.name}” ${action === 'pause' ? 'paused' : 'resumed'}.`);
  });
  return (
    <>
      <ErrorBox error={act.error} />
      <DataTable
        label="Forecast schedules"
        rows={items}
        rowKey={(s) => s.id}
        rowProps={(s) => ({ 'data-schedule-id': s.id })}
        columns={[
          { header: 'Name', cell: (s) => s.name },
          { header: 'Series', cell: (s) => <code>{refLabel({ key: s.key, dimensions: s.dimensions })}</code> },
          {
            header: 'Forecast',
            cell: (s) => (
              <>
                {s.horizon} × {s.frequency}
                {s.backend ? `, ${s.backend}` : ''}
              </>
            ),
          },
          {
            header: 'Schedule',
            cell: (s) => (
              <>
                {s.schedule}
                {s.schedule !== s.cron && <span className="muted small"> ({s.cron})</span>}
              </>
            ),
          },
          { header: 'Next run', cell: (s) => (s.paused ? 'paused' : s.nextRunAt ? formatTime(s.nextRunAt) : '–') },
          { header: 'Last run', cell: (s) => (s.lastRunAt ? formatTime(s.lastRunAt) : 'never') },
          { header: 'State', cell: (s) => <span className="badge">{s.paused ? 'paused' : 'active'}</span> },
          {
            header: 'Actions',
            cell: (s) => (
              <span className="row-actions">
                <button type="button" className="secondary" aria-expanded={open === s.id} aria-label={`${open === s.id ? 'Hide runs' : 'Runs'} of ${s.name}`} onClick={() => onToggleRuns(s.id)}>
                  {open === s.id ? 'Hide runs' : 'Runs'}
                </button>
                {can('admin') && (
                  <>
                    <button type="button" disabled={act.busy} aria-label={`Run now ${s.name}`} onClick={() => void act.run(s, 'run')}>
                      Run now
                    </button>
                    <button type="button" className="secondary" disabled={act.busy} aria-label={`${s.paused ? 'Resume' : 'Pause'} ${s.name}`} onClick={() => void act.run(s, s.paused ? 'resume' : 'pause')}>
                      {s.paused ? 'Resume' : 'Pause'}
                    </button>
                    <ConfirmButton disabled={act.busy} aria-label={`Delete ${s.name}`} confirm={`Delete the schedule “${s.name}” and its runs? Its forecasts stay.`} onConfirm={() => void act.run(s, 'delete')}>
                      Delete
                    </ConfirmButton>
                  </>
                )}
              </span>
            ),
          },
        ]}
      />
    </>
  );
}

function Runs({ schedule }: { schedule: ForecastSchedule }) {
  const runs = useLoad((signal) => get<Page<ForecastRun>>(`/api/v1/forecast-schedules/${schedule.id}/runs?limit=20`, signal), [schedule.id, schedule.updatedAt]);
  const { reload } = runs;
  // A run in progress is watched until it settles.
  const busy = runs.data?.items.some((r) => r.status === 'pending' || r.status === 'running');
  useEffect(() => {
    if (!busy) return;
    const timer = window.setInterval(reload, 1500);
    return () => window.clearInterval(timer);
  }, [busy, reload]);
  return (
    <section aria-labelledby="runs-heading">
      <h2 id="runs-heading">Runs of “{schedule.name}”</h2>
      <LoadStatus state={runs} what="Loading runs" />
      {runs.data && (
        <DataTable
          label={`Runs of ${schedule.name}`}
          className="runs"
          rows={runs.data.items}
          rowKey={(r) => r.id}
          rowProps={(r) => ({ 'data-status': r.status })}
          empty={<>No runs yet. The first is due {schedule.nextRunAt ? formatTime(schedule.nextRunAt) : 'when the schedule is resumed'}.</>}
          columns={[
            { header: 'Scheduled for', cell: (r) => formatTime(r.scheduledFor) },
            { header: 'Status', cell: (r) => <span className="badge">{r.status}</span> },
            { header: 'Attempts', cell: (r) => r.attempts },
            { header: 'Series', cell: (r) => r.seriesCount ?? '–' },
            { header: 'Forecasts', cell: (r) => r.forecastCount ?? '–' },
            { header: 'Finished', cell: (r) => (r.finishedAt ? formatTime(r.finishedAt) : '–') },
            { header: 'Error', cell: (r) => r.error ?? '' },
          ]}
        />
      )}
    </section>
  );
}
