// Email addresses as the channel accepts them: `ops@example.com` or `Ops Team <ops@example.com>`.
// Deliberately simpler than RFC 5322 (no quoted local parts, no groups, no comments, no commas in display names): alert
// recipients are ordinary mailboxes, and a strict shape keeps header injection impossible.

const addrSpec = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const named = /^([^<>"\r\n,;]*)<([^<>\s]+)>$/;

/** The bare address of `s` (with or without a display name), or null when `s` is not one valid mailbox. */
export function mailboxAddress(s: string): string | null {
  const t = s.trim();
  if (t.length > 320) return null;
  const m = named.exec(t);
  const addr = m ? m[2]! : t;
  if (!addrSpec.test(addr) || addr.split('@')[0]!.length > 64) return null;
  return addr;
}
