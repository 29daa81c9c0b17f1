// Small shared pieces: loading, error and empty states, labelled fields, async actions, tables and
// buttons that ask before they act.
import { Fragment, useCallback, useEffect, useId, useState, type ButtonHTMLAttributes, type HTMLAttributes, type InputHTMLAttributes, type ReactNode } from 'react';
import { ApiError } from './api';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <span>{message}</span>
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A loaded resource's state lines: "Loading…" until its first data, its error with Try again. */
export function LoadStatus({ state, what }: { state: { data: unknown; error: unknown; loading: boolean; reload: () => void }; what: string }) {
  return (
    <>
      {state.loading && !state.data && <Loading what={what} />}
      <ErrorBox error={state.error} onRetry={state.reload} />
    </>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Field({ label, hint, ...input }: { label: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

/** Loads on mount and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, error: undefined, loading: false }),
      (error: unknown) => !ctl.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** An action a button starts: busy while it runs, its error kept for display. */
export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<void>): { run: (...args: A) => Promise<void>; busy: boolean; error: unknown; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn(...args);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clear: () => setError(undefined) };
}

export const isApiError = (e: unknown, code?: string): e is ApiError => e instanceof ApiError && (code === undefined || e.code === code);

export function formatTime(iso: string | number): string {
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : Number(v.toPrecision(6)).toString();
}

/** A table that may scroll sideways on a narrow screen: focusable, so the keyboard can scroll it. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

/** A button that asks `confirm` (the browser's dialog) before it runs `onConfirm`; red by default. */
export function ConfirmButton({ confirm, onConfirm, className = 'danger', ...rest }: { confirm: string; onConfirm: () => void } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick' | 'type'>) {
  return <button type="button" className={className} {...rest} onClick={() => window.confirm(confirm) && onConfirm()} />;
}

export interface Column<T> {
  header: ReactNode;
  /** The header for screen readers only (an actions column). */
  hiddenHeader?: boolean;
  cell: (row: T) => ReactNode;
  /** Class of the column's cells. */
  className?: string;
}

/**
 * A table of `rows` in a {@link TableWrap}: one header per column, one row per item. Columns given as
 * `false` are left out (a column only some roles see); `empty` is shown instead of an empty table.
 */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  rowProps,
  className,
  empty,
  detail,
}: {
  label: string;
  columns: (Column<T> | false | null | undefined)[];
  rows: T[];
  rowKey: (row: T) => string;
  /** Attributes of a row's <tr> (data-* for tests and styles). */
  rowProps?: (row: T) => HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | undefined>;
  className?: string;
  empty?: ReactNode;
  /** A row's details, shown in a full-width row under it when not null (an expanded row). */
  detail?: (row: T) => ReactNode;
}) {
  if (rows.length === 0 && empty !== undefined) return <Empty>{empty}</Empty>;
  const shown = columns.filter((c): c is Column<T> => !!c);
  return (
    <TableWrap label={label}>
      <table className={className}>
        <thead>
          <tr>
            {shown.map((c, i) => (
              <th scope="col" key={i}>
                {c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const more = detail?.(r);
            return (
              <Fragment key={rowKey(r)}>
                <tr {...rowProps?.(r)}>
                  {shown.map((c, i) => (
                    <td key={i} className={c.className}>
                      {c.cell(r)}
                    </td>
                  ))}
                </tr>
                {more !== undefined && more !== null && more !== false && (
                  <tr>
                    <td colSpan={shown.length}>{more}</td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}
