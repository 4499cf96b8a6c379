/**
 * The machine's yardstick, printed with every benchmark's figures in the same run: 1,000,000
 * SQLite inserts in one transaction with better-sqlite3, on a database opened exactly as the
 * posting state is (src/adapters/embedded/database.ts: WAL, synchronous=NORMAL). Figures taken on
 * different machines, or on one machine under different load, compare only through this number.
 *
 *   npm run bench:calibrate                 # on its own
 *   calibrationLine(calibrate())            # at the end of each bench/*.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateDatabase } from '../src/adapters/embedded/database';

export interface Calibration {
  rows: number;
  ms: number;
  rowsPerSecond: number;
}

export function calibrate(rows = 1_000_000): Calibration {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-calibrate-'));
  const db = openStateDatabase(dir);
  try {
    db.exec('CREATE TABLE calibration (id INTEGER PRIMARY KEY, account TEXT NOT NULL, amount_minor INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO calibration (id, account, amount_minor) VALUES (?, ?, ?)');
    const started = performance.now();
    db.transaction(() => {
      for (let i = 0; i < rows; i += 1) insert.run(i, `ACC-${i % 10_000}`, (i * 7919) % 1_000_000);
    })();
    const ms = performance.now() - started;
    return { rows, ms, rowsPerSecond: Math.round(rows / (ms / 1000)) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A second yardstick, for what the first does not see: what the machine charges for memory a
 * process touches for the first time (one minor page fault per 4 KiB page). On the virtual machines
 * these benchmarks run on it has been seen to vary on its own, from day to day, by several times,
 * while the SQLite inserts above did not: a run that touches a few GB of fresh memory (a 1M × 1M
 * reconcile takes about 760,000 minor faults) then changes its time with it (BENCHMARKS.md).
 * `megabytes` of fresh memory (malloc'd past its mmap threshold, so fresh pages), one byte a page
 * written, CPU time per page.
 */
export interface FaultCalibration {
  pages: number;
  ms: number;
  microsPerPage: number;
}

export function calibrateFaults(megabytes = 256): FaultCalibration {
  const page = 4096;
  const chunk = 16 * 2 ** 20;
  const started = process.cpuUsage();
  // Every chunk held to the end, so none is freed and handed out again (its pages already there).
  const held: Buffer[] = [];
  let pages = 0;
  for (let done = 0; done < megabytes * 2 ** 20; done += chunk) {
    const fresh = Buffer.allocUnsafeSlow(chunk);
    for (let i = 0; i < chunk; i += page) fresh[i] = 1;
    held.push(fresh);
    pages += chunk / page;
  }
  const used = process.cpuUsage(started);
  held.length = 0;
  const ms = (used.user + used.system) / 1000;
  return { pages, ms, microsPerPage: (ms * 1000) / pages };
}

export function faultCalibrationLine(calibration: FaultCalibration): string {
  return `page-fault calibration: ${calibration.pages.toLocaleString('en')} fresh 4 KiB pages touched in ${calibration.ms.toFixed(0)} ms of CPU = ${calibration.microsPerPage.toFixed(2)} µs a page`;
}

export function calibrationLine(calibration: Calibration): string {
  return `calibration: ${calibration.rows.toLocaleString('en')} SQLite inserts in one transaction (better-sqlite3, WAL) in ${calibration.ms.toFixed(0)} ms = ${calibration.rowsPerSecond.toLocaleString('en')} rows/s`;
}

if (require.main === module) {
  console.log(calibrationLine(calibrate()));
  console.log(faultCalibrationLine(calibrateFaults()));
}
