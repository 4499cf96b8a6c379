/**
 * NFR3 / NFR5: kill -9 at points chosen by progress, then a re-run, gives exactly the ledger and
 * posting outbox of an uninterrupted run: nothing lost, nothing posted twice.
 *
 * Each kill is aimed at a point of the run, not at a moment: the process is watched from outside
 * (its committed state read-only, its write-ahead log, its outbox directory), frozen when a
 * trigger fires, and killed only if the frozen state is the intended point. Each test then
 * asserts where the kill landed, so a kill that came too early or too late fails the test instead
 * of quietly testing nothing.
 */
import Database from 'better-sqlite3';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { partitionDirs } from '../../src/runtime/state-layout';
import { runCli } from '../support/cli-in-process';
import type { KillTarget, WalCursor } from '../support/crash-observer';
import { committedLegs, killAt, outboxTempFiles, readWalTail, unwrittenOutboxFiles, walFramesPastCommit, walTails } from '../support/crash-observer';
import { outboxLines, sampleLines, tempDir } from '../support/runtime';

/** A commit of a wave writes hundreds of pages; the outbox's own bookkeeping writes one or two. */
const WAVE_COMMIT_FRAMES = 8;

interface Snapshot {
  legs: number;
  unwrittenOutboxFiles: number;
  outboxTempFiles: string[];
  uncommittedFrames: number[];
}

