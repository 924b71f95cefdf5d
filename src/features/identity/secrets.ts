import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key that seals secrets at rest: `WARDEN_SECRET_KEY` when set; otherwise the one in `<dataDir>/secret.key`,
 * created with 32 random bytes and mode 0600 the first time Warden starts. Without either (tests that build
 * services by hand) a random key for this process only is used. Losing the key makes the sealed TOTP secrets
 * unreadable: those users must have their second factor reset by an administrator. Back it up with the data.
 */
export function resolveSecretKey(config: { secretKey?: string; dataDir?: string }): string {
  if (config.secretKey) return config.secretKey;
  if (!config.dataDir) return randomBytes(32).toString('base64url');
  const file = join(config.dataDir, 'secret.key');
  try {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length < 32) throw new Error(`${file} holds fewer than 32 characters: it is not a Warden secret key`);
    // Tighten a key file someone loosened; reading it is enough to prove we own it.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}

/**
 * Seals and opens short secrets with AES-256-GCM. The key is derived from the configured secret with HKDF, and
 * each sealed value is bound to a context (the user id), so a sealed value copied to another row does not open.
 * Format: `v1.<iv>.<tag>.<ciphertext>`, base64url.
 */
export function secretBox(secret: string) {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'warden/sealed-secrets/v1', 32));
  return {
    seal(plain: string, context: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    /** Throws when the value was sealed with another key or context, or was altered. */
    open(sealed: string, context: string): string {
      const [v, iv, tag, body] = sealed.split('.');
      if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

export type SecretBox = ReturnType<typeof secretBox>;
