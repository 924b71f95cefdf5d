import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { generateURI, ScureBase32Plugin, verify as verifyTotp } from 'otplib';
import { renderSVG } from 'uqr';
import type { Database, Tx } from '../../db/database.ts';
import type { SessionStage } from '../../db/schema.ts';
import { authorize, can } from '../../platform/access/policy.ts';
import { type Actor, type Membership, ROLE_LABELS, type Role } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { forbidden, invalid, notFound, unauthenticated } from '../../platform/errors.ts';
import { createMailer, type Mailer } from '../../platform/mail.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { changePasswordInput, newPasswordInput, passwordResetRequestInput, secondFactorInput, setupInput, signInInput, totpCodeInput } from './schema.ts';
import { type SecretBox, secretBox } from './secrets.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const GENERIC_FAILURE = 'The e-mail address or password is not right';
const CODE_FAILURE = 'The code is not right. Enter the code your authenticator app shows now, or one of your recovery codes';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throttling (ASVS 5.0 V6.3): this many consecutive failures lock the account for LOCK_MINUTES. */
export const MAX_FAILURES = 5;
export const LOCK_MINUTES = 15;
/** A reset link works once, for this long (ASVS 5.0 V6.4). */
export const RESET_MINUTES = 30;
/** At most this many reset e-mails an hour for one account, so nobody can flood someone's inbox. */
const RESETS_PER_HOUR = 3;
/** Time allowed between the password and the second factor. */
const CHALLENGE_MINUTES = 10;
export const RECOVERY_CODE_COUNT = 10;
/** Roles that must use a second factor (issue 3): they can change or see other people's security data. */
export const PRIVILEGED_ROLES: readonly Role[] = ['security_specialist', 'smd', 'national_assessor', 'administrator'];
const ISSUER = 'Warden';

export type SessionPolicy = { idleMinutes: number; maxHours: number };
export type IdentityDeps = {
  /** Sends password-reset e-mails. Default: writes them to the log (no SMTP). */
  mailer?: Mailer;
  /** Base of links in e-mails, like https://warden.example.nhs.uk. */
  baseUrl?: string;
  /** Key that seals TOTP secrets at rest (see secrets.ts). Default: random for this process. */
  secretKey?: string;
  /** Where failures that cannot be shown to the user (e-mail not sent) are reported. */
  log?: (line: string) => void;
};
type Meta = { ip?: string; userAgent?: string; requestId?: string };

/** What a sign-in leads to: a full session, a second-factor challenge, or second-factor set-up only. */
export type SignInResult = { token: string; stage: SessionStage };

/** Recovery codes: 16 characters from an alphabet without look-alikes (80 bits), shown as xxxx-xxxx-xxxx-xxxx. */
const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < 16; i++) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return code.replace(/(.{4})(?!$)/g, '$1-');
}
const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

