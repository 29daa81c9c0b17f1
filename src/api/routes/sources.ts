import { Type, type Static } from 'typebox';
import { AppError } from '../../core/errors.js';
import { maxDimensions, maxDimensionValueLength, metricKeyPattern } from '../../core/labels.js';
import type { IngestDeps } from '../../ingest/ingest.js';
import { checkMappingRules, maxMappingRules, type MappingProblem } from '../../sources/mapping.js';
import { checkDimensions, checkSettings, mergePatch } from '../../sources/settings.js';
import { sourceKinds, sourceNamePattern, type MappingRule, type SourceKind } from '../../sources/source.js';
import { createSource, deleteSource, getSource, listSources, listTargets, updateSource, type SourceInput, type StoredSource, type TargetHealth } from '../../sources/store.js';
import { actorOf, authOf } from '../plugins/auth.js';
import { DateTime, Dimensions, Uuid, responses } from '../schemas.js';
import type { App } from '../types.js';

const tags = ['sources'];

const Name = Type.String({ pattern: sourceNamePattern.source, description: 'Unique in the organisation; what ?source=, X-Source and the webhook body name' });
const Kind = Type.Union(
  sourceKinds.map((k) => Type.Literal(k)),
  { description: 'The protocol its points arrive in (fixed at creation)' },
);
const Description = Type.String({ maxLength: 1000, pattern: '^[^\\u0000]*$' });
const Mapping = (note = '') =>
  Type.Array(Type.Record(Type.String(), Type.Unknown()), {
    maxItems: maxMappingRules,
    description:
      note +
    'Key-mapping rules applied in order after the default dimensions: {action: rename (key|pattern, to), prefix (prefix, pattern?), drop|keep (pattern?, dimension?, valuePattern?), ' +
      'replace (sourceLabels, separator?, regex?, targetLabel, replacement?; __name__ is the key), labelmap (regex, replacement?), labeldrop (regex), labelkeep (regex)}. RE2 patterns anchored at both ends.',
  });
const Settings = (note = '') =>
  Type.Record(Type.String(), Type.Unknown(), {
    description: `${note}prometheus-scrape: {targets: [{url, labels?}] (≤ 100), intervalSeconds (5–3600, default 60), timeoutSeconds (1–interval, default min(10, interval)), job?}; other kinds: {}`,
  });

const CreateBody = Type.Object(
  {
    name: Name,
    kind: Kind,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    description: Type.Optional(Description),
    defaultDimensions: Type.Optional(Dimensions),
    mapping: Type.Optional(Mapping()),
    settings: Type.Optional(Settings()),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    kind: Type.Optional(Type.String({ description: 'Immutable: accepted only when it is the stored kind' })),
    enabled: Type.Optional(Type.Boolean()),
    description: Type.Optional(Description),
    defaultDimensions: Type.Optional(
      Type.Record(Type.String({ pattern: metricKeyPattern.source }), Type.Union([Type.String({ maxLength: maxDimensionValueLength }), Type.Null()]), {
        maxProperties: maxDimensions,
        additionalProperties: false,
        description: 'JSON merge patch: given dimensions are set, null removes one',
      }),
    ),
    mapping: Type.Optional(Mapping('Replaces the rules as a whole. ')),
    settings: Type.Optional(Settings('A JSON merge patch of the settings (arrays such as targets replace as a whole; null removes a field). ')),
  },
  { additionalProperties: false, minProperties: 1 },
);

const ActorRefSchema = Type.Union(
  [Type.Object({ kind: Type.Union([Type.Literal('user'), Type.Literal('key'), Type.Literal('system')]), id: Type.Union([Type.String(), Type.Null()]) }), Type.Null()],
  { description: 'The user or API key that did it' },
);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const SourceSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: Type.String(),
  enabled: Type.Boolean(),
  description: Type.String(),
  defaultDimensions: Type.Record(Type.String(), Type.String()),
  mapping: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  settings: Type.Record(Type.String(), Type.Unknown(), { description: 'With defaults filled in' }),
  stats: Type.Object(
    {
      pointsAccepted: Type.Integer(),
      pointsRejected: Type.Integer(),
      lastReceivedAt: Nullable(DateTime),
      lastError: Nullable(Type.String()),
      lastErrorAt: Nullable(DateTime),
    },
    { description: 'Counted after each request commits' },
  ),
  createdAt: DateTime,
  updatedAt: DateTime,
  createdBy: ActorRefSchema,
  updatedBy: ActorRefSchema,
});

const TargetSchema = Type.Object({
  url: Type.String(),
  up: Type.Union([Type.Boolean(), Type.Null()], { description: 'Whether the last scrape succeeded; null before the first' }),
  lastScrapeAt: Nullable(DateTime),
  lastDurationMs: Nullable(Type.Number()),
  samplesScraped: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  nextScrapeAt: DateTime,
});

const IdParams = Type.Object({ id: Uuid });

const iso = (d: Date | null) => d?.toISOString() ?? null;

function sourceJson(s: StoredSource) {
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    enabled: s.enabled,
    description: s.description,
    defaultDimensions: s.defaultDimensions,
    mapping: s.mapping as unknown as Record<string, unknown>[],
    settings: s.settings,
    stats: { ...s.stats, lastReceivedAt: iso(s.stats.lastReceivedAt), lastErrorAt: iso(s.stats.lastErrorAt) },
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    createdBy: s.createdBy,
    updatedBy: s.updatedBy,
  };
}

const targetJson = (t: TargetHealth) => ({ ...t, lastScrapeAt: iso(t.lastScrapeAt), nextScrapeAt: t.nextScrapeAt.toISOString() });

