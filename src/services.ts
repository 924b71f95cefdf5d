import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from './app.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { annualReportSuggester } from './features/annual-reports/review-suggester.ts';
import { annualReportsService } from './features/annual-reports/service.ts';
import { investigationTimelinessSuggester } from './features/cases/review-suggester.ts';
import { casesService } from './features/cases/service.ts';
import { commissioningService } from './features/commissioning/service.ts';
import { oidcService } from './features/identity/oidc.ts';
import { resolveSecretKey } from './features/identity/secrets.ts';
import { identityService } from './features/identity/service.ts';
import { incidentsService } from './features/incidents/service.ts';
import { organisationsService } from './features/organisations/service.ts';
import { selfReviewService } from './features/self-review/service.ts';
import { suggesterRegistry } from './features/self-review/suggesters.ts';
import { tokensService } from './features/tokens/service.ts';
import { usersService } from './features/users/service.ts';
import { fileStore } from './platform/files.ts';
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
  // Uploaded files live outside the web root, under the data directory. Callers without one (tests) get a
  // throwaway folder rather than files in the working directory.
  const dataDir = config.dataDir ?? join(tmpdir(), `warden-${process.pid}`);
  // Suggested ratings for the self review: each feature whose data speaks to a standard registers its suggester.
  const suggesters = suggesterRegistry().register(investigationTimelinessSuggester).register(annualReportSuggester);
  return {
    db,
    identity,
    organisations: organisationsService(db),
    users: usersService(db, { idleMinutes: config.sessionIdleMinutes }, identity),
    tokens: tokensService(db),
    commissioning: commissioningService(db),
    incidents: incidentsService(db),
    // Attachments live outside the web root: <dataDir>/attachments/<org>/<id>.
    cases: casesService(db, {
      mailer,
      attachmentsDir: join(dataDir, 'attachments'),
      baseUrl: config.baseUrl,
    }),
    selfReview: selfReviewService(db, {
      files: fileStore(join(dataDir, 'self-review-evidence')),
      identity,
      suggesters,
      mailer,
      baseUrl: config.baseUrl,
    }),
    annualReports: annualReportsService(db, { files: fileStore(join(dataDir, 'annual-reports')), identity, mailer, baseUrl: config.baseUrl }),
    ...(config.oidc ? { oidc: oidcService(db, identity, config.oidc) } : {}),
  };
}
