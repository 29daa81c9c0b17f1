// Email over SMTP with nodemailer: one connection per delivery (alerts are rare; a pool would hold
// sockets open for nothing). TLS settings follow nodemailer's: `secure` is implicit TLS (port 465),
// otherwise STARTTLS is used when the server offers it, forced by `requireTLS`, skipped by `ignoreTLS`.
// Errors: an SMTP 4xx reply, connection, socket, DNS and timeout errors are retryable; a 5xx reply
// (bad recipient, refused message, failed authentication) is permanent, as RFC 5321 says, except
// 503 (bad sequence of commands), which nodemailer marks transient. The connection goes to an address
// the outbound guard checked; results keep the reply code and a classification, never the server's text.
import nodemailer from 'nodemailer';
import type { AlertNotification, DeliveryResult, Notifier, SendOptions } from '../notifier.js';
import { networkFailure, type NetworkFailure } from '../../net/failure.js';
import { literalAddress } from '../../net/addresses.js';
import { redacted } from '../secrets.js';
import { ConfigReader } from '../validate.js';
import { mailboxAddress } from './address.js';
import { emailContent } from './format.js';
import { groupToken } from '../format.js';

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

/** Connection errors after which another address of the host is tried: nothing reached a server. */
const unreachableCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Addresses of one host tried per attempt, at most. */
const maxAddresses = 4;

/** Retryable nodemailer error codes without an SMTP reply (the connection failed, not the message). */
const transientCodes = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EPROTOCOL', 'EABORT', 'ECONNREFUSED', 'ECONNRESET']);

interface SmtpError {
  /** nodemailer's kind of error (ESOCKET, EAUTH, …). */
  code?: string;
  /** The system error under it (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, …). */
  originalCode?: string;
  responseCode?: number;
  permanent?: boolean;
}

const networkResult = (f: NetworkFailure): DeliveryResult => ({ ok: false, classification: f.classification, retryable: f.retryable, error: f.error });

/**
 * A failed send by its reply code or error codes only: the server's reply text (and nodemailer's
 * messages, which quote it) stays out of the result.
 */
function smtpFailure(err: SmtpError): DeliveryResult {
  const status = err.responseCode;
  if (status !== undefined) {
    const retryable = (status >= 400 && status < 500) || err.permanent === false;
    const classification = status >= 500 ? 'smtp_5xx' : status >= 400 ? 'smtp_4xx' : 'smtp_error';
    return { ok: false, status, classification, retryable, error: `SMTP ${status}${err.code === 'EAUTH' ? ' (authentication failed)' : ''}` };
  }
  const retryable = transientCodes.has(err.code ?? '') || transientCodes.has(err.originalCode ?? '');
  if (err.originalCode) return { ...networkResult(networkFailure({ code: err.originalCode })), retryable };
  const byKind: Record<string, DeliveryResult['classification']> = { ETIMEDOUT: 'timeout', ETLS: 'tls_error', EDNS: 'dns_error', ECONNECTION: 'network_error', ESOCKET: 'network_error' };
  const classification = byKind[err.code ?? ''] ?? 'smtp_error';
  return { ok: false, classification, retryable, error: `SMTP session failed (${err.code ?? 'unknown error'})` };
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

  destinations(config) {
    return [{ field: 'config.host', host: config.host }];
  },

  async send(config: EmailConfig, n: AlertNotification, options: SendOptions): Promise<DeliveryResult> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const stopped = (): DeliveryResult | undefined =>
      options.signal?.aborted
        ? { ok: false, classification: 'aborted', retryable: true, error: 'aborted before the server answered' }
        : timeout.aborted
          ? { ok: false, classification: 'timeout', retryable: true, error: `timed out after ${options.timeoutMs} ms` }
          : undefined;

    // The guard resolves and checks the host; nodemailer is given a checked address (it resolves
    // nothing for an IP, so it connects to exactly that one) and verifies TLS — implicit or after
    // STARTTLS — against the configured name through `servername`.
    let addresses: string[];
    try {
      addresses = (await options.outbound.addresses(config.host, signal)).map((a) => a.address);
    } catch (e) {
      return stopped() ?? networkResult(networkFailure(e));
    }
    const servername = literalAddress(config.host) ? undefined : config.host;
    const content = emailContent(n, config.subjectPrefix);
    const domain = mailboxAddress(config.from)!.split('@')[1]!;

    const sendTo = async (address: string): Promise<DeliveryResult & { unreachable?: boolean }> => {
      const transport = nodemailer.createTransport({
        host: address,
        ...(servername !== undefined && { servername }),
        port: config.port,
        secure: config.secure,
        requireTLS: config.requireTLS,
        ignoreTLS: config.ignoreTLS,
        ...(config.auth && { auth: { user: config.auth.user, pass: config.auth.pass } }),
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: config.to,
          ...content,
          date: options.now,
          // Retries of one delivery reuse the Message-ID (receivers may drop the duplicate); every
          // event of one alert (every flush of one group) references the same id, so mail clients thread them.
          messageId: `<${idPart(n.deliveryId)}@${domain}>`,
          references: n.group ? `<group-${groupToken(n.group.key)}@${domain}>` : `<alert-${idPart(n.alert.fingerprint)}@${domain}>`,
          headers: { 'Auto-Submitted': 'auto-generated', 'X-IntentVision-Event': n.event, 'X-IntentVision-Fingerprint': idPart(n.alert.fingerprint) },
          signal,
        });
        const code = /^(\d{3})/.exec(info.response ?? '');
        return { ok: true, retryable: false, classification: 'smtp_2xx', ...(code && { status: Number(code[1]) }) };
      } catch (e) {
        const err = (e ?? {}) as SmtpError;
        return stopped() ?? { ...smtpFailure(err), unreachable: unreachableCodes.has(err.originalCode ?? '') };
      } finally {
        transport.close();
      }
    };

    // As a socket does with a name, the next address is tried when one cannot be reached (nothing was
    // sent to it); any other outcome is the result.
    let result: DeliveryResult & { unreachable?: boolean } = { ok: false, classification: 'network_error', retryable: true, error: 'no address to try' };
    for (const address of addresses.slice(0, maxAddresses)) {
      result = await sendTo(address);
      if (!result.unreachable) break;
    }
    const { unreachable: _, ...out } = result;
    return out;
  },
};
