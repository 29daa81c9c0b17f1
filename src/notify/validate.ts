// Reading a channel's raw configuration (JSON from the API) into a typed one. Every problem is
// collected, not just the first, so the API answers with all of them at once: AppError
// 'validation_failed' with details [{field: 'config.url', message}]. Unknown fields are errors too:
// a typo such as `subjectprefix` would otherwise be dropped silently. Whether a destination may be
// reached at all is the outbound guard's call (checkDestinations here for literal addresses, the
// guard again when connecting).
import { AppError } from '../core/errors.js';
import { internalRange, literalAddress } from '../net/addresses.js';
import type { OutboundGuard } from '../net/outbound.js';
import type { Destination } from './notifier.js';

export interface FieldError {
  field: string;
  message: string;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A reader over one JSON object of a configuration; nested objects share its error list. */
export class ConfigReader {
  private readonly seen = new Set<string>();

  private constructor(
    private readonly raw: Raw,
    /** Field path of this object, e.g. `config` or `config.auth`. */
    readonly path: string,
    readonly errors: FieldError[],
  ) {}

  /**
   * A reader over `raw`, or throws at once when `raw` is not an object: nothing else can be said
   * about it. `channel` names the channel type in the error message.
   */
  static of(raw: unknown, channel: string, path = 'config'): ConfigReader {
    if (!isObject(raw)) throw invalid(channel, [{ field: path, message: 'must be an object' }]);
    return new ConfigReader(raw, path, []);
  }

  field(key: string): string {
    return `${this.path}.${key}`;
  }

  fail(key: string, message: string): undefined {
    this.errors.push({ field: this.field(key), message });
    return undefined;
  }

  /** The raw value of `key`, marking it as known; null counts as absent. */
  value(key: string): unknown {
    this.seen.add(key);
    const v = this.raw[key];
    return v === null ? undefined : v;
  }

  /** A trimmed, non-empty string without control characters (no header injection). */
  string(key: string, opts: { required: true; maxLength?: number }): string | undefined;
  string(key: string, opts?: { required?: boolean; maxLength?: number }): string | undefined;
  string(key: string, opts: { required?: boolean; maxLength?: number } = {}): string | undefined {
    const v = this.value(key);
    if (v === undefined) return opts.required ? this.fail(key, 'is required') : undefined;
    if (typeof v !== 'string') return this.fail(key, 'must be a string');
    const s = v.trim();
    if (s === '') return opts.required ? this.fail(key, 'must not be empty') : undefined;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(s)) return this.fail(key, 'must not contain control characters or line breaks');
    const max = opts.maxLength ?? 1024;
    if (s.length > max) return this.fail(key, `must be at most ${max} characters`);
    return s;
  }

  boolean(key: string): boolean | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return this.fail(key, 'must be true or false');
    return v;
  }

  integer(key: string, min: number, max: number): number | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.fail(key, `must be an integer in ${min}..${max}`);
    return v;
  }

  /** An outgoing web URL under {@link checkWebUrl}'s rule. */
  webUrl(key: string, opts: { required: boolean }): string | undefined {
    const v = this.string(key, { required: opts.required, maxLength: 2048 });
    if (v === undefined) return undefined;
    const problem = checkWebUrl(v);
    return problem ? this.fail(key, problem) : new URL(v).href;
  }

  /** Reads a nested object with `read`; absent gives undefined. */
  object<T>(key: string, read: (r: ConfigReader) => T): T | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (!isObject(v)) return this.fail(key, 'must be an object');
    const child = new ConfigReader(v, this.field(key), this.errors);
    const out = read(child);
    child.rejectUnknown();
    return out;
  }

  /** Records every key that no reader asked for. */
  rejectUnknown(): void {
    for (const key of Object.keys(this.raw)) if (!this.seen.has(key)) this.fail(key, 'is not a known field');
  }

  /**
   * Ends the reading: throws AppError('validation_failed') with every error collected, else returns
   * `value` (which the caller built from fields that are all defined when there are no errors).
   */
  finish<T>(channel: string, value: () => T): T {
    this.rejectUnknown();
    if (this.errors.length) throw invalid(channel, this.errors);
    return value();
  }
}

function invalid(channel: string, details: FieldError[]): AppError {
  const list = details.map((d) => `${d.field} ${d.message}`).join('; ');
  return new AppError('validation_failed', `Invalid ${channel} channel configuration: ${list}`, details);
}

/** 127.0.0.0/8 and ::1 in any spelling (IPv4-mapped too), and localhost: the only hosts plain http may reach. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname.toLowerCase() === 'localhost') return true;
  const a = literalAddress(hostname);
  return a !== null && internalRange(a) === 'loopback';
}

/**
 * Refuses, as 'validation_failed' with a detail per field, destinations that are literal internal
 * addresses (or localhost) the guard does not allow: a channel that could never deliver is refused
 * when it is saved or tested. Names are judged when connecting, address by address.
 */
export function checkDestinations(channel: string, destinations: readonly Destination[], guard: OutboundGuard): void {
  const errors: FieldError[] = [];
  for (const d of destinations) {
    const why = guard.checkHost(d.host);
    if (why) errors.push({ field: d.field, message: `must not point to an internal address: ${why}` });
  }
  if (errors.length) throw invalid(channel, errors);
}

/**
 * The rule for every outgoing web URL (Slack, webhook, PagerDuty): https; plain http only to the
 * loopback interface (localhost, 127.0.0.0/8, ::1), for local receivers in tests and development,
 * since alert payloads and signatures must not cross a network in clear text. Loopback itself is
 * still refused by the outbound guard unless OUTBOUND_ALLOWED_CIDRS opens it. No
 * credentials in the URL (fetch refuses them, and they would show in the API). Returns the problem,
 * or null when the URL is acceptable.
 */
export function checkWebUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) return 'must use https (plain http is allowed only for localhost)';
  } else if (url.protocol !== 'https:') {
    return 'must be an https URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  return null;
}
