// NAB's CSV files: a header, then one row per sample; a timestamp column and numeric columns; no
// quoting. Parsing is one split per line so the 58 files (365k rows) read in well under a second.

/** The columns of a parsed NAB CSV (fresh arrays, owned by the caller). */
export interface CsvColumns {
  /** The `timestamp` column as written. */
  readonly timestamps: string[];
  /** One array per requested numeric column, in the order requested. */
  readonly columns: Float64Array[];
}

/**
 * Parses CSV text with a header row, returning the `timestamp` column and the named numeric
 * columns. Blank lines are skipped; CRLF is accepted. Throws, naming `source` and the line, when a
 * column is missing or a cell is not a finite number.
 */
export function parseNabCsv(text: string, numeric: readonly string[], source: string): CsvColumns {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(',');
  const index = (name: string): number => {
    const k = header.indexOf(name);
    if (k < 0) throw new Error(`${source}: no "${name}" column in header "${header.join(',')}"`);
    return k;
  };
  const tsCol = index('timestamp');
  const cols = numeric.map(index);
  const timestamps: string[] = [];
  const values = numeric.map(() => new Float64Array(lines.length));
  for (let n = 1; n < lines.length; n++) {
    let line = lines[n]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    const cells = line.split(',');
    const row = timestamps.length;
    timestamps.push(cells[tsCol] ?? '');
    for (let c = 0; c < cols.length; c++) {
      const cell = cells[cols[c]!];
      const v = cell ? Number(cell) : Number.NaN; // Number('') is 0: an empty cell must fail
      if (!Number.isFinite(v)) throw new Error(`${source}:${n + 1}: ${numeric[c]} "${cell ?? ''}" is not a number`);
      values[c]![row] = v;
    }
  }
  return { timestamps, columns: values.map((v) => v.slice(0, timestamps.length)) };
}

/**
 * Formats a float as Python's `repr` (and so pandas' `to_csv`) writes it: the shortest digits that
 * read back exactly, `1.0` for integral values, exponent form `1e-05` / `1.5e+16` below 1e-4 or
 * from 1e16.
 */
export function formatPythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  // toExponential() with no argument gives the shortest round-trip digits, as repr does.
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || '0'}`;
}

/** The columns of a results file as NAB's runner writes it. */
export interface ResultsRows {
  readonly timestamps: readonly string[];
  readonly values: Float64Array;
  /** Anomaly scores in [0, 1]. */
  readonly scores: Float64Array;
  /** 1 inside a window, else 0. */
  readonly labels: Uint8Array;
}

/**
 * Formats a NAB results file: header `timestamp,value,anomaly_score,label`, numbers as pandas
 * writes them (values as integers when all are integral, as pandas keeps such a column int64).
 */
export function formatResultsCsv(rows: ResultsRows): string {
  const n = rows.timestamps.length;
  if (rows.values.length !== n || rows.scores.length !== n || rows.labels.length !== n) {
    throw new Error(`results columns differ in length: ${n} timestamps, ${rows.values.length} values, ${rows.scores.length} scores, ${rows.labels.length} labels`);
  }
  const integral = rows.values.every((v) => Number.isInteger(v));
  const out = new Array<string>(n + 1);
  out[0] = 'timestamp,value,anomaly_score,label';
  for (let i = 0; i < n; i++) {
    const v = rows.values[i]!;
    out[i + 1] = `${rows.timestamps[i]},${integral ? String(v) : formatPythonFloat(v)},${formatPythonFloat(rows.scores[i]!)},${rows.labels[i]}`;
  }
  return out.join('\n') + '\n';
}
