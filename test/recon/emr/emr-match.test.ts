/**
 * REC-EMR-1: the EMR scale path without Spark.
 *   - The Spark driver (emr/recon_spark.py, its decisions in emr/recon_logic.py) run as EMR would,
 *     with in-memory pyspark stand-ins and RDD.pipe spawning the REAL bundle
 *     (dist/emr/matcher-pipe.js built by scripts/bundle-functions.ts) once per Spark partition:
 *     on generated labelled runs its merged results equal matchAll over the same rows, every
 *     manifest item gets a result, excluded lines are never matched.
 *   - The pipe protocol: empty input, an empty partition, a huge line, bad JSON, a blank line, a
 *     row of another partition, bad arguments; errors name the line and partition, never content;
 *     no card number reaches stdout or stderr.
 *   - The driver's own refusals: another run's row, a bad row, a failing pipe.
 *   - emr/tests (python3 -m unittest) pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleEmrMatcher } from '../../../scripts/bundle-functions';
import { containsPan } from '../../../src/domain/pan';
import { defaultRuleSet, generateLabelledSet, matchAll, matchPartition, mergeResults, partitionInputs, prng, serialisePartition } from '../../../src/recon/matching';
import type { LedgerEntry, MatchResult, StatementLine } from '../../../src/recon/types';

const ROOT = resolve(__dirname, '../../..');
const BUCKET = 'ledgerline-dev-analytics';
const CONFIG = { confirmThreshold: '0.90', staleAfterDays: 30, matchConcurrency: 10 };

let work: string;
let bundle: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ledgerline-emr-'));
  const executor = join(work, 'executor');
  bundle = bundleEmrMatcher(executor).outFile;
  mkdirSync(join(executor, 'node', 'bin'), { recursive: true });
  symlinkSync(process.execPath, join(executor, 'node', 'bin', 'node'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function rules() {
  return { ...defaultRuleSet(), confirmThreshold: 0.9, staleAfterDays: 30 };
}

function pipe(args: string[], input: string) {
  const done = spawnSync(process.execPath, [bundle, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { status: done.status, stdout: done.stdout, stderr: done.stderr };
}

interface RunFiles {
  runId: string;
  lines: StatementLine[];
  entries: LedgerEntry[];
  excluded: Set<string>;
  items: string[];
  asOf: string;
}

/** The normalise step's objects for a run (statement lines in two part files), under s3Root. */
function writeRun(s3Root: string, run: RunFiles, extra: { statementText?: string; ledgerText?: string } = {}): void {
  const base = join(s3Root, BUCKET, 'normalised', run.runId);
  mkdirSync(join(base, 'statement-lines'), { recursive: true });
  mkdirSync(join(base, 'ledger-entries'), { recursive: true });
  const ndjson = (rows: object[], more: Record<string, string>) => rows.map((row) => `${JSON.stringify({ ...row, ...more })}\n`).join('');
  const half = Math.floor(run.lines.length / 2);
  writeFileSync(join(base, 'statement-lines', 'part-00000.ndjson'), ndjson(run.lines.slice(0, half), { sourceFileSha256: 'a'.repeat(64), runId: run.runId }));
  writeFileSync(join(base, 'statement-lines', 'part-00001.ndjson'), ndjson(run.lines.slice(half), { sourceFileSha256: 'a'.repeat(64), runId: run.runId }) + (extra.statementText ?? ''));
  writeFileSync(join(base, 'ledger-entries', 'part-00000.ndjson'), ndjson(run.entries, { runId: run.runId }) + (extra.ledgerText ?? ''));
  const manifest = {
    runId: run.runId,
    asOf: run.asOf,
    partitions: run.items.map((id) => ({ id, key: `normalised/${run.runId}/partitions/${id}.json`, rows: 1 })),
    ...(run.excluded.size > 0
      ? { excludedFromMatching: { counts: { pending: run.excluded.size }, lines: [...run.excluded].map((statementLineId) => ({ statementLineId, reason: 'pending', detail: 'booked later' })) } }
      : {}),
  };
  writeFileSync(join(base, 'run.json'), `${JSON.stringify(manifest)}\n`);
}

