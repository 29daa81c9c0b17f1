// The dead-letter queue: items ingest rejected, filtered by error code, source and time; inspect one
// (the raw item, the error, the request id, the attempts), correct it in a JSON editor and reprocess
// it, or delete it. Several can be reprocessed as they are; each item's result is shown.
import { useEffect, useId, useMemo, useState } from 'react';
import { del, get, post, qs } from '../api';
import { useQueryState } from '../router';
import { useSession } from '../session';
import { relativeRanges, type RelativeRange } from '../time-range';
import type { DeadLetter, ReprocessResult } from '../types';
import { Empty, ErrorBox, Loading, TableWrap, formatTime, useAction, useLoad } from '../ui';

type Page = { items: DeadLetter[]; nextCursor: string | null };
/** What happened to one item when it was last reprocessed. */
type Outcome = { ok: true; text: string } | { ok: false; text: string };

/** The outcome of each id in a reprocess reply. */
function outcomes(ids: string[], r: ReprocessResult): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  const failed = new Map(r.failed.map((f) => [f.id, f]));
  const missing = new Set(r.notFound);
  for (const id of ids) {
    const f = failed.get(id);
    if (f) out.set(id, { ok: false, text: `Still rejected: ${f.code}: ${f.message}${f.field ? ` (${f.field})` : ''}` });
    else if (missing.has(id)) out.set(id, { ok: false, text: 'No longer in the queue (reprocessed or deleted elsewhere)' });
    else out.set(id, { ok: true, text: 'Stored' });
  }
  if (r.duplicates) out.set('*', { ok: true, text: `${r.duplicates} matched points stored already` });
  return out;
}

