import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * User administration, API bearer tokens and commissioner links.
 *
 * - `user_roles` may now be deleted by the application: revoking a role removes the row, and the audit trail
 *   (written in the same transaction) keeps the history of who held what and when.
 * - `api_tokens`: personal tokens (`user_id` set) and service tokens (`user_id` null), each scoped to one
 *   organisation and one role. Only the SHA-256 of a token is stored. Tenant table: forced row-level security
 *   by `org_id`, exactly like `sites`.
 * - `commissioning`: which provider organisations a commissioner commissions (SPEC C1, `002 std 1.6, 1.7`). A
 *   link table of reference data, not tenant-secret: no row-level security; the service checks access.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX user_roles_org ON user_roles (org_id, user_id);
    GRANT DELETE ON user_roles TO warden_app;

    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      -- null for a service token, which belongs to the organisation rather than a person
      user_id uuid REFERENCES users(id),
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      role text NOT NULL CHECK (role IN ('reporter','manager','security_specialist','smd','board_viewer','commissioner','administrator')),
      token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
      -- null when the operator's command line issued it
      created_by uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      expires_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX api_tokens_org ON api_tokens (org_id, created_at DESC);
    CREATE INDEX api_tokens_user ON api_tokens (user_id) WHERE user_id IS NOT NULL;


    CREATE TABLE commissioning (
      commissioner_org_id uuid NOT NULL REFERENCES organisations(id),
      provider_org_id uuid NOT NULL REFERENCES organisations(id),
      -- first financial year of the arrangement (2026 = 2026/27), when known
      from_year integer CHECK (from_year BETWEEN 2000 AND 2100),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (commissioner_org_id, provider_org_id),
      CHECK (commissioner_org_id <> provider_org_id)
    );
    CREATE INDEX commissioning_provider ON commissioning (provider_org_id);
    GRANT SELECT, INSERT, DELETE ON commissioning TO warden_app;
  `.execute(db);
  await tenantTable(db, 'api_tokens', 'SELECT, INSERT, UPDATE');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS commissioning, api_tokens;
    REVOKE DELETE ON user_roles FROM warden_app;
    DROP INDEX IF EXISTS user_roles_org;
  `.execute(db);
}
