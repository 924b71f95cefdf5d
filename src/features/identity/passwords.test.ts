import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hashPassword, isCommonPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { resolveSecretKey, secretBox } from './secrets.ts';

describe('password rules', () => {
  test('a password shorter than 12 characters is refused, and 12 is enough', () => {
    assert.equal(passwordProblem('tiger-lamp-9'.slice(0, 11)), 'Password must be 12 characters or more');
    assert.equal(passwordProblem('quiet otter lamp'), undefined);
  });

  test('length counts characters, not bytes: 12 emoji-free accented letters pass, 11 do not', () => {
    assert.equal(passwordProblem('éèêëàâäôöûüç'), undefined);
    assert.equal(passwordProblem('éèêëàâäôöûü'), 'Password must be 12 characters or more');
  });

  test('passwords up to 128 characters are accepted, longer ones refused', () => {
    const words = 'mossy granite harbour lantern '.repeat(5);
    assert.equal(passwordProblem(words.slice(0, 128)), undefined);
    assert.equal(passwordProblem(`${words.slice(0, 128)}x`), 'Password must be 128 characters or fewer');
  });

  test('the bundled list holds tens of thousands of common passwords', () => {
    for (const p of ['123456', 'password', 'qwerty', 'iloveyou', 'trustno1', 'sunshine', 'football']) assert.ok(isCommonPassword(p), p);
    assert.ok(!isCommonPassword('mossy granite harbour'));
  });

  test('common passwords are refused, whatever their case and with digits or punctuation stuck on the ends', () => {
    for (const p of ['Password123456', 'SUNSHINE2026!!', '!!!football1234', 'Liverpool2025!', 'trustno10000!!!!', 'qwertyuiop123']) {
      assert.equal(passwordProblem(p), 'This password is too common and easy to guess. Choose a different one, for example 3 or 4 unrelated words', p);
    }
  });

  test('runs of numbers, letters or keyboard keys are refused', () => {
    for (const p of ['1234567890123', '987654321098', 'qwertyuiopasdfgh', 'abcdefghijklmn']) {
      assert.equal(passwordProblem(p), 'Password must not be a run of keys or numbers, such as 123456789 or qwertyuiop', p);
    }
  });

  test('a password containing the e-mail name or the person’s name is refused', () => {
    const who = { email: 'jo.bloggs@northgate.nhs.uk', name: 'Joanna Bloggs' };
    assert.equal(passwordProblem('jo.bloggs-secure-2026', who), 'Password must not contain your e-mail address');
    assert.equal(passwordProblem('JOBLOGGS is my password', who), 'Password must not contain your e-mail address');
    assert.equal(passwordProblem('winter joanna garden', who), 'Password must not contain your name');
    assert.equal(passwordProblem('bloggs family holiday', who), 'Password must not contain your name');
    assert.equal(passwordProblem('mossy granite harbour', who), undefined);
  });

  test('one character or a short pattern repeated is refused', () => {
    assert.match(passwordProblem('aaaaaaaaaaaaaa') ?? '', /repeated/);
    assert.match(passwordProblem('abcabcabcabcabc') ?? '', /repeated/);
    assert.match(passwordProblem('12121212121212') ?? '', /repeated/);
  });

  test('argon2id hashes verify the right password only, and an unknown user never verifies', async () => {
    const hash = await hashPassword('mossy granite harbour');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await verifyPassword(hash, 'mossy granite harbour'), true);
    assert.equal(await verifyPassword(hash, 'mossy granite harbor'), false);
    assert.equal(await verifyPassword(null, 'mossy granite harbour'), false);
  });
});

describe('sealed secrets', () => {
  test('a sealed secret opens with the same key and context only, and is not stored in clear', () => {
    const box = secretBox('k'.repeat(40));
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user-1');
    assert.doesNotMatch(sealed, /JBSWY3DPEHPK3PXP/);
    assert.notEqual(box.seal('JBSWY3DPEHPK3PXP', 'user-1'), sealed, 'a fresh IV each time');
    assert.equal(box.open(sealed, 'user-1'), 'JBSWY3DPEHPK3PXP');
    assert.throws(() => box.open(sealed, 'user-2'));
    assert.throws(() => secretBox('j'.repeat(40)).open(sealed, 'user-1'));
    const [v, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body as string, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    assert.throws(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'user-1'));
  });
});

describe('the secret key', () => {
  test('WARDEN_SECRET_KEY wins; without it a key is created once in the data folder, readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
    try {
      assert.equal(resolveSecretKey({ secretKey: 's'.repeat(32), dataDir: dir }), 's'.repeat(32));
      const dataDir = join(dir, 'data');
      const first = resolveSecretKey({ dataDir });
      assert.ok(first.length >= 32);
      const file = join(dataDir, 'secret.key');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(readFileSync(file, 'utf8').trim(), first);
      assert.equal(resolveSecretKey({ dataDir }), first, 'the same key on the next start');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