function runDriver(s3Root: string, run: RunFiles, sparkPartitions: number, config: object = CONFIG) {
  const args = ['--s3-root', s3Root, '--workdir', join(work, 'executor'), '--spark-partitions', String(sparkPartitions), '--'];
  args.push('--run-id', run.runId, '--analytics-bucket', BUCKET, '--as-of', run.asOf, '--config', JSON.stringify(config));
  const done = spawnSync('python3', [join(__dirname, 'run_driver.py'), ...args], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, maxBuffer: 1 << 28 });
  return { status: done.status, stdout: done.stdout, stderr: done.stderr };
}

function itemResults(s3Root: string, run: RunFiles): MatchResult[] {
  return run.items.map((id) => JSON.parse(readFileSync(join(s3Root, BUCKET, 'matches', 'runs', run.runId, 'partitions', `${id}.json`), 'utf8')) as MatchResult);
}

describe('the Spark driver with the real matcher bundle (no Spark)', () => {
  const cases = [
    { seed: 1, lines: 300, items: 1, sparkPartitions: 1 },
    { seed: 2, lines: 1200, items: 3, sparkPartitions: 4 },
    { seed: 3, lines: 2500, items: 7, sparkPartitions: 3 },
    { seed: 4, lines: 40, items: 12, sparkPartitions: 8 }, // more items and Spark partitions than account/currency partitions
  ];
  it.each(cases)('seed $seed: $lines lines, $items items, $sparkPartitions Spark partitions → the same result as matchAll', ({ seed, lines, items, sparkPartitions }) => {
    const generated = generateLabelledSet({ seed, statementLines: lines, ledgerEntries: Math.round(lines * 1.1), accounts: 3 + (seed % 4), asOf: '2026-03-31' });
    const random = prng(seed * 7919);
    // Text the line splitters of Spark, Python and Node must all leave whole: U+2028/U+2029, CR/LF escapes, quotes, non-BMP.
    const odd = ['a\u2028b', 'c\u2029d', 'e\r\nf', '"q",\\', '😀 Zürich €'];
    const set = { ...generated, statementLines: generated.statementLines.map((line, i) => (i % 7 === 0 ? { ...line, remittanceInformation: odd[i % odd.length]! } : line)) };
    const excluded = new Set(set.statementLines.filter(() => random() < 0.05).map((line) => line.statementLineId));
    const run: RunFiles = {
      runId: `run-emr-${seed}`,
      lines: set.statementLines,
      entries: set.ledgerEntries,
      excluded,
      items: Array.from({ length: items }, (_, i) => `p-${String(i).padStart(5, '0')}`),
      asOf: set.asOf,
    };
    const s3Root = join(work, `s3-${seed}`);
    writeRun(s3Root, run);
    const done = runDriver(s3Root, run, sparkPartitions);
    if (done.status !== 0) throw new Error(`driver failed: ${done.stderr}`);
    const log = JSON.parse(done.stdout) as { pipes: number[]; written: string[] };
    expect(log.written.sort()).toEqual(run.items.map((id) => `s3://${BUCKET}/matches/runs/${run.runId}/partitions/${id}.json`));
    expect(log.pipes.length).toBeGreaterThanOrEqual(sparkPartitions);
    const partitions = partitionInputs(
      set.statementLines.filter((line) => !excluded.has(line.statementLineId)),
      set.ledgerEntries,
    );
    expect(log.pipes.reduce((a, b) => a + b, 0)).toBe(partitions.size);

    const merged = mergeResults(itemResults(s3Root, run));
    const expected = matchAll(
      set.statementLines.filter((line) => !excluded.has(line.statementLineId)),
      set.ledgerEntries,
      rules(),
      set.asOf,
    );
    expect(merged).toEqual(expected);
    expect(expected.matches.length).toBeGreaterThan(0);
    // Excluded lines are never matched nor reported as exceptions by the matcher.
    const seen = new Set([...merged.matches.flatMap((m) => m.statementLineIds), ...merged.unmatched.filter((u) => u.side === 'statement').map((u) => u.id)]);
    for (const id of excluded) expect(seen.has(id)).toBe(false);
    expect(seen.size).toBe(set.statementLines.length - excluded.size);
  });

  it('refuses a row of another run, a row that is not JSON and a failing pipe, naming the location and line, never the content', () => {
    const set = generateLabelledSet({ seed: 9, statementLines: 60, accounts: 2, asOf: '2026-03-31' });
    const base: RunFiles = { runId: 'run-emr-bad', lines: set.statementLines, entries: set.ledgerEntries, excluded: new Set(), items: ['p-00000'], asOf: set.asOf };
    const secret = '4111111111111111';
    const cases: Array<[{ statementText?: string; ledgerText?: string }, RegExp]> = [
      [{ statementText: `${JSON.stringify({ ...set.statementLines[0], statementLineId: 'x', runId: 'other-run' })}\n` }, /statement-lines\/ line \d+: belongs to another run than run-emr-bad/],
      [{ statementText: `{"remittanceInformation": "${secret}"\n` }, /statement-lines\/ line \d+: not valid JSON/],
      [
        { ledgerText: `${JSON.stringify({ entryId: 'L-x', accountId: 'A', currency: 'EUR', runId: 'run-emr-bad', description: secret })}\n` },
        /ledger-entries\/ line \d+: field amount must be a string/,
      ],
      [
        { ledgerText: `${JSON.stringify({ ...set.ledgerEntries[0], entryId: 'L-bad-date', bookingDate: '2026-13-45', description: secret, runId: 'run-emr-bad' })}\n` },
        /pipe exited 2: matcher-pipe: line 1 \(partition "[^"]+"\)/,
      ],
    ];
    for (const [i, [extra, fault]] of cases.entries()) {
      const s3Root = join(work, `s3-bad-${i}`);
      writeRun(s3Root, base, extra);
      const done = runDriver(s3Root, base, 2);
      expect(done.status).toBe(1);
      expect(done.stderr).toMatch(fault);
      expect(done.stderr).not.toContain(secret);
      expect(containsPan(done.stderr)).toBe(false);
    }
  });

  it('refuses bad job arguments and a manifest of another run before reading any row', () => {
    const set = generateLabelledSet({ seed: 10, statementLines: 20, accounts: 2, asOf: '2026-03-31' });
    const run: RunFiles = { runId: 'run-emr-args', lines: set.statementLines, entries: set.ledgerEntries, excluded: new Set(), items: ['p-00000'], asOf: set.asOf };
    const s3Root = join(work, 's3-args');
    writeRun(s3Root, run);
    expect(runDriver(s3Root, { ...run, asOf: '31/03/2026' }, 1).stderr).toMatch(/--as-of '31\/03\/2026' is not a date YYYY-MM-DD/);
    expect(runDriver(s3Root, run, 1, { ruleSet: 'custom' }).stderr).toMatch(/rule set 'custom' is not bundled/);
    writeFileSync(join(s3Root, BUCKET, 'normalised', run.runId, 'run.json'), JSON.stringify({ runId: 'other', partitions: [] }));
    expect(runDriver(s3Root, run, 1).stderr).toMatch(/is not this run's manifest/);
  });
});

describe('matcher pipe protocol (dist/emr/matcher-pipe.js)', () => {
  const asOf = ['--as-of', '2026-03-31'];

  it('answers each partition line with its MatchResult, in order, equal to matchPartition', () => {
    const set = generateLabelledSet({ seed: 21, statementLines: 800, accounts: 5, asOf: '2026-03-31' });
    const inputs = [...partitionInputs(set.statementLines, set.ledgerEntries).values()];
    const { status, stdout, stderr } = pipe(asOf, inputs.map((input) => `${serialisePartition(input)}\n`).join(''));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(inputs.length);
    lines.forEach((line, i) => {
      const { partitionKey, ...result } = JSON.parse(line) as MatchResult & { partitionKey: string };
      expect(partitionKey).toBe(JSON.parse(serialisePartition(inputs[i]!)).partitionKey);
      expect(result).toEqual(matchPartition(inputs[i]!, defaultRuleSet(), '2026-03-31'));
    });
  });

  it('empty input → no output, exit 0; an empty partition → an empty result; CRLF line ends are accepted', () => {
    expect(pipe(asOf, '')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(pipe(asOf, '{"partitionKey":"","statementLines":[],"ledgerEntries":[]}\r\n')).toEqual({ status: 0, stdout: '{"partitionKey":"","matches":[],"unmatched":[]}\n', stderr: '' });
  });

  it('a huge line (one partition of tens of thousands of rows, megabytes) is read whole', () => {
    const set = generateLabelledSet({ seed: 22, statementLines: 15_000, accounts: 1, asOf: '2026-03-31' });
    const single = set.statementLines.filter((line) => line.accountId === set.statementLines[0]!.accountId && line.currency === set.statementLines[0]!.currency);
    const input = partitionInputs(single, set.ledgerEntries).values().next().value!;
    const line = serialisePartition(input);
    expect(line.length).toBeGreaterThan(2_000_000);
    const { status, stdout } = pipe(asOf, `${line}\n`);
    expect(status).toBe(0);
    const { partitionKey: _key, ...result } = JSON.parse(stdout) as MatchResult & { partitionKey: string };
    expect(result).toEqual(matchPartition(input, defaultRuleSet(), '2026-03-31'));
  });

  it('every class of bad input: exit 2, one stderr line naming the line (and partition), nothing after it processed, no content echoed', () => {
    const set = generateLabelledSet({ seed: 23, statementLines: 50, accounts: 2, asOf: '2026-03-31' });
    const [first, second] = [...partitionInputs(set.statementLines, set.ledgerEntries).values()];
    const good = serialisePartition(first!);
    const key = JSON.parse(good).partitionKey as string;
    const pan = '5555555555554444';
    const foreign = { ...JSON.parse(good), statementLines: [...first!.statementLines, { ...second!.statementLines[0]!, remittanceInformation: pan }] };
    const cases: Array<[string, RegExp]> = [
      [`{"partitionKey":"x","statementLines":[{"remittanceInformation":"${pan}"`, /^matcher-pipe: line 2 \(partition "x"\): not valid JSON\n$/],
      ['', /^matcher-pipe: line 2: a blank line is not a partition\n$/],
      ['[1,2,3]', /^matcher-pipe: line 2: expected \{ partitionKey, statementLines: \[\], ledgerEntries: \[\] \}\n$/],
      [JSON.stringify(foreign), new RegExp(`^matcher-pipe: line 2 \\(partition "${key.replace(/[|]/g, '\\|')}"\\): statementLines\\[\\d+\\] belongs to partition "[^"]+"\\n$`)],
      [
        JSON.stringify({ partitionKey: key, statementLines: [{ ...first!.statementLines[0], amount: 12.5, remittanceInformation: pan }], ledgerEntries: [] }),
        /statementLines\[0\]\.amount must be a string/,
      ],
      [
        JSON.stringify({ partitionKey: key, statementLines: [], ledgerEntries: [{ ...first!.ledgerEntries[0], bookingDate: 'yesterday', description: pan }] }),
        /^matcher-pipe: line 2 \(partition "[^"]+"\): /,
      ],
    ];
    for (const [bad, fault] of cases) {
      const { status, stdout, stderr } = pipe(asOf, `${good}\n${bad}\n${good}\n`);
      expect({ bad: bad.slice(0, 40), status }).toEqual({ bad: bad.slice(0, 40), status: 2 });
      expect(stderr).toMatch(fault);
      expect(stderr).not.toContain(pan);
      expect(stdout.split('\n').filter(Boolean)).toHaveLength(1); // the first line's result only
    }
  });

  it('refuses bad arguments before reading anything', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /--as-of YYYY-MM-DD is required/],
      [['--as-of', '2026-02-30'], /--as-of "2026-02-30" is not a date/],
      [['--as-of'], /--as-of needs a value/],
      [['--as-of', '2026-03-31', '--as-of', '2026-03-30'], /--as-of is given twice/],
      [['--as-of', '2026-03-31', '--confirm-threshold', '1.5'], /--confirm-threshold "1.5" is not a decimal between 0 and 1/],
      [['--as-of', '2026-03-31', '--confirm-threshold', 'NaN'], /--confirm-threshold "NaN"/],
      [['--as-of', '2026-03-31', '--stale-after-days', '-1'], /--stale-after-days "-1" is not a whole number/],
      [['--as-of', '2026-03-31', '--rules', 'x'], /unknown argument "--rules"/],
    ];
    for (const [args, fault] of cases) {
      const { status, stdout, stderr } = pipe(args, '{"partitionKey":"","statementLines":[],"ledgerEntries":[]}\n');
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(fault);
    }
  });

  it('the rule overrides change the result as rulesFromConfig would (stale age)', () => {
    const set = generateLabelledSet({ seed: 24, statementLines: 400, accounts: 2, asOf: '2026-03-31', days: 120 });
    const inputs = [...partitionInputs(set.statementLines, set.ledgerEntries).values()];
    const text = inputs.map((input) => `${serialisePartition(input)}\n`).join('');
    const out = (args: string[]) =>
      pipe([...asOf, ...args], text)
        .stdout.split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as MatchResult);
    const stale5 = out(['--stale-after-days', '5']);
    const stale90 = out(['--stale-after-days', '90', '--confirm-threshold', '0.95']);
    inputs.forEach((input, i) => {
      expect(stale5[i]).toMatchObject(matchPartition(input, { ...defaultRuleSet(), staleAfterDays: 5 }, '2026-03-31'));
      expect(stale90[i]).toMatchObject(matchPartition(input, { ...defaultRuleSet(), staleAfterDays: 90, confirmThreshold: 0.95 }, '2026-03-31'));
    });
    expect(JSON.stringify(stale5)).not.toBe(JSON.stringify(stale90));
  });

  it('no card number reaches the output, whatever the rows carry (generated PANs in every free-text field)', () => {
    const random = prng(25);
    const luhn = (body: string) => {
      let sum = 0;
      for (let i = 0; i < body.length; i += 1) {
        let d = Number(body[body.length - 1 - i]);
        if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
      }
      return body + String((10 - (sum % 10)) % 10);
    };
    const pan = () => luhn(`4${Array.from({ length: 14 }, () => Math.floor(random() * 10)).join('')}`);
    const set = generateLabelledSet({ seed: 25, statementLines: 600, accounts: 3, asOf: '2026-03-31' });
    const lines = set.statementLines.map((line) => ({ ...line, remittanceInformation: `card ${pan()}`, counterparty: pan(), customerReference: line.customerReference }));
    const entries = set.ledgerEntries.map((entry) => ({ ...entry, description: `paid with ${pan()}` }));
    const text = [...partitionInputs(lines, entries).values()].map((input) => `${serialisePartition(input)}\n`).join('');
    expect(containsPan(text)).toBe(true);
    const { status, stdout, stderr } = pipe(asOf, text);
    expect(status).toBe(0);
    expect(containsPan(stdout)).toBe(false);
    expect(stderr).toBe('');
  });
});

describe('emr/tests (python3 -m unittest)', () => {
  it('pass', () => {
    const done = spawnSync('python3', ['-m', 'unittest', 'discover', '-v', 'emr/tests'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    if (done.status !== 0) throw new Error(`emr unittest failed:\n${done.stderr}`);
    expect(Number(/Ran (\d+) tests?/.exec(done.stderr)?.[1])).toBeGreaterThanOrEqual(8);
  });
});
