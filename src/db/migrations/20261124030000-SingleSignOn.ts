import { type Kysely, sql } from 'kysely';

/**
 * OpenID Connect single sign-on (SPEC C1).
 *
 * `user_identities` links an identity at an identity provider (issuer + subject, the only stable pair OIDC
 * guarantees) to a Warden user. Links are made by an administrator or, once, by a verified e-mail address that
 * matches an existing user; users are never created from an identity.
 *
 * `oidc_sign_ins` holds each sign-in in flight (state, nonce, PKCE verifier) for ten minutes, keyed by the hash
 * of a random handle kept in the browser's cookie. It is consumed (deleted) by the callback, so a state can be
 * used once only.
 *
 * Neither is tenant data: a user spans organisations, and sign-in reads them before any organisation is chosen,
 * so there is no row-level security, as for `users` and `sessions`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE user_identities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      issuer text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2000),
      subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (issuer, subject)
    );
    CREATE INDEX user_identities_user ON user_identities (user_id);

    CREATE TABLE oidc_sign_ins (
      id text PRIMARY KEY,
      state text NOT NULL,
      nonce text NOT NULL,
      code_verifier text NOT NULL,
      next text NOT NULL DEFAULT '/',
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX oidc_sign_ins_expires ON oidc_sign_ins (expires_at);

    GRANT SELECT, INSERT ON user_identities TO warden_app;
    GRANT SELECT, INSERT, DELETE ON oidc_sign_ins TO warden_app;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS oidc_sign_ins, user_identities`.execute(db);
}
