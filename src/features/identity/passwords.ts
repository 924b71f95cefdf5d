import { readFileSync } from 'node:fs';
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

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

const DIGITS = '0123456789'.repeat(15);
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.repeat(5);
/** Runs of digits, letters and keyboard rows, both ways: a password inside one is no secret. */
const SEQUENCES = [DIGITS, LETTERS, 'qwertyuiopasdfghjklzxcvbnm'.repeat(5), '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p'.repeat(4)].flatMap((s) => [
  s,
  [...s].reverse().join(''),
]);

let common: Set<string> | undefined;

/** The bundled list of the most common passwords (common-passwords.txt, ~49,000 entries), read once. */
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#')),
  );
  return common;
}

/**
 * True when the password is on the common list, ignoring case, also once digits and punctuation are stripped
 * from its ends: "Liverpool2026!" and "!!sunshine123456" are a common word dressed up, the first thing an
 * attacker's list tries.
 */
export function isCommonPassword(password: string): boolean {
  const list = commonPasswords();
  const lower = password.toLowerCase();
  const trailing = lower.replace(/[\d\p{P}\p{S}\s]+$/u, '');
  const both = trailing.replace(/^[\d\p{P}\p{S}\s]+/u, '');
  return list.has(lower) || (trailing.length >= 3 && list.has(trailing)) || (both.length >= 3 && list.has(both));
}

/**
 * Password rules (ASVS 5.0 V6.2; NIST SP 800-63B §3.1.1.2): 12 to 128 characters, counted as Unicode characters,
 * any characters allowed and no composition rules; not on the common-passwords list; not containing the
 * user's e-mail name or their name; not one short pattern repeated. Returns the problem, or undefined.
 */
export function passwordProblem(password: string, context: { email?: string; name?: string } = {}): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Password must be ${MIN_PASSWORD_LENGTH} characters or more`;
  if (length > MAX_PASSWORD_LENGTH) return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  const lower = password.toLowerCase();
  const squashed = lower.replace(/[\s._-]+/g, '');
  const local = context.email?.toLowerCase().split('@')[0] ?? '';
  if (local.length >= 3 && (lower.includes(local) || squashed.includes(local.replace(/[\s._-]+/g, '')))) return 'Password must not contain your e-mail address';
  const name = context.name?.toLowerCase().trim() ?? '';
  if (name) {
    const parts = [name.replace(/[\s'’.-]+/g, ''), ...name.split(/[\s'’.-]+/).filter((p) => p.length >= 4)];
    if (parts.some((p) => p.length >= 3 && squashed.includes(p))) return 'Password must not contain your name';
  }
  if (/^(.{1,4})\1+$/su.test(password)) return 'Password must not be one character or a short pattern repeated';
  if (SEQUENCES.some((s) => s.includes(lower))) return 'Password must not be a run of keys or numbers, such as 123456789 or qwertyuiop';
  if (isCommonPassword(password)) return 'This password is too common and easy to guess. Choose a different one, for example 3 or 4 unrelated words';
  return undefined;
}
