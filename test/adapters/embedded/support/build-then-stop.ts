/**
 * A process that starts a new workbench (buildNewWorkbench) in argv[2], writes part of it and then
 * waits, so a test can kill it mid-build (SIGKILL) and see what it leaves.
 */
import { buildNewWorkbench } from '../../../../src/adapters/embedded/workbench-build';

const out = process.argv[2]!;
void buildNewWorkbench(out, async (db) => {
  db.exec('CREATE TABLE half (n INTEGER)');
  const insert = db.prepare('INSERT INTO half (n) VALUES (?)');
  db.transaction(() => {
    for (let n = 0; n < 50_000; n += 1) insert.run(n);
  })();
  db.exec('BEGIN');
  for (let n = 0; n < 50_000; n += 1) insert.run(n);
  process.stdout.write('building\n');
  await new Promise(() => undefined);
});