/** Sign-in, second factor, password reset, sessions and the first-run set-up (SPEC C1). */
export function identityService(db: Database, policy: SessionPolicy, deps: IdentityDeps = {}) {
  const system = { all: true } as const;
  const mailer = deps.mailer ?? createMailer({});
  const baseUrl = (deps.baseUrl ?? 'http://localhost:3000').replace(/\/$/, '');
  const secretKey = deps.secretKey ?? randomBytes(32).toString('base64url');
  const box: SecretBox = secretBox(secretKey);
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base32 = new ScureBase32Plugin();

  async function startSession(userId: string, meta: Meta, orgId: string | null, stage: SessionStage = 'complete') {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    // A challenge session lives only as long as it takes to type a code.
    const lifetime = stage === 'second_factor' ? CHALLENGE_MINUTES * 60_000 : policy.maxHours * 3600_000;
    await inScope(db, system, (tx) =>
      tx
        .insertInto('sessions')
        .values({
          id: sha256(token),
          user_id: userId,
          org_id: orgId,
          last_seen_at: new Date(now),
          expires_at: new Date(now + lifetime),
          ip: meta.ip ?? null,
          user_agent: meta.userAgent?.slice(0, 300) ?? null,
          stage,
        })
        .execute(),
    );
    return token;
  }

  async function rolesOf(userId: string) {
    return inScope(db, system, (tx) => tx.selectFrom('user_roles').select(['org_id', 'role']).where('user_id', '=', userId).execute());
  }

  /** The organisation a new session acts for: the user's only one, or none (they choose). */
  async function initialOrg(userId: string) {
    const orgs = [...new Set((await rolesOf(userId)).map((r) => r.org_id).filter((o): o is string => !!o))];
    return orgs.length === 1 ? (orgs[0] ?? null) : null;
  }

  const isPrivileged = (roles: { role: string }[]) => roles.some((r) => PRIVILEGED_ROLES.includes(r.role as Role));
  const userActor = (u: { id: string; name: string; email: string }, requestId?: string): Actor => ({
    kind: 'user',
    userId: u.id,
    name: u.name,
    email: u.email,
    orgId: null,
    roles: [],
    globalRoles: [],
    requestId,
  });

  /** Ends every open session of a user, except `keep` (a session id hash). Returns how many were ended. */
  async function endSessions(tx: Tx, userId: string, keep?: string): Promise<number> {
    let q = tx.updateTable('sessions').set({ ended_at: new Date() }).where('user_id', '=', userId).where('ended_at', 'is', null);
    if (keep) q = q.where('id', '<>', keep);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /**
   * Counts a failed password or code against the account; the fifth in a row locks it for LOCK_MINUTES and
   * starts the count again. The lock is audited as `auth.locked`.
   */
  async function countFailure(tx: Tx, user: { id: string; name: string; email: string }, meta: Meta): Promise<boolean> {
    const row = await tx
      .updateTable('users')
      .set((eb) => ({ failed_count: eb('failed_count', '+', 1) }))
      .where('id', '=', user.id)
      .returning('failed_count')
      .executeTakeFirstOrThrow();
    if (row.failed_count < MAX_FAILURES) return false;
    const until = new Date(Date.now() + LOCK_MINUTES * 60_000);
    await tx.updateTable('users').set({ failed_count: 0, locked_until: until }).where('id', '=', user.id).execute();
    await audit(tx, userActor(user, meta.requestId), {
      action: 'auth.locked',
      objectType: 'user',
      objectId: user.id,
      detail: { until: until.toISOString(), failures: row.failed_count, ip: meta.ip },
    });
    return true;
  }

  /** May `actor` manage this user? Only when it may manage every organisation the user holds a role in. */
  async function assertManages(tx: Tx, actor: Actor, userId: string) {
    if (!UUID.test(userId)) throw notFound('user');
    const target = await tx.selectFrom('users').select(['id', 'name', 'email']).where('id', '=', userId).forUpdate().executeTakeFirst();
    if (!target) throw notFound('user');
    const orgs = [...new Set((await tx.selectFrom('user_roles').select('org_id').where('user_id', '=', userId).execute()).map((r) => r.org_id))];
    // A user with no role, or a deployment-wide one, is managed deployment-wide only.
    const scopes = orgs.length ? orgs : [null];
    if (!scopes.every((o) => can(actor, 'user.manage', o))) throw forbidden();
    return target;
  }

  /** The TOTP secret offered during set-up: derived from the session, so nothing is stored until confirmed. */
  function enrolmentSecret(userId: string, sessionToken: string): string {
    const mac = createHmac('sha256', secretKey)
      .update(`totp-enrol|${userId}|${sha256(sessionToken)}`)
      .digest();
    return base32.encode(mac.subarray(0, 20), { padding: false });
  }

  /** Checks a TOTP code, refusing the last accepted time step and earlier ones (no replay). ±1 step of drift. */
  async function checkTotp(secret: string, code: string, lastStep: number | null): Promise<number | null> {
    const result = await verifyTotp({ secret, token: code, epochTolerance: 30, ...(lastStep === null ? {} : { afterTimeStep: lastStep }) });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }

  async function issueRecoveryCodes(tx: Tx, userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await tx
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ user_id: userId, code_hash: sha256(normaliseRecoveryCode(c)) })))
      .execute();
    return codes;
  }

  function requireUser(actor: Actor | null): Extract<Actor, { kind: 'user' }> {
    if (!actor) throw unauthenticated();
    if (actor.kind !== 'user') throw forbidden();
    return actor;
  }

  return {
    /**
     * Starts a complete session for a user already authenticated elsewhere (single sign-on), as a password
     * sign-in does: acting for the user's only organisation, else choosing later. No Warden second factor is
     * asked for: the identity provider's own MFA applies (see oidc.ts). The caller audits.
     */
    async createSessionFor(userId: string, meta: { ip?: string; userAgent?: string }): Promise<string> {
      return startSession(userId, meta, await initialOrg(userId));
    },

    /** True until the first user exists: the first-run set-up page is open only then. */
    async needsSetup(): Promise<boolean> {
      const row = await inScope(db, system, (tx) => tx.selectFrom('users').select('id').limit(1).executeTakeFirst());
      return !row;
    },

    /**
     * Issues a one-time set-up code (printed on the console at start) while no user exists; only its hash is
     * kept. Whoever can read the server's console can claim the instance; a passer-by on the network cannot.
     */
    async issueSetupCode(): Promise<string> {
      const code = randomBytes(9).toString('base64url');
      await inScope(db, system, (tx) =>
        tx
          .insertInto('instance_settings')
          .values({ key: 'setup_code_hash', value: JSON.stringify(sha256(code)) })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(sha256(code)) }))
          .execute(),
      );
      return code;
    },

    /**
     * Creates the first organisation and its administrator, and signs them in. An administrator must use a
     * second factor, so the session may only set it up until they have.
     */
    async setup(raw: unknown, meta: Meta) {
      const input = parse(setupInput, raw);
      const problem = passwordProblem(input.password, input);
      if (problem) throw invalid([{ field: 'password', message: problem }]);
      const passwordHash = await hashPassword(input.password);
      const userId = await inScope(db, system, async (tx) => {
        await tx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.lit(727002)]).as('l')).execute();
        if (await tx.selectFrom('users').select('id').limit(1).executeTakeFirst()) throw forbidden('Warden has already been set up. Sign in instead.');
        const stored = await tx.selectFrom('instance_settings').select('value').where('key', '=', 'setup_code_hash').executeTakeFirst();
        const expected = Buffer.from(String(stored?.value ?? ''));
        const given = Buffer.from(sha256(input.setupCode));
        if (expected.length !== given.length || !timingSafeEqual(expected, given))
          throw invalid([{ field: 'setupCode', message: 'The set-up code is not right: copy it from the console where Warden started' }]);
        const org = await tx
          .insertInto('organisations')
          .values({ name: input.orgName, code: input.orgCode, type: input.orgType })
          .returning('id')
          .executeTakeFirstOrThrow();
        const user = await tx
          .insertInto('users')
          .values({ email: input.email, name: input.name, password_hash: passwordHash, password_changed_at: new Date() })
          .returning('id')
          .executeTakeFirstOrThrow();
        await tx
          .insertInto('user_roles')
          .values([
            { user_id: user.id, org_id: null, role: 'administrator' },
            { user_id: user.id, org_id: org.id, role: 'administrator' },
            { user_id: user.id, org_id: org.id, role: 'reporter' },
          ])
          .execute();
        // Spend the code. warden_app may not DELETE settings (the Platform migration grants SELECT, INSERT, UPDATE),
        // so the hash is voided in place; a JSON null can never equal a code's hash.
        await tx
          .updateTable('instance_settings')
          .set({ value: JSON.stringify(null), updated_at: new Date() })
          .where('key', '=', 'setup_code_hash')
          .execute();
        const actor: Actor = {
          kind: 'user',
          userId: user.id,
          name: input.name,
          email: input.email,
          orgId: org.id,
          roles: ['administrator'],
          globalRoles: ['administrator'],
          requestId: meta.requestId,
        };
        await audit(tx, actor, { action: 'instance.setup', orgId: org.id, objectType: 'user', objectId: user.id });
        return { userId: user.id, orgId: org.id };
      });
      return startSession(userId.userId, meta, userId.orgId, 'enrol_second_factor');
    },

    /**
     * Checks an e-mail and password. Unknown users, wrong passwords, locked and deactivated accounts all get the
     * same message after one password-hash verification each (a decoy hash for unknown users), so neither the
     * answer nor its timing says which (ASVS 5.0 V6.3). Every attempt is audited with the real reason.
     *
     * With a second factor set up, the session it returns is only a challenge; a privileged user without one
     * gets a session that may only set it up.
     */
    async signIn(raw: unknown, meta: Meta): Promise<SignInResult> {
      const input = parse(signInInput, raw);
      const user = await inScope(db, system, (tx) =>
        tx
          .selectFrom('users')
          .select(['id', 'name', 'email', 'password_hash', 'is_active', 'locked_until', 'totp_enabled_at'])
          .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase()))
          .executeTakeFirst(),
      );
      const locked = !!user?.locked_until && user.locked_until.getTime() > Date.now();
      const ok = await verifyPassword(user?.password_hash, input.password);
      const reason = await inScope(db, system, async (tx) => {
        let reason = !user ? 'unknown_user' : locked ? 'locked' : !ok ? 'wrong_password' : !user.is_active ? 'inactive' : 'ok';
        // A wrong password while locked does not extend the lock: the lock would otherwise never lift under attack.
        if (user && reason === 'wrong_password') await countFailure(tx, user, meta);
        if (user && reason === 'ok') await tx.updateTable('users').set({ failed_count: 0, locked_until: null }).where('id', '=', user.id).execute();
        if (reason === 'ok' && user?.totp_enabled_at) reason = 'second_factor_required';
        await audit(tx, user ? userActor(user, meta.requestId) : null, {
          action: 'auth.sign_in',
          outcome: reason === 'ok' ? 'success' : 'failure',
          objectType: 'user',
          objectId: user?.id ?? null,
          detail: { ip: meta.ip, reason, ...(user ? {} : { email: input.email.slice(0, 320) }) },
        });
        return reason;
      });
      if (!user || (reason !== 'ok' && reason !== 'second_factor_required')) throw invalid([{ field: 'email', message: GENERIC_FAILURE }], GENERIC_FAILURE);
      if (reason === 'second_factor_required') return { token: await startSession(user.id, meta, null, 'second_factor'), stage: 'second_factor' };
      const stage: SessionStage = isPrivileged(await rolesOf(user.id)) ? 'enrol_second_factor' : 'complete';
      return { token: await startSession(user.id, meta, await initialOrg(user.id), stage), stage };
    },

    /** The user waiting at the second-factor challenge for this session cookie, or null. */
    async pendingChallenge(token: string | undefined): Promise<{ userId: string } | null> {
      if (!token || token.length > 100) return null;
      const s = await inScope(db, system, (tx) =>
        tx
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .select(['sessions.user_id', 'sessions.expires_at', 'sessions.ended_at', 'sessions.stage', 'users.is_active'])
          .where('sessions.id', '=', sha256(token))
          .executeTakeFirst(),
      );
      if (s?.stage !== 'second_factor' || s.ended_at || !s.is_active || s.expires_at.getTime() <= Date.now()) return null;
      return { userId: s.user_id };
    },

    /**
     * Completes a sign-in with a TOTP code or a recovery code. A TOTP code is accepted once: its time step is
     * remembered and that step and earlier ones are refused after. A recovery code works once. Wrong codes
     * count towards the account lock like wrong passwords. On success the challenge session ends and a new
     * session (new id) starts.
     */
    async completeSecondFactor(token: string | undefined, raw: unknown, meta: Meta): Promise<SignInResult> {
      const pending = await this.pendingChallenge(token);
      if (!pending || !token) throw unauthenticated();
      const input = parse(secondFactorInput, raw);
      const user = await inScope(db, system, (tx) =>
        tx
          .selectFrom('users')
          .select(['id', 'name', 'email', 'locked_until', 'totp_secret', 'totp_last_step'])
          .where('id', '=', pending.userId)
          .executeTakeFirstOrThrow(),
      );
      const locked = !!user.locked_until && user.locked_until.getTime() > Date.now();
      const isTotp = /^\d{6}$/.test(input.code);
      const step = !locked && isTotp && user.totp_secret ? await checkTotp(box.open(user.totp_secret, user.id), input.code, user.totp_last_step) : null;
      const outcome = await inScope(db, system, async (tx) => {
        let method: 'totp' | 'recovery_code' | null = null;
        let codesLeft: number | undefined;
        if (step !== null) {
          // Conditional on the step still being new, so two requests racing with one code cannot both pass.
          const res = await tx
            .updateTable('users')
            .set({ totp_last_step: step })
            .where('id', '=', user.id)
            .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) === 1) method = 'totp';
        } else if (!locked && !isTotp) {
          const used = await tx
            .updateTable('recovery_codes')
            .set({ used_at: new Date() })
            .where('user_id', '=', user.id)
            .where('code_hash', '=', sha256(normaliseRecoveryCode(input.code)))
            .where('used_at', 'is', null)
            .executeTakeFirst();
          if (Number(used.numUpdatedRows) === 1) {
            method = 'recovery_code';
            const left = await tx
              .selectFrom('recovery_codes')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('user_id', '=', user.id)
              .where('used_at', 'is', null)
              .executeTakeFirstOrThrow();
            codesLeft = Number(left.n);
          }
        }
        if (!method) {
          if (!locked) await countFailure(tx, user, meta);
          await audit(tx, userActor(user, meta.requestId), {
            action: 'auth.second_factor',
            outcome: 'failure',
            objectType: 'user',
            objectId: user.id,
            detail: { ip: meta.ip, reason: locked ? 'locked' : 'wrong_code' },
          });
          return null;
        }
        await tx.updateTable('users').set({ failed_count: 0 }).where('id', '=', user.id).execute();
        await tx.updateTable('sessions').set({ ended_at: new Date() }).where('id', '=', sha256(token)).execute();
        await audit(tx, userActor(user, meta.requestId), {
          action: 'auth.second_factor',
          objectType: 'user',
          objectId: user.id,
          detail: { ip: meta.ip, method, ...(codesLeft === undefined ? {} : { recoveryCodesLeft: codesLeft }) },
        });
        return method;
      });
      if (!outcome) throw invalid([{ field: 'code', message: CODE_FAILURE }], CODE_FAILURE);
      return { token: await startSession(user.id, meta, await initialOrg(user.id)), stage: 'complete' };
    },

    /**
     * Resolves a session cookie to an actor, enforcing the idle and absolute limits and sliding the idle one.
     * A session waiting for its second factor is no actor at all. `mustEnrolSecondFactor` marks a privileged
     * user who signed in without a second factor: every page but its set-up is closed to them.
     */
    async actorFor(
      token: string | undefined,
      requestId?: string,
    ): Promise<{ actor: Actor; orgName: string | null; mustEnrolSecondFactor: boolean; memberships: Membership[] } | null> {
      if (!token || token.length > 100) return null;
      const id = sha256(token);
      return inScope(db, system, async (tx) => {
        const s = await tx
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .select([
            'sessions.user_id',
            'sessions.org_id',
            'sessions.last_seen_at',
            'sessions.expires_at',
            'sessions.ended_at',
            'sessions.stage',
            'users.name',
            'users.email',
            'users.is_active',
            'users.totp_enabled_at',
          ])
          .where('sessions.id', '=', id)
          .executeTakeFirst();
        const now = Date.now();
        if (!s || s.ended_at || !s.is_active || s.expires_at.getTime() <= now || s.last_seen_at.getTime() + policy.idleMinutes * 60_000 <= now) return null;
        if (s.stage === 'second_factor') return null;
        // Slide the idle timeout at most once a minute, to spare a write per request.
        if (now - s.last_seen_at.getTime() > 60_000)
          await tx
            .updateTable('sessions')
            .set({ last_seen_at: new Date(now) })
            .where('id', '=', id)
            .execute();
        const roles = await tx
          .selectFrom('user_roles')
          .leftJoin('organisations', 'organisations.id', 'user_roles.org_id')
          .select(['user_roles.org_id', 'user_roles.role', 'organisations.name'])
          .where('user_roles.user_id', '=', s.user_id)
          .execute();
        const inOrg = roles.filter((r) => r.org_id && r.org_id === s.org_id);
        return {
          actor: {
            kind: 'user',
            userId: s.user_id,
            name: s.name,
            email: s.email,
            orgId: inOrg.length ? s.org_id : null,
            roles: inOrg.map((r) => r.role as Role),
            globalRoles: roles.filter((r) => r.org_id === null).map((r) => r.role as Role),
            requestId,
          },
          orgName: inOrg[0]?.name ?? null,
          mustEnrolSecondFactor: s.stage === 'enrol_second_factor' && !s.totp_enabled_at,
          memberships: membershipsOf(roles),
        };
      });
    },

    /** Organisations the user holds roles in, for the organisation chooser. */
    async memberships(actor: Actor) {
      if (actor.kind !== 'user') return [];
      return inScope(db, system, (tx) =>
        tx
          .selectFrom('user_roles')
          .innerJoin('organisations', 'organisations.id', 'user_roles.org_id')
          .select(['organisations.id', 'organisations.name', 'organisations.code'])
          .distinct()
          .where('user_roles.user_id', '=', actor.userId)
          .orderBy('organisations.name')
          .execute(),
      );
    },

    /** Switches the organisation a session acts for; only to one the user holds a role in. */
    async chooseOrganisation(actor: Actor, token: string, orgId: string) {
      if (actor.kind !== 'user') throw forbidden();
      const mine = (await this.memberships(actor)).some((m) => m.id === orgId);
      if (!mine) throw invalid([{ field: 'orgId', message: 'Select one of your organisations' }]);
      await inScope(db, system, async (tx) => {
        await tx.updateTable('sessions').set({ org_id: orgId }).where('id', '=', sha256(token)).execute();
        await audit(tx, actor, { action: 'auth.choose_organisation', orgId, objectType: 'user', objectId: actor.userId });
      });
    },

    async signOut(actor: Actor | null, token: string | undefined) {
      if (!token) return;
      await inScope(db, system, async (tx) => {
        await tx.updateTable('sessions').set({ ended_at: new Date() }).where('id', '=', sha256(token)).where('ended_at', 'is', null).execute();
        if (actor) await audit(tx, actor, { action: 'auth.sign_out', objectType: 'user', objectId: actor.kind === 'user' ? actor.userId : null });
      });
    },

    // ---- Password reset (ASVS 5.0 V6.4) ----

    /**
     * Starts a password reset. Whatever the address, the caller shows the same confirmation (no account
     * enumeration); only an active account gets an e-mail with a one-time link valid for RESET_MINUTES. The
     * e-mail is sent after the answer, so its time does not tell either. Only the token's hash is stored.
     */
    async requestPasswordReset(raw: unknown, meta: Meta): Promise<{ email: string }> {
      const input = parse(passwordResetRequestInput, raw);
      const token = randomBytes(32).toString('base64url');
      const mail = await inScope(db, system, async (tx) => {
        const user = await tx
          .selectFrom('users')
          .select(['id', 'name', 'email', 'is_active'])
          .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email))
          .forUpdate()
          .executeTakeFirst();
        let reason = !user ? 'unknown_user' : !user.is_active ? 'inactive' : 'sent';
        if (user && reason === 'sent') {
          const recent = await tx
            .selectFrom('password_resets')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('user_id', '=', user.id)
            .where('created_at', '>', new Date(Date.now() - 3600_000))
            .executeTakeFirstOrThrow();
          if (Number(recent.n) >= RESETS_PER_HOUR) reason = 'too_many';
        }
        await audit(tx, user ? userActor(user, meta.requestId) : null, {
          action: 'auth.password_reset_request',
          outcome: reason === 'sent' ? 'success' : 'failure',
          objectType: 'user',
          objectId: user?.id ?? null,
          detail: { ip: meta.ip, reason, ...(user ? {} : { email: input.email }) },
        });
        if (!user || reason !== 'sent') return null;
        // Only the newest link works: an older one left in an inbox is spent.
        await tx.updateTable('password_resets').set({ used_at: new Date() }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
        await tx
          .insertInto('password_resets')
          .values({ user_id: user.id, token_hash: sha256(token), expires_at: new Date(Date.now() + RESET_MINUTES * 60_000), ip: meta.ip ?? null })
          .execute();
        return { to: user.email, name: user.name };
      });
      if (mail) {
        const link = `${baseUrl}/password-reset/${token}`;
        mailer
          .send({
            to: mail.to,
            subject: 'Reset your Warden password',
            text: [
              `Dear ${mail.name},`,
              '',
              'Someone asked to reset the password of your Warden account. If it was you, choose a new password here:',
              '',
              link,
              '',
              `The link works once and expires in ${RESET_MINUTES} minutes.`,
              '',
              'If you did not ask, ignore this e-mail: your password has not changed. If it keeps happening, tell your security team.',
            ].join('\n'),
          })
          .catch((err: Error) => log(`Warden could not send a password-reset e-mail: ${err.message}`));
      }
      return { email: input.email };
    },

    /** The account a reset link belongs to, if it is unused, unexpired and the account active; else null. */
    async resetLink(token: string): Promise<{ userId: string; email: string; name: string } | null> {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
      const row = await inScope(db, system, (tx) =>
        tx
          .selectFrom('password_resets')
          .innerJoin('users', 'users.id', 'password_resets.user_id')
          .select(['users.id', 'users.email', 'users.name', 'users.is_active', 'password_resets.expires_at', 'password_resets.used_at'])
          .where('password_resets.token_hash', '=', sha256(token))
          .executeTakeFirst(),
      );
      if (!row || row.used_at || !row.is_active || row.expires_at.getTime() <= Date.now()) return null;
      return { userId: row.id, email: row.email, name: row.name };
    },

    /**
     * Sets a new password from a reset link: same rules as any password; spends the link; ends all the user's
     * sessions (whoever else was signed in is signed out) and lifts any lock. Returns false when the link is
     * no longer valid.
     */
    async resetPassword(token: string, raw: unknown, meta: Meta): Promise<boolean> {
      const link = await this.resetLink(token);
      if (!link) return false;
      const input = parse(newPasswordInput, raw);
      const problem = passwordProblem(input.password, link);
      if (problem) throw invalid([{ field: 'password', message: problem }]);
      const hash = await hashPassword(input.password);
      return inScope(db, system, async (tx) => {
        const spent = await tx
          .updateTable('password_resets')
          .set({ used_at: new Date() })
          .where('token_hash', '=', sha256(token))
          .where('used_at', 'is', null)
          .where('expires_at', '>', new Date())
          .executeTakeFirst();
        if (Number(spent.numUpdatedRows) !== 1) return false;
        await tx
          .updateTable('users')
          .set({ password_hash: hash, password_changed_at: new Date(), failed_count: 0, locked_until: null })
          .where('id', '=', link.userId)
          .execute();
        const ended = await endSessions(tx, link.userId);
        await audit(tx, userActor({ id: link.userId, name: link.name, email: link.email }, meta.requestId), {
          action: 'auth.password_reset',
          objectType: 'user',
          objectId: link.userId,
          detail: { ip: meta.ip, sessionsEnded: ended },
        });
        return true;
      });
    },

    /** Changes the signed-in user's password; the current one must be given. Their other sessions end. */
    async changePassword(actor: Actor | null, sessionToken: string | undefined, raw: unknown, meta: Meta): Promise<void> {
      const me = requireUser(actor);
      const input = parse(changePasswordInput, raw);
      const user = await inScope(db, system, (tx) =>
        tx.selectFrom('users').select(['id', 'name', 'email', 'password_hash', 'locked_until']).where('id', '=', me.userId).executeTakeFirstOrThrow(),
      );
      const locked = !!user.locked_until && user.locked_until.getTime() > Date.now();
      const ok = (await verifyPassword(user.password_hash, input.currentPassword)) && !locked;
      if (!ok) {
        await inScope(db, system, async (tx) => {
          if (!locked) await countFailure(tx, user, meta);
          await audit(tx, me, { action: 'auth.password_change', outcome: 'failure', objectType: 'user', objectId: me.userId, detail: { ip: meta.ip } });
        });
        throw invalid([{ field: 'currentPassword', message: 'Your current password is not right' }]);
      }
      const problem = passwordProblem(input.password, user);
      if (problem) throw invalid([{ field: 'password', message: problem }]);
      const hash = await hashPassword(input.password);
      await inScope(db, system, async (tx) => {
        await tx.updateTable('users').set({ password_hash: hash, password_changed_at: new Date(), failed_count: 0 }).where('id', '=', me.userId).execute();
        const ended = await endSessions(tx, me.userId, sessionToken ? sha256(sessionToken) : undefined);
        await audit(tx, me, { action: 'auth.password_change', objectType: 'user', objectId: me.userId, detail: { ip: meta.ip, sessionsEnded: ended } });
      });
    },

    // ---- Second factor: TOTP (RFC 6238) and recovery codes (ASVS 5.0 V6.5) ----

    /** What the set-up page shows: the secret as text, the otpauth URI and the same as a QR code (inline SVG). */
    async totpEnrolment(actor: Actor | null, sessionToken: string | undefined) {
      const me = requireUser(actor);
      if (!sessionToken) throw unauthenticated();
      const secret = enrolmentSecret(me.userId, sessionToken);
      const uri = generateURI({ issuer: ISSUER, label: me.email, secret });
      const qrSvg = renderSVG(uri, { ecc: 'M', border: 2 }).replace(
        '<svg ',
        '<svg role="img" aria-label="QR code for your authenticator app" width="200" height="200" ',
      );
      return { secret, secretGroups: secret.match(/.{1,4}/g)?.join(' ') ?? secret, uri, qrSvg };
    },

    /**
     * Turns on TOTP once the user proves their app has the secret with a current code. Seals the secret at rest,
     * remembers the code's time step (it cannot be used again to sign in), and returns RECOVERY_CODE_COUNT new
     * recovery codes, shown once.
     */
    async enableTotp(actor: Actor | null, sessionToken: string | undefined, raw: unknown, meta: Meta): Promise<string[]> {
      const me = requireUser(actor);
      if (!sessionToken) throw unauthenticated();
      const input = parse(totpCodeInput, raw);
      const current = await inScope(db, system, (tx) => tx.selectFrom('users').select('totp_enabled_at').where('id', '=', me.userId).executeTakeFirstOrThrow());
      if (current.totp_enabled_at) throw invalid([{ field: 'code', message: 'Two-factor authentication is already on' }]);
      const secret = enrolmentSecret(me.userId, sessionToken);
      const step = await checkTotp(secret, input.code, null);
      if (step === null)
        throw invalid([{ field: 'code', message: 'The code is not right. Check the time on your phone is set automatically, then enter the code shown now' }]);
      return inScope(db, system, async (tx) => {
        await tx
          .updateTable('users')
          .set({ totp_secret: box.seal(secret, me.userId), totp_enabled_at: new Date(), totp_last_step: step })
          .where('id', '=', me.userId)
          .execute();
        const codes = await issueRecoveryCodes(tx, me.userId);
        await audit(tx, me, { action: 'auth.second_factor_enabled', objectType: 'user', objectId: me.userId, detail: { ip: meta.ip } });
        return codes;
      });
    },

    /**
     * Step-up for a weighty act (signing off a self review or an annual report): the signed-in user proves again,
     * now, that they hold their second factor by entering a current TOTP code. The code's time step is remembered
     * like a sign-in's, so a code already used (to sign in, or for an earlier act) is refused: no replay. Recovery
     * codes are not accepted here. A wrong code counts towards the account lock like a wrong password, and is
     * audited (`auth.step_up`, failure) whatever the caller then does. `purpose` names the act in the audit trail.
     */
    async confirmSecondFactor(actor: Actor | null, raw: unknown, meta: Meta & { purpose: string }): Promise<{ method: 'totp'; step: number }> {
      const me = requireUser(actor);
      const input = parse(totpCodeInput, raw);
      const user = await inScope(db, system, (tx) =>
        tx
          .selectFrom('users')
          .select(['id', 'name', 'email', 'locked_until', 'totp_secret', 'totp_last_step'])
          .where('id', '=', me.userId)
          .executeTakeFirstOrThrow(),
      );
      if (!user.totp_secret)
        throw invalid([{ field: 'code', message: 'Set up two-factor authentication on your account first (Your account, then two-factor authentication)' }]);
      const locked = !!user.locked_until && user.locked_until.getTime() > Date.now();
      const step = locked ? null : await checkTotp(box.open(user.totp_secret, user.id), input.code, user.totp_last_step);
      // The outcome is decided and written in one transaction, and the error thrown after it commits, so a
      // failure is counted and audited even though the caller's act does not happen.
      const accepted = await inScope(db, system, async (tx) => {
        if (step !== null) {
          // Conditional on the step still being new, so two requests racing with one code cannot both pass.
          const res = await tx
            .updateTable('users')
            .set({ totp_last_step: step, failed_count: 0 })
            .where('id', '=', user.id)
            .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) === 1) {
            await audit(tx, me, { action: 'auth.step_up', objectType: 'user', objectId: user.id, detail: { purpose: meta.purpose, ip: meta.ip } });
            return true;
          }
        }
        if (!locked) await countFailure(tx, user, meta);
        await audit(tx, me, {
          action: 'auth.step_up',
          outcome: 'failure',
          objectType: 'user',
          objectId: user.id,
          detail: { purpose: meta.purpose, ip: meta.ip, reason: locked ? 'locked' : 'wrong_or_used_code' },
        });
        return false;
      });
      if (!accepted || step === null) {
        const message = locked
          ? `Your account is locked after too many wrong codes. Try again in ${LOCK_MINUTES} minutes`
          : 'The code is not right, or it has been used already. Enter the code your authenticator app shows now';
        throw invalid([{ field: 'code', message }]);
      }
      return { method: 'totp', step };
    },

    /** Replaces the recovery codes; a current TOTP code is needed, so a borrowed session cannot do it. */
    async regenerateRecoveryCodes(actor: Actor | null, raw: unknown, meta: Meta): Promise<string[]> {
      const me = requireUser(actor);
      const input = parse(totpCodeInput, raw);
      const user = await inScope(db, system, (tx) =>
        tx.selectFrom('users').select(['id', 'name', 'email', 'totp_secret', 'totp_last_step']).where('id', '=', me.userId).executeTakeFirstOrThrow(),
      );
      if (!user.totp_secret) throw invalid([{ field: 'code', message: 'Set up two-factor authentication first' }]);
      const step = await checkTotp(box.open(user.totp_secret, user.id), input.code, user.totp_last_step);
      // A wrong code is counted towards the lock and audited in a transaction that commits; the refusal is thrown
      // after it (thrown inside, it would roll back its own record).
      const codes = await inScope(db, system, async (tx) => {
        if (step === null) {
          await countFailure(tx, user, meta);
          await audit(tx, me, { action: 'auth.recovery_codes', outcome: 'failure', objectType: 'user', objectId: me.userId, detail: { ip: meta.ip } });
          return null;
        }
        await tx.updateTable('users').set({ totp_last_step: step }).where('id', '=', me.userId).execute();
        const issued = await issueRecoveryCodes(tx, me.userId);
        await audit(tx, me, { action: 'auth.recovery_codes', objectType: 'user', objectId: me.userId, detail: { ip: meta.ip } });
        return issued;
      });
      if (!codes) throw invalid([{ field: 'code', message: 'The code is not right. Enter the code your authenticator app shows now' }]);
      return codes;
    },

    // ---- Own account and session management (ASVS 5.0 V7) ----

    /** The own-account page: who I am, my roles, my second factor and my open sessions. */
    async account(actor: Actor | null, sessionToken: string | undefined) {
      const me = requireUser(actor);
      const current = sessionToken ? sha256(sessionToken) : '';
      return inScope(db, system, async (tx) => {
        const user = await tx
          .selectFrom('users')
          .select(['name', 'email', 'totp_enabled_at', 'password_hash', 'password_changed_at'])
          .where('id', '=', me.userId)
          .executeTakeFirstOrThrow();
        const roles = await tx
          .selectFrom('user_roles')
          .leftJoin('organisations', 'organisations.id', 'user_roles.org_id')
          .select(['user_roles.role', 'organisations.name as orgName'])
          .where('user_roles.user_id', '=', me.userId)
          .orderBy('organisations.name')
          .orderBy('user_roles.role')
          .execute();
        const left = await tx
          .selectFrom('recovery_codes')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('user_id', '=', me.userId)
          .where('used_at', 'is', null)
          .executeTakeFirstOrThrow();
        const idleCutoff = new Date(Date.now() - policy.idleMinutes * 60_000);
        const sessions = await tx
          .selectFrom('sessions')
          .select(['id', 'created_at', 'last_seen_at', 'ip', 'user_agent'])
          .where('user_id', '=', me.userId)
          .where('ended_at', 'is', null)
          .where('stage', '<>', 'second_factor')
          .where('expires_at', '>', new Date())
          .where('last_seen_at', '>', idleCutoff)
          .orderBy('last_seen_at', 'desc')
          .execute();
        return {
          name: user.name,
          email: user.email,
          hasPassword: !!user.password_hash,
          passwordChangedAt: user.password_changed_at,
          roles: roles.map((r) => ({ role: ROLE_LABELS[r.role as Role] ?? r.role, organisation: r.orgName ?? 'All organisations (deployment-wide)' })),
          twoFactor: { enabled: !!user.totp_enabled_at, enabledAt: user.totp_enabled_at, recoveryCodesLeft: Number(left.n) },
          sessions: sessions.map(({ id, ...s }) => ({ ...s, current: id === current })),
        };
      });
    },

    /** "Sign out of all other sessions": ends every session of mine except this one. */
    async endOtherSessions(actor: Actor | null, sessionToken: string | undefined, meta: Meta): Promise<number> {
      const me = requireUser(actor);
      if (!sessionToken) throw unauthenticated();
      return inScope(db, system, async (tx) => {
        const ended = await endSessions(tx, me.userId, sha256(sessionToken));
        await audit(tx, me, {
          action: 'auth.sessions_ended',
          objectType: 'user',
          objectId: me.userId,
          detail: { ip: meta.ip, sessionsEnded: ended, kept: 'current' },
        });
        return ended;
      });
    },

    /**
     * Ends all of a user's sessions at once (after a password reset, on deactivation, or when an administrator
     * suspects an account). Callers that act for someone check access first; this only ends sessions.
     */
    async endAllSessions(userId: string): Promise<number> {
      return inScope(db, system, (tx) => endSessions(tx, userId));
    },

    /**
     * Deactivates an account and ends all its sessions at once. Needs `user.manage` over every organisation the
     * user holds a role in (deployment-wide administrators for users of several, or with no role). Nobody
     * deactivates themselves, so the last administrator cannot lock everyone out.
     */
    async deactivateUser(actor: Actor | null, userId: string): Promise<{ sessionsEnded: number }> {
      const a = authorize(actor, 'user.manage');
      return inScope(db, system, async (tx) => {
        const target = await assertManages(tx, a, userId);
        if (a.kind === 'user' && a.userId === target.id) throw invalid([{ field: 'userId', message: 'You cannot deactivate your own account' }]);
        await tx.updateTable('users').set({ is_active: false }).where('id', '=', target.id).execute();
        const ended = await endSessions(tx, target.id);
        await audit(tx, a, {
          action: 'user.deactivate',
          orgId: a.kind === 'user' ? a.orgId : null,
          objectType: 'user',
          objectId: target.id,
          detail: { sessionsEnded: ended },
        });
        return { sessionsEnded: ended };
      });
    },

    /**
     * Turns a user's second factor off (a lost phone and no recovery codes), after the administrator has checked
     * who is asking. Ends their sessions; a privileged user must set it up again at their next sign-in.
     */
    async resetSecondFactor(actor: Actor | null, userId: string): Promise<void> {
      const a = authorize(actor, 'user.manage');
      await inScope(db, system, async (tx) => {
        const target = await assertManages(tx, a, userId);
        await tx.updateTable('users').set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null }).where('id', '=', target.id).execute();
        await tx.deleteFrom('recovery_codes').where('user_id', '=', target.id).execute();
        const ended = await endSessions(tx, target.id);
        await audit(tx, a, {
          action: 'auth.second_factor_reset',
          orgId: a.kind === 'user' ? a.orgId : null,
          objectType: 'user',
          objectId: target.id,
          detail: { sessionsEnded: ended },
        });
      });
    },
  };
}

export type IdentityService = ReturnType<typeof identityService>;

/** The organisations among a user's role rows (deployment-wide roles have none), each with its roles. */
function membershipsOf(rows: { org_id: string | null; role: string }[]): Membership[] {
  const byOrg = new Map<string, Role[]>();
  for (const r of rows) if (r.org_id) byOrg.set(r.org_id, [...(byOrg.get(r.org_id) ?? []), r.role as Role]);
  return [...byOrg].map(([orgId, roles]) => ({ orgId, roles }));
}
