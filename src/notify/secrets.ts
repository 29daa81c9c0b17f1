// Keeping channel secrets (webhook URLs, keys, passwords) out of what the API shows and what the
// attempt records store.

/** What a secret shows as in a redacted configuration. */
export const redacted = '********';

/**
 * `text` with every occurrence of each secret replaced by {@link redacted}. Secrets shorter than 4
 * characters are skipped: replacing them would mangle ordinary text and they hide nothing. The
 * longest secrets go first, so a secret that contains another is replaced whole.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join(redacted);
  return out;
}

/** `s` cut to at most `max` characters, with an ellipsis when cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}
