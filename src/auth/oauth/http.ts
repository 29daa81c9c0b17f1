// HTTP to the sign-in providers. Their URLs are operator settings (not user input), so these calls
// use the global fetch rather than the outbound guard; every call has a timeout and a size cap so a
// slow or misbehaving provider fails the sign-in with a 502 instead of holding the request.
import { AppError } from '../../core/errors.js';
import type { OAuthClientSettings } from '../deps.js';

export interface ProviderCall {
  settings: OAuthClientSettings;
  /** Per request, connect to last byte. */
  timeoutMs: number;
}

/** Provider replies are small JSON documents; anything larger is refused unread. */
const maxReplyBytes = 1024 * 1024;

/** A provider-supplied string for error details: text only, bounded. */
export function providerText(v: unknown): string | undefined {
  return typeof v === 'string' ? v.slice(0, 300) : undefined;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxReplyBytes) throw new Error(`reply larger than ${maxReplyBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One request to a provider; the reply's JSON body (undefined when empty) and status. A network
 * failure, a timeout, a redirect or a body that is not JSON is a 502 naming the provider.
 */
export async function callProvider(
  who: { id: string; displayName: string },
  call: ProviderCall,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: unknown }> {
  const where = `${who.displayName} (${new URL(url).host})`;
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(call.timeoutMs) });
    status = res.status;
    text = await readCapped(res);
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    throw new AppError('oauth_provider_error', timedOut ? `${where} did not answer within ${call.timeoutMs} ms` : `${where} could not be reached: ${e.message}`, { provider: who.id });
  }
  if (text.trim() === '') return { status, body: undefined };
  try {
    return { status, body: JSON.parse(text) as unknown };
  } catch {
    throw new AppError('oauth_provider_error', `${where} replied ${status} with a body that is not JSON`, { provider: who.id, status });
  }
}
