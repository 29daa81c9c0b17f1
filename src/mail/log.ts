import type { Logger } from '../core/logger.js';
import type { SendMail } from './mailer.js';

/**
 * Without SMTP_URL account emails are written to the log at info, link included, so a newcomer can
 * sign up and verify on a fresh install. (The log redacts fields named like secrets: the text goes
 * under `mail`, and links carry single-use tokens that are worthless once used or expired.)
 */
export function logMailer(logger: Logger): SendMail {
  const log = logger.child({ component: 'mail' });
  return async (mail) => {
    log.info({ mail: { to: mail.to, subject: mail.subject, text: mail.text } }, `email to ${mail.to} (no SMTP_URL set, so it is logged): ${mail.subject}\n${mail.text}`);
  };
}
