import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createApp, type Services } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { migrateDown, migrationStatus } from './db/migrate.ts';
import { openRuntime } from './db/runtime.ts';
import { DEMO_PASSWORD, DEMO_USERS, isDemo, seedDemo } from './demo/seed.ts';
import { financialYearLabel } from './domain/analytics.ts';
import { OVERDUE_AFTER_DAYS } from './domain/incidents.ts';
import { STATISTICS_HEADER, SURVEY_HEADER } from './features/analytics/schema.ts';
import { analyticsService } from './features/analytics/service.ts';
import { startAuditSealer } from './features/audit/sealer.ts';
import { VERIFY_AUDIT_USAGE, verifyAuditCommand } from './features/audit/verify.ts';
import { startEscalationSchedule } from './features/cases/schedule.ts';
import { ESCALATION_NEEDS_MAIL } from './features/cases/service.ts';
import { systemActor } from './platform/access/roles.ts';
import { AppError } from './platform/errors.ts';
import { createMailer } from './platform/mail.ts';
import { createServices } from './services.ts';
import { checkFramework, formatProblems } from './standards/load.ts';

/** Where a command writes and which environment it reads: the process's own, or a test's capture. */
export type CliIO = { out: (text: string) => void; err: (text: string) => void; env: NodeJS.ProcessEnv };

type Command = { summary: string; usage: string; help: string; run: (args: string[], config: () => Config, io: CliIO) => Promise<number> };

const hasFlag = (args: string[], flag: string) => args.includes(flag);
/** The value after `--name`, or undefined. */
const option = (args: string[], name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
/** Arguments that are neither options nor their values. */
const positional = (args: string[], withValues: string[]) => args.filter((a, i) => !a.startsWith('-') && !withValues.includes(args[i - 1] ?? ''));

/** The organisation with this ODS-style code, for commands that act for one. */
async function organisationByCode(services: Services, code: string | undefined) {
  if (!code) throw new Error('Name the organisation with --org CODE');
  const org = (await services.organisations.list(systemActor)).find((o) => o.code.toUpperCase() === code.toUpperCase());
  if (!org) throw new Error(`There is no organisation with the code ${code}`);
  return org;
}

/** Starts the web server and keeps it running until SIGINT or SIGTERM, then shuts both server and database down. */
async function serve(config: Config, demo: boolean): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const runtime = await openRuntime(config);
  let app: FastifyInstance | undefined;
  let services: Services;
  let address: string;
  try {
    if (demo && (await seedDemo(runtime.app))) log('Loaded the demo data set.');
    services = createServices(runtime.app, config);
    const web = await createApp(services, { config, demo: demo || (await isDemo(runtime.app)) });
    app = web;
    const stopSealer = startAuditSealer(runtime.app, { onError: (err) => web.log.error({ err }, 'sealing the audit trail failed') });
    web.addHook('onClose', stopSealer);
    // Overdue work (investigations past due, cases unassigned by age) is escalated by e-mail every hour; without SMTP the e-mails would only reach the
    // log while the cases were marked as escalated, so then nothing is escalated until SMTP_URL is set.
    if (services.cases.canEscalate) {
      const stopEscalations = startEscalationSchedule(services.cases, {
        onRun: (r) => {
          if (r.escalated.length) web.log.info({ escalated: r.escalated.map((e) => e.reference) }, 'overdue cases escalated');
        },
        onError: (err) => web.log.error({ err }, 'escalating overdue cases failed'),
      });
      web.addHook('onClose', stopEscalations);
    } else web.log.warn('SMTP_URL is not set: overdue cases are not escalated by e-mail');
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      web.log.info({ signal }, 'shutting down');
      await web.close();
      await runtime.close();
      web.log.info('stopped cleanly');
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    address = await web.listen({ port: config.port, host: config.host });
  } catch (err) {
    // A start that fails (port in use, say) must stop the database too, or the process would never exit.
    await app?.close().catch(() => {});
    await runtime.close();
    throw err;
  }
  app.log.info({ address, database: runtime.description }, 'Warden is running');
  log(`\nWarden is running at ${config.baseUrl} (data: ${runtime.description}). Press Ctrl-C to stop.`);
  if (demo) {
    log(`\nDEMO DATA. Sign in as any of these, with the password ${DEMO_PASSWORD}:`);
    // each role with the organisation it is held in (XMH: the mental-health trust…), or "all" for deployment-wide
    for (const u of DEMO_USERS) log(`  ${u.email.padEnd(36)} ${u.roles.map(([code, r]) => `${r} (${code ?? 'all'})`).join(', ')}`);
  } else if (await services.identity.needsSetup()) {
    const code = await services.identity.issueSetupCode();
    log(`\nFirst run: open ${config.baseUrl}/setup and enter this one-time set-up code to create the first administrator:\n\n    ${code}\n`);
  }
  return new Promise<number>(() => {});
}

