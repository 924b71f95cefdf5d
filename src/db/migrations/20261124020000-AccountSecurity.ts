import { type Kysely, sql } from 'kysely';

/**
 * Local-account security (SPEC C1; OWASP ASVS 5.0 V6 authentication, V7 sessions).
 *
 * - `users`: consecutive failed sign-ins and a temporary lock (`failed_count`, `locked_until`); when the password
 *   last changed; the TOTP second factor: its secret sealed with AES-256-GCM (`totp_secret`, never stored in
 *   clear), when it was turned on, and the last accepted time step (`totp_last_step`) so a code cannot be
 *   replayed. (The secret offered during set-up is derived from the session, so nothing is stored before the
 *   user confirms it with a code.)
 * - `sessions.stage`: `complete` is a signed-in session; `second_factor` is a password-checked session waiting
 *   for its TOTP or recovery code, which authenticates no page; `enrol_second_factor` belongs to a privileged
 *   user without TOTP, who may only set it up.
 * - `password_resets`: one-time, expiring reset links; only the SHA-256 of the token is kept.
 * - `recovery_codes`: one-time second-factor recovery codes; only their SHA-256 is kept. Replaced sets are
 *   deleted (a spent credential is no record a regulator asks for; the audit trail keeps what happened).
 *
 * None is tenant data (a user spans organisations and sign-in reads these before any is chosen), so, as for
 * `users` and `sessions`, there is no row-level security: the identity service checks access.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users
      ADD COLUMN failed_count integer NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
      ADD COLUMN locked_until timestamptz,
      ADD COLUMN password_changed_at timestamptz,
      ADD COLUMN totp_secret text,
      ADD COLUMN totp_enabled_at timestamptz,
      ADD COLUMN totp_last_step bigint;

    ALTER TABLE sessions
      ADD COLUMN stage text NOT NULL DEFAULT 'complete' CHECK (stage IN ('complete', 'second_factor', 'enrol_second_factor'));

    CREATE TABLE password_resets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      ip text
    );
    CREATE INDEX password_resets_user ON password_resets (user_id, created_at DESC);

    CREATE TABLE recovery_codes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      code_hash text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      used_at timestamptz,
      UNIQUE (user_id, code_hash)
    );

    GRANT SELECT, INSERT, UPDATE ON password_resets TO warden_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO warden_app;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS recovery_codes, password_resets;
    ALTER TABLE sessions DROP COLUMN IF EXISTS stage;
    ALTER TABLE users
      DROP COLUMN IF EXISTS failed_count,
      DROP COLUMN IF EXISTS locked_until,
      DROP COLUMN IF EXISTS password_changed_at,
      DROP COLUMN IF EXISTS totp_secret,
      DROP COLUMN IF EXISTS totp_enabled_at,
      DROP COLUMN IF EXISTS totp_last_step;
  `.execute(db);
}
