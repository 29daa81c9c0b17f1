// IP addresses as the outbound guard judges them: any spelling of a literal host read as WHATWG URL
// reads it, the range that makes an address internal (with IPv4 carried inside IPv6 unwrapped), and
// the operator's CIDR allow list. Pure functions over ipaddr.js; the guard is ./outbound.ts.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

const rangeNames: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  unspecified: 'an unspecified address',
};

/** "a loopback address", "an internal address (teredo)", … */
export function describeRange(range: string): string {
  return rangeNames[range] ?? `an internal address (${range})`;
}

/**
 * The IPv4 address an IPv6 address carries and is routed to: IPv4-mapped (::ffff:a.b.c.d), SIIT
 * (::ffff:0:a.b.c.d), NAT64's well-known prefix (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::);
 * null for any other.
 */
export function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = a.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return v4(p[6]!, p[7]!);
  if (range === 'rfc6052' && p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0)) return v4(p[6]!, p[7]!);
  if (range === '6to4') return v4(p[1]!, p[2]!);
  return null;
}

/** The range that makes `a` internal (an ipaddr.js range name), or null for a public unicast address. */
export function internalRange(a: Address): string | null {
  if (a.kind() === 'ipv4') {
    const range = a.range();
    return range === 'unicast' ? null : range;
  }
  const v6 = a as ipaddr.IPv6;
  const v4 = embeddedIPv4(v6);
  if (v4) return internalRange(v4);
  const range = v6.range();
  if (range !== 'unicast') return range;
  // ::/8 is reserved; it holds the deprecated IPv4-compatible form ::a.b.c.d among others.
  return v6.parts[0]! < 0x100 ? 'reserved' : null;
}

/**
 * The IP address `host` spells (a URL hostname with or without brackets, or a host as configured),
 * read as WHATWG URL reads it; null for a name.
 */
export function literalAddress(host: string): Address | null {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.includes(':')) return ipaddr.IPv6.isValid(h) ? ipaddr.IPv6.parse(h) : null;
  let normal: string;
  try {
    normal = new URL(`http://${h}/`).hostname;
  } catch {
    return null;
  }
  return isIP(normal) === 4 ? ipaddr.IPv4.parse(normal) : null;
}

/** `localhost` and names under it (RFC 6761: they always mean the loopback interface). */
export const isLocalhostName = (host: string): boolean => /^(.+\.)?localhost\.?$/i.test(host.trim());

/**
 * Parses a comma-separated list of CIDR ranges (a bare address is a single host) into normalised
 * `address/prefix` strings; throws an Error that names every entry it cannot read.
 */
export function parseCidrList(raw: string): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out: string[] = [];
  const bad: string[] = [];
  for (const item of items) {
    const cidr = parseCidr(item);
    if (cidr) out.push(`${cidr[0].toString()}/${cidr[1]}`);
    else bad.push(item);
  }
  if (bad.length) throw new Error(`must be comma-separated CIDR ranges such as 127.0.0.0/8,fd00::/8; cannot read ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  return out;
}

export function parseCidr(text: string): [Address, number] | null {
  const [addr, prefix, ...rest] = text.split('/');
  if (rest.length || addr === undefined) return null;
  // Only the plain spellings here: an operator's range should read as what it is.
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(addr);
  if (!v4 && !(addr.includes(':') && ipaddr.IPv6.isValid(addr))) return null;
  const max = v4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return null;
  const bits = prefix === undefined ? max : Number(prefix);
  if (bits > max) return null;
  return [ipaddr.parse(addr), bits];
}
