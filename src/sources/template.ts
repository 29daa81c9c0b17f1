/**
 * Replacement templates of mapping rules, read exactly as Go's `Regexp.Expand` reads them (so as
 * Prometheus' relabelling does): `$1`, `${1}`, `${name}`, `$name`, `$$`. A name runs on over
 * letters, digits and `_`: `$1_total` names the group `1_total`, which expands to nothing.
 */
import type { RE2JS } from 're2js';

/** A template part: literal text, or a reference to a group by number or name. */
export type TemplatePart = { text: string } | { ref: string };

const nameChar = /[\p{L}\p{Nd}_]/u;

/** Splits a replacement into literal text and group references, exactly as Go's Expand reads it. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar === -1) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      text += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    let j = brace ? i + 1 : i;
    const start = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!nameChar.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(start, j);
    if (name === '' || (brace && template[j] !== '}')) {
      text += '$'; // malformed: the `$` is literal text, as in Go
      continue;
    }
    if (text) parts.push({ text });
    text = '';
    parts.push({ ref: name });
    i = brace ? j + 1 : j;
  }
  if (text) parts.push({ text });
  return parts;
}

/** A reference's group index in a pattern with `groupCount` groups and these named ones; -1 when none. */
export function groupIndex(ref: string, groupCount: number, named: Record<string, number>): number {
  // Go: decimal digits without a leading zero are a number, anything else a name.
  if (/^(0|[1-9][0-9]{0,7})$/.test(ref)) {
    const n = Number(ref);
    return n <= groupCount ? n : -1;
  }
  return Object.hasOwn(named, ref) ? named[ref]! : -1;
}

/** A template resolved against a pattern's groups: literal strings and group indexes. */
export interface Expander {
  parts: (string | number)[];
  /** The highest group index used; -1 for a template of literal text only. */
  maxGroup: number;
}

export function expander(template: string, re: RE2JS): Expander {
  const named = re.namedGroups();
  const count = re.groupCount();
  let maxGroup = -1;
  const parts = parseTemplate(template).flatMap((p): (string | number)[] => {
    if ('text' in p) return [p.text];
    const g = groupIndex(p.ref, count, named);
    if (g < 0) return []; // Go expands an unknown group to nothing
    maxGroup = Math.max(maxGroup, g);
    return [g];
  });
  return { parts, maxGroup };
}

export function expand(e: Expander, groups: readonly string[]): string {
  let out = '';
  for (const p of e.parts) out += typeof p === 'string' ? p : groups[p]!;
  return out;
}
