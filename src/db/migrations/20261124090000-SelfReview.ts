import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * Standards frameworks and the self review (SPEC C5; 002 §3.9–3.13, §3.36–3.38, ch. 4):
 *
 * - `standards_frameworks`: one row per version of a framework, holding the validated framework file
 *   (src/standards/schema.ts) as loaded. Deployment-wide, not tenant data; never updated, so a review keeps the
 *   exact text it was made against.
 * - `self_reviews`: an organisation's self review for a year (the first year of the financial year), against one
 *   framework version. One per organisation per year.
 * - `self_review_ratings`: per standard, the rating (red / amber / green / not applicable, or none yet) and the
 *   comments supporting it (002 §3.16: a rating not supported by comments is a concern).
 * - `self_review_evidence`: per standard, evidence classed as an output or an outcome (002 §3.45–3.46), with a
 *   label and optionally a link (to a record in Warden, a path starting "/", or an http(s) address).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE standards_frameworks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      framework_id text NOT NULL CHECK (framework_id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
      version text NOT NULL CHECK (length(btrim(version)) > 0),
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      content jsonb NOT NULL,
      loaded_by uuid REFERENCES users(id),
      loaded_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (framework_id, version)
    );
    GRANT SELECT, INSERT ON standards_frameworks TO warden_app;

    CREATE TABLE self_reviews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES organisations(id),
      framework_version_id uuid NOT NULL REFERENCES standards_frameworks(id),
      year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
      status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft')),
      created_by uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, year),
      UNIQUE (org_id, id)
    );
    CREATE TRIGGER self_reviews_touch BEFORE UPDATE ON self_reviews FOR EACH ROW EXECUTE FUNCTION warden_touch();

    CREATE TABLE self_review_ratings (
      org_id uuid NOT NULL,
      review_id uuid NOT NULL,
      standard_number text NOT NULL,
      rating text CHECK (rating IN ('red','amber','green','not_applicable')),
      comments text NOT NULL DEFAULT '',
      updated_by uuid REFERENCES users(id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (review_id, standard_number),
      FOREIGN KEY (org_id, review_id) REFERENCES self_reviews (org_id, id)
    );

    CREATE TABLE self_review_evidence (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      review_id uuid NOT NULL,
      standard_number text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('output','outcome')),
      label text NOT NULL CHECK (length(btrim(label)) > 0),
      url text CHECK (url IS NULL OR url ~ '^(https?://|/)'),
      added_by uuid REFERENCES users(id),
      added_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (org_id, review_id) REFERENCES self_reviews (org_id, id)
    );
    CREATE INDEX self_review_evidence_review ON self_review_evidence (review_id, standard_number);
  `.execute(db);
  await tenantTable(db, 'self_reviews', 'SELECT, INSERT, UPDATE');
  await tenantTable(db, 'self_review_ratings', 'SELECT, INSERT, UPDATE');
  await tenantTable(db, 'self_review_evidence', 'SELECT, INSERT, DELETE');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE self_review_evidence;
    DROP TABLE self_review_ratings;
    DROP TABLE self_reviews;
    DROP TABLE standards_frameworks;
  `.execute(db);
}
