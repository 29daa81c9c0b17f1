// The texts of account emails: plain text first (the link alone on its line, so every client makes it
// clickable and a test can take it), with a simple HTML alternative.
import type { Mail } from './mailer.js';

const product = 'IntentVision';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Paragraphs of text, a line that is exactly a URL becoming a link in the HTML part. */
function mail(to: string, subject: string, paragraphs: string[]): Mail {
  const text = `${paragraphs.join('\n\n')}\n`;
  const html = paragraphs
    .map((p) => (/^https?:\/\/\S+$/.test(p) ? `<p><a href="${escapeHtml(p)}">${escapeHtml(p)}</a></p>` : `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`))
    .join('\n');
  return { to, subject, text, html: `<!doctype html>\n<html><body>\n${html}\n</body></html>\n` };
}

const hours = (ms: number) => Math.round(ms / 3_600_000);
const duration = (ms: number) => (ms >= 2 * 3_600_000 ? `${hours(ms)} hours` : ms >= 3_600_000 ? '1 hour' : `${Math.round(ms / 60_000)} minutes`);

export function verificationEmail(to: string, name: string, link: string, ttlMs: number): Mail {
  return mail(to, `Verify your email address for ${product}`, [
    `Hello ${name},`,
    `Please confirm that ${to} is your email address by opening this link:`,
    link,
    `The link works once and expires in ${duration(ttlMs)}. If you did not create an ${product} account, ignore this email.`,
  ]);
}

/** To the owner of an address someone tried to register again: nothing was created or changed. */
export function registrationAttemptEmail(to: string, signInUrl: string, resetUrl: string): Mail {
  return mail(to, `Someone tried to create an ${product} account with your email address`, [
    `Hello,`,
    `Someone (perhaps you) tried to create an ${product} account with ${to}, but you already have one. Nothing was changed.`,
    `To sign in, open:`,
    signInUrl,
    `Forgot your password? Reset it here:`,
    resetUrl,
    `If this was not you, you can ignore this email.`,
  ]);
}

export function passwordResetEmail(to: string, link: string, ttlMs: number): Mail {
  return mail(to, `Reset your ${product} password`, [
    `Hello,`,
    `Someone (hopefully you) asked to reset the password of the ${product} account ${to}. To choose a new password, open:`,
    link,
    `The link works once and expires in ${duration(ttlMs)}. Setting a new password signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is.`,
  ]);
}

export function passwordChangedEmail(to: string, resetUrl: string): Mail {
  return mail(to, `Your ${product} password was changed`, [
    `Hello,`,
    `The password of your ${product} account ${to} was just changed, and your other sessions were signed out.`,
    `If this was not you, reset your password now:`,
    resetUrl,
  ]);
}
