import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { longDate } from '../../domain/dates.ts';
import { can } from '../../platform/access/policy.ts';
import { actorOf, idParam } from '../../platform/forms.ts';
import { financialYearLabel } from '../organisations/schema.ts';
import { esc, tagHtml, trendText } from './present.ts';
import { snapshotContext } from './routes.ts';
import { oversightOut, oversightQuery, versionOut } from './schema.ts';
import type { OversightRow, SelfReviewService } from './service.ts';

type Cell = OversightRow['overall'];

/**
 * Oversight of submitted self reviews (002 std 1.6, 1.7): `/oversight/self-reviews` for commissioners (their
 * providers) and the national assessor (every organisation), and `/api/v1/oversight/self-reviews`. Only
 * submitted versions are ever shown.
 */
export async function oversightRoutes(app: FastifyInstance, service: SelfReviewService): Promise<void> {
  const hide = { schema: { hide: true } };

  app.get('/oversight/self-reviews', hide, async (req, reply) => {
    const o = await service.oversight(actorOf(req), req.query);
    const prev = o.year === null ? '' : financialYearLabel(o.year - 1);
    // the trend beside each rating; without last year's review, said once for the organisation, not in every cell
    const cell = (c: Cell, hasPrevious: boolean) => ({
      html: hasPrevious ? `${tagHtml(c.rating)}<br><span class="nhsuk-body-s">${esc(trendText(c.trend, c.previous, prev))}</span>` : tagHtml(c.rating),
    });
    return reply.page('self-review/views/oversight.njk', {
      title: 'Providers’ self reviews',
      o,
      mayReadAnnualReports: can(actorOf(req), 'annual_report.oversee'),
      yearItems: o.years.map((y) => ({ value: String(y), text: financialYearLabel(y), selected: y === o.year })),
      groups: o.groups.map((g) => ({
        caption: `${g.framework.name}, ${g.framework.version}: submitted self reviews ${o.yearLabel}`,
        head: [{ text: 'Organisation' }, ...g.framework.keyAreas.map((k) => ({ text: k.name })), { text: 'Overall' }, { text: 'Checks flagged' }],
        rows: g.rows.map((r) => [
          {
            html: `<a href="/oversight/self-reviews/${r.versionId}">${esc(r.organisation.name)}</a><br><span class="nhsuk-body-s">${esc(r.organisation.code)}, version ${r.version}, submitted ${longDate(r.submittedAt)}${r.hasPrevious ? '' : `; no submitted review for ${prev} to compare with`}</span>`,
          },
          ...g.framework.keyAreas.map((k) => cell(r.keyAreas[k.id] ?? { rating: null, previous: null, trend: null }, r.hasPrevious)),
          cell(r.overall, r.hasPrevious),
          { text: String(r.flags) },
        ]),
      })),
    });
  });

  app.get('/oversight/self-reviews/:id', hide, async (req, reply) => {
    const v = await service.oversightVersion(actorOf(req), idParam(req));
    return reply.page('self-review/views/version.njk', {
      title: `Self review ${financialYearLabel(v.year)}, version ${v.version}`,
      v: { ...v, recipients: [] },
      backHref: `/oversight/self-reviews?year=${v.year}`,
      ...snapshotContext(v),
    });
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['oversight'];
  api.get(
    '/api/v1/oversight/self-reviews',
    {
      schema: {
        tags,
        summary: 'Submitted self reviews of the organisations you oversee: key-area ratings, flags and trend',
        description: 'Commissioners: the providers they commission (002 std 1.6, 1.7). National assessors: every organisation. Never drafts.',
        querystring: oversightQuery,
        response: { 200: oversightOut },
      },
    },
    async (req) => service.oversight(actorOf(req), req.query),
  );
  api.get(
    '/api/v1/oversight/self-reviews/:id',
    { schema: { tags, summary: 'One submitted self review version, as signed', params: z.object({ id: z.string() }), response: { 200: versionOut } } },
    async (req) => service.oversightVersion(actorOf(req), idParam(req)),
  );
}
