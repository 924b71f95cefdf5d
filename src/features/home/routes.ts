import type { FastifyInstance } from 'fastify';
import { can } from '../../platform/access/policy.ts';
import { ROLE_LABELS } from '../../platform/access/roles.ts';

/** The home page: what the signed-in user can do, or a sign-in prompt; and the accessibility statement. */
export async function homeRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor;
    const roles =
      actor?.kind === 'user' ? [...actor.globalRoles.map((r) => `${ROLE_LABELS[r]} (all organisations)`), ...actor.roles.map((r) => ROLE_LABELS[r])] : [];
    // A member of staff's first need is to report: the action is the page's first call to action (SPEC C2).
    const canReport = actor ? can(actor, 'incident.report') : false;
    return reply.page('home/views/home.njk', { title: 'Home', roles, canReport });
  });
  app.get('/accessibility', { schema: { hide: true } }, async (_req, reply) =>
    reply.page('home/views/accessibility.njk', { title: 'Accessibility statement' }),
  );
}
