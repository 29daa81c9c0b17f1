// Go's fmt for template values: %v printing (what an action outputs) and the printf verbs
// %s %d %f %F %e %E %g %G %v %q %x %X %t %% with flags, width and precision. Floats are rounded
// from their exact binary value, half to even as Go's strconv does (JavaScript's toFixed rounds
// ties up); shortest forms come from JavaScript, which picks the same digits as Go's.
import { GoInt, TemplateRoot, goTypeName, isMap, sortedKeys, type Value } from './value.js';

/** Widest field or highest precision printf accepts; more is a runtime error (output stays bounded). */
export const maxPrintfWidth = 4096;

/** A runtime failure while formatting or calling a function; the evaluator adds the position. */
export class TemplateCallError extends Error {}

// ————————————————————————————————————— floats —————————————————————————————————————

/** Decimal digits of a positive number: value = 0.d × 10^dp; `d` has no leading or trailing zeros ('' is zero). */
interface Digits {
  d: string;
  dp: number;
}

/** The exact decimal expansion of a finite positive double (at most ~770 digits). */
function exactDigits(x: number): Digits {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2 = -1074;
  if (expBits !== 0) {
    mant |= 1n << 52n;
    e2 = expBits - 1075;
  }
  let s: string;
  let dp: number;
  if (e2 >= 0) {
    s = (mant << BigInt(e2)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-e2)).toString();
    dp = s.length + e2;
  }
  return trim({ d: s, dp });
}

function trim(x: Digits): Digits {
  let n = x.d.length;
  while (n > 0 && x.d[n - 1] === '0') n--;
  return n === 0 ? { d: '', dp: 0 } : { d: x.d.slice(0, n), dp: x.dp };
}

/** The shortest digits that read back as `x` (x > 0 finite). */
function shortestDigits(x: number): Digits {
  const [m, e] = x.toExponential().split('e') as [string, string];
  return trim({ d: m.replace('.', ''), dp: Number(e) + 1 });
}

/** `x` rounded to `nd` significant digits, half to even (Go's decimal.Round on an exact value). */
function roundDigits(x: Digits, nd: number): Digits {
  if (nd < 0 || nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd) - 48;
  const halfway = next === 5 && nd + 1 === x.d.length;
  const up = halfway ? nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1 : next >= 5;
  if (!up) return trim({ d: x.d.slice(0, nd), dp: x.dp });
  let i = nd - 1;
  while (i >= 0 && x.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: x.dp + 1 };
  return { d: x.d.slice(0, i) + String.fromCharCode(x.d.charCodeAt(i) + 1), dp: x.dp };
}

