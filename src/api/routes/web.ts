import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { App } from '../types.js';

/** Where `npm run build` puts the dashboard (web/ built by Vite); the same from src/ and dist/. */
export const defaultWebRoot = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** Paths that belong to the API and the operators' endpoints: never the dashboard's, even for a browser. */
const serverPaths = /^\/(api|docs|metrics|healthz|readyz)(\/|$|\?)/;

/**
 * The dashboard's page: scripts only from this origin (no inline script), styles inline allowed
 * (uPlot and React set element styles), no framing, nothing sent elsewhere.
 */
const htmlHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

function acceptsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/**
 * The dashboard, a single-page application: `/` and every other page path a browser asks for get
 * index.html (the app routes in the browser); hashed files under /assets/ are cached for good.
 * Registered last; API, docs and operator paths never get the page (unknown ones keep their JSON 404).
 */
export function webRoutes(app: App, opts: { root?: string } = {}): void {
  const root = resolve(opts.root ?? defaultWebRoot);
  const assets = join(root, 'assets') + sep;
  // index.html is small and changes only with a build: kept in memory, read again when its mtime
  // changes (a build while the server runs, or the first one after it started, is picked up).
  let index: { mtimeMs: number; body: Buffer } | undefined;
  async function indexHtml(): Promise<Buffer | undefined> {
    const file = join(root, 'index.html');
    try {
      const { mtimeMs } = await stat(file);
      if (index?.mtimeMs !== mtimeMs) index = { mtimeMs, body: await readFile(file) };
      return index.body;
    } catch {
      index = undefined;
      return undefined;
    }
  }

  async function page(req: FastifyRequest, reply: FastifyReply) {
    const html = await indexHtml();
    if (!html) {
      return reply
        .status(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send('The dashboard is not built: run `npm run build` (or `npm start`, which builds it), then reload.\n');
    }
    return reply.headers(htmlHeaders).header('content-type', 'text/html; charset=utf-8').send(html);
  }

  // The dashboard's files are not API operations: kept out of the OpenAPI document.
  const route = { schema: { hide: true }, config: { scope: 'public' as const } };
  app.get('/', route, page);

  app.get<{ Params: { '*': string } }>('/assets/*', route, async (req, reply) => {
    const file = resolve(assets, req.params['*']);
    if (!file.startsWith(assets)) throw new AppError('not_found', `No file ${req.url.split('?')[0]}`);
    let body: Buffer;
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      body = await readFile(file);
    } catch {
      throw new AppError('not_found', `No file ${req.url.split('?')[0]}`);
    }
    return reply
      .header('content-type', contentTypes[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  // Every other page path a browser asks for (a reload of /explore, a link from an email) gets the
  // page too. Done before the 404 handler rather than as a `/*` route, so requests that match no
  // route and want no HTML stay exactly as they were: the JSON 404, counted as route "unmatched".
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.url !== undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return;
    if (serverPaths.test(req.url) || !acceptsHtml(req)) return;
    await page(req, reply);
    return reply;
  });
}
