import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createApp, type Services } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { migrateDown, migrationStatus } from './db/migrate.ts';
import { openRuntime } from './db/runtime.ts';
import { DEMO_PASSWORD, DEMO_USERS, isDemo, seedDemo } from './demo/seed.ts';
import { financialYearLabel } from './domain/analytics.ts';
import { STATISTICS_HEADER, SURVEY_HEADER } from './features/analytics/schema.ts';
import { analyticsService } from './features/analytics/service.ts';
import { startAuditSealer } from './features/audit/sealer.ts';
import { VERIFY_AUDIT_USAGE, verifyAuditCommand } from './features/audit/verify.ts';
import { selfReviewService } from './features/self-review/service.ts';
import { systemActor } from './platform/access/roles.ts';
import { AppError } from './platform/errors.ts';
import { createServices } from './services.ts';
import { checkFramework, formatProblems } from './standards/load.ts';

/** Where a command writes and which environment it reads: the process's own, or a test's capture. */
export type CliIO = { out: (text: string) => void; err: (text: string) => void; env: NodeJS.ProcessEnv };

type Command = { summary: string; usage: string; help: string; run: (args: string[], config: () => Config, io: CliIO) => Promise<number> };

const hasFlag = (args: string[], flag: string) => args.includes(flag);

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
    for (const u of DEMO_USERS) log(`  ${u.email.padEnd(36)} ${u.roles.map(([, r]) => r).join(', ')}`);
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
    summary: "e-mail about overdue manager's investigations",
    usage: 'warden escalate-overdue',
    help: `E-mails the assigned manager and the organisation's security specialists about each manager's
investigation past its due date (commissioners' standard 4.1), once per due date unless the organisation set
a repeat interval. Run it daily from cron. Prints one line per case escalated.`,
    run: async (_args, config, io) => {
      const runtime = await openRuntime(config());
      try {
        const result = await createServices(runtime.app, config()).cases.escalateOverdue(new Date(), systemActor);
        for (const e of result.escalated) io.out(`escalated ${e.reference} to ${e.recipients.length} recipient(s)`);
        io.out(`${result.escalated.length} overdue investigation(s) escalated.`);
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
        const loaded = await selfReviewService(runtime.app).loadFramework(systemActor, text);
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
