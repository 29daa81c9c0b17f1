// The one guard for outbound connections (notification channels, outside APIs), against requests
// into the platform's own network (SSRF). Every address is checked when the connection is made,
// after name resolution, so a name that resolves (or rebinds) to an internal address cannot pass:
// only checked addresses are handed to the socket. Internal means every range ipaddr.js does not call
// `unicast` (loopback, private, link-local, unique-local, carrier-grade NAT, multicast, broadcast,
// unspecified, reserved, Teredo, …) plus the rest of ::/8; an IPv4 address carried inside an IPv6 one
// (IPv4-mapped, SIIT, NAT64 64:ff9b::/96, 6to4) is judged as that IPv4 address. Literal hosts are
// read the way WHATWG URL reads them, so every numeric spelling (127.1, 0x7f.1, 2130706433,
// 017700000001, [::ffff:7f00:1]) is the address it names. The operator's allow list
// (OUTBOUND_ALLOWED_CIDRS) opens chosen ranges: local receivers in tests, on-premises services.
import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import type ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch, type Dispatcher } from 'undici';
import { describeRange, embeddedIPv4, internalRange, isLocalhostName, literalAddress, parseCidr, parseCidrList, type Address } from './addresses.js';

export { describeRange, embeddedIPv4, internalRange, literalAddress, parseCidrList } from './addresses.js';

/** The `code` of {@link OutboundRefusedError}, as it shows in a connection error's cause. */
export const outboundRefusedCode = 'ERR_OUTBOUND_REFUSED';

/** A connection the guard refused before any packet was sent. */
export class OutboundRefusedError extends Error {
  readonly code = outboundRefusedCode;
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

/** What the operator is told to set to open a range. */
const remedy = 'outbound connections to internal addresses are refused (OUTBOUND_ALLOWED_CIDRS opens chosen ranges)';

export interface OutboundGuardOptions {
  /** CIDR ranges (see {@link parseCidrList}) that may be reached although internal; default none. */
  allowedCidrs?: readonly string[];
  /**
   * Every address of a host name (default: the system resolver, as sockets use it — `dns.lookup`
   * with `all`). Tests inject one to show a name resolving to an internal address.
   */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
  /** Connection timeout of the HTTP dispatcher, ms (default 10 s). */
  connectTimeoutMs?: number;
}

const systemResolve = (hostname: string): Promise<LookupAddress[]> => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Checks destinations of outbound connections. One per process (the server builds it from the
 * configuration); notifiers and outside-API clients connect through {@link dispatcher},
 * {@link fetch}, {@link lookup} or {@link addresses}, and nothing else.
 */
export class OutboundGuard {
  /** The allow list, normalised. */
  readonly allowedCidrs: readonly string[];
  private readonly ranges: [Address, number][];
  private readonly resolveName: (hostname: string) => Promise<LookupAddress[]>;
  private readonly connectTimeoutMs: number;
  private agent: Agent | undefined;

  constructor(opts: OutboundGuardOptions = {}) {
    this.allowedCidrs = parseCidrList((opts.allowedCidrs ?? []).join(','));
    this.ranges = this.allowedCidrs.map((c) => parseCidr(c)!);
    this.resolveName = opts.resolve ?? systemResolve;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  private allowed(a: Address): boolean {
    const v4 = a.kind() === 'ipv6' ? embeddedIPv4(a as ipaddr.IPv6) : null;
    return this.ranges.some(([net, bits]) => (net.kind() === a.kind() && a.match(net, bits)) || (v4 !== null && net.kind() === 'ipv4' && v4.match(net, bits)));
  }

  /** Why the address may not be reached ("a loopback address"), or null when it may. */
  refusal(address: Address | string): string | null {
    const a = typeof address === 'string' ? literalAddress(address) : address;
    if (!a) return 'not an IP address';
    const range = internalRange(a);
    return range === null || this.allowed(a) ? null : describeRange(range);
  }

  /**
   * For a host as configured (a URL's hostname, an SMTP host): the refusal message when it is a
   * literal internal address in any spelling, or a localhost name, and not allowed; null when it is
   * allowed or when only resolving it when connecting can tell (names).
   */
  checkHost(host: string): string | null {
    const a = literalAddress(host);
    if (a) {
      const why = this.refusal(a);
      return why && `${host} is ${why}; ${remedy}`;
    }
    if (isLocalhostName(host) && this.refusal('127.0.0.1') && this.refusal('::1')) return `${host} is a loopback address; ${remedy}`;
    return null;
  }

  /**
   * The addresses of `host` that may be reached, in the resolver's order. Throws
   * {@link OutboundRefusedError} when there is none (nothing is connected to), or the resolver's
   * error (ENOTFOUND, …). `signal` stops waiting for the resolver.
   */
  async addresses(host: string, signal?: AbortSignal): Promise<LookupAddress[]> {
    const literal = literalAddress(host);
    if (literal) {
      const why = this.refusal(literal);
      if (why) throw new OutboundRefusedError(`${host} is ${why}; ${remedy}`);
      return [{ address: literal.toString(), family: literal.kind() === 'ipv4' ? 4 : 6 }];
    }
    const all = await abortable(this.resolveName(host), signal);
    const permitted = all.filter((x) => this.refusal(x.address) === null);
    // The addresses found are not named: they may be what an internal name is meant to hide.
    if (!permitted.length) throw new OutboundRefusedError(`${host} resolves only to addresses that are not public; ${remedy}`);
    return permitted;
  }

  /** A `lookup` for net.connect / tls.connect: answers with permitted addresses only. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.addresses(hostname).then(
      (list) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const fit = family ? list.filter((x) => x.family === family) : list;
        if (!fit.length) return callback(Object.assign(new Error(`${hostname} has no permitted IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) return callback(null, fit);
        callback(null, fit[0]!.address, fit[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };

  /**
   * An undici dispatcher whose connections are checked: a literal host before connecting, a name
   * through {@link lookup}, so the socket connects to the addresses that were checked and no other.
   * Redirects are never followed by it.
   */
  get dispatcher(): Dispatcher {
    if (!this.agent) {
      const base = buildConnector({ lookup: this.lookup, timeout: this.connectTimeoutMs });
      const connect: buildConnector.connector = (opts, callback) => {
        // A literal address never reaches `lookup` (net.connect skips it for IPs): checked here.
        const literal = literalAddress(opts.hostname);
        const why = literal && this.refusal(literal);
        if (why) return callback(new OutboundRefusedError(`${opts.hostname} is ${why}; ${remedy}`), null);
        return base(opts, callback);
      };
      this.agent = new Agent({ connect });
    }
    return this.agent;
  }

  /** fetch through {@link dispatcher} (undici's own fetch: Node's global one may not take this undici's dispatcher). */
  readonly fetch: typeof globalThis.fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: this.dispatcher })) as unknown as typeof globalThis.fetch;

  /** Closes the dispatcher's idle connections (shutdown). */
  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    await agent?.close();
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The production default: no internal address may be reached. */
export const strictOutboundGuard = new OutboundGuard();
