import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { financialYearLabel, monthLabel, oneDecimal } from '../../domain/analytics.ts';
import { CATEGORY_DEFINITIONS, INCIDENT_CATEGORIES } from '../../domain/incidents.ts';
import { allowedOnceChosen } from '../../platform/access/enforce.ts';
import { can } from '../../platform/access/policy.ts';
import { AppError, type FieldError, notFound, organisationRequired } from '../../platform/errors.ts';
import { actorOf, formBody, idParam, submitForm } from '../../platform/forms.ts';
import { analysisHome } from '../../platform/http.ts';
import { parse } from '../../platform/validation.ts';
import { toSpreadsheet } from '../cases-list/export.ts';
import { PROVIDER_TYPES } from '../commissioning/schema.ts';
import { ORGANISATION_TYPE_LABELS } from '../organisations/schema.ts';
import {
  benchmarkCharts,
  benchmarkTables,
  dashboardCharts,
  dashboardTables,
  exportCell,
  nationalCharts,
  nationalTables,
  nhsTable,
  perceptionCharts,
  perceptionTables,
  type Table,
  yearItems,
} from './present.ts';
import {
  benchmarkOut,
  dashboardFilters,
  dashboardOut,
  exportQuery,
  importBody,
  importKind,
  importOut,
  nationalOut,
  nationalQuery,
  perceptionOut,
  publishedOut,
  STATISTICS_HEADER,
  SURVEY_HEADER,
  surveyBody,
  surveyOut,
  yearQuery,
} from './schema.ts';
import type { AnalyticsService, Dashboard } from './service.ts';

type Multipart = { type: 'field'; value: unknown } | { type: 'file'; filename: string; _buf: Buffer | null; file: { truncated: boolean } };

const FILTER_FIELDS = ['from', 'to', 'category', 'site', 'year', 'type'] as const;
/** The filters as given (strings), to refill the form and carry into export links. */
function given(query: unknown): Record<string, string> {
  const q = (query ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of FILTER_FIELDS) if (typeof q[k] === 'string' && q[k] !== '') out[k] = q[k] as string;
  return out;
}
const href = (path: string, params: Record<string, string>) => {
  const s = new URLSearchParams(params).toString();
  return s ? `${path}?${s}` : path;
};

/** Tables as the page shows them, each with its CSV and XLSX links. */
function pageTables(tables: Table[], exportPath: string, filters: Record<string, string>) {
  return Object.fromEntries(
    tables.map((t) => [
      t.key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()),
      {
        ...nhsTable(t),
        title: t.title,
        empty: t.rows.length === 0,
        csvHref: href(exportPath, { ...filters, table: t.key, format: 'csv' }),
        xlsxHref: href(exportPath, { ...filters, table: t.key, format: 'xlsx' }),
      },
    ]),
  );
}

