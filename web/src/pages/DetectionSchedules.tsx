// Detection schedules: continuous online anomaly detection over the series a key and dimension filter
// select. The list (series, interval, sensitivity, bounds, next run, state), create (key, dimensions,
// interval, sensitivity, known bounds), pause and resume, run now, delete, and each schedule's series
// with their detection state (refreshed while shown). Row buttons name their schedule with aria-label,
// as on the forecast schedules page.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { del, get, patch, post } from '../api';
import { boundsFromText, boundsLabel } from '../bounds';
import { useQueryState } from '../router';
import { parseDimFilter, refLabel } from '../series-ref';
import { useSession } from '../session';
import type { DetectionSchedule, DetectionSeriesState } from '../types';
import { ConfirmButton, DataTable, Empty, ErrorBox, Field, LoadStatus, formatNumber, formatTime, useAction, useLoad } from '../ui';

type Page<T> = { items: T[]; nextCursor: string | null };

const intervals: [number, string][] = [
  [60, 'every minute'],
  [300, 'every 5 minutes'],
  [900, 'every 15 minutes'],
  [3600, 'every hour'],
  [86_400, 'every day'],
];

/** How often, in words when it is one of the offered intervals. */
function intervalLabel(seconds: number): string {
  return intervals.find(([s]) => s === seconds)?.[1] ?? `every ${seconds} s`;
}

export function DetectionSchedulesPage() {
  const { can, org } = useSession();
  const [params, setParams] = useQueryState();
  const open = params.get('series');
  const list = useLoad((signal) => get<Page<DetectionSchedule>>('/api/v1/detection-schedules?limit=100', signal), [org?.orgId]);
  const [note, setNote] = useState<string | null>(null);
  const selected = list.data?.items.find((s) => s.id === open);
  return (
    <main id="main" className="page">
      <h1>Detection schedules</h1>
      <p className="muted">
        Each run reads the points that arrived since the last one in every series of the key whose dimensions include the given pairs, scores them online from the saved state, and stores the
        anomalies it finds (anomaly alert rules can read them).
      </p>
      {can('admin') ? (
        <CreateDetectionSchedule
          onCreated={(s) => {
            setNote(`Detection schedule “${s.name}” created; next run ${s.nextRunAt ? formatTime(s.nextRunAt) : '–'}.`);
            list.reload();
          }}
        />
      ) : (
        <p>Only admins and owners create and change detection schedules.</p>
      )}
      {note && (
        <p className="notice" role="status">
          {note}
        </p>
      )}
      <h2>Schedules</h2>
      <LoadStatus state={list} what="Loading detection schedules" />
      {list.data && list.data.items.length === 0 && <Empty>No detection schedules yet.{can('admin') ? ' Create one above.' : ''}</Empty>}
      {list.data && list.data.items.length > 0 && (
        <DetectionScheduleTable
          items={list.data.items}
          open={open}
          onToggleSeries={(id) => setParams({ series: open === id ? null : id })}
          onChanged={(message, seriesOf) => {
            setNote(message);
            if (seriesOf) setParams({ series: seriesOf });
            list.reload();
          }}
        />
      )}
      {list.data?.nextCursor && <p className="muted small">Showing the first 100 schedules.</p>}
      {selected && <SeriesStates schedule={selected} onRunSeen={list.reload} />}
    </main>
  );
}

