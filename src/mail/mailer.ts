/** One account email (verification, password reset, invitation, "someone tried to register"). */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Sends an account email. Implementations: SMTP (SMTP_URL) and the log (no SMTP_URL: the message,
 * link included, is logged at info so a newcomer can still sign up).
 */
export type SendMail = (mail: Mail) => Promise<void>;
