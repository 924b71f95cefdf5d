import type { Services } from './app.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { identityService } from './features/identity/service.ts';
import { organisationsService } from './features/organisations/service.ts';

/** Composes the services over one application database pool. Pages, API and CLI all use these. */
export function createServices(db: Database, config: Pick<Config, 'sessionIdleMinutes' | 'sessionMaxHours'>): Services {
  return {
    db,
    identity: identityService(db, { idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours }),
    organisations: organisationsService(db),
  };
}