/**
 * The whole configuration checked as one: every problem of the defaults, the mapping and the
 * settings in one 400, each with its body path. Returns the input with settings' defaults filled in.
 */
function checked(input: SourceInput): SourceInput {
  const problems: MappingProblem[] = [...checkDimensions(input.defaultDimensions, 'defaultDimensions'), ...checkMappingRules(input.mapping)];
  const s = checkSettings(input.kind, input.settings);
  problems.push(...s.problems);
  if (problems.length) {
    const shown = problems.slice(0, 5).map((p) => `${p.path} ${p.message}`).join('; ');
    throw new AppError('validation_failed', `Invalid source: ${shown}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`, problems.map((p) => ({ field: `body.${p.path}`, message: p.message })));
  }
  return { ...input, settings: s.settings };
}

const conflict = (name: string) => new AppError('conflict', `A source named "${name}" exists already`, [{ field: 'body.name', message: 'is taken' }]);
const notFound = (id: string) => new AppError('not_found', `No source ${id}`);
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** Sources: /api/v1/sources — admin to change, read to list; a scrape source's targets and their health. */
export function sourceRoutes(app: App, deps: IngestDeps): void {
  app.get(
    '/api/v1/sources',
    { config: { scope: 'read' }, schema: { tags, summary: 'Sources of the organisation, by name', response: responses({ 200: Type.Object({ items: Type.Array(SourceSchema) }) }) } },
    async (req) => ({ items: (await listSources(deps.sql, authOf(req).orgId)).map(sourceJson) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/sources/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One source, with its counters', params: IdParams, response: responses({ 200: SourceSchema }) } },
    async (req) => {
      const s = await getSource(deps.sql, authOf(req).orgId, req.params.id);
      if (!s) throw notFound(req.params.id);
      return sourceJson(s);
    },
  );

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/sources',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create a source',
        description:
          'Points sent through a source (an API key bound to it, ?source=, X-Source, or the webhook body\'s source) get its default dimensions (the point\'s own win), then its mapping; a disabled source refuses them with 403 source_disabled.',
        body: CreateBody,
        response: responses({ 201: SourceSchema }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const b = req.body;
      const input = checked({
        name: b.name,
        kind: b.kind,
        enabled: b.enabled ?? true,
        description: b.description ?? '',
        defaultDimensions: b.defaultDimensions ?? {},
        mapping: (b.mapping ?? []) as unknown as MappingRule[],
        settings: b.settings ?? {},
      });
      try {
        const s = await createSource(deps.sql, orgId, input, deps.now(), actorOf(req));
        req.log.info({ sourceId: s.id, kind: s.kind }, 'source created');
        return reply.status(201).send(sourceJson(s));
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(b.name);
        throw err;
      }
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/api/v1/sources/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Change a source',
        description:
          'Given fields replace the stored ones; defaultDimensions and settings are JSON merge patches (null removes). The kind cannot change. The new mapping applies to the next request; a disabled source keeps its configuration and counters.',
        params: IdParams,
        body: PatchBody,
        response: responses({ 200: SourceSchema }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const b = req.body;
      try {
        const s = await updateSource(
          deps.sql,
          orgId,
          req.params.id,
          (old) => {
            if (b.kind !== undefined && b.kind !== old.kind) {
              throw new AppError('validation_failed', `A source's kind cannot change (this one is ${old.kind}): create another source`, [{ field: 'body.kind', message: `is ${old.kind} and cannot change` }]);
            }
            return checked({
              name: b.name ?? old.name,
              kind: old.kind as SourceKind,
              enabled: b.enabled ?? old.enabled,
              description: b.description ?? old.description,
              defaultDimensions: b.defaultDimensions ? (mergePatch(old.defaultDimensions, b.defaultDimensions) as Record<string, string>) : old.defaultDimensions,
              mapping: b.mapping ? (b.mapping as unknown as MappingRule[]) : old.mapping,
              settings: b.settings ? (mergePatch(old.settings, b.settings) as Record<string, unknown>) : old.settings,
            });
          },
          deps.now(),
          actorOf(req),
        );
        if (!s) throw notFound(req.params.id);
        return sourceJson(s);
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(b.name ?? '');
        throw err;
      }
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/sources/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Delete a source',
        description: 'Refused with 409 source_in_use while API keys are bound to it (revoked ones too). Its dead letters stay, without the source id; its scrape targets go.',
        params: IdParams,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const out = await deleteSource(deps.sql, authOf(req).orgId, req.params.id);
      if (!out.deleted && out.reason === 'not_found') throw notFound(req.params.id);
      if (!out.deleted && out.reason === 'in_use') {
        const names = out.keys.map((k) => `"${k.name}" (${k.id})`).join(', ');
        throw new AppError('source_in_use', `API keys are bound to this source: ${names}; revoke them or create keys for another source first`, { keys: out.keys });
      }
      req.log.info({ sourceId: req.params.id }, 'source deleted');
      return reply.status(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/sources/:id/targets',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: "A scrape source's targets and their health",
        description: 'As Prometheus shows them: up, the last scrape, its duration and samples, the last error, the next scrape. Empty for sources that do not scrape.',
        params: IdParams,
        response: responses({ 200: Type.Object({ targets: Type.Array(TargetSchema) }) }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const s = await getSource(deps.sql, orgId, req.params.id);
      if (!s) throw notFound(req.params.id);
      return { targets: (await listTargets(deps.sql, orgId, s.id)).map(targetJson) };
    },
  );
}