const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'run Warden',
    usage: 'warden start',
    help: `Runs the web server on PORT (default 3000). Without DATABASE_URL it starts a private PostgreSQL under
WARDEN_DATA_DIR/postgres (default ./data/postgres), creating it on first use. Pending migrations are applied
first. Ctrl-C or SIGTERM stops the web server and the database cleanly.`,
    run: async (_args, config) => serve(config(), false),
  },
  demo: {
    summary: 'run Warden with a demo data set',
    usage: 'warden demo',
    help: `Like start, but keeps its data under WARDEN_DATA_DIR/demo and loads invented organisations, sites,
departments, headcounts and one account per role on first use. Every page says it is demo data.`,
    run: async (_args, config) => {
      const c = config();
      return serve({ ...c, dataDir: join(c.dataDir, 'demo') }, true);
    },
  },
  migrate: {
    summary: 'apply database migrations',
    usage: 'warden migrate [--status | --down]',
    help: `Applies every pending migration (under an advisory lock, so concurrent runs are safe).
  --status  list migrations and when each was applied
  --down    revert the most recent migration`,
    run: async (args, config, io) => {
      const runtime = await openRuntime(config());
      try {
        if (hasFlag(args, '--down')) {
          for (const r of await migrateDown(runtime.owner)) io.out(`${r.status === 'Success' ? 'reverted' : r.status}: ${r.migrationName}`);
        } else if (hasFlag(args, '--status')) {
          for (const m of await migrationStatus(runtime.owner)) io.out(`${m.executedAt ? `applied ${m.executedAt.toISOString()}` : 'pending'}  ${m.name}`);
        } else io.out('The database is up to date.');
      } finally {
        await runtime.close();
      }
      return 0;
    },
  },
  import: {
    summary: 'import organisations, published statistics or staff-survey figures from CSV',
    usage: 'warden import organisations|statistics|survey FILE.csv',
    help: `Imports a CSV file with a header row. One bad row rejects the whole file, with a message naming its line,
and nothing is written.
  organisations  code,name,type,financial_year,headcount
                 type is one of acute, ambulance, mental_health, community, commissioner, national_body;
                 financial_year (the first year, 2026 for 2026/27) and headcount are optional. Existing codes
                 are updated.
  statistics     ${STATISTICS_HEADER}
                 published figures of reported physical assaults (004), so benchmarks include years before
                 Warden; financial_year as 2010 or 2010/11. A year already imported for an organisation is
                 replaced. Rates are computed as published: per 1,000 staff, to one decimal place.
  survey         ${SURVEY_HEADER}
                 staff-survey percentages (one decimal place) per organisation and year (000 §8.2); the last
                 three columns are optional.`,
    run: async (args, config, io) => {
      const [what, file] = args.filter((a) => !a.startsWith('-'));
      const kinds = ['organisations', 'statistics', 'survey'];
      if (!what || !kinds.includes(what) || !file) {
        io.err(`Usage: warden import ${what && kinds.includes(what) ? what : 'organisations|statistics|survey'} FILE.csv`);
        return 2;
      }
      const text = await readFile(file, 'utf8');
      const runtime = await openRuntime(config());
      try {
        if (what === 'organisations') {
          const result = await createServices(runtime.app, config()).organisations.importCsv(systemActor, text);
          io.out(`Imported ${file}: ${result.created} created, ${result.updated} updated.`);
        } else {
          const analytics = analyticsService(runtime.app);
          const source = basename(file);
          const result =
            what === 'statistics' ? await analytics.importStatistics(systemActor, text, source) : await analytics.importSurvey(systemActor, text, source);
          const years = result.years.length ? `, ${financialYearLabel(result.years[0] as number)} to ${financialYearLabel(result.years.at(-1) as number)}` : '';
          io.out(`Imported ${file}: ${result.rows} row(s) for ${result.organisations} organisation(s)${years}.`);
        }
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  'escalate-overdue': {
    summary: "e-mail about overdue manager's investigations and cases with none assigned",
    usage: 'warden escalate-overdue',
    help: `E-mails the assigned manager and the organisation's security specialists about each manager's
investigation past its due date (commissioners' standard 4.1), and the security specialists about each open
case with no investigation assigned ${OVERDUE_AFTER_DAYS} days after it was reported; once each, unless the
organisation set a repeat interval. \`warden start\` does this by itself every hour; this command does it at once. Runs never
overlap, whichever process starts them. Prints one line per case escalated. Needs SMTP_URL: without it the
e-mails would only reach the log while the cases were recorded as escalated, so it refuses and changes nothing.`,
    run: async (_args, config, io) => {
      // Refused before the database is opened; the service refuses too (`canEscalate`).
      if (!createMailer(config()).delivers) {
        io.err(ESCALATION_NEEDS_MAIL);
        return 2;
      }
      const runtime = await openRuntime(config());
      try {
        const result = await createServices(runtime.app, config()).cases.escalateOverdue(new Date(), systemActor);
        if (result.busy) io.out('Another escalation run is under way; nothing done.');
        for (const e of result.escalated) io.out(`escalated ${e.reference} to ${e.recipients.length} recipient(s)`);
        io.out(`${result.escalated.length} overdue case(s) escalated.`);
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  'verify-audit': {
    summary: 'check the audit trail has not been tampered with',
    usage: VERIFY_AUDIT_USAGE,
    help: `Seals any new events into the chain, then reads the whole audit trail in order, recomputes every
event's hash and checks each links to the one before and still matches the hash taken when it was written. Prints "audit trail OK: N events, head SEQ:HASH" and exits 0, or prints each problem and exits 1.
Record the head it prints; a later run with --head SEQ:HASH also detects a truncated or rewritten tail.`,
    run: async (args, config, io) => {
      const runtime = await openRuntime(config());
      try {
        return await verifyAuditCommand(runtime.owner, args, io);
      } finally {
        await runtime.close();
      }
    },
  },
  'self-review': {
    summary: 'list, export or import self reviews',
    usage: 'warden self-review list|export|import --org CODE …',
    help: `list --org CODE
    the organisation's self reviews: year, status, version, standards and flags.
export --org CODE --year YEAR [--format xlsx|pdf] --out FILE
    writes the review for the financial year YEAR (2026 for 2026/27) as an Excel workbook, one row per standard
    (number, key area, headline, rating, comments, evidence), or as a PDF document.
import --org CODE --year YEAR --framework ID@VERSION FILE.xlsx
    imports a previous year's review from a workbook in the export's layout, as a draft against that framework
    version (e.g. nhs-protect-commissioners@2017-18). Every row is checked first; each problem is printed with
    its row and nothing is written. The commands act as the operator of this server (audited as the CLI).`,
    run: async (args, config, io) => {
      const [what, file] = positional(args, ['--org', '--year', '--format', '--out', '--framework']);
      if (!what || !['list', 'export', 'import'].includes(what)) {
        io.err('Usage: warden self-review list|export|import --org CODE …  (warden self-review --help)');
        return 2;
      }
      const runtime = await openRuntime(config());
      try {
        const services = createServices(runtime.app, config());
        const org = await organisationByCode(services, option(args, '--org'));
        const reviews = await services.selfReview.list(systemActor, org.id);
        if (what === 'list') {
          for (const r of reviews)
            io.out(
              `${r.year}/${String((r.year + 1) % 100).padStart(2, '0')}  ${r.status.padEnd(9)} v${r.version}  ${r.framework}, ${r.frameworkVersion}  ${r.flags} flagged  ${r.id}`,
            );
          if (!reviews.length) io.out(`${org.name} has no self reviews.`);
          return 0;
        }
        const year = Number(option(args, '--year'));
        if (what === 'export') {
          const review = reviews.find((r) => r.year === year);
          if (!review) throw new Error(`${org.name} has no self review for ${option(args, '--year') ?? '(give --year YEAR)'}`);
          const out = option(args, '--out');
          if (!out) throw new Error('Say where to write the file with --out FILE');
          const f = await services.selfReview.exportReview(systemActor, review.id, { format: option(args, '--format') ?? 'xlsx' }, org.id);
          await writeFile(out, f.body, { flag: 'wx' });
          io.out(`Wrote ${out} (${f.body.length} bytes).`);
          return 0;
        }
        const [frameworkId, version] = (option(args, '--framework') ?? '').split('@');
        const fw = (await services.selfReview.frameworks(systemActor)).find((f) => f.frameworkId === frameworkId && f.version === version);
        if (!fw) throw new Error('Name a loaded framework version with --framework ID@VERSION (warden standards load adds one)');
        if (!file) throw new Error('Name the workbook to import');
        const data = await readFile(file);
        const done = await services.selfReview.importReview(
          systemActor,
          { fileName: basename(file), data, truncated: false },
          { year: option(args, '--year'), frameworkVersionId: fw.id },
          org.id,
        );
        io.out(
          `Imported ${file} as the ${org.name} self review for ${year}/${String((year + 1) % 100).padStart(2, '0')}: ${done.standards} standards, ${done.evidence} evidence items (${done.id}).`,
        );
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  'annual-reports': {
    summary: 'list an organisation’s annual reports to the Board',
    usage: 'warden annual-reports list --org CODE',
    help: `Lists the organisation's annual reports (002 std 1.5): year, date presented to the Board, the Board's
decision and whether the Security Management Director has signed it off.`,
    run: async (args, config, io) => {
      if (positional(args, ['--org'])[0] !== 'list') {
        io.err('Usage: warden annual-reports list --org CODE');
        return 2;
      }
      const runtime = await openRuntime(config());
      try {
        const services = createServices(runtime.app, config());
        const org = await organisationByCode(services, option(args, '--org'));
        const reports = await services.annualReports.list(systemActor, org.id);
        for (const r of reports)
          io.out(
            `${r.yearLabel}  ${r.status === 'signed' ? `signed off by ${r.signedBy}` : 'draft'}  presented ${r.presentedOn ?? '-'}  ${r.boardDecision ?? 'no decision'}`,
          );
        if (!reports.length) io.out(`${org.name} has no annual reports.`);
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  standards: {
    summary: 'check a standards framework file',
    usage: 'warden standards validate|load FILE.json',
    help: `validate: checks a standards framework file (the format of src/standards/*.json: key areas, standards
with rationale, red/amber/green criteria, evidence list and weight). Prints "valid: N standards" and exits 0,
or prints each problem as FILE:LINE:COLUMN path: message and exits 1.
load: validates the file and loads it into the database as a new framework version, which self reviews can
then be made against. A version already loaded is refused; reviews keep the version they were made against.
The shipped frameworks are in src/standards/ (e.g. nhs-protect-commissioners-2017-18.json).`,
    run: async (args, config, io) => {
      const [what, file] = args.filter((a) => !a.startsWith('-'));
      if ((what !== 'validate' && what !== 'load') || !file) {
        io.err('Usage: warden standards validate|load FILE.json');
        return 2;
      }
      const text = await readFile(file, 'utf8');
      const result = checkFramework(text);
      if (!result.ok) {
        io.err(formatProblems(file, result.problems));
        return 1;
      }
      if (what === 'validate') {
        io.out(`valid: ${result.framework.standards.length} standards (${result.framework.name}, version ${result.framework.version})`);
        return 0;
      }
      const runtime = await openRuntime(config());
      try {
        const loaded = await createServices(runtime.app, config()).selfReview.loadFramework(systemActor, text);
        io.out(`Loaded ${loaded.name}, version ${loaded.version}: ${loaded.standards} standards.`);
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return `Warden: security management for NHS organisations.

Usage: warden <command> [options]   (warden <command> --help for details)

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Configuration comes from environment variables: PORT, HOST, DATABASE_URL, WARDEN_DATA_DIR, WARDEN_BASE_URL,
LOG_LEVEL, WARDEN_SESSION_IDLE_MINUTES, WARDEN_SESSION_MAX_HOURS, SMTP_URL, MAIL_FROM (see README).`;
}

/** Runs one command line and returns the exit status. Output goes to `io` (default: stdout and stderr). */
export async function main(argv: string[], io: Partial<CliIO> = {}): Promise<number> {
  const cli: CliIO = { out: (t) => console.log(t), err: (t) => console.error(t), env: process.env, ...io };
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? cli.out : cli.err)(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    cli.err(`Unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  if (hasFlag(args, '--help') || hasFlag(args, '-h')) {
    cli.out(`Usage: ${command.usage}\n\n${command.help}`);
    return 0;
  }
  try {
    return await command.run(args, () => loadConfig(cli.env), cli);
  } catch (err) {
    if (err instanceof ConfigError) cli.err(err.message);
    else if (err instanceof AppError) cli.err(`${err.message}${err.fields.length ? `\n${err.fields.map((f) => `  - ${f.message}`).join('\n')}` : ''}`);
    else cli.err(`warden ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
