// Email over SMTP with nodemailer: one connection per delivery (alerts are rare; a pool would hold
// sockets open for nothing). TLS settings follow nodemailer's: `secure` is implicit TLS (port 465),
// otherwise STARTTLS is used when the server offers it, forced by `requireTLS`, skipped by `ignoreTLS`.
// Errors: an SMTP 4xx reply, connection, socket, DNS and timeout errors are retryable; a 5xx reply
// (bad recipient, refused message, failed authentication) is permanent, as RFC 5321 says, except
// 503 (bad sequence of commands), which nodemailer marks transient.
import nodemailer from 'nodemailer';
import type { AlertNotification, DeliveryResult, Notifier, SendOptions } from '../notifier.js';
import { clip, redacted, scrubSecrets } from '../secrets.js';
import { ConfigReader } from '../validate.js';
import { mailboxAddress } from './address.js';
import { emailContent } from './format.js';

export interface EmailConfig {
  host: string;
  /** Default 465 with `secure`, else 587. */
  port: number;
  /** Implicit TLS from the first byte (SMTPS); default true on port 465. */
  secure: boolean;
  /** Fail unless the server upgrades with STARTTLS. */
  requireTLS: boolean;
  /** Never use STARTTLS, even when offered (local relays, tests). */
  ignoreTLS: boolean;
  auth?: { user: string; pass: string };
  /** One mailbox: `alerts@example.com` or `IntentVision <alerts@example.com>`. */
  from: string;
  /** One or more mailboxes, de-duplicated, in the given order. */
  to: string[];
  /** Put before every subject, e.g. `[prod]`. */
  subjectPrefix?: string;
}

/** Recipients per channel: more than this is a mailing list's job. */
export const maxRecipients = 50;

/** Retryable nodemailer error codes without an SMTP reply (the connection failed, not the message). */
const transientCodes = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EPROTOCOL', 'EABORT', 'ECONNREFUSED', 'ECONNRESET']);

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  message?: string;
}

/** Characters allowed inside a Message-ID's local part. */
const idPart = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 120) || 'x';

function readAddresses(r: ConfigReader): string[] | undefined {
  const v = r.value('to');
  if (v === undefined) return r.fail('to', 'is required');
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) return r.fail('to', 'must be an address or a non-empty array of addresses');
  if (list.length > maxRecipients) return r.fail('to', `must list at most ${maxRecipients} addresses`);
  const out: string[] = [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const addr = typeof item === 'string' ? mailboxAddress(item) : null;
    if (addr === null) {
      r.fail(typeof v === 'string' ? 'to' : `to[${i}]`, 'must be an email address such as ops@example.com or "Ops <ops@example.com>"');
      return;
    }
    if (!seen.has(addr.toLowerCase())) out.push((item as string).trim());
    seen.add(addr.toLowerCase());
  });
  return out;
}

export const emailNotifier: Notifier<EmailConfig> = {
  type: 'email',

  parseConfig(raw) {
    const r = ConfigReader.of(raw, 'email');
    const host = r.string('host', { required: true, maxLength: 253 });
    if (host !== undefined && !/^[A-Za-z0-9.:-]+$/.test(host)) r.fail('host', 'must be a host name or an IP address');
    const portIn = r.integer('port', 1, 65535);
    const secure = r.boolean('secure') ?? portIn === 465;
    const port = portIn ?? (secure ? 465 : 587);
    const requireTLS = r.boolean('requireTLS') ?? false;
    const ignoreTLS = r.boolean('ignoreTLS') ?? false;
    if (secure && requireTLS) r.fail('requireTLS', 'does not apply with secure: the connection is TLS from the start');
    if (secure && ignoreTLS) r.fail('ignoreTLS', 'cannot be combined with secure');
    if (requireTLS && ignoreTLS) r.fail('ignoreTLS', 'cannot be combined with requireTLS');
    const auth = r.object('auth', (a) => {
      const user = a.string('user', { required: true, maxLength: 320 });
      // A password may have meaningful spaces: checked for presence, never trimmed or echoed.
      const pass = a.value('pass');
      if (typeof pass !== 'string' || pass === '') a.fail('pass', 'is required');
      else if (pass.length > 1024) a.fail('pass', 'must be at most 1024 characters');
      return user !== undefined && typeof pass === 'string' ? { user, pass } : undefined;
    });
    const from = r.string('from', { required: true, maxLength: 320 });
    if (from !== undefined && mailboxAddress(from) === null) r.fail('from', 'must be an email address such as alerts@example.com or "IntentVision <alerts@example.com>"');
    const to = readAddresses(r);
    const subjectPrefix = r.string('subjectPrefix', { maxLength: 64 });
    return r.finish('email', () => ({
      host: host!,
      port,
      secure,
      requireTLS,
      ignoreTLS,
      ...(auth && { auth }),
      from: from!,
      to: to!,
      ...(subjectPrefix !== undefined && { subjectPrefix }),
    }));
  },

  redact(config) {
    const { auth, ...rest } = config;
    return { ...rest, ...(auth && { auth: { user: auth.user, pass: redacted } }) };
  },

  async send(config: EmailConfig, n: AlertNotification, options: SendOptions): Promise<DeliveryResult> {
    const pass = config.auth?.pass;
    // A server could echo the credentials (AUTH PLAIN/LOGIN send them base64-encoded).
    const secrets = pass ? [pass, Buffer.from(pass).toString('base64'), Buffer.from(`\0${config.auth!.user}\0${pass}`).toString('base64')] : [];
    const scrub = (s: string): string => clip(scrubSecrets(s, secrets), 1024);

    const transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.requireTLS,
      ignoreTLS: config.ignoreTLS,
      ...(config.auth && { auth: { user: config.auth.user, pass: config.auth.pass } }),
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const content = emailContent(n, config.subjectPrefix);
    const domain = mailboxAddress(config.from)!.split('@')[1]!;
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: config.to,
        ...content,
        date: options.now,
        // Retries of one delivery reuse the Message-ID (receivers may drop the duplicate); every
        // event of one alert references the same id, so mail clients thread them.
        messageId: `<${idPart(n.deliveryId)}@${domain}>`,
        references: `<alert-${idPart(n.alert.fingerprint)}@${domain}>`,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-IntentVision-Event': n.event, 'X-IntentVision-Fingerprint': idPart(n.alert.fingerprint) },
        signal,
      });
      const code = /^(\d{3})/.exec(info.response ?? '');
      const rejected = info.rejected.length ? ` (rejected: ${info.rejected.join(', ')})` : '';
      return { ok: true, retryable: false, ...(code && { status: Number(code[1]) }), response: scrub(`${info.response ?? ''}${rejected}`) };
    } catch (e) {
      const err = (e ?? {}) as SmtpError;
      if (options.signal?.aborted) return { ok: false, retryable: true, error: 'aborted before the server answered' };
      if (timeout.aborted) return { ok: false, retryable: true, error: `timed out after ${options.timeoutMs} ms` };
      const status = err.responseCode;
      const retryable =
        status !== undefined ? (status >= 400 && status < 500) || err.permanent === false : transientCodes.has(err.code ?? '');
      const what = status !== undefined ? `SMTP ${status}` : (err.code ?? 'error');
      return {
        ok: false,
        retryable,
        ...(status !== undefined && { status }),
        error: scrub(`${what}: ${err.message ?? String(e)}`),
        ...(err.response && { response: scrub(err.response) }),
      };
    } finally {
      transport.close();
    }
  },
};
