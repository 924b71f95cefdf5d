import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { CATEGORY_DEFINITIONS, INCIDENT_CATEGORIES, INCIDENT_STATUSES, STATUS_LABELS } from '../../domain/incidents.ts';
import { AppError } from '../../platform/errors.ts';
import { actorOf } from '../../platform/forms.ts';
import { CASES_PAGE_SIZE, caseFilters, casePageOut, OVERDUE_AFTER_DAYS } from './schema.ts';
import { type CasesListService, ukStamp } from './service.ts';

const FILTER_FIELDS = ['q', 'status', 'category', 'site', 'overdue', 'from', 'to', 'sort'] as const;

/** The filters as given (strings), for refilling the form and building links. */
function givenFilters(query: unknown): Record<string, string> {
  const q = (query ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of FILTER_FIELDS) if (typeof q[k] === 'string' && q[k] !== '') out[k] = q[k] as string;
  return out;
}

const href = (path: string, params: Record<string, string>) => {
  const s = new URLSearchParams(params).toString();
  return s ? `${path}?${s}` : path;
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The case list page `/cases`, its exports `/cases/export`, and `/api/v1/cases`. */
export async function casesListRoutes(app: FastifyInstance, service: CasesListService): Promise<void> {
  const selectItems = (values: Record<string, string>, sites: { id: string; name: string }[]) => ({
    statusItems: [{ value: '', text: 'Any status' }, ...INCIDENT_STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s], selected: values.status === s }))],
    categoryItems: [
      { value: '', text: 'Any category' },
      ...INCIDENT_CATEGORIES.map((c) => ({ value: c, text: CATEGORY_DEFINITIONS[c].label, selected: values.category === c })),
    ],
    siteItems: [{ value: '', text: 'Any site' }, ...sites.map((s) => ({ value: s.id, text: s.name, selected: values.site === s.id }))],
    sortItems: [
      { value: 'newest', text: 'Newest reported first', selected: values.sort !== 'oldest' },
      { value: 'oldest', text: 'Oldest reported first', selected: values.sort === 'oldest' },
    ],
  });

  // A GET form: filtering changes nothing, so the filters live in the address and can be bookmarked.
  app.get('/cases', { schema: { hide: true } }, async (req, reply) => {
    const actor = actorOf(req);
    const values = givenFilters(req.query);
    const common = { title: 'Cases', values, overdueDays: OVERDUE_AFTER_DAYS, mayExport: service.mayExport(actor) };
    try {
      const result = await service.list(actor, req.query);
      const rows = result.cases.map((c) => [
        { html: `<a href="/cases/${c.id}">${esc(c.reference)}</a>` },
        { text: ukStamp(c.occurredAt) },
        { text: ukStamp(c.reportedAt) },
        { text: c.categoryLabel },
        { text: c.statusLabel + (c.overdue ? ' (overdue)' : '') + (c.late ? ' (reported late)' : '') },
        { text: [c.site, c.department].filter(Boolean).join(', ') || 'Community' },
        ...(result.personalData ? [{ text: (c.personal?.narrative ?? '').slice(0, 140) + ((c.personal?.narrative ?? '').length > 140 ? '…' : '') }] : []),
      ]);
      const first = (result.page - 1) * CASES_PAGE_SIZE + 1;
      return reply.page('cases-list/views/list.njk', {
        ...common,
        ...selectItems(values, result.sites),
        searched: true,
        personalData: result.personalData,
        assignedOnly: result.assignedOnly,
        rows,
        total: result.total,
        range: result.cases.length ? `${first} to ${first + result.cases.length - 1} of ${result.total}` : '',
        page: result.page,
        csvHref: href('/cases/export', { ...values, format: 'csv' }),
        xlsxHref: href('/cases/export', { ...values, format: 'xlsx' }),
        previousHref: result.page > 1 ? href('/cases', { ...values, page: String(result.page - 1) }) : undefined,
        nextHref: result.hasNext ? href('/cases', { ...values, page: String(result.page + 1) }) : undefined,
      });
    } catch (err) {
      if (!(err instanceof AppError && err.id === 'validation')) throw err;
      const { sites } = await service.filterOptions(actor);
      return reply.page('cases-list/views/list.njk', { ...common, ...selectItems(values, sites), errors: err.fields }, 400);
    }
  });

  app.get('/cases/export', { schema: { hide: true } }, async (req, reply) => {
    const file = await service.export(actorOf(req), req.query);
    return reply
      .type(file.contentType)
      .header('content-disposition', `attachment; filename="${file.filename}"`)
      .header('x-content-type-options', 'nosniff')
      .send(file.body);
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/v1/cases',
    {
      schema: {
        tags: ['cases'],
        summary: 'List cases',
        description:
          `Cases of the acting organisation, 50 a page, newest reported first (\`sort=oldest\` for the reverse). Security specialists and the SMD see every case; ` +
          'a manager sees the cases assigned to them. `q` searches the narratives (web search syntax). `overdue=1`: open and reported more than ' +
          `${OVERDUE_AFTER_DAYS} days ago. \`from\`/\`to\` bound the date the incident occurred (UK days, inclusive). ` +
          '`personal` (people, crime reference, narrative) is present only for roles that may see personal data, and each such read is audited.',
        querystring: caseFilters,
        response: { 200: casePageOut },
      },
    },
    async (req) => {
      const r = await service.list(actorOf(req), req.query);
      return { page: r.page, pageSize: r.pageSize, total: r.total, hasNext: r.hasNext, personalData: r.personalData, cases: r.cases };
    },
  );
}
