import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** loadConfig's error for `env`, or a failure if it accepted it. */
function problemsOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

describe('configuration', () => {
  test('uses the documented defaults when nothing is set', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, 'localhost');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, resolve('./data'));
    assert.equal(c.baseUrl, 'http://localhost:3000');
    assert.equal(c.secureCookies, false);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.sessionIdleMinutes, 60);
    assert.equal(c.sessionMaxHours, 12);
    assert.equal(c.smtpUrl, undefined);
    assert.equal(c.mailFrom, 'Warden <warden@localhost>');
  });

  test('reads good values, and an https base URL turns on secure cookies', () => {
    const c = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://warden@db.example:5432/warden',
      WARDEN_BASE_URL: 'https://warden.example.nhs.uk/',
      LOG_LEVEL: 'warn',
      WARDEN_SESSION_IDLE_MINUTES: '30',
    });
    assert.equal(c.port, 8080);
    assert.equal(c.databaseUrl, 'postgres://warden@db.example:5432/warden');
    assert.equal(c.baseUrl, 'https://warden.example.nhs.uk');
    assert.equal(c.secureCookies, true);
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.sessionIdleMinutes, 30);
  });

  test('empty strings count as unset', () => {
    const c = loadConfig({ PORT: '', DATABASE_URL: '', WARDEN_BASE_URL: '', LOG_LEVEL: '', WARDEN_SESSION_IDLE_MINUTES: '', SMTP_URL: '' });
    assert.equal(c.port, 3000);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.baseUrl, 'http://localhost:3000');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.sessionIdleMinutes, 60);
    assert.equal(c.smtpUrl, undefined);
  });

  const bad: [string, string, RegExp][] = [
    ['PORT', 'abc', /whole number/],
    ['PORT', '70000', /between 0 and 65535/],
    ['PORT', '3000.5', /whole number/],
    ['DATABASE_URL', 'mysql://x', /postgres:\/\/ or postgresql:\/\//],
    ['WARDEN_BASE_URL', 'not-a-url', /http:\/\/ or https:\/\/ URL/],
    ['WARDEN_BASE_URL', 'ftp://warden.example/', /http:\/\/ or https:\/\/ URL/],
    ['LOG_LEVEL', 'loud', /must be one of fatal, error, warn, info, debug, trace, silent/],
    ['WARDEN_SESSION_IDLE_MINUTES', '1', /at least 5 minutes/],
    ['WARDEN_SESSION_MAX_HOURS', '48', /at most 24 hours/],
    ['SMTP_URL', 'http://mail', /smtp:\/\//],
  ];
  for (const [name, value, why] of bad) {
    test(`${name}=${value} is refused with a message naming the variable and the value`, () => {
      const err = problemsOf({ [name]: value });
      assert.equal(err.problems.length, 1, err.message);
      const [problem] = err.problems as [string];
      assert.ok(problem.startsWith(`${name} `), problem);
      assert.ok(problem.includes(`(got "${value}")`), problem);
      assert.match(problem, why);
      assert.match(err.message, /^Warden cannot start: the configuration has 1 problem/);
    });
  }

  test('several bad values are all listed, one per line', () => {
    const err = problemsOf({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', WARDEN_SESSION_IDLE_MINUTES: '1' });
    assert.equal(err.problems.length, 4, err.message);
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'WARDEN_SESSION_IDLE_MINUTES']) {
      assert.match(err.message, new RegExp(`^  - ${name} .*\\(got "`, 'm'));
    }
    assert.match(err.message, /has 4 problem/);
  });

  test('`warden start` with a bad PORT exits non-zero and prints the message without a stack trace', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'warden.js'), 'start'], {
      cwd: root,
      env: { ...process.env, PORT: 'abc', DATABASE_URL: '', WARDEN_DATA_DIR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 1, err);
    assert.match(err, /Warden cannot start: the configuration has 1 problem/);
    assert.match(err, /PORT must be a whole number \(got "abc"\)/);
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(err, /ConfigError/);
    assert.equal(out, '');
  });
});
