import type { Action } from './policy.ts';

/**
 * Who may call each route: the other half of the access policy (policy.ts says who may do each action). Every
 * registered route must appear here; `access-matrix.test.ts` fails on a route nobody declared, and checks every
 * route against every role, in its own organisation, in another organisation, and anonymously.
 *
 * - `public`: anyone, signed in or not (sign-in itself, health checks, assets).
 * - `signedIn`: any signed-in user; the service shows each only their own data.
 * - `action`: the service authorises this action. `org: 'id'` means the route's `:id` is the organisation whose
 *   data it touches; otherwise the action applies to the organisation the user is acting for. `object` marks a
 *   route whose answer also depends on the record it names or the data sent (a user, a token, an incident): the
 *   role check comes first, then the service may still refuse (403) or hide (404) a record that is not the
 *   caller's; someone without the role gets 403, or 404 where the record's existence is not theirs to know.
 */
export type RouteAccess = { public: true } | { signedIn: true } | { action: Action; org?: 'id'; object?: true };

const pub = { public: true } as const;
const signedIn = { signedIn: true } as const;
const act = (action: Action, extra: { org?: 'id'; object?: true } = {}): RouteAccess => ({ action, ...extra });

export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  'GET /nhsuk/*': pub,
  'GET /static/*': pub,
  'GET /assets/*': pub,
  'GET /healthz': pub,
  'GET /readyz': pub,
  'GET /api/v1/openapi.json': pub,
  'GET /': pub,
  'GET /accessibility': pub,

  // identity (features/identity)
  'GET /setup': pub,
  'POST /setup': pub,
  'GET /sign-in': pub,
  'POST /sign-in': pub,
  'GET /sign-in/two-factor': pub,
  'POST /sign-in/two-factor': pub,
  'GET /sign-in/oidc': pub,
  'GET /sign-in/oidc/callback': pub,
  'GET /password-reset': pub,
  'POST /password-reset': pub,
  'GET /password-reset/:token': pub,
  'POST /password-reset/:token': pub,
  // Signing out when not signed in is harmless and shows the signed-out page.
  'GET /sign-out': pub,
  'POST /sign-out': pub,
  'GET /choose-organisation': signedIn,
  'POST /choose-organisation': signedIn,
  'GET /account': signedIn,
  'POST /account/sessions/end-others': signedIn,
  'GET /account/password': signedIn,
  'POST /account/password': signedIn,
  'GET /account/two-factor': signedIn,
  'POST /account/two-factor': signedIn,
  'POST /account/two-factor/recovery-codes': signedIn,

  // organisations
  'GET /organisations': act('organisation.list'),
  'GET /organisations/new': act('organisation.create'),
  'POST /organisations': act('organisation.create'),
  'GET /organisations/:id': act('organisation.read', { org: 'id' }),
  'GET /organisations/:id/edit': act('organisation.update', { org: 'id' }),
  'POST /organisations/:id/edit': act('organisation.update', { org: 'id' }),
  'GET /organisations/:id/sites/new': act('site.manage', { org: 'id' }),
  'POST /organisations/:id/sites': act('site.manage', { org: 'id' }),
  'GET /organisations/:id/sites/:siteId/edit': act('site.manage', { org: 'id' }),
  'POST /organisations/:id/sites/:siteId/edit': act('site.manage', { org: 'id' }),
  'GET /organisations/:id/departments/new': act('site.manage', { org: 'id' }),
  'POST /organisations/:id/departments': act('site.manage', { org: 'id' }),
  'GET /organisations/:id/headcounts/new': act('headcount.manage', { org: 'id' }),
  'POST /organisations/:id/headcounts': act('headcount.manage', { org: 'id' }),
  'GET /api/v1/organisations': act('organisation.list'),
  'POST /api/v1/organisations': act('organisation.create'),
  'GET /api/v1/organisations/:id': act('organisation.read', { org: 'id' }),
  'PUT /api/v1/organisations/:id': act('organisation.update', { org: 'id' }),
  'POST /api/v1/organisations/:id/sites': act('site.manage', { org: 'id' }),
  'PUT /api/v1/organisations/:id/sites/:siteId': act('site.manage', { org: 'id' }),
  'POST /api/v1/organisations/:id/departments': act('site.manage', { org: 'id' }),
  'PUT /api/v1/organisations/:id/headcounts/:year': act('headcount.manage', { org: 'id' }),

  // commissioning links (commissioner → providers)
  'GET /organisations/:id/providers': act('organisation.read', { org: 'id' }),
  'POST /organisations/:id/providers': act('commissioning.manage', { org: 'id' }),
  'POST /organisations/:id/providers/:providerId/remove': act('commissioning.manage', { org: 'id' }),
  'GET /api/v1/organisations/:id/providers': act('organisation.read', { org: 'id' }),
  'POST /api/v1/organisations/:id/providers': act('commissioning.manage', { org: 'id' }),
  'DELETE /api/v1/organisations/:id/providers/:providerId': act('commissioning.manage', { org: 'id' }),

  // users and roles
  'GET /users': act('user.manage'),
  'GET /users/new': act('user.manage'),
  'POST /users': act('user.manage'),
  'GET /users/:id': act('user.manage', { object: true }),
  'POST /users/:id/roles': act('user.manage', { object: true }),
  'POST /users/:id/roles/revoke': act('user.manage', { object: true }),
  'GET /users/:id/deactivate': act('user.manage', { object: true }),
  'POST /users/:id/deactivate': act('user.manage', { object: true }),
  'POST /users/:id/reactivate': act('user.manage', { object: true }),
  'POST /users/:id/sessions/end': act('user.manage', { object: true }),
  'POST /users/:id/sessions/end-all': act('user.manage', { object: true }),
  'GET /api/v1/users': act('user.manage'),
  'POST /api/v1/users': act('user.manage'),
  'GET /api/v1/users/:id': act('user.manage', { object: true }),
  'POST /api/v1/users/:id/roles': act('user.manage', { object: true }),
  'DELETE /api/v1/users/:id/roles': act('user.manage', { object: true }),
  'POST /api/v1/users/:id/deactivate': act('user.manage', { object: true }),
  'POST /api/v1/users/:id/reactivate': act('user.manage', { object: true }),
  'GET /api/v1/users/:id/sessions': act('user.manage', { object: true }),
  'DELETE /api/v1/users/:id/sessions': act('user.manage', { object: true }),
  'DELETE /api/v1/users/:id/sessions/:sessionId': act('user.manage', { object: true }),

  // API tokens
  'GET /api-tokens': act('token.personal'),
  'GET /api-tokens/personal/new': act('token.personal'),
  'POST /api-tokens/personal': act('token.personal', { object: true }), // only a role the user holds
  'GET /api-tokens/service/new': act('token.manage'),
  'POST /api-tokens/service': act('token.manage'),
  'POST /api-tokens/:id/revoke': act('token.personal', { object: true }),
  'GET /api/v1/api-tokens': act('token.personal'),
  'POST /api/v1/api-tokens/personal': act('token.personal', { object: true }),
  'POST /api/v1/api-tokens/service': act('token.manage'),
  'DELETE /api/v1/api-tokens/:id': act('token.personal', { object: true }),

  // incident reporting
  'GET /incidents/new': act('incident.report'),
  'POST /incidents/new': act('incident.report'),
  'POST /incidents/new/discard': act('incident.report'),
  'GET /incidents/new/check': act('incident.report'),
  'POST /incidents/new/submit': act('incident.report'),
  'GET /incidents/mine': act('incident.read_own'),
  'GET /incidents/mine/:id': act('incident.read_own', { object: true }),
  'GET /incidents/mine/:id/confirmation': act('incident.read_own', { object: true }),
  'POST /api/v1/incidents': act('incident.report'),
  'GET /api/v1/incidents/mine': act('incident.read_own'),
  'GET /api/v1/incidents/:id': act('incident.read_own', { object: true }),

  // case lists and exports (features/cases-list)
  'GET /cases': act('case.list'),
  'GET /cases/export': act('case.export'),
  'GET /api/v1/cases': act('case.list'),

  // case management (features/cases): every case route names a case, so the service may still hide it (404)
  'GET /cases/overdue': act('case.read'),
  'POST /cases/settings': act('case.manage'),
  'GET /cases/:id': act('case.read', { object: true }),
  'POST /cases/:id/status': act('case.manage', { object: true }),
  'POST /cases/:id/triage': act('case.manage', { object: true }),
  'POST /cases/:id/correction': act('case.manage', { object: true }),
  'POST /cases/:id/investigation': act('case.investigate', { object: true }),
  'POST /cases/:id/log': act('case.manage', { object: true }),
  'POST /cases/:id/sanctions': act('case.manage', { object: true }),
  'POST /cases/:id/no-sanction': act('case.manage', { object: true }),
  'POST /cases/:id/redress': act('case.manage', { object: true }),
  'POST /cases/:id/support': act('case.manage', { object: true }),
  'POST /cases/:id/attachments': act('case.manage', { object: true }),
  'GET /cases/:id/attachments/:attachmentId': act('case.read', { object: true }),
  'GET /api/v1/cases/overdue': act('case.read'),
  'GET /api/v1/cases/settings': act('case.read'),
  'PUT /api/v1/cases/settings': act('case.manage'),
  'GET /api/v1/cases/:id': act('case.read', { object: true }),
  'POST /api/v1/cases/:id/status': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/triage': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/corrections': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/investigation': act('case.investigate', { object: true }),
  'POST /api/v1/cases/:id/log': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/sanctions': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/no-sanction': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/redress': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/support': act('case.manage', { object: true }),
  'POST /api/v1/cases/:id/attachments': act('case.manage', { object: true }),
  'GET /api/v1/cases/:id/attachments/:attachmentId': act('case.read', { object: true }),

  // warning markers (features/markers)
  'GET /markers': act('marker.read'),
  'GET /markers/new': act('marker.manage'),
  'POST /markers': act('marker.manage'),
  'GET /markers/:id': act('marker.read', { object: true }),
  'GET /markers/:id/review': act('marker.manage', { object: true }),
  'POST /markers/:id/review': act('marker.manage', { object: true }),
  'GET /api/v1/markers': act('marker.read'),
  'POST /api/v1/markers': act('marker.manage'),
  'GET /api/v1/markers/:id': act('marker.read', { object: true }),
  'POST /api/v1/markers/:id/reviews': act('marker.manage', { object: true }),
  // self review (features/self-review; SPEC C5): :id is the review, :number a standard such as 4.1
  'GET /self-reviews': act('review.read'),
  'POST /self-reviews': act('review.edit'),
  'GET /self-reviews/:id': act('review.read', { object: true }),
  'GET /self-reviews/:id/standards/:number': act('review.read', { object: true }),
  'POST /self-reviews/:id/standards/:number': act('review.edit', { object: true }),
  'POST /self-reviews/:id/standards/:number/evidence': act('review.edit', { object: true }),

  // analysis and benchmarking (features/analytics; SPEC C4): aggregates only
  'GET /analytics/organisations/:id': act('analytics.read', { org: 'id' }),
  'GET /analytics/organisations/:id/export': act('analytics.read', { org: 'id' }),
  'GET /analytics/organisations/:id/benchmark': act('analytics.read', { org: 'id' }),
  'GET /analytics/organisations/:id/benchmark/export': act('analytics.read', { org: 'id' }),
  'GET /analytics/organisations/:id/perception': act('analytics.read', { org: 'id' }),
  'GET /analytics/organisations/:id/perception/export': act('analytics.read', { org: 'id' }),
  'POST /analytics/organisations/:id/perception': act('survey.manage', { org: 'id' }),
  'GET /analytics/national': act('analytics.national'),
  'GET /analytics/national/export': act('analytics.national'),
  // a commissioner's providers: the service checks the commissioning link (a provider not commissioned is a 404)
  'GET /analytics/providers': act('analytics.providers'),
  'GET /analytics/providers/export': act('analytics.providers'),
  'GET /analytics/providers/:providerId': act('analytics.providers', { object: true }),
  'GET /analytics/providers/:providerId/export': act('analytics.providers', { object: true }),
  'GET /statistics': act('statistics.import'),
  'GET /statistics/export': act('statistics.import'),
  'POST /statistics': act('statistics.import'),
  'GET /api/v1/analytics/organisations/:id/dashboard': act('analytics.read', { org: 'id' }),
  'GET /api/v1/analytics/organisations/:id/benchmark': act('analytics.read', { org: 'id' }),
  'GET /api/v1/analytics/organisations/:id/perception': act('analytics.read', { org: 'id' }),
  'PUT /api/v1/analytics/organisations/:id/perception/:year': act('survey.manage', { org: 'id' }),
  'GET /api/v1/analytics/national': act('analytics.national'),
  'GET /api/v1/analytics/providers': act('analytics.providers'),
  'GET /api/v1/analytics/providers/:providerId/dashboard': act('analytics.providers', { object: true }),
  'GET /api/v1/statistics': act('statistics.import'),
  'POST /api/v1/statistics': act('statistics.import'),
  'POST /api/v1/statistics/staff-survey': act('statistics.import'),

  // audit trail
  'GET /audit': act('audit.search'),
  'GET /api/v1/audit-events': act('audit.search'),
};
