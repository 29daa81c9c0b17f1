// What a new password must be (NIST SP 800-63B: length and a blocklist, no composition rules).
import { AppError } from '../core/errors.js';

export const minPasswordLength = 10;
/** Longer passwords are refused, never silently truncated (the hash takes them whole). */
export const maxPasswordLength = 256;

export type PasswordRule = 'min_length' | 'max_length' | 'common_password' | 'matches_email';

export interface PasswordProblem {
  rule: PasswordRule;
  message: string;
}

let common: Promise<Set<string>> | undefined;

/**
 * The ~49,000 most common passwords of @zxcvbn-ts/language-common, lower-cased; loaded on first use
 * (~0.1 s) so start-up and the CLI do not pay for it.
 */
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then((m) => new Set(m.dictionary['passwords-common'].map((p) => p.toLowerCase())));
  return common;
}

/** The first rule `password` breaks, or undefined when it may be used. Lengths count characters (code points). */
export async function passwordProblem(password: string, email?: string): Promise<PasswordProblem | undefined> {
  const length = [...password].length;
  if (length < minPasswordLength) return { rule: 'min_length', message: `The password must be at least ${minPasswordLength} characters long` };
  if (length > maxPasswordLength) return { rule: 'max_length', message: `The password must be at most ${maxPasswordLength} characters long (longer ones are refused, not cut short)` };
  const lower = password.toLowerCase();
  if (email !== undefined) {
    const address = email.trim().toLowerCase();
    const local = address.split('@')[0] ?? address;
    if (lower === address || lower === local) return { rule: 'matches_email', message: 'The password must not be your email address or its part before the @' };
  }
  if ((await commonPasswords()).has(lower)) return { rule: 'common_password', message: 'This password is in a list of commonly used passwords; choose another' };
  return undefined;
}

/** Throws `weak_password` (400) naming the broken rule in `details.rule`. */
export async function assertPasswordAllowed(password: string, email?: string): Promise<void> {
  const problem = await passwordProblem(password, email);
  if (problem) throw new AppError('weak_password', problem.message, { rule: problem.rule, minLength: minPasswordLength, maxLength: maxPasswordLength });
}
