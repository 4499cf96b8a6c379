/**
 * REC-2: the Glue job's Python under jest. The pure module's unittest suite (glue/tests: record
 * parsing and validation, exact decimals, the generated-record properties, the wrapper's AST checks
 * and its run against stand-ins of the Glue/Spark APIs) must pass; the wrapper must compile; and
 * the columns the job writes must be the catalog tables the analytics stack declares.
 * Skipped loudly when python3 is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CATALOG_TABLES } from '../../stacks/analytics-stack';

const ROOT = resolve(__dirname, '../..');
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
// Never skipped: without python3 the suite fails naming what to install (`.ci/run` installs it).
const describePython = (name: string, body: () => void) =>
  describe(name, () => {
    beforeAll(() => {
      if (python.status !== 0) throw new Error('python3 is not on PATH: install Python 3.11 (Debian: apt-get install -y python3)');
    });
    body();
  });

/** No __pycache__ in the tree: the tests must leave the checkout as they found it. */
const run = (args: string[]) => spawnSync('python3', args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 120_000 });

describePython('Glue job (glue/normalise_statements.py + glue/normalise_logic.py)', () => {
  it('python3 -m unittest discover glue/tests passes', () => {
    const result = run(['-m', 'unittest', 'discover', '-v', 'glue/tests']);
    if (result.status !== 0) throw new Error(`glue unittest failed (exit ${result.status}):\n${result.stderr}\n${result.stdout}`);
    const ran = /Ran (\d+) tests?/.exec(result.stderr);
    expect(Number(ran?.[1])).toBeGreaterThanOrEqual(30);
    expect(result.stderr).toMatch(/\nOK\n?$/);
  });

  it('both scripts compile (python3 -m py_compile)', () => {
    const cache = mkdtempSync(join(tmpdir(), 'ledgerline-pycache-'));
    try {
      const result = spawnSync('python3', ['-m', 'py_compile', 'glue/normalise_statements.py', 'glue/normalise_logic.py'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, PYTHONPYCACHEPREFIX: cache },
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('writes exactly the catalog tables of the analytics stack (columns, order, types, partition keys)', () => {
    const result = run(['-c', 'import json, sys; sys.path.insert(0, "glue"); import normalise_logic; print(json.dumps(normalise_logic.catalog_tables()))']);
    expect(result.stderr).toBe('');
    const job = JSON.parse(result.stdout) as Record<string, { columns: string[][]; partitions: string[][] }>;
    const stack = Object.fromEntries(
      Object.entries(CATALOG_TABLES).map(([name, table]) => [
        name,
        { columns: table.columns.map(([column, type]) => [column, type]), partitions: table.partitions.map(([column, type]) => [column, type]) },
      ]),
    );
    expect(job).toEqual(stack);
  });
});
