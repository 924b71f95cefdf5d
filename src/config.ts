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
  // Links in e-mails and the secure-cookie decision come from it, so only a web address will do.
  WARDEN_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL such as https://warden.example.nhs.uk' }).optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' })
    .default('info'),
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
  // Seals secrets at rest (TOTP secrets). Unset: generated on first start into WARDEN_DATA_DIR/secret.key (0600).
  WARDEN_SECRET_KEY: z.string().min(32, 'must be at least 32 characters, such as the output of: openssl rand -base64 32').optional(),
  // OpenID Connect single sign-on: on only when both the issuer and the client id are set. Plain http is allowed
  // for a provider on this machine (development and tests) and nowhere else: tokens must not cross a network bare.
  OIDC_ISSUER: z
    .url({ protocol: /^https?$/, error: "must be the identity provider's issuer URL, such as https://login.example.nhs.uk" })
    .refine(
      (v) => !URL.canParse(v) || v.startsWith('https://') || ['localhost', '127.0.0.1', '[::1]'].includes(new URL(v).hostname),
      'must be an https:// URL (http:// is allowed only for localhost)',
    )
    .optional(),
  OIDC_CLIENT_ID: z.string().max(255, 'must be at most 255 characters').optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_DISPLAY_NAME: z.string().max(60, 'must be at most 60 characters').default('NHS single sign-on'),
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
  /** WARDEN_SECRET_KEY; when undefined, src/features/identity/secrets.ts keeps one in `<dataDir>/secret.key`. */
  secretKey: string | undefined;
  /** Single sign-on; undefined when OIDC_ISSUER and OIDC_CLIENT_ID are not set. */
  oidc: OidcConfig | undefined;
};

export type OidcConfig = { issuer: string; clientId: string; clientSecret: string | undefined; displayName: string; redirectUri: string };

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
        // Secrets are never echoed back into a log.
        return `${name} ${i.message}${got === undefined || /SECRET|PASSWORD/.test(name) ? '' : ` (got "${got}")`}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.OIDC_ISSUER && !e.OIDC_CLIENT_ID) throw new ConfigError(['OIDC_CLIENT_ID is required when OIDC_ISSUER is set']);
  if (!e.OIDC_ISSUER && (e.OIDC_CLIENT_ID || e.OIDC_CLIENT_SECRET))
    throw new ConfigError(['OIDC_ISSUER is required when OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is set (single sign-on needs both)']);
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
    secretKey: e.WARDEN_SECRET_KEY,
    oidc:
      e.OIDC_ISSUER && e.OIDC_CLIENT_ID
        ? {
            issuer: e.OIDC_ISSUER,
            clientId: e.OIDC_CLIENT_ID,
            clientSecret: e.OIDC_CLIENT_SECRET,
            displayName: e.OIDC_DISPLAY_NAME,
            redirectUri: `${baseUrl}/sign-in/oidc/callback`,
          }
        : undefined,
  };
}
