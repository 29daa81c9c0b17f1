import type { App } from '../types.js';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The app's own registry (not prom-client's global one), so several apps in one process stay apart. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'intentvision_' });
  return registry;
}

/** Request counts and latencies by method, route template and status, served at GET /metrics. */
export function httpMetrics(app: App, registry: Registry): void {
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests handled', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, seconds',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  app.addHook('onResponse', (req, reply, done) => {
    // The route template, never the raw URL: unknown paths share one label value.
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { config: { scope: 'public' }, schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