function fmtE(x: Digits, prec: number, e: string): string {
  let out = x.d.length ? x.d[0]! : '0';
  if (prec > 0) out += '.' + x.d.slice(1, prec + 1).padEnd(prec, '0');
  let exp = x.d.length ? x.dp - 1 : 0;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${out}${e}${sign}${exp < 10 ? '0' : ''}${exp}`;
}

function fmtF(x: Digits, prec: number): string {
  let out = x.dp > 0 ? x.d.slice(0, x.dp).padEnd(x.dp, '0') : '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = x.dp + i - 1;
      out += j >= 0 && j < x.d.length ? x.d[j] : '0';
    }
  }
  return out;
}

/**
 * Go's strconv.FormatFloat(v, verb, prec, 64) for verb e, f or g (E, G uppercase the exponent);
 * prec -1 is the shortest representation. NaN is `NaN`, infinities `+Inf` and `-Inf`.
 */
export function formatFloat(v: number, verb: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const abs = Math.abs(v);
  const shortest = prec < 0;
  let digs: Digits;
  if (abs === 0) digs = { d: '', dp: 0 };
  else if (shortest) digs = shortestDigits(abs);
  else {
    const exact = exactDigits(abs);
    if (verb === 'f') digs = roundDigits(exact, exact.dp + prec);
    else if (verb === 'e' || verb === 'E') digs = roundDigits(exact, prec + 1);
    else digs = roundDigits(exact, prec === 0 ? 1 : prec);
  }
  if (shortest) prec = verb === 'e' || verb === 'E' ? Math.max(digs.d.length - 1, 0) : verb === 'f' ? Math.max(digs.d.length - digs.dp, 0) : digs.d.length;
  else if ((verb === 'g' || verb === 'G') && prec === 0) prec = 1;
  let body: string;
  if (verb === 'e' || verb === 'E') body = fmtE(digs, prec, verb);
  else if (verb === 'f') body = fmtF(digs, prec);
  else {
    let eprec = prec;
    if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
    if (shortest) eprec = 6;
    const exp = digs.dp - 1;
    if (exp < -4 || exp >= eprec) body = fmtE(digs, Math.min(prec, digs.d.length) - 1, verb === 'g' ? 'e' : 'E');
    else body = fmtF(digs, Math.max((prec > digs.dp ? digs.d.length : prec) - digs.dp, 0));
  }
  return (neg ? '-' : '') + body;
}

// ————————————————————————————————————— %v —————————————————————————————————————

/** A value as Go's `%v` prints it: floats in %g's shortest form (`1e+06`), maps as `map[a:b c:d]`. */
export function formatDefault(v: Value): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloat(v, 'g', -1);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoInt) return String(v.n);
  if (v instanceof TemplateRoot) return `{${formatDefault(v.labels)} ${formatDefault(v.externalLabels)} ${formatDefault(v.value)}}`;
  return `map[${sortedKeys(v)
    .map((k) => `${k}:${v.get(k)}`)
    .join(' ')}]`;
}

/** Go's strconv.Quote: a double-quoted string with Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if ((c >= 0x80 && c < 0xa0) || (c >= 0xd800 && c < 0xe000) || c === 0xfeff) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

// ————————————————————————————————————— printf —————————————————————————————————————

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  width: number | null;
  prec: number | null;
}

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Pads to the width: spaces left (or right with `-`), or zeros after the sign with `0`. */
function pad(s: string, f: Spec, numeric = false): string {
  const w = f.width ?? 0;
  const n = runeCount(s);
  if (n >= w) return s;
  const fill = w - n;
  if (f.minus) return s + ' '.repeat(fill);
  if (f.zero) {
    if (numeric && (s[0] === '-' || s[0] === '+' || s[0] === ' ')) return s[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function signed(body: string, neg: boolean, f: Spec): string {
  return (neg ? '-' : f.plus ? '+' : f.space ? ' ' : '') + body;
}

function fmtInt(n: number, verb: string, f: Spec): string {
  const neg = n < 0;
  const abs = BigInt(Math.abs(n));
  let digits = verb === 'x' ? abs.toString(16) : verb === 'X' ? abs.toString(16).toUpperCase() : verb === 'o' ? abs.toString(8) : verb === 'b' ? abs.toString(2) : abs.toString();
  if (f.prec !== null) {
    if (f.prec === 0 && n === 0) digits = '';
    else digits = digits.padStart(f.prec, '0');
    return pad(signed(digits, neg, f), { ...f, zero: false }, true);
  }
  return pad(signed(digits, neg, f), f, true);
}

function fmtFloatVerb(v: number, verb: string, f: Spec): string {
  const base = verb === 'v' ? 'g' : verb === 'F' ? 'f' : (verb as 'e' | 'E' | 'f' | 'g' | 'G');
  const prec = f.prec ?? (base === 'g' || base === 'G' ? -1 : 6);
  let num = formatFloat(v, base, prec);
  if (num === 'NaN') return pad(f.plus ? '+NaN' : f.space ? ' NaN' : 'NaN', { ...f, zero: false });
  if (num === '+Inf' || num === '-Inf') return pad(num, { ...f, zero: false });
  const neg = num[0] === '-';
  if (neg) num = num.slice(1);
  return pad(signed(num, neg, f), f, true);
}

function truncateRunes(s: string, prec: number | null): string {
  if (prec === null) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ >= prec) break;
    out += ch;
  }
  return out;
}

const badVerb = (verb: string, v: Value): string => (v === null ? `%!${verb}(<nil>)` : `%!${verb}(${goTypeName(v)}=${formatDefault(v)})`);

function formatOne(verb: string, f: Spec, v: Value): string {
  if (verb === 'v') {
    if (typeof v === 'number') return fmtFloatVerb(v, 'v', f);
    if (v instanceof GoInt) return fmtInt(v.n, 'd', f);
    return pad(formatDefault(v), f);
  }
  if (typeof v === 'string') {
    if (verb === 's') return pad(truncateRunes(v, f.prec), f);
    if (verb === 'q') return pad(goQuote(truncateRunes(v, f.prec)), f);
    if (verb === 'x' || verb === 'X') {
      const hex = Buffer.from(truncateRunes(v, f.prec), 'utf8').toString('hex');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, f);
    }
    return badVerb(verb, v);
  }
  if (typeof v === 'number') return 'eEfFgG'.includes(verb) ? fmtFloatVerb(v, verb, f) : badVerb(verb, v);
  if (v instanceof GoInt) return 'dxXob'.includes(verb) ? fmtInt(v.n, verb, f) : badVerb(verb, v);
  if (typeof v === 'boolean') return verb === 't' ? pad(formatDefault(v), f) : badVerb(verb, v);
  if (isMap(v) && verb === 's') return pad(formatDefault(v), f);
  return badVerb(verb, v);
}

/**
 * Go's fmt.Sprintf over template values. Mismatches print as Go does: `%!d(string=web)`,
 * `%!d(MISSING)`, `%!(EXTRA float64=1)`. Throws {@link TemplateCallError} for a width or precision
 * over {@link maxPrintfWidth}.
 */
export function sprintf(format: string, args: readonly Value[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Spec = { minus: false, plus: false, space: false, zero: false, width: null, prec: null };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') f.minus = true;
      else if (c === '+') f.plus = true;
      else if (c === ' ') f.space = true;
      else if (c === '0') f.zero = true;
      else if (c === '#') continue;
      else break;
    }
    const num = (): number | null => {
      const m = /^\d+/.exec(format.slice(i, i + 12));
      if (!m) return null;
      i += m[0].length;
      const n = Number(m[0]);
      if (n > maxPrintfWidth) throw new TemplateCallError(`printf width or precision ${n} is over ${maxPrintfWidth}`);
      return n;
    };
    f.width = num();
    if (format[i] === '.') {
      i++;
      f.prec = num() ?? 0;
    }
    if (f.minus) f.zero = false;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, f, args[argi++]!);
    if (out.length > maxPrintfWidth * 4) throw new TemplateCallError('printf output is too long');
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => (a === null ? '<nil>' : `${goTypeName(a)}=${formatDefault(a)}`)).join(', ')})`;
  return out;
}
