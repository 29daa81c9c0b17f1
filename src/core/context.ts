import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Tenant context of one request: who is calling and on behalf of which organisation. Set by the
 * API's request hooks and reachable from any layer through {@link currentContext}. It is closed
 * when the response has been sent, so late callbacks of a finished request see no context.
 */
export interface RequestContext {
  requestId: string;
  orgId?: string;
  keyId?: string;
  userId?: string;
  /** Free-form metadata for logs (route, client address …). */
  metadata: Record<string, unknown>;
  /** Set once the response is sent. */
  ended: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with a fresh context; everything it awaits or schedules sees that context. */
export function runWithContext<T>(ctx: Omit<RequestContext, 'ended' | 'metadata'> & { metadata?: Record<string, unknown> }, fn: () => T): T {
  return storage.run({ metadata: {}, ...ctx, ended: false }, fn);
}

/** The context of the request in progress, or undefined outside a request (or after it ended). */
export function currentContext(): RequestContext | undefined {
  const ctx = storage.getStore();
  return ctx && !ctx.ended ? ctx : undefined;
}

/** The raw store, ended or not: for the hooks that close it. */
export function rawContext(): RequestContext | undefined {
  return storage.getStore();
}
