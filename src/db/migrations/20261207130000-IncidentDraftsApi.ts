import { type Kysely, sql } from 'kysely';

/**
 * Drafts through the JSON API (issue 4 item 15). A person kept one draft per organisation: the report form's.
 * An integration acting for them (a personal token) may hold several unsent reports at once, so
 * `incident_drafts.source` tells the form's one draft (`form`: the form's values, still one per person per
 * organisation, now a partial unique index) from the API's (`api`: the report's JSON fields as the API takes them).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE incident_drafts ADD COLUMN source text NOT NULL DEFAULT 'form' CHECK (source IN ('form', 'api'));
    ALTER TABLE incident_drafts DROP CONSTRAINT incident_drafts_org_id_user_id_key;
    CREATE UNIQUE INDEX incident_drafts_form ON incident_drafts (org_id, user_id) WHERE source = 'form';
    CREATE INDEX incident_drafts_owner ON incident_drafts (org_id, user_id, updated_at DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DELETE FROM incident_drafts WHERE source <> 'form';
    DROP INDEX IF EXISTS incident_drafts_owner;
    DROP INDEX IF EXISTS incident_drafts_form;
    ALTER TABLE incident_drafts ADD CONSTRAINT incident_drafts_org_id_user_id_key UNIQUE (org_id, user_id);
    ALTER TABLE incident_drafts DROP COLUMN source;
  `.execute(db);
}
