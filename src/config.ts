import { resolve } from 'node:path';
import { z } from 'zod';

/** Every setting Warden reads from the environment, validated once at start. */
const schema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(3000),
  HOST: z.string().min(1, 'must not be empty').default('localhost'),
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  WARDEN_DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  WARDEN_BASE_URL: z.url({ error: 'must be an absolute URL such as https://warden.example.nhs.uk' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WARDEN_SESSION_IDLE_MINUTES: z.coerce
    .number({ error: 'must be a whole number of minutes' })
    .int('must be a whole number of minutes')
    .min(5, 'must be at least 5 minutes')
    .max(720, 'must be at most 720 minutes')
    .default(60),
  WARDEN_SESSION_MAX_HOURS: z.coerce
    .number({ error: 'must be a whole number of hours' })
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1 hour')
    .max(24, 'must be at most 24 hours')
    .default(12),
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\//.test(v), 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().default('Warden <warden@localhost>'),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  baseUrl: string;
  secureCookies: boolean;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  smtpUrl: string | undefined;
  mailFrom: string;
};

/** Thrown for bad configuration; its message lists every bad variable, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Warden cannot start: the configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Empty strings count as unset, as a shell `VAR=` intends. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        const got = present[name];
        return `${name} ${i.message}${got === undefined ? '' : ` (got "${got}")`}`;
      }),
    );
  }
  const e = parsed.data;
  const baseUrl = (e.WARDEN_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.WARDEN_DATA_DIR),
    baseUrl,
    secureCookies: baseUrl.startsWith('https://'),
    logLevel: e.LOG_LEVEL,
    sessionIdleMinutes: e.WARDEN_SESSION_IDLE_MINUTES,
    sessionMaxHours: e.WARDEN_SESSION_MAX_HOURS,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
  };
}
