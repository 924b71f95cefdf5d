import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CATEGORY_DEFINITIONS, INCIDENT_CATEGORIES, INCIDENT_STATUSES, OVERDUE_AFTER_DAYS, STATUS_LABELS } from '../../domain/incidents.ts';
import { AppError, type FieldError } from '../../platform/errors.ts';
import { actorOf } from '../../platform/forms.ts';
import { escapeHtml as esc } from '../../platform/views.ts';
import { CASES_PAGE_SIZE, caseExportQuery, caseFilters, casePageOut, EXPORT_LIMIT } from './schema.ts';
import { type CasesListService, ukStamp } from './service.ts';

const FILTER_FIELDS = ['q', 'status', 'category', 'site', 'overdue', 'investigating', 'from', 'to', 'sort'] as const;

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

/**
 * The query string as sent (strings), for the service to parse. Fastify hands routes with a zod querystring schema
 * the parsed value (`overdue` already a boolean), and the service parses what a caller sent, page or API alike.
 */
function rawQuery(req: FastifyRequest): Record<string, string> {
  const at = req.url.indexOf('?');
  return at < 0 ? {} : Object.fromEntries(new URLSearchParams(req.url.slice(at + 1)));
}

const isInvalid = (err: unknown): err is AppError => err instanceof AppError && err.id === 'validation';

