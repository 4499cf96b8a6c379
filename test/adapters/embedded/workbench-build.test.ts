/**
 * REC-PERF-1, REC-CASE-1: a new workbench built whole in a file of its own and put in place as
 * <out>/workbench.db (src/adapters/embedded/workbench-build.ts). workbench.db is either absent or a
 * whole store in WAL mode: a build that fails, is killed, or finds a workbench there (before or
 * after it built) leaves no trace of itself and never replaces one; what a killed build left is
 * removed by the next build, never while its process lives.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { buildNewWorkbench, removeDeadBuilds } from '../../../src/adapters/embedded/workbench-build';
import { openWorkbenchDatabase } from '../../../src/adapters/embedded/workbench-store';

const buildFiles = (out: string): string[] => readdirSync(out).filter((name) => name.startsWith('workbench.db.build-'));

/** A plain reader's view of <out>/workbench.db: its mode, its integrity and the rows of table t. */
function readBack(out: string): { mode: unknown; integrity: unknown; rows: unknown[] } {
  const db = new Database(join(out, 'workbench.db'), { readonly: true, fileMustExist: true });
  try {
    return { mode: db.pragma('journal_mode', { simple: true }), integrity: db.pragma('integrity_check', { simple: true }), rows: db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all() };
  } finally {
    db.close();
  }
}

describe('a new workbench built whole and put in place (REC-PERF-1)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'workbench-build-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('property: what the build wrote is workbench.db, whole, in WAL mode, and nothing else is left', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string(), { maxLength: 200 }), async (values) => {
        const out = join(root, `out-${(n += 1)}`);
        const placed = await buildNewWorkbench(out, async (db) => {
          db.exec('CREATE TABLE t (v TEXT)');
          const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
          db.transaction(() => values.forEach((v) => insert.run(v)))();
        });
        expect(placed).toBe(true);
        // (Listed before it is read: a read-only reader of a WAL store leaves its -wal and -shm behind.)
        expect(readdirSync(out)).toEqual(['workbench.db']);
        expect(readBack(out)).toEqual({ mode: 'wal', integrity: 'ok', rows: values });
      }),
      { numRuns: 25 },
    );
  });

  it('a workbench already there: nothing is built and it is left as it was', async () => {
    const db = openWorkbenchDatabase(root);
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('theirs')");
    db.close();
    const build = jest.fn(async () => undefined);
    await expect(buildNewWorkbench(root, build)).resolves.toBe(false);
    expect(build).not.toHaveBeenCalled();
    expect(readBack(root).rows).toEqual(['theirs']);
    expect(buildFiles(root)).toEqual([]);
  });

  it('a workbench that appears during the build is never replaced: the build is dropped', async () => {
    const placed = await buildNewWorkbench(root, async (mine) => {
      mine.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('mine')");
      // Meanwhile someone else opens the workbench (it creates workbench.db) and writes to it.
      const theirs = openWorkbenchDatabase(root);
      theirs.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('theirs')");
      theirs.close();
    });
    expect(placed).toBe(false);
    expect(readBack(root).rows).toEqual(['theirs']);
    expect(buildFiles(root)).toEqual([]);
  });

  it.each(['EPERM', 'ENOTSUP', 'EXDEV'])('a file system that refuses the link (%s): the build is dropped, nothing is left', async (code) => {
    const link = jest.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error(`${code}: operation refused`), { code });
    });
    try {
      await expect(buildNewWorkbench(root, async (db) => void db.exec('CREATE TABLE t (v TEXT)'))).resolves.toBe(false);
      expect(link).toHaveBeenCalledTimes(1);
      expect(readdirSync(root)).toEqual([]);
    } finally {
      link.mockRestore();
    }
  });

  it('two builds at once in one process: each in its own file, the first finished is placed, the other dropped', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = buildNewWorkbench(root, async (db) => {
      db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('slow')");
      await held;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(buildFiles(root)).toHaveLength(1);
    let beside: string[] = [];
    await expect(
      buildNewWorkbench(root, async (db) => {
        db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('quick')");
        beside = buildFiles(root);
      }),
    ).resolves.toBe(true);
    // Neither build touched the other's file.
    expect(beside).toHaveLength(2);
    release();
    await expect(slow).resolves.toBe(false);
    expect(readdirSync(root)).toEqual(['workbench.db']);
    expect(readBack(root).rows).toEqual(['quick']);
  });

  it('a build that fails raises its error and leaves nothing', async () => {
    await expect(
      buildNewWorkbench(root, async (db) => {
        db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('half')");
        throw new Error('case store unreadable');
      }),
    ).rejects.toThrow('case store unreadable');
    expect(readdirSync(root)).toEqual([]);
  });

  it('a build killed midway (SIGKILL) leaves no workbench.db; the next build removes what it left and is placed', async () => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', join(__dirname, 'support', 'build-then-stop.ts'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('building') ? resolve() : undefined));
      child.on('exit', () => reject(new Error('the builder ended before it was building')));
    });
    child.kill('SIGKILL');
    expect(await ended).toBe('SIGKILL');
    expect(existsSync(join(root, 'workbench.db'))).toBe(false);
    const left = buildFiles(root);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((name) => name.startsWith(`workbench.db.build-${child.pid}-`))).toBe(true);

    await expect(buildNewWorkbench(root, async (db) => void db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('next')"))).resolves.toBe(true);
    expect(readdirSync(root)).toEqual(['workbench.db']);
    expect(readBack(root).rows).toEqual(['next']);
  }, 60_000);

  it('the housekeeping never fails a run: an --out it cannot list is left as it is', () => {
    const plain = join(root, 'plain');
    writeFileSync(plain, 'not a directory');
    expect(() => removeDeadBuilds(plain)).not.toThrow();
    expect(() => removeDeadBuilds(join(plain, 'below'))).not.toThrow();
  });

  it("a live builder's file is left alone; a dead one's (or one no process names) is removed", async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60_000)'], { stdio: 'ignore' });
    try {
      const live = `workbench.db.build-${sleeper.pid}-0`;
      // A pid far above any pid_max (2^22) names no process.
      const dead = ['workbench.db.build-99999999-0', 'workbench.db.build-99999999-0-journal', 'workbench.db.build-unnamed'];
      for (const name of [live, ...dead]) writeFileSync(join(root, name), 'left by a build');
      await expect(buildNewWorkbench(root, async (db) => void db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('new')"))).resolves.toBe(true);
      expect(readdirSync(root).sort()).toEqual(['workbench.db', live].sort());
      expect(readBack(root).rows).toEqual(['new']);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