function CreateDetectionSchedule({ onCreated }: { onCreated: (s: DetectionSchedule) => void }) {
  const ids = { interval: useId() };
  const [form, setForm] = useState({ name: '', key: '', dims: '', interval: 300, sensitivity: 0.5, min: '', max: '' });
  const set = (p: Partial<typeof form>) => setForm((f) => ({ ...f, ...p }));
  const dims = parseDimFilter(form.dims);
  const create = useAction(async () => {
    const bounds = boundsFromText(form.min, form.max);
    const s = await post<DetectionSchedule>('/api/v1/detection-schedules', {
      name: form.name.trim(),
      key: form.key.trim(),
      dimensions: dims ?? {},
      intervalSeconds: form.interval,
      sensitivity: form.sensitivity,
      bounds,
    });
    setForm((f) => ({ ...f, name: '' }));
    onCreated(s);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dims) void create.run();
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="create-detection-heading">
      <h2 id="create-detection-heading">Create a detection schedule</h2>
      <div className="inline-form">
        <Field label="Name" required maxLength={200} value={form.name} onChange={(e) => set({ name: e.target.value })} placeholder="e.g. api latency" />
        <Field label="Metric key" required maxLength={200} value={form.key} onChange={(e) => set({ key: e.target.value })} placeholder="e.g. api.latency" />
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
          <label htmlFor={ids.interval}>Runs</label>
          <select id={ids.interval} value={form.interval} onChange={(e) => set({ interval: Number(e.target.value) })}>
            {intervals.map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </span>
        <Field label="Sensitivity" type="number" min={0} max={1} step={0.05} required value={form.sensitivity} onChange={(e) => set({ sensitivity: Number(e.target.value) })} hint="0–1; higher finds more" />
        <Field label="Lowest possible value" type="number" step="any" value={form.min} onChange={(e) => set({ min: e.target.value })} hint="optional, e.g. 0" />
        <Field label="Highest possible value" type="number" step="any" value={form.max} onChange={(e) => set({ max: e.target.value })} hint="optional, e.g. 100; empty: each series' own bounds" />
      </div>
      <ErrorBox error={create.error} />
      <button type="submit" disabled={create.busy || !dims}>
        Create detection schedule
      </button>
    </form>
  );
}

function DetectionScheduleTable({
  items,
  open,
  onToggleSeries,
  onChanged,
}: {
  items: DetectionSchedule[];
  open: string | null;
  onToggleSeries: (id: string) => void;
  onChanged: (message: string, seriesOf?: string) => void;
}) {
  const { can } = useSession();
  const act = useAction(async (s: DetectionSchedule, action: 'pause' | 'resume' | 'run' | 'delete') => {
    if (action === 'delete') {
      await del(`/api/v1/detection-schedules/${s.id}`);
      return onChanged(`Detection schedule “${s.name}” deleted.`);
    }
    if (action === 'run') {
      await post(`/api/v1/detection-schedules/${s.id}/run`);
      return onChanged(`A run of “${s.name}” is queued.`, s.id);
    }
    await patch(`/api/v1/detection-schedules/${s.id}`, { paused: action === 'pause' });
    onChanged(`Detection schedule “${s.name}” ${action === 'pause' ? 'paused' : 'resumed'}.`);
  });
  return (
    <>
      <ErrorBox error={act.error} />
      <DataTable
        label="Detection schedules"
        rows={items}
        rowKey={(s) => s.id}
        rowProps={(s) => ({ 'data-schedule-id': s.id, 'data-state': s.paused ? 'paused' : s.lastError ? 'failing' : 'active' })}
        columns={[
          { header: 'Name', cell: (s) => s.name },
          { header: 'Series', cell: (s) => <code>{refLabel({ key: s.key, dimensions: s.dimensions })}</code> },
          { header: 'Runs', cell: (s) => intervalLabel(s.intervalSeconds) },
          { header: 'Sensitivity', cell: (s) => s.sensitivity },
          { header: 'Bounds', cell: (s) => (s.bounds ? boundsLabel(s.bounds) : <span className="muted">each series’ own</span>) },
          { header: 'Next run', cell: (s) => (s.paused ? 'paused' : s.nextRunAt ? formatTime(s.nextRunAt) : '–') },
          { header: 'Last run', cell: (s) => (s.lastRunAt ? formatTime(s.lastRunAt) : 'never') },
          {
            header: 'State',
            cell: (s) => (
              <>
                <span className="badge">{s.paused ? 'paused' : s.lastError ? 'failing' : 'active'}</span>
                {s.lastError && <span className="error-text small"> {s.lastError}</span>}
              </>
            ),
          },
          {
            header: 'Actions',
            cell: (s) => (
              <span className="row-actions">
                <button type="button" className="secondary" aria-expanded={open === s.id} aria-label={`${open === s.id ? 'Hide series' : 'Series'} of ${s.name}`} onClick={() => onToggleSeries(s.id)}>
                  {open === s.id ? 'Hide series' : `Series (${s.seriesCount})`}
                </button>
                {can('admin') && (
                  <>
                    <button type="button" disabled={act.busy} aria-label={`Run now ${s.name}`} onClick={() => void act.run(s, 'run')}>
                      Run now
                    </button>
                    <button type="button" className="secondary" disabled={act.busy} aria-label={`${s.paused ? 'Resume' : 'Pause'} ${s.name}`} onClick={() => void act.run(s, s.paused ? 'resume' : 'pause')}>
                      {s.paused ? 'Resume' : 'Pause'}
                    </button>
                    <ConfirmButton
                      disabled={act.busy}
                      aria-label={`Delete ${s.name}`}
                      confirm={`Delete the detection schedule “${s.name}” and its saved states? The anomalies it found stay.`}
                      onConfirm={() => void act.run(s, 'delete')}
                    >
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

/** A schedule's series and their detection state, polled while shown (a run may be under way). */
function SeriesStates({ schedule, onRunSeen }: { schedule: DetectionSchedule; onRunSeen: () => void }) {
  const states = useLoad((signal) => get<{ items: DetectionSeriesState[] }>(`/api/v1/detection-schedules/${schedule.id}/series`, signal), [schedule.id, schedule.updatedAt]);
  const { reload } = states;
  useEffect(() => {
    const timer = window.setInterval(reload, 2000);
    return () => window.clearInterval(timer);
  }, [reload]);
  // When a run lands, the schedule's own row (last run, state) is read again once.
  const lastRun = states.data?.items.reduce<string | null>((m, s) => (s.lastRunAt && (!m || s.lastRunAt > m) ? s.lastRunAt : m), null) ?? null;
  useEffect(() => {
    if (lastRun && lastRun !== schedule.lastRunAt) onRunSeen();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastRun]);
  return (
    <section aria-labelledby="series-states-heading">
      <h2 id="series-states-heading">Series of “{schedule.name}”</h2>
      <LoadStatus state={states} what="Loading series" />
      {states.data && (
        <DataTable
          label={`Series of ${schedule.name}`}
          rows={states.data.items}
          rowKey={(s) => String(s.seriesId)}
          rowProps={(s) => ({ 'data-series-id': String(s.seriesId), 'data-points': String(s.pointsProcessed) })}
          empty={<>No series read yet. The first run is due {schedule.paused ? 'when the schedule is resumed' : schedule.nextRunAt ? formatTime(schedule.nextRunAt) : 'soon'}.</>}
          columns={[
            { header: 'Series', cell: (s) => <code>{refLabel({ key: s.key, dimensions: s.dimensions })}</code> },
            { header: 'Read up to', cell: (s) => (s.lastPointAt ? formatTime(s.lastPointAt) : '–') },
            { header: 'Last run', cell: (s) => (s.lastRunAt ? formatTime(s.lastRunAt) : 'never') },
            { header: 'Points scored', cell: (s) => s.pointsProcessed },
            { header: 'Anomalies', cell: (s) => s.anomaliesFound },
            { header: 'State size', cell: (s) => `${(s.stateBytes / 1024).toFixed(1)} KiB` },
            { header: 'Error', cell: (s) => s.lastError ?? '' },
          ]}
        />
      )}
    </section>
  );
}
