import type { Database } from '../../db/database.ts';
import { pathFor } from '../../platform/links.ts';
import type { Mailer } from '../../platform/mail.ts';
import { inScope } from '../../platform/tenancy.ts';
import { commissioningRepository } from './repository.ts';

/** What a feature needs to tell overseers: the mailer (none: nothing is sent), links' base address, a log. */
export type OverseerMail = { mailer?: Mailer; baseUrl?: string; log?: (line: string) => void };

/**
 * Tells the people who oversee a provider's record that it has become readable, or been withdrawn (002 std
 * 1.6–1.7): the commissioner users of `commissionerIds` (those whose commissioning covers the record's year: the
 * caller chooses them) and, with `assessors`, the national quality assessors. One e-mail each, ending with the
 * link to `path` ("Read it", or `linkText`). Call it once the change has committed; it does not wait: a slow mail
 * server must not hold up the person who made it. A failure to send is logged, and the record is on their
 * oversight page all the same.
 */
export function tellOverseers(
  db: Database,
  deps: OverseerMail,
  n: { commissionerIds: string[]; assessors: boolean; subject: string; lines: string[]; path: string; linkText?: string },
): void {
  const { mailer } = deps;
  if (!mailer) return;
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  inScope(db, { all: true }, (tx) => commissioningRepository.overseers(tx, n.commissionerIds, { assessors: n.assessors }))
    .then((rows) => {
      // One e-mail a person. A commissioner user's link names the commissioning organisation they read it as
      // (the first, should they hold the role in several); an assessor's names none (a deployment-wide role).
      const people = new Map<string, string | null>();
      for (const r of rows) if (!people.has(r.email) || people.get(r.email) === null) people.set(r.email, r.org_id);
      return Promise.all(
        [...people].map(([email, orgId]) =>
          mailer
            .send({
              to: email,
              subject: n.subject,
              text: [...n.lines, '', `${n.linkText ?? 'Read it'}: ${deps.baseUrl ?? ''}${orgId ? pathFor(n.path, orgId) : n.path}`].join('\n'),
            })
            .catch((err: Error) => log(`Warden could not send "${n.subject}" to ${email}: ${err.message}`)),
        ),
      );
    })
    .catch((err: Error) => log(`Warden could not tell the overseers of "${n.subject}": ${err.message}`));
}