describe('the observer reads a write-ahead log as SQLite recovery does', () => {
  it('frames of an open transaction are uncommitted; a commit frame ends them; a torn frame does not count', () => {
    const path = join(tempDir(), 'wal.db');
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('wal_autocheckpoint = 0');
      db.pragma('cache_size = 8'); // pages: a larger transaction spills into the log before its commit
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
      const cache = new Map<string, WalCursor>();
      const before = readWalTail(`${path}-wal`, cache);
      expect(before.validFrames).toBeGreaterThan(0);
      expect(before.uncommittedFrames).toBe(0);
      expect(before.lastCommitFrame).toBe(before.validFrames);

      db.exec('BEGIN');
      const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
      for (let i = 0; i < 2000; i += 1) insert.run(i, 'x'.repeat(200));
      const open = readWalTail(`${path}-wal`, cache);
      expect(open.uncommittedFrames).toBeGreaterThan(20);
      expect(open.lastCommitFrame).toBe(before.lastCommitFrame);
      expect(readWalTail(`${path}-wal`)).toEqual(open); // the cache changes nothing

      db.exec('COMMIT');
      const committed = readWalTail(`${path}-wal`, cache);
      expect(committed.uncommittedFrames).toBe(0);
      expect(committed.lastCommitFrame).toBeGreaterThan(open.validFrames - 1);

      // Cut the log inside its last frame: that frame, the commit, no longer counts.
      truncateSync(`${path}-wal`, 32 + committed.validFrames * (24 + pageSize) - 100);
      const torn = readWalTail(`${path}-wal`);
      expect(torn.validFrames).toBe(committed.validFrames - 1);
      expect(torn.uncommittedFrames).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});

describe('crash recovery: kill -9 at chosen points of a run', () => {
  const dir = tempDir();
  const input = join(dir, 'auths.ndjson');
  // Each kill is aimed at an event (a count of committed legs, a wave's commit in the log, an outbox
  // file being written), so what matters is the number of waves, not their size: 3,000 lines in
  // waves of 250 are the 6 waves a partition that 6,000 in waves of 500 were, at half the work.
  writeFileSync(input, `${sampleLines(3000, 21, 0.02).join('\n')}\n`);
  const postArgs = (state: string) => ['post', '--input', input, '--state', state, '--json', '--wave-size', '250', '--partitions', '2'];

  it('after N committed legs, mid-commit, mid-outbox and late in the run; the re-run equals an uninterrupted run', async () => {
    const reference = join(dir, 'reference');
    // The uninterrupted run, the re-run and the reads run in process; the killed runs are processes.
    const uninterrupted = await runCli(postArgs(reference));
    expect(uninterrupted.status).toBe(0);
    const totalLegs = committedLegs(reference);
    expect(totalLegs).toBeGreaterThan(4_000);

    const crashed = join(dir, 'crashed');
    const walCache = new Map<string, WalCursor>();
    const snapshot = (): Snapshot => ({
      legs: committedLegs(crashed),
      unwrittenOutboxFiles: unwrittenOutboxFiles(crashed),
      outboxTempFiles: outboxTempFiles(crashed),
      uncommittedFrames: walTails(crashed, walCache).map((tail) => tail.uncommittedFrames),
    });
    const inRun = (s: Snapshot, after: number) => s.legs > after && s.legs < totalLegs;
    const partitionsOf = () => partitionDirs(crashed);
    const outboxesOf = () => partitionDirs(crashed).map((partition) => join(partition, 'outbox'));

    // Committed legs as last polled (every 100 ms): the cheap pre-check before freezing the run. A
    // poll opens each partition's database and counts its legs (a few ms of CPU, more as the run
    // grows); every 20 ms that was over 10 s of CPU a run. The kill points are still found exactly
    // (inspect reads the frozen state); a poll only says when inspecting is worth it.
    let legsPolled = 0;
    let polledAt = 0;
    const poll = (trigger: { kind: string }): boolean => {
      if (trigger.kind !== 'tick' || Date.now() - polledAt < 100) return false;
      polledAt = Date.now();
      legsPolled = committedLegs(crashed);
      return true;
    };
    const afterLegs = (atLeast: number, after: number): KillTarget<Snapshot> => ({
      name: `after ${atLeast} committed legs`,
      worthInspecting: (trigger) => poll(trigger) && legsPolled >= atLeast,
      inspect: () => {
        const s = snapshot();
        return s.legs >= atLeast && inRun(s, after) ? s : undefined;
      },
    });
    const midOutbox = (after: number, staleTemps: ReadonlySet<string>): KillTarget<Snapshot> => ({
      name: 'mid-outbox',
      watch: [outboxesOf],
      worthInspecting: (trigger) => {
        if (trigger.kind === 'tick') {
          poll(trigger);
          return false;
        }
        return trigger.file.endsWith('.tmp') && legsPolled > after;
      },
      inspect: () => {
        const s = snapshot();
        const writing = s.outboxTempFiles.some((file) => !staleTemps.has(file));
        return writing && s.unwrittenOutboxFiles > 0 && inRun(s, after) ? s : undefined;
      },
    });
    const midCommit = (after: number): KillTarget<Snapshot> => ({
      name: 'mid-commit',
      watch: [partitionsOf],
      worthInspecting: (trigger) => {
        if (trigger.kind === 'tick') {
          poll(trigger);
          return false;
        }
        if (!trigger.file.endsWith('-wal') || legsPolled <= after) return false;
        return walFramesPastCommit(join(trigger.dir, trigger.file), walCache) >= WAVE_COMMIT_FRAMES;
      },
      inspect: () => {
        const s = snapshot();
        return Math.max(...s.uncommittedFrames) >= WAVE_COMMIT_FRAMES && inRun(s, after) ? s : undefined;
      },
    });

    const tempsAtKills = new Set<string>();
    const kill = async (target: KillTarget<Snapshot>): Promise<Snapshot> => {
      const landed = await killAt(postArgs(crashed), target);
      for (const file of landed.landing.outboxTempFiles) tempsAtKills.add(file);
      expect(landed.signal).toBe('SIGKILL');
      // What was committed at the kill is what a reader sees after it: no commit lost, and a
      // transaction caught half-written in the log is not visible.
      expect(committedLegs(crashed)).toBe(landed.landing.legs);
      return landed.landing;
    };

    // 1. Early: the first waves are committed, most of the run is not.
    const early = Math.ceil(totalLegs * 0.15);
    const first = await kill(afterLegs(early, 0));
    expect(first.legs).toBeGreaterThanOrEqual(early);
    expect(first.legs).toBeLessThan(totalLegs);

    // 2. Mid-commit: a wave's transaction partly written to the log, its commit frame not.
    const second = await kill(midCommit(first.legs));
    expect(Math.max(...second.uncommittedFrames)).toBeGreaterThanOrEqual(WAVE_COMMIT_FRAMES);
    expect(second.legs).toBeGreaterThan(first.legs);
    expect(second.legs).toBeLessThan(totalLegs);

    // 3. Mid-outbox: postings committed, their outbox file allocated and being written (its temp
    //    file there), not yet recorded as written.
    const staleTemps = new Set(outboxTempFiles(crashed));
    const third = await kill(midOutbox(second.legs, staleTemps));
    expect(third.unwrittenOutboxFiles).toBeGreaterThan(0);
    expect(third.outboxTempFiles.filter((file) => !staleTemps.has(file))).not.toHaveLength(0);
    expect(third.legs).toBeGreaterThan(second.legs);
    expect(third.legs).toBeLessThan(totalLegs);

    // 4. Late: most of the run committed.
    const late = Math.ceil(totalLegs * 0.75);
    const fourth = await kill(afterLegs(Math.max(late, third.legs + 1), third.legs));
    expect(fourth.legs).toBeGreaterThanOrEqual(late);
    expect(fourth.legs).toBeLessThan(totalLegs);

    const rerun = await runCli(postArgs(crashed));
    expect(rerun.status).toBe(0);
    expect(committedLegs(crashed)).toBe(totalLegs);
    const ledger = async (state: string) => JSON.parse((await runCli(['ledger', '--state', state, '--json'])).stdout);
    expect(await ledger(crashed)).toEqual(await ledger(reference));
    expect(outboxLines(crashed)).toEqual(outboxLines(reference));
    expect(JSON.parse(rerun.stdout).ledger).toEqual(JSON.parse(uninterrupted.stdout).ledger);
    // The re-run finished every posting file it started; a temp file left behind is a killed run's.
    expect(outboxTempFiles(crashed).filter((file) => !tempsAtKills.has(file))).toEqual([]);
  }, 240_000);
});