/** Sends one table as a CSV or XLSX download. */
async function sendTable(reply: FastifyReply, tables: Table[], query: unknown, stem: string) {
  const q = parse(exportQuery, query);
  const t = tables.find((x) => x.key === q.table);
  if (!t) throw notFound('table');
  const file = await toSpreadsheet(
    q.format,
    t.title.slice(0, 31).replace(/[\\/*?:[\]]/g, ' '),
    t.head,
    t.rows.map((r) => r.map((c, i) => exportCell(c, t.kinds[i] ?? 'text'))),
  );
  const filename = `${stem}-${t.key}.${q.format}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return reply
    .type(file.contentType)
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('x-content-type-options', 'nosniff')
    .send(file.body);
}

/** The organisation's own figures for the benchmark year, as summary-list rows (none without a rate). */
function ownRows(b: Awaited<ReturnType<AnalyticsService['benchmark']>>) {
  const own = b.own;
  if (!own || own.ratePer1000 === null) return null;
  const type = ORGANISATION_TYPE_LABELS[b.peers.type].toLowerCase();
  const row = (key: string, value: string) => ({ key: { text: key }, value: { text: value } });
  return [
    row('Physical assaults per 1,000 staff', oneDecimal(own.ratePer1000)),
    row(`Rank among ${type}s`, `${own.rank} of ${b.peers.ranked} (percentile ${oneDecimal(own.percentile)})`),
    row(`Median of ${type}s`, oneDecimal(b.peers.median)),
    row('National rank', `${b.national.rank} of ${b.national.ranked} (percentile ${oneDecimal(b.national.percentile)})`),
    row('National median', oneDecimal(b.national.median)),
    row(
      'Physical assaults involving medical factors',
      `${own.physicalAssaultsMedical.toLocaleString('en-GB')} of ${own.physicalAssaults.toLocaleString('en-GB')} (${oneDecimal(own.medicalFactorsShare)}%)`,
    ),
    row('Staff', own.staff === null ? '–' : own.staff.toLocaleString('en-GB')),
    row('Figures from', own.source === 'published' ? 'Published statistics' : 'Incidents reported to Warden'),
  ];
}

/**
 * Analysis and benchmarking pages and API (SPEC C4): the organisation dashboard, the peer benchmark, perception and
 * reality, the national table, commissioners' providers, and published statistics. GET forms filter (nothing
 * changes, so the filters live in the address); every table has CSV and XLSX downloads; charts are SVG drawn on
 * the server.
 */
export async function analyticsRoutes(app: FastifyInstance, service: AnalyticsService): Promise<void> {
  // Multipart for this plugin's upload form only; fields are flattened so the CSRF check sees `_csrf`.
  await app.register(multipart, {
    attachFieldsToBody: true,
    throwFileSizeLimit: false,
    limits: { fileSize: 5 * 1024 * 1024, files: 1, fields: 5, parts: 6, fieldSize: 1000 },
  });
  app.addHook('preValidation', async (req) => {
    if (!req.isMultipart() || !req.body || typeof req.body !== 'object') return;
    const flat: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.body as Record<string, Multipart>)) flat[k] = v && typeof v === 'object' && v.type === 'field' ? v.value : v;
    req.body = flat;
  });

  const hide = { schema: { hide: true } };
  const isValidation = (err: unknown): err is AppError => err instanceof AppError && err.id === 'validation';

  // ---- the dashboard (own organisation, any for the national assessor, or a commissioned provider) ------------
  async function renderDashboard(req: FastifyRequest, reply: FastifyReply, base: string, load: (query: unknown) => Promise<Dashboard>, sections: boolean) {
    const values = given(req.query);
    let d: Dashboard;
    let errors: FieldError[] | undefined;
    try {
      d = await load(req.query);
    } catch (err) {
      if (!isValidation(err)) throw err;
      errors = err.fields;
      d = await load({});
    }
    const sites = d.siteOptions.map((s) => ({ value: s.id, text: s.name, selected: values.site === s.id }));
    return reply.page(
      'analytics/views/dashboard.njk',
      {
        title: `Incidents at ${d.organisation.name}`,
        d,
        values,
        errors,
        base,
        sections,
        // only provider trusts are benchmarked (commissioners and national bodies report no incidents of their own)
        benchmarked: (PROVIDER_TYPES as readonly string[]).includes(d.organisation.type),
        typeLabel: ORGANISATION_TYPE_LABELS[d.organisation.type],
        periodText: `${monthLabel(d.period.from, true)} to ${monthLabel(d.period.to, true)}`,
        categoryLabel: d.period.category ? CATEGORY_DEFINITIONS[d.period.category].label.toLowerCase() : '',
        yoyMonth: monthLabel(d.yearOnYear.to, true),
        yoyText:
          d.yearOnYear.change === null
            ? 'with nothing in the 12 months before to compare'
            : `${d.yearOnYear.change === 0 ? 'the same as' : `${d.yearOnYear.change > 0 ? 'up' : 'down'} ${oneDecimal(Math.abs(d.yearOnYear.change))}% on`} the 12 months before (${d.yearOnYear.previous12.toLocaleString('en-GB')})`,
        categoryItems: [
          { value: '', text: 'All categories' },
          ...INCIDENT_CATEGORIES.map((c) => ({ value: c, text: CATEGORY_DEFINITIONS[c].label, selected: values.category === c })),
        ],
        siteItems: [{ value: '', text: 'All sites' }, ...sites, { value: 'community', text: 'In the community', selected: values.site === 'community' }],
        charts: dashboardCharts(d),
        tables: pageTables(dashboardTables(d), `${base}/export`, errors ? {} : values),
      },
      errors ? 400 : 200,
    );
  }

  app.get('/analytics/organisations/:id', hide, async (req, reply) => {
    const id = idParam(req);
    return renderDashboard(req, reply, `/analytics/organisations/${id}`, (q) => service.dashboard(actorOf(req), id, q), true);
  });
  app.get('/analytics/organisations/:id/export', hide, async (req, reply) => {
    const id = idParam(req);
    const d = await service.dashboard(actorOf(req), id, req.query);
    return sendTable(reply, dashboardTables(d), req.query, `warden-${d.organisation.code}-${d.period.from}-${d.period.to}`);
  });
  app.get('/analytics/providers/:providerId', hide, async (req, reply) => {
    const id = idParam(req, 'providerId');
    return renderDashboard(req, reply, `/analytics/providers/${id}`, (q) => service.providerDashboard(actorOf(req), id, q), false);
  });
  app.get('/analytics/providers/:providerId/export', hide, async (req, reply) => {
    const id = idParam(req, 'providerId');
    const d = await service.providerDashboard(actorOf(req), id, req.query);
    return sendTable(reply, dashboardTables(d), req.query, `warden-${d.organisation.code}-${d.period.from}-${d.period.to}`);
  });

  // ---- the peer benchmark ----------------------------------------------------------------------------------
  app.get('/analytics/organisations/:id/benchmark', hide, async (req, reply) => {
    const id = idParam(req);
    const actor = actorOf(req);
    let errors: FieldError[] | undefined;
    let b: Awaited<ReturnType<AnalyticsService['benchmark']>>;
    try {
      b = await service.benchmark(actor, id, req.query);
    } catch (err) {
      if (!isValidation(err)) throw err;
      errors = err.fields;
      b = await service.benchmark(actor, id, {});
    }
    const base = `/analytics/organisations/${id}`;
    return reply.page(
      'analytics/views/benchmark.njk',
      {
        title: `${b.organisation.name} beside its peers`,
        b,
        base,
        errors,
        typeLabel: ORGANISATION_TYPE_LABELS[b.peers.type],
        ownRows: ownRows(b),
        yearItems: yearItems(b.years, b.financialYear),
        charts: benchmarkCharts(b),
        tables: pageTables(benchmarkTables(b), `${base}/benchmark/export`, errors ? {} : { year: String(b.financialYear) }),
      },
      errors ? 400 : 200,
    );
  });
  app.get('/analytics/organisations/:id/benchmark/export', hide, async (req, reply) => {
    const b = await service.benchmark(actorOf(req), idParam(req), req.query);
    return sendTable(reply, benchmarkTables(b), req.query, `warden-${b.organisation.code}-benchmark-${b.financialYear}`);
  });

  // ---- perception and reality -------------------------------------------------------------------------------
  const perceptionPage = (req: FastifyRequest, id: string) => async (_values: Record<string, unknown>) => {
    const actor = actorOf(req);
    const p = await service.perception(actor, id);
    const base = `/analytics/organisations/${id}`;
    return {
      template: 'analytics/views/perception.njk',
      context: {
        title: `Perception and reality at ${p.organisation.name}`,
        p,
        base,
        mayEnter: can(actor, 'survey.manage', id),
        charts: perceptionCharts(p),
        tables: pageTables(perceptionTables(p), `${base}/perception/export`, {}),
      },
    };
  };
  app.get('/analytics/organisations/:id/perception', hide, async (req, reply) => {
    const { template, context } = await perceptionPage(req, idParam(req))({});
    return reply.page(template, { ...context, values: {}, saved: (req.query as Record<string, unknown>).saved === '1' });
  });
  app.post('/analytics/organisations/:id/perception', hide, async (req, reply) => {
    const id = idParam(req);
    return submitForm(
      req,
      reply,
      async (body) => (await service.setSurvey(actorOf(req), id, body), `/analytics/organisations/${id}/perception?saved=1#figures`),
      perceptionPage(req, id),
    );
  });
  app.get('/analytics/organisations/:id/perception/export', hide, async (req, reply) => {
    const p = await service.perception(actorOf(req), idParam(req));
    return sendTable(reply, perceptionTables(p), req.query, `warden-${p.organisation.code}-perception`);
  });

  // ---- national table and commissioners' providers ----------------------------------------------------------
  const typeItems = (selected?: string) => [
    { value: '', text: 'All types' },
    ...PROVIDER_TYPES.map((t) => ({ value: t, text: ORGANISATION_TYPE_LABELS[t], selected: selected === t })),
  ];
  async function renderNational(req: FastifyRequest, reply: FastifyReply, which: 'national' | 'providers') {
    const actor = actorOf(req);
    const values = given(req.query);
    const load = (q: unknown) => (which === 'national' ? service.national(actor, q) : service.providers(actor, q));
    let errors: FieldError[] | undefined;
    let n: Awaited<ReturnType<typeof load>>;
    try {
      n = await load(req.query);
    } catch (err) {
      if (!isValidation(err)) throw err;
      errors = err.fields;
      n = await load({});
    }
    const path = which === 'national' ? '/analytics/national' : '/analytics/providers';
    const filters = errors ? {} : { year: String(n.financialYear), ...(values.type ? { type: values.type } : {}) };
    const tables = nationalTables(n, which === 'national' ? `Every organisation, ${n.label}` : `Providers you commission, ${n.label}`);
    const link = (orgId: string) => (which === 'national' ? `/analytics/organisations/${orgId}` : `/analytics/providers/${orgId}`);
    const shown = pageTables(tables, `${path}/export`, filters);
    // organisation names link to their dashboards
    const organisations = shown.organisations as { rows: { text: string; href?: string }[][] };
    organisations.rows.forEach((r, i) => {
      const row = n.rows[i];
      if (row && r[0]) r[0].href = link(row.organisation.id);
    });
    return reply.page(
      'analytics/views/national.njk',
      {
        title: which === 'national' ? 'The national picture' : 'Providers you commission',
        which,
        n,
        path,
        values,
        errors,
        medianText: oneDecimal(n.median),
        yearItems: yearItems(n.years, n.financialYear),
        typeItems: typeItems(values.type),
        charts: nationalCharts(n),
        tables: shown,
      },
      errors ? 400 : 200,
    );
  }
  // The address people type or keep: each reader's own analysis page (the navigation's "Analysis" link), or what
  // analysis is and who sees it, for those whose roles do not include it.
  app.get('/analytics', hide, async (req, reply) => {
    const actor = actorOf(req);
    const home = analysisHome(actor);
    if (home) return reply.redirect(home.href, 303);
    if (allowedOnceChosen(req, (a) => analysisHome(a) !== null)) throw organisationRequired();
    return reply.page('analytics/views/none.njk', { title: 'Analysis' });
  });
  app.get('/analytics/national', hide, async (req, reply) => renderNational(req, reply, 'national'));
  app.get('/analytics/national/export', hide, async (req, reply) => {
    const n = await service.national(actorOf(req), req.query);
    return sendTable(reply, nationalTables(n), req.query, `warden-national-${n.financialYear}`);
  });
  app.get('/analytics/providers', hide, async (req, reply) => renderNational(req, reply, 'providers'));
  app.get('/analytics/providers/export', hide, async (req, reply) => {
    const n = await service.providers(actorOf(req), req.query);
    return sendTable(reply, nationalTables(n, `Providers you commission, ${n.label}`), req.query, `warden-providers-${n.financialYear}`);
  });

  // ---- published statistics and staff-survey imports (administrators) ----------------------------------------
  const statisticsPage = (req: FastifyRequest) => async (values: Record<string, unknown>) => {
    const rows = await service.publishedStatistics(actorOf(req));
    const table: Table = {
      key: 'published',
      title: 'Published statistics imported: physical assaults by organisation and year',
      head: ['Organisation', 'Code', 'Financial year', 'Physical assaults', 'Involving medical factors', 'Staff', 'Per 1,000 staff', 'Source'],
      kinds: ['text', 'text', 'text', 'count', 'count', 'count', 'rate', 'text'],
      rows: rows.map((r) => [
        r.name,
        r.code,
        financialYearLabel(r.financialYear),
        r.physicalAssaults,
        r.physicalAssaultsMedical,
        r.staff,
        r.ratePer1000,
        r.source ?? '',
      ]),
    };
    return {
      template: 'analytics/views/statistics.njk',
      context: {
        title: 'Published statistics and staff surveys',
        statisticsHeader: STATISTICS_HEADER,
        surveyHeader: SURVEY_HEADER,
        kindItems: [
          { value: 'statistics', text: 'Published statistics of physical assaults', hint: { text: STATISTICS_HEADER }, checked: values.kind === 'statistics' },
          { value: 'survey', text: 'Staff-survey figures', hint: { text: SURVEY_HEADER }, checked: values.kind === 'survey' },
        ],
        tables: pageTables([table], '/statistics/export', {}),
        table,
      },
    };
  };
  app.get('/statistics', hide, async (req, reply) => {
    const { template, context } = await statisticsPage(req)({});
    const q = req.query as Record<string, unknown>;
    return reply.page(template, { ...context, values: {}, imported: typeof q.imported === 'string' ? q.imported : undefined });
  });
  app.get('/statistics/export', hide, async (req, reply) => {
    const { context } = await statisticsPage(req)({});
    return sendTable(reply, [context.table], req.query, 'warden-published-statistics');
  });
  app.post('/statistics', hide, async (req, reply) => {
    const body = formBody(req);
    try {
      const actor = actorOf(req);
      const file = body.file as Extract<Multipart, { type: 'file' }> | undefined;
      const kind = importKind.safeParse(body.kind);
      const problems: FieldError[] = [];
      if (!kind.success) problems.push({ field: 'kind', message: 'Select what the file holds' });
      if (!file || typeof file !== 'object' || !file._buf || file._buf.length === 0) problems.push({ field: 'file', message: 'Select a CSV file to import' });
      else if (file.file.truncated) problems.push({ field: 'file', message: 'The file must be smaller than 5 MB' });
      if (problems.length || !file?._buf || !kind.success) throw new AppError('validation', 400, 'Invalid input', 'There is a problem', problems);
      const text = file._buf.toString('utf8');
      const result =
        kind.data === 'statistics' ? await service.importStatistics(actor, text, file.filename) : await service.importSurvey(actor, text, file.filename);
      return reply.redirect(`/statistics?imported=${result.rows}`, 303);
    } catch (err) {
      if (!isValidation(err)) throw err;
      const { template, context } = await statisticsPage(req)({ kind: body.kind });
      // line-by-line problems all belong to the file field
      const errors = err.fields.map((f) => (f.field === 'kind' ? f : { field: 'file', message: f.message }));
      return reply.page(template, { ...context, values: { kind: body.kind }, errors }, 400);
    }
  });

  // ---- JSON API -------------------------------------------------------------------------------------------------
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['analytics'];
  const idParams = z.object({ id: z.uuid() });
  api.get(
    '/api/v1/analytics/organisations/:id/dashboard',
    {
      schema: {
        tags,
        summary: "An organisation's dashboard figures",
        description:
          'Incidents by month and category, site and department; rates per 1,000 staff per financial year; shares with medical factors, ' +
          'reported late and with police involvement; open, overdue and closed cases; sanctions and redress; repeat locations; year-on-year change. ' +
          '`from`/`to` are months (YYYY-MM, default the 24 months to this one); `site` may be `community`. Aggregates only.',
        params: idParams,
        querystring: dashboardFilters,
        response: { 200: dashboardOut },
      },
    },
    async (req) => service.dashboard(actorOf(req), req.params.id, req.query),
  );
  api.get(
    '/api/v1/analytics/organisations/:id/benchmark',
    {
      schema: {
        tags,
        summary: 'An organisation beside its peers and the national picture (004 peer table)',
        description:
          'Physical assaults per 1,000 staff, rank (1 = highest rate) and percentile among organisations of the same type and nationally. `year` is a financial year (2025 or 2025/26; default the last complete one).',
        params: idParams,
        querystring: yearQuery,
        response: { 200: benchmarkOut },
      },
    },
    async (req) => service.benchmark(actorOf(req), req.params.id, req.query),
  );
  api.get(
    '/api/v1/analytics/organisations/:id/perception',
    {
      schema: { tags, summary: 'Staff-survey figures beside reported rates, by financial year (000 §8.2)', params: idParams, response: { 200: perceptionOut } },
    },
    async (req) => service.perception(actorOf(req), req.params.id),
  );
  api.put(
    '/api/v1/analytics/organisations/:id/perception/:year',
    {
      schema: {
        tags,
        summary: "Record a financial year's staff-survey figures (percentages, one decimal place)",
        params: z.object({ id: z.uuid(), year: z.coerce.number().int() }),
        body: surveyBody,
        response: { 200: surveyOut },
      },
    },
    async (req) => service.setSurvey(actorOf(req), req.params.id, { ...req.body, financialYear: req.params.year }),
  );
  api.get(
    '/api/v1/analytics/national',
    {
      schema: {
        tags,
        summary: 'Every provider organisation ranked for a financial year (national assessors)',
        querystring: nationalQuery,
        response: { 200: nationalOut },
      },
    },
    async (req) => service.national(actorOf(req), req.query),
  );
  api.get(
    '/api/v1/analytics/providers',
    {
      schema: {
        tags,
        summary: 'The providers a commissioner commissions, ranked against the national picture (aggregates only)',
        querystring: nationalQuery,
        response: { 200: nationalOut.extend({ commissioned: z.number().int() }) },
      },
    },
    async (req) => service.providers(actorOf(req), req.query),
  );
  api.get(
    '/api/v1/analytics/providers/:providerId/dashboard',
    {
      schema: {
        tags,
        summary: "A commissioned provider's dashboard figures (commissioners; aggregates only)",
        params: z.object({ providerId: z.uuid() }),
        querystring: dashboardFilters,
        response: { 200: dashboardOut },
      },
    },
    async (req) => service.providerDashboard(actorOf(req), req.params.providerId, req.query),
  );
  api.get('/api/v1/statistics', { schema: { tags, summary: 'Published statistics imported (administrators)', response: { 200: publishedOut } } }, async (req) =>
    service.publishedStatistics(actorOf(req)),
  );
  api.post(
    '/api/v1/statistics',
    {
      schema: {
        tags,
        summary: 'Import published statistics from CSV (administrators)',
        description: `\`csv\` holds the file: a header row \`${STATISTICS_HEADER}\` and one row per organisation and financial year. One bad row rejects the whole file (400, one message per line).`,
        body: importBody,
        response: { 200: importOut },
      },
    },
    async (req) => service.importStatistics(actorOf(req), req.body.csv, 'api'),
  );
  api.post(
    '/api/v1/statistics/staff-survey',
    {
      schema: {
        tags,
        summary: 'Import staff-survey figures from CSV (administrators)',
        description: `\`csv\` holds the file: a header row \`${SURVEY_HEADER}\`; percentages with one decimal place. One bad row rejects the whole file.`,
        body: importBody,
        response: { 200: importOut },
      },
    },
    async (req) => service.importSurvey(actorOf(req), req.body.csv, 'api'),
  );
}