/** The case list page `/cases`, its exports `/cases/export` and `/api/v1/cases/export`, and `/api/v1/cases`. */
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

  /**
   * The list page for `query`, with `extra` errors above it (a refused export, shown on the list it came from).
   * Bad filters show the form alone with an error summary (400).
   */
  async function listPage(req: FastifyRequest, reply: FastifyReply, query: Record<string, string>, extra: FieldError[] = []) {
    const actor = actorOf(req);
    const values = givenFilters(query);
    const maySearch = service.maySearch(actor);
    const common = { title: 'Cases', values, overdueDays: OVERDUE_AFTER_DAYS, mayExport: service.mayExport(actor), maySearch };
    // Without the search box, an error about search words points at the form as a whole.
    const onPage = (errors: FieldError[]) => errors.map((e) => (e.field === 'q' && !maySearch ? { ...e, field: 'filters' } : e));
    try {
      const result = await service.list(actor, query);
      const rows = result.cases.map((c) => [
        // a reference broken at its hyphens over three lines is hard to read out or type
        { html: `<a href="/cases/${c.id}">${esc(c.reference)}</a>`, classes: 'warden-nowrap' },
        { text: ukStamp(c.occurredAt) },
        { text: ukStamp(c.reportedAt) },
        { text: c.categoryLabel },
        { text: c.statusLabel + (c.overdue ? ' (overdue)' : '') + (c.late ? ' (reported late)' : '') },
        { text: [c.site, c.department].filter(Boolean).join(', ') || 'Community' },
        ...(result.personalData ? [{ text: (c.personal?.narrative ?? '').slice(0, 140) + ((c.personal?.narrative ?? '').length > 140 ? '…' : '') }] : []),
      ]);
      const first = (result.page - 1) * CASES_PAGE_SIZE + 1;
      const lastPage = Math.max(1, Math.ceil(result.total / CASES_PAGE_SIZE));
      return reply.page(
        'cases-list/views/list.njk',
        {
          ...common,
          ...selectItems(values, result.sites),
          ...(extra.length ? { errors: onPage(extra) } : {}),
          searched: true,
          personalData: result.personalData,
          assignedOnly: result.assignedOnly,
          rows,
          total: result.total,
          range: result.cases.length ? `${first} to ${first + result.cases.length - 1} of ${result.total}` : '',
          page: result.page,
          lastPage,
          lastPageHref: href('/cases', { ...values, ...(lastPage > 1 ? { page: String(lastPage) } : {}) }),
          csvHref: href('/cases/export', { ...values, format: 'csv' }),
          xlsxHref: href('/cases/export', { ...values, format: 'xlsx' }),
          previousHref: result.page > 1 && result.cases.length ? href('/cases', { ...values, page: String(result.page - 1) }) : undefined,
          nextHref: result.hasNext ? href('/cases', { ...values, page: String(result.page + 1) }) : undefined,
        },
        extra.length ? 400 : 200,
      );
    } catch (err) {
      if (!isInvalid(err)) throw err;
      const { sites } = await service.filterOptions(actor);
      const errors = [...extra, ...err.fields.filter((f) => !extra.some((e) => e.field === f.field && e.message === f.message))];
      return reply.page('cases-list/views/list.njk', { ...common, ...selectItems(values, sites), errors: onPage(errors) }, 400);
    }
  }

  // A GET form: filtering changes nothing, so the filters live in the address and can be bookmarked.
  app.get('/cases', { schema: { hide: true } }, async (req, reply) => listPage(req, reply, rawQuery(req)));

  // A bad or refused export link shows the list it came from with an error summary naming the problem (issue 4
  // item 13), not the generic error page.
  app.get('/cases/export', { schema: { hide: true } }, async (req, reply) => {
    const query = rawQuery(req);
    try {
      const file = await service.export(actorOf(req), query);
      return sendFile(reply, file);
    } catch (err) {
      if (!isInvalid(err)) throw err;
      return listPage(req, reply, query, err.fields);
    }
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  const filtersText =
    '`q` searches the narratives (web search syntax), for roles that may read them: others get 400. ' +
    '`overdue=1` (or `true`): open cases whose investigation is not completed and is past its due date or, while no due date is set, ' +
    `reported more than ${OVERDUE_AFTER_DAYS} days ago; \`overdue=0\` (or \`false\`, or left out): any. ` +
    "`investigating=1` (or `true`): open cases whose manager's investigation is assigned and not yet completed. " +
    '`from`/`to` bound the date the incident occurred (UK days, inclusive).';
  api.get(
    '/api/v1/cases',
    {
      schema: {
        tags: ['cases'],
        summary: 'List cases',
        description:
          `Cases of the acting organisation, ${CASES_PAGE_SIZE} a page, newest reported first (\`sort=oldest\` for the reverse). Security specialists and the SMD see every case; ` +
          `a manager sees the cases assigned to them. ${filtersText} ` +
          '`personal` (people, crime reference, narrative) is present only for roles that may see personal data, and each such read is audited.',
        querystring: caseFilters,
        response: { 200: casePageOut },
      },
    },
    async (req) => {
      const r = await service.list(actorOf(req), rawQuery(req));
      return { page: r.page, pageSize: r.pageSize, total: r.total, hasNext: r.hasNext, personalData: r.personalData, cases: r.cases };
    },
  );

  api.get(
    '/api/v1/cases/export',
    {
      schema: {
        tags: ['cases'],
        summary: 'Export cases as CSV or XLSX',
        description:
          'Every case matching the filters, as the case list page downloads them: `format=csv` (default) or `format=xlsx`. ' +
          `${filtersText} An export matching more than ${EXPORT_LIMIT.toLocaleString('en-GB')} cases is refused (400): narrow the filters. ` +
          'People, crime reference and narrative columns only for roles that may see personal data; the export is audited, and so is ' +
          'the read of each exported case’s personal data.',
        querystring: caseExportQuery,
        response: {
          200: {
            description: 'The file, as an attachment',
            content: {
              'text/csv': { schema: z.string().describe('UTF-8 CSV with a byte order mark') },
              [XLSX]: { schema: z.string().describe('An XLSX workbook (binary)') },
            },
          },
        },
      },
    },
    async (req, reply) => sendFile(reply, await service.export(actorOf(req), rawQuery(req))),
  );
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function sendFile(reply: FastifyReply, file: { contentType: string; filename: string; body: Buffer }) {
  return reply
    .type(file.contentType)
    .header('content-disposition', `attachment; filename="${file.filename}"`)
    .header('x-content-type-options', 'nosniff')
    .send(file.body);
}
