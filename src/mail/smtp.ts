import nodemailer from 'nodemailer';
import type { SendMail } from './mailer.js';

/**
 * Account emails through the operator's SMTP server (SMTP_URL: smtp://user:pass@host:587 upgrades
 * with STARTTLS when offered, smtps:// is TLS from the start). The operator's own server, so the
 * outbound guard does not apply (as for DATABASE_URL).
 */
export function smtpMailer(url: string, from: string, timeoutMs = 15_000): { send: SendMail; close(): void } {
  const transport = nodemailer.createTransport(url, { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs, disableFileAccess: true, disableUrlAccess: true } as never);
  return {
    send: async (mail) => {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, ...(mail.html !== undefined && { html: mail.html }) });
    },
    close: () => transport.close(),
  };
}
