// PKCE (RFC 7636) with S256: the verifier stays on the server (in oauth_states), only its hash goes
// to the provider, so an intercepted authorization code is useless without the stored verifier.
import { createHash, randomBytes } from 'node:crypto';

/** A fresh code verifier: 32 random bytes as base64url (43 characters, the RFC's minimum length). */
export function newCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 code challenge of `verifier`: base64url(SHA-256(verifier)), unpadded. */
export function codeChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
