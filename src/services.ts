import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from './app.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { casesService } from './features/cases/service.ts';
import { commissioningService } from './features/commissioning/service.ts';
import { oidcService } from './features/identity/oidc.ts';
import { resolveSecretKey } from './features/identity/secrets.ts';
import { identityService } from './features/identity/service.ts';
import { incidentsService } from './features/incidents/service.ts';
import { organisationsService } from './features/organisations/service.ts';
import { tokensService } from './features/tokens/service.ts';
import { usersService } from './features/users/service.ts';
import { createMailer, type Mailer } from './platform/mail.ts';

/** Composes the services over one application database pool. Pages, API and CLI all use these. */
export function createServices(
  db: Database,
  config: Pick<Config, 'sessionIdleMinutes' | 'sessionMaxHours'> & Partial<Pick<Config, 'oidc' | 'baseUrl' | 'smtpUrl' | 'mailFrom' | 'secretKey' | 'dataDir'>>,
  deps: { mailer?: Mailer } = {},
): Services {
  const mailer = deps.mailer ?? createMailer(config);
  const identity = identityService(
    db,
    { idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours },
    { mailer, baseUrl: config.baseUrl, secretKey: resolveSecretKey(config) },
  );
  return {
    db,
    identity,
    organisations: organisationsService(db),
    users: usersService(db, { idleMinutes: config.sessionIdleMinutes }, identity),
    tokens: tokensService(db),
    commissioning: commissioningService(db),
    incidents: incidentsService(db),
    // Attachments live outside the web root: <dataDir>/attachments/<org>/<id>. Callers without a data directory
    // (tests) get a throwaway folder rather than files in the working directory.
    cases: casesService(db, {
      mailer,
      attachmentsDir: join(config.dataDir ?? join(tmpdir(), `warden-${process.pid}`), 'attachments'),
      baseUrl: config.baseUrl,
    }),
    ...(config.oidc ? { oidc: oidcService(db, identity, config.oidc) } : {}),
  };
}