export function DeadLettersPage() {
  const { can } = useSession();
  const [params, setParams] = useQueryState();
  const ids = { code: useId(), source: useId(), range: useId() };
  const code = params.get('code') ?? '';
  const source = params.get('source') ?? '';
  const range = params.get('range') ?? '7d';
  const inspecting = params.get('item');
  const [now] = useState(() => Date.now());
  const from = range in relativeRanges ? new Date(now - relativeRanges[range as RelativeRange]).toISOString() : undefined;
  const list = useLoad((signal) => get<Page>(`/api/v1/dead-letters${qs({ code: code.trim(), source: source.trim(), from, limit: 100 })}`, signal), [code, source, from]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [results, setResults] = useState<Map<string, Outcome>>(new Map());
  const { reload } = list;
  const items = useMemo(() => list.data?.items ?? [], [list.data]);
  useEffect(() => setSelected((s) => new Set([...s].filter((id) => items.some((i) => i.id === id)))), [items]);

  const reprocess = useAction(async (chosen: string[]) => {
    const r = await post<ReprocessResult>('/api/v1/dead-letters/reprocess', { ids: chosen });
    setResults(outcomes(chosen, r));
    reload();
  });
  const toggle = (id: string) => setSelected((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  const allOn = items.length > 0 && items.every((i) => selected.has(i.id));

  return (
    <main id="main" className="page">
      <h1>Dead letters</h1>
      <p className="muted">Items ingest rejected, with the error and the raw item as received. Correct one and reprocess it, or delete it.</p>
      <div className="inline-form" role="search" aria-label="Filter dead letters">
        <span className="field-inline">
          <label htmlFor={ids.code}>Error code</label>
          <input id={ids.code} value={code} maxLength={64} placeholder="e.g. invalid_value" onChange={(e) => setParams({ code: e.target.value })} />
        </span>
        <span className="field-inline">
          <label htmlFor={ids.source}>Source</label>
          <input id={ids.source} value={source} maxLength={64} placeholder="e.g. api" onChange={(e) => setParams({ source: e.target.value })} />
        </span>
        <span className="field-inline">
          <label htmlFor={ids.range}>Received</label>
          <select id={ids.range} value={range} onChange={(e) => setParams({ range: e.target.value })}>
            {Object.keys(relativeRanges).map((r) => (
              <option key={r} value={r}>
                in the last {r}
              </option>
            ))}
            <option value="all">any time</option>
          </select>
        </span>
      </div>
      {inspecting && (
        <Inspect
          id={inspecting}
          result={results.get(inspecting)}
          onResult={(id, o) => setResults(new Map([[id, o]]))}
          onClose={() => setParams({ item: null })}
          onChanged={reload}
        />
      )}
      {list.loading && !list.data && <Loading what="Loading dead letters" />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      <ErrorBox error={reprocess.error} />
      {results.size > 0 && !inspecting && <ResultList results={results} />}
      {list.data && items.length === 0 && <Empty>No rejected items{code || source ? ' match' : ''}. Ingest puts items that fail validation here.</Empty>}
      {items.length > 0 && (
        <>
          {can('member') && (
            <div className="inline-form">
              <button type="button" disabled={reprocess.busy || selected.size === 0} onClick={() => void reprocess.run([...selected])}>
                Reprocess selected ({selected.size})
              </button>
            </div>
          )}
          <TableWrap label="Dead letters">
            <table className="dead-letters">
              <thead>
                <tr>
                  {can('member') && (
                    <th scope="col">
                      <input type="checkbox" aria-label="Select all" checked={allOn} onChange={() => setSelected(allOn ? new Set() : new Set(items.map((i) => i.id)))} />
                    </th>
                  )}
                  <th scope="col">Received</th>
                  <th scope="col">Source</th>
                  <th scope="col">Error</th>
                  <th scope="col">Field</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Item</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((l) => (
                  <tr key={l.id} data-dead-letter-id={l.id}>
                    {can('member') && (
                      <td>
                        <input type="checkbox" aria-label={`Select the item received ${formatTime(l.receivedAt)}`} checked={selected.has(l.id)} onChange={() => toggle(l.id)} />
                      </td>
                    )}
                    <td>
                      <time dateTime={l.receivedAt}>{formatTime(l.receivedAt)}</time>
                    </td>
                    <td>{l.source}</td>
                    <td>
                      <code>{l.error.code}</code> <span className="small">{l.error.message}</span>
                    </td>
                    <td>{l.error.field ?? '–'}</td>
                    <td>{l.attempts}</td>
                    <td>
                      <code className="small">{preview(l.item)}</code>
                    </td>
                    <td>
                      <button type="button" className="secondary" aria-expanded={inspecting === l.id} aria-label={`Inspect the item received ${formatTime(l.receivedAt)}`} onClick={() => setParams({ item: inspecting === l.id ? null : l.id })}>
                        Inspect
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {list.data?.nextCursor && <p className="muted small">Showing the newest 100; narrow the filters to see others.</p>}
        </>
      )}
    </main>
  );
}

function preview(item: unknown): string {
  const s = JSON.stringify(item) ?? String(item);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

function ResultList({ results }: { results: Map<string, Outcome> }) {
  return (
    <ul className="card plain" aria-label="Reprocess results" role="status">
      {[...results].map(([id, o]) => (
        <li key={id} className={o.ok ? '' : 'error-text'}>
          {id === '*' ? '' : <code className="small">{id.slice(0, 8)}</code>} {o.text}
        </li>
      ))}
    </ul>
  );
}

/** JSON text → the value, or why it is not JSON. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function Inspect({ id, result, onResult, onClose, onChanged }: { id: string; result: Outcome | undefined; onResult: (id: string, o: Outcome) => void; onClose: () => void; onChanged: () => void }) {
  const { can } = useSession();
  const editorId = useId();
  const letter = useLoad((signal) => get<DeadLetter>(`/api/v1/dead-letters/${id}`, signal), [id]);
  const original = useMemo(() => (letter.data ? JSON.stringify(letter.data.item, null, 2) : ''), [letter.data]);
  const [text, setText] = useState('');
  useEffect(() => setText(original), [original]);
  const parsed = parseJson(text);
  const changed = text !== original;
  const reprocess = useAction(async () => {
    if (!parsed.ok) return;
    const r = await post<ReprocessResult>('/api/v1/dead-letters/reprocess', { ids: [id], ...(changed ? { corrections: { [id]: parsed.value } } : {}) });
    const o = outcomes([id], r).get(id)!;
    onResult(id, o);
    onChanged();
    if (!o.ok) letter.reload(); // the new error and the corrected item are stored with it
  });
  const remove = useAction(async () => {
    if (!window.confirm('Delete this item for good?')) return;
    await del(`/api/v1/dead-letters/${id}`);
    onResult(id, { ok: true, text: 'Deleted' });
    onChanged();
  });
  const gone = result?.ok === true;
  return (
    <section className="card" aria-labelledby="inspect-heading">
      <h2 id="inspect-heading">Rejected item</h2>
      {letter.loading && !letter.data && <Loading what="Loading the item" />}
      {!gone && <ErrorBox error={letter.error} onRetry={letter.reload} />}
      {result && (
        <p role="status" className={result.ok ? 'notice' : 'error-text'} data-testid="reprocess-result">
          {result.text}
        </p>
      )}
      {letter.data && !gone && (
        <>
          <dl className="facts">
            <dt>Error</dt>
            <dd>
              <code>{letter.data.error.code}</code>: {letter.data.error.message}
              {letter.data.error.field ? ` (field ${letter.data.error.field})` : ''}
            </dd>
            <dt>Source</dt>
            <dd>{letter.data.source}</dd>
            <dt>Request id</dt>
            <dd>{letter.data.requestId ? <code>{letter.data.requestId}</code> : '–'}</dd>
            <dt>Attempts</dt>
            <dd>{letter.data.attempts}</dd>
            <dt>Received</dt>
            <dd>
              {formatTime(letter.data.receivedAt)}
              {letter.data.updatedAt !== letter.data.receivedAt && <> · last tried {formatTime(letter.data.updatedAt)}</>}
            </dd>
          </dl>
          <div className="field">
            <label htmlFor={editorId}>Item (JSON){can('member') ? ': correct it, then reprocess' : ''}</label>
            <textarea
              id={editorId}
              className="json-editor"
              rows={Math.min(20, Math.max(6, text.split('\n').length + 1))}
              spellCheck={false}
              readOnly={!can('member')}
              value={text}
              aria-invalid={!parsed.ok}
              aria-describedby={`${editorId}-hint`}
              onChange={(e) => setText(e.target.value)}
              style={{ fontFamily: 'ui-monospace, Menlo, monospace', width: '100%' }}
            />
            <small id={`${editorId}-hint`} className={parsed.ok ? 'muted' : 'error-text'}>
              {parsed.ok ? (changed ? 'Valid JSON; reprocessing sends this correction.' : 'As received.') : `Not valid JSON: ${parsed.error}`}
            </small>
          </div>
          <ErrorBox error={reprocess.error ?? remove.error} />
          <div className="row-actions">
            {can('member') && (
              <>
                <button type="button" disabled={reprocess.busy || !parsed.ok} onClick={() => void reprocess.run()}>
                  {changed ? 'Reprocess corrected' : 'Reprocess'}
                </button>
                <button type="button" className="secondary" disabled={!changed} onClick={() => setText(original)}>
                  Undo changes
                </button>
                <button type="button" className="danger" disabled={remove.busy} onClick={() => void remove.run()}>
                  Delete
                </button>
              </>
            )}
            <button type="button" className="secondary" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      )}
      {gone && (
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      )}
    </section>
  );
}
