/**
 * A throw-away PostgreSQL cluster, the stand-in for Redshift in the analytics tests and the
 * rehearsal (REC-2): `initdb` into a fresh temp directory, `pg_ctl start` listening only on a unix
 * socket inside that directory (no TCP port, nothing shared with other clusters), trust auth,
 * superuser `postgres`. `stop()` stops the server and removes the directory.
 *
 * PostgreSQL refuses to run as root: when this process is root (CI containers), initdb and pg_ctl
 * run through `runuser` (or `su`) as an unprivileged user (`postgres` if it exists, else `nobody`)
 * that owns the temp directory.
 *
 * Binaries: initdb / pg_ctl from PATH, else /usr/lib/postgresql/<version>/bin (Debian, newest
 * version first), else /usr/local/pgsql/bin. Missing → PostgresMissingError saying how to install.
 */
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export class PostgresMissingError extends Error {
  override name = 'PostgresMissingError';
}

export interface PostgresCluster {
  /** postgres://postgres@<socket dir>:<port>/postgres (a unix socket; pg reads the host as a directory). */
  url: string;
  /** The same cluster, another database. */
  urlFor(database: string): string;
  /** The cluster's temp directory (data directory, socket, server log): removed by stop(). */
  directory: string;
  /** The OS user the server runs as (when this process is root), else undefined. */
  osUser: string | undefined;
  /** Stops the server (immediate) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The directory holding initdb and pg_ctl, or undefined. */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debian, version, 'bin')));
  }
  candidates.push('/usr/local/pgsql/bin');
  return candidates.find((dir) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl')));
}

export const POSTGRES_INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, in /usr/lib/postgresql/<version>/bin or /usr/local/pgsql/bin. Install them: Debian/Ubuntu `apt-get install -y postgresql` (binaries in /usr/lib/postgresql/<version>/bin), macOS `brew install postgresql`.';

function run(file: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: 120_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${what} failed (${file} ${args.join(' ')}): ${error.message}\n${stderr || stdout}`.trim()));
      else resolve(stdout);
    });
  });
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, "'\\''")}'`;

/** uid/gid of a local user from /etc/passwd, or undefined. */
function localUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${name}:`));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/** The command line that runs a PostgreSQL binary, as `user` through runuser/su when given (this process is root). */
function commandAs(user: string | undefined, binary: string, args: readonly string[]): [string, string[]] {
  if (user === undefined) return [binary, [...args]];
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser'].find(isExecutable);
  if (runuser) return [runuser, ['-u', user, '--', binary, ...args]];
  return ['su', ['-s', '/bin/sh', user, '-c', [binary, ...args].map(shellQuote).join(' ')]];
}

function asUser(user: string | undefined, binary: string, args: readonly string[], what: string): Promise<string> {
  const [file, argv] = commandAs(user, binary, args);
  return run(file, argv, what);
}

/** Starts a throw-away cluster (see the module comment). */
export async function startPostgres(
  options: {
    binDir?: string;
    port?: number;
    /** Also listen on TCP at this address (e.g. 127.0.0.1) on `port` (trust auth, as the socket). */
    listen?: string;
    /** Serve TLS with this certificate and key (PEM files; copied into the cluster's directory). */
    ssl?: { certFile: string; keyFile: string };
  } = {},
): Promise<PostgresCluster> {
  const bin = options.binDir ?? findPostgresBinaries();
  if (!bin || !isExecutable(join(bin, 'initdb')) || !isExecutable(join(bin, 'pg_ctl'))) throw new PostgresMissingError(`${bin ? `no initdb/pg_ctl in ${bin}. ` : ''}${POSTGRES_INSTALL_HINT}`);
  const root = process.getuid?.() === 0;
  let user: string | undefined;
  let owner: { uid: number; gid: number } | undefined;
  if (root) {
    for (const name of ['postgres', 'nobody']) {
      owner = localUser(name);
      if (owner) {
        user = name;
        break;
      }
    }
    if (!user || !owner) throw new Error('running as root, and neither a "postgres" nor a "nobody" user exists to run PostgreSQL as (it refuses to run as root)');
  }
  // A short path: the socket path (<dir>/.s.PGSQL.<port>) must fit in 107 bytes.
  const base = tmpdir().length > 60 ? '/tmp' : tmpdir();
  const dir = mkdtempSync(join(base, 'ledgerline-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = options.port ?? 5432;
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) {
      started = false;
      await asUser(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], 'pg_ctl stop').catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (owner) chownSync(dir, owner.uid, owner.gid);
    await asUser(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], 'initdb');
    const tls: string[] = [];
    if (options.ssl) {
      // The server refuses a key others can read; it must belong to the user it runs as.
      for (const [from, name, mode] of [
        [options.ssl.certFile, 'server.crt', 0o644],
        [options.ssl.keyFile, 'server.key', 0o600],
      ] as const) {
        const to = join(dir, name);
        copyFileSync(from, to);
        chmodSync(to, mode);
        if (owner) chownSync(to, owner.uid, owner.gid);
      }
      tls.push('-c ssl=on', `-c ssl_cert_file=${join(dir, 'server.crt')}`, `-c ssl_key_file=${join(dir, 'server.key')}`);
    }
    const serverOptions = [
      `-k ${dir}`,
      `-c listen_addresses=${options.listen ?? "''"}`,
      `-p ${port}`,
      ...tls,
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c synchronous_commit=off',
      '-c max_connections=20',
    ].join(' ');
    started = true;
    await asUser(user, join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', serverOptions, '-w', '-t', '60', 'start'], 'pg_ctl start');
  } catch (error) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}${serverLog ? `\nserver log:\n${serverLog}` : ''}`, { cause: error });
  }
  // A process that exits without stop() (a killed test run) still takes its cluster down.
  const onExit = (): void => {
    if (!started) return;
    const [file, args] = commandAs(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    spawnSync(file, args, { stdio: 'ignore', timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const urlFor = (database: string): string => `postgres://postgres@${encodeURIComponent(dir)}:${port}/${encodeURIComponent(database)}`;
  return {
    url: urlFor('postgres'),
    urlFor,
    directory: dir,
    osUser: user,
    async stop() {
      process.removeListener('exit', onExit);
      await stop();
    },
  };
}
