// Sample values and times as the Prometheus API writes them.

/**
 * A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it: the shortest digits that read
 * back to the same float, never in exponent notation; `NaN`, `+Inf`, `-Inf` as Prometheus writes them.
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  return fewDecimals(v) ?? shortest(v);
}

const pow10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
// Below this a k-decimal number that reads back as v is the only one: neighbours 10^-k apart are
// more than an ulp of v apart, so it is the shortest representation Go would print.
const unique = 2 ** 51;

/**
 * Values with up to 6 decimals (most metrics) without the general algorithm, which costs ~0.5 µs a
 * value: the first k for which round(v·10^k)/10^k is v gives v's shortest digits.
 */
function fewDecimals(v: number): string | undefined {
  for (let k = 1; k < pow10.length; k++) {
    const p = pow10[k]!;
    const n = Math.round(v * p);
    if (Math.abs(n) >= unique) return undefined;
    if (n / p !== v) continue;
    const digits = String(Math.abs(n));
    const body = digits.length > k ? `${digits.slice(0, digits.length - k)}.${digits.slice(digits.length - k)}` : `0.${'0'.repeat(k - digits.length)}${digits}`;
    return n < 0 ? `-${body}` : body;
  }
  return undefined;
}

/** The general case: JavaScript's shortest round-tripping digits, rewritten without an exponent. */
export function shortest(v: number): string {
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Rewrite d.ddde±x without the exponent.
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const intLen = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return negative ? `-${out}` : out;
}
