import type { FastifyInstance } from 'fastify';
import { can } from '../../platform/access/policy.ts';
import { type Actor, ROLE_LABELS } from '../../platform/access/roles.ts';
import type { AnnualReportsService } from '../annual-reports/service.ts';
import type { CasesListService } from '../cases-list/service.ts';
import type { MarkersService } from '../markers/service.ts';
import { financialYearLabel } from '../organisations/schema.ts';
import type { SelfReviewService } from '../self-review/service.ts';

/**
 * The home page: what the signed-in user can do and what is waiting for them (reports to triage, overdue cases,
 * markers due for review, reporters' requests for a marker), or a sign-in prompt; and the accessibility statement.
 */
export async function homeRoutes(
  app: FastifyInstance,
  services: { casesList: CasesListService; markers: MarkersService; selfReview: SelfReviewService; annualReports: AnnualReportsService },
): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor;
    const roles =
      actor?.kind === 'user' ? [...actor.globalRoles.map((r) => `${ROLE_LABELS[r]} (all organisations)`), ...actor.roles.map((r) => ROLE_LABELS[r])] : [];
    // A member of staff's first need is to report: the action is the page's first call to action (SPEC C2).
    const canReport = actor ? can(actor, 'incident.report') : false;
    const [cases, markers, signOffs] = await Promise.all([services.casesList.waiting(actor), services.markers.waiting(actor), readyToSign(actor)]);
    // Roles in an organisation, none chosen yet (the chooser was skipped, or a role came after sign-in): say so
    const mustChoose = actor?.kind === 'user' && actor.orgId === null && (req.memberships?.length ?? 0) > 0;
    return reply.page('home/views/home.njk', { title: 'Home', roles, canReport, mustChoose, waiting: [...signOffs, ...waitingItems(cases, markers)] });
  });

  /** 002 std 1.5, §3.10–3.13: what only the SMD can do — sign off the self review and the annual report. */
  async function readyToSign(actor: Actor | null): Promise<{ href: string; text: string }[]> {
    const [reviews, reports] = await Promise.all([services.selfReview.readyToSign(actor), services.annualReports.readyToSign(actor)]);
    return [
      ...reviews.map((r) => ({ href: `/self-reviews/${r.id}/sign-off`, text: `The ${financialYearLabel(r.year)} self review is ready for your sign-off` })),
      ...reports.map((r) => ({ href: `/annual-reports/${r.id}`, text: `The ${r.yearLabel} annual report is ready for your sign-off` })),
    ];
  }
  app.get('/accessibility', { schema: { hide: true } }, async (_req, reply) =>
    reply.page('home/views/accessibility.njk', { title: 'Accessibility statement' }),
  );
}

/** "Waiting for you": one linked line per kind of work, with its count (zero included, so the page says so). */
function waitingItems(cases: Awaited<ReturnType<CasesListService['waiting']>>, markers: Awaited<ReturnType<MarkersService['waiting']>>) {
  const items: { href: string; text: string }[] = [];
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  if (cases?.scope === 'organisation') {
    items.push({ href: '/cases?status=reported', text: `${n(cases.toTriage, 'new report', 'new reports')} to triage` });
    items.push({ href: '/cases?overdue=1', text: n(cases.overdue, 'overdue case', 'overdue cases') });
  } else if (cases?.scope === 'assigned') {
    // 003 §7.5: what the manager has to do is the investigations not yet completed, not every case they were given
    items.push({ href: '/cases?investigating=1', text: `${n(cases.toInvestigate, 'investigation', 'investigations')} to complete` });
    items.push({ href: '/cases?overdue=1', text: `${cases.overdue} of your cases ${cases.overdue === 1 ? 'is' : 'are'} overdue` });
  }
  if (markers) {
    items.push({ href: '/markers?due=1', text: `${n(markers.due, 'warning marker', 'warning markers')} due for review` });
    // 003 §3.2.11: reporters' requests for a marker, answered by placing one or deciding none is needed
    items.push({ href: '/markers#requests', text: `${n(markers.requests, 'request', 'requests')} for a warning marker to answer` });
  }
  return items;
}
