import argon2 from 'argon2';

/** argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

/** A hash of a random password, verified against when the user is unknown so both paths take similar time. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!hash) {
    decoy ??= argon2.hash(crypto.randomUUID(), OPTIONS);
    await argon2.verify(await decoy, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}

/** Password rules (NIST SP 800-63B; ASVS 6.2): length 12–128, not the user's own name or e-mail. */
export function passwordProblem(password: string, context: { email?: string; name?: string } = {}): string | undefined {
  if (password.length < 12) return 'Password must be 12 characters or more';
  if (password.length > 128) return 'Password must be 128 characters or fewer';
  const lower = password.toLowerCase();
  if (context.email && lower.includes(context.email.toLowerCase().split('@')[0] ?? '\u0000')) return 'Password must not contain your e-mail address';
  if (/^(.)\1+$/.test(password)) return 'Password must not be one character repeated';
  return undefined;
}
