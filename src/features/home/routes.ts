import type { FastifyInstance } from 'fastify';
import { ROLE_LABELS } from '../../platform/access/roles.ts';

/** The home page: what the signed-in user can do, or a sign-in prompt; and the accessibility statement. */
export async function homeRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor;
    const roles =
      actor?.kind === 'user' ? [...actor.globalRoles.map((r) => `${ROLE_LABELS[r]} (all organisations)`), ...actor.roles.map((r) => ROLE_LABELS[r])] : [];
    return reply.page('home/views/home.njk', { title: 'Home', roles });
  });
  app.get('/accessibility', { schema: { hide: true } }, async (_req, reply) =>
    reply.page('home/views/accessibility.njk', { title: 'Accessibility statement' }),
  );
}
