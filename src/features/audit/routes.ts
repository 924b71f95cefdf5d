import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../platform/errors.ts';
import { actorOf } from '../../platform/forms.ts';
import { AUDIT_OUTCOME_LABELS, AUDIT_OUTCOMES, type AuditEventOut, auditPageOut, auditSearch } from './schema.ts';
import type { AuditService } from './service.ts';

const FILTER_FIELDS = ['action', 'actor', 'object', 'from', 'to', 'outcome', 'org'] as const;

const ukTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The filters as given (strings), for refilling the form and building page links. */
function givenFilters(query: unknown): Record<string, string> {
  const q = (query ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of FILTER_FIELDS) if (typeof q[k] === 'string' && q[k] !== '') out[k] = q[k] as string;
  return out;
}

const pageHref = (filters: Record<string, string>, page: number) => `/audit?${new URLSearchParams({ ...filters, page: String(page) }).toString()}`;

const row = (e: AuditEventOut) => ({
  ...e,
  time: ukTime.format(new Date(e.at)),
  outcomeLabel: AUDIT_OUTCOME_LABELS[e.outcome],
  object: [e.objectType, e.objectId].filter(Boolean).join(' '),
  // a case's reference, which people know it by, where the event recorded one
  reference: referenceOf(e.detail),
});

function referenceOf(detail: unknown): string | undefined {
  const r = detail && typeof detail === 'object' ? (detail as { reference?: unknown }).reference : undefined;
  return typeof r === 'string' ? r : undefined;
}

/** The audit trail search page and `/api/v1/audit-events`. */
export async function auditRoutes(app: FastifyInstance, service: AuditService): Promise<void> {
  // A GET form: searching changes nothing, so the filters live in the address and pages can be bookmarked.
  app.get('/audit', { schema: { hide: true } }, async (req, reply) => {
    const actor = actorOf(req);
    const values = givenFilters(req.query);
    const outcomeItems = (selected?: string) => [
      { value: '', text: 'Any outcome' },
      ...AUDIT_OUTCOMES.map((o) => ({ value: o, text: AUDIT_OUTCOME_LABELS[o], selected: selected === o })),
    ];
    const orgItems = (orgs: { id: string; name: string }[]) => [
      { value: '', text: 'All organisations' },
      ...orgs.map((o) => ({ value: o.id, text: o.name, selected: values.org === o.id })),
    ];
    try {
      const result = await service.search(actor, req.query);
      return reply.page('audit/views/search.njk', {
        title: 'Audit trail',
        values,
        wide: result.wide,
        outcomeItems: outcomeItems(values.outcome),
        orgItems: orgItems(result.organisations),
        events: result.events.map(row),
        page: result.page,
        previousHref: result.page > 1 ? pageHref(values, result.page - 1) : undefined,
        nextHref: result.hasNext ? pageHref(values, result.page + 1) : undefined,
      });
    } catch (err) {
      if (!(err instanceof AppError && err.id === 'validation')) throw err;
      const options = await service.filterOptions(actor);
      return reply.page(
        'audit/views/search.njk',
        {
          title: 'Audit trail',
          values,
          wide: options.wide,
          outcomeItems: outcomeItems(values.outcome),
          orgItems: orgItems(options.organisations),
          errors: err.fields,
        },
        400,
      );
    }
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/v1/audit-events',
    {
      schema: {
        tags: ['audit'],
        summary: 'Search the audit trail',
        description:
          'Newest first, 50 a page. Organisation administrators and security specialists see their acting organisation’s events; deployment-wide administrators see every organisation’s and may filter by `org`. `object` is an object id or a case reference (e.g. `RXX-2026-000123`): for a case, every event about it, such as each read of its personal data. `from` and `to` are UK calendar days, inclusive. Each search is itself audited.',
        querystring: auditSearch,
        response: { 200: auditPageOut },
      },
    },
    async (req) => {
      const { page, pageSize, hasNext, events } = await service.search(actorOf(req), req.query);
      return { page, pageSize, hasNext, events };
    },
  );
}
