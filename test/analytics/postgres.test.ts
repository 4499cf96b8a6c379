/**
 * The throw-away PostgreSQL cluster the Redshift tests and the rehearsal stand on (REC-2): found
 * on PATH or in Debian's /usr/lib/postgresql/<version>/bin, run as an unprivileged user when this
 * process is root, reachable only through its own unix socket, gone after stop(); missing binaries
 * are a clear error saying how to install them.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPostgres } from '../../redshift/executors';
import { findPostgresBinaries, PostgresMissingError, startPostgres } from '../../rehearsal/redshift/postgres';
import { describePostgres } from './support/postgres';

describe('PostgreSQL binaries', () => {
  it('missing binaries are a PostgresMissingError that says how to install them', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ledgerline-no-pg-'));
    try {
      const error = await startPostgres({ binDir: empty }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PostgresMissingError);
      expect((error as Error).message).toContain(`no initdb/pg_ctl in ${empty}`);
      expect((error as Error).message).toContain('apt-get install -y postgresql');
      expect((error as Error).message).toContain('/usr/lib/postgresql/<version>/bin');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('are found in /usr/lib/postgresql/<version>/bin when they are not on PATH (Debian)', () => {
    if (!existsSync('/usr/lib/postgresql')) {
      console.warn('SKIPPED: no /usr/lib/postgresql here (not a Debian PostgreSQL install)');
      return;
    }
    expect(findPostgresBinaries({ PATH: '/nonexistent' })).toMatch(/^\/usr\/lib\/postgresql\/\d+(\.\d+)?\/bin$/);
  });
});

describePostgres('startPostgres', () => {
  it('starts a private cluster (not as root), serves SQL over its socket, and stop() removes everything', async () => {
    const cluster = await startPostgres();
    let stopped = false;
    try {
      expect(cluster.url).toBe(`postgres://postgres@${encodeURIComponent(cluster.directory)}:5432/postgres`);
      const client = await connectPostgres(cluster.url);
      const row = (await client.query("SELECT current_user AS who, current_setting('listen_addresses') AS tcp, current_setting('server_encoding') AS encoding")).rows[0];
      await client.end();
      expect(row).toEqual({ who: 'postgres', tcp: '', encoding: 'UTF8' });
      if (process.getuid?.() === 0) {
        expect(cluster.osUser).toMatch(/^(postgres|nobody)$/);
        expect(statSync(join(cluster.directory, 'data')).uid).not.toBe(0);
      } else {
        expect(cluster.osUser).toBeUndefined();
      }
      await cluster.stop();
      stopped = true;
      expect(existsSync(cluster.directory)).toBe(false);
      await cluster.stop(); // twice is fine
    } finally {
      if (!stopped) await cluster.stop();
    }
  });
});
