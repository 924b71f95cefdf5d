import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { longDate } from '../domain/dates.ts';
import type { Actor } from './access/roles.ts';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
/** nhsuk-frontend's built files: its Nunjucks macros live under `nhsuk/`, its CSS, JS and images beside them. */
export const nhsukDist = join(dirname(require.resolve('nhsuk-frontend/package.json')), 'dist');

/** Context every page gets, beside its own. */
export type PageContext = {
  cspNonce?: string;
  csrfToken?: string;
  actor?: Actor | null;
  actingOrgName?: string | null;
  demo?: boolean;
  path?: string;
};

/** `s` with the characters HTML gives meaning to escaped, for markup built in code (table cells with links). */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The Nunjucks environment: autoescaping on (output is escaped unless a template says `| safe` on markup we
 * built), templates from src/views (layout, errors), each feature's folder (`<feature>/views/*.njk`) and
 * nhsuk-frontend.
 */
export function createViews(): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([join(here, '..', 'views'), join(here, '..', 'features'), nhsukDist], {
      noCache: process.env.NODE_ENV === 'development',
    }),
    { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
  );
  env.addFilter('date', longDate);
  env.addFilter('datetime', (d: Date | string | null | undefined) =>
    d
      ? new Date(d).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' })
      : '',
  );
  env.addFilter('number', (n: number | null | undefined) => (n === null || n === undefined ? '' : n.toLocaleString('en-GB')));
  /** Field errors → { fieldName: { text } } for the macros' errorMessage option. */
  env.addFilter('fieldError', (errors: { field: string; message: string }[] | undefined, field: string) => {
    const e = errors?.find((x) => x.field === field);
    return e ? { text: e.message } : undefined;
  });
  /** Field errors → the error summary's errorList, each linking to its field. */
  env.addFilter('errorList', (errors: { field: string; message: string }[] | undefined) =>
    (errors ?? []).map((e) => ({ text: e.message, href: `#${e.field.replace(/[^A-Za-z0-9_-]/g, '-')}` })),
  );
  return env;
}
