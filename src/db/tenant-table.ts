import { type Kysely, sql } from 'kysely';

/**
 * Makes `table` a tenant table (ARCHITECTURE.md, "Security model"): row-level security enabled and forced; the
 * application role `warden_app` sees and writes only rows of the transaction's organisation (or every
 * organisation's in a deployment-wide transaction); the migrating role keeps full access; and `warden_app` gets
 * exactly `privileges` (e.g. 'SELECT, INSERT' for an append-only table). Used by migrations: every table with an
 * `org_id` goes through here, and `src/platform/tenancy.test.ts` checks that none was missed.
 */
export async function tenantTable(db: Kysely<unknown>, table: string, privileges: string): Promise<void> {
  if (!/^[A-Z, ]+$/.test(privileges)) throw new Error(`bad privilege list: ${privileges}`);
  const { rows } = await sql<{ owner: string }>`select current_user as owner`.execute(db);
  const owner = rows[0]?.owner ?? 'postgres';
  await sql`
    ALTER TABLE ${sql.table(table)} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${sql.table(table)} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON ${sql.table(table)} TO warden_app
      USING (org_id = warden_current_org() OR warden_all_orgs())
      WITH CHECK (org_id = warden_current_org() OR warden_all_orgs());
    CREATE POLICY owner ON ${sql.table(table)} TO ${sql.id(owner)} USING (true) WITH CHECK (true);
  `.execute(db);
  await sql`GRANT ${sql.raw(privileges)} ON ${sql.table(table)} TO warden_app`.execute(db);
}
