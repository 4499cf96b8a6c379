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

export function calibrationLine(calibration: Calibration): string {
  return `calibration: ${calibration.rows.toLocaleString('en')} SQLite inserts in one transaction (better-sqlite3, WAL) in ${calibration.ms.toFixed(0)} ms = ${calibration.rowsPerSecond.toLocaleString('en')} rows/s`;
}

if (require.main === module) console.log(calibrationLine(calibrate()));
