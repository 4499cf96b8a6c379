/**
 * REH-1: `npm run rehearse` at a small count: the dev environment synthesized from this checkout with
 * real bundles, booted on the stand-ins, 300 authorisations (+ one poisoned record) through the
 * deployed functions, redeliveries and a transient fault injected, the sweeper schedule fired, a
 * statement reconciled; then compared with the embedded CLI on the same inputs.
 *
 * Red whenever the deployed system would not do what the embedded one does: a difference in
 * balances, posting records or reconciliation results, any IAM denial (a missing grant, see
 * gateway.test.ts), any dead letter other than the poisoned record, any function that cannot
 * start, any named finding.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RehearsalReport } from '../../rehearsal/rehearse';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ledgerline-rehearsal-test-'));
let report: RehearsalReport;
let output = '';

beforeAll(
  () => {
    const reportFile = join(dir, 'report.json');
    const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'rehearsal/rehearse.ts', '--env', 'dev', '--count', '300', '--report', reportFile], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60 * 1000,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    output = `${run.stdout}\n${run.stderr}`;
    try {
      report = JSON.parse(readFileSync(reportFile, 'utf8')) as RehearsalReport;
    } catch {
      throw new Error(`the rehearsal wrote no report (exit ${run.status}, signal ${run.signal}):\n${output.slice(-4000)}`);
    }
  },
  16 * 60 * 1000,
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rehearsal of the dev deployment (300 authorisations)', () => {
  it('ends with the balances, posting records and reconciliation results of the embedded run', () => {
    expect(report.differences).toEqual([]);
    expect(report.equal).toBe(true);
    expect(report.postingRecords.rehearsal).toBe(report.postingRecords.embedded);
    expect(report.postingRecords.rehearsal).toBeGreaterThan(200);
    expect(report.reconciliation.status).toBe('SUCCEEDED');
  });

  it('denies no call: every function, the Pipe, the schedule and the state machines hold the grants they use', () => {
    expect(report.authorizer.kind).toBe('iam-contract');
    expect(report.denials).toEqual([]);
  });

  it("dead-letters exactly the poisoned authorisation, on the Pipe's DLQ, and nothing else", () => {
    expect(report.deadLetters.filter((letter) => !letter.expected)).toEqual([]);
    const poisoned = report.deadLetters.filter((letter) => letter.expected);
    expect(poisoned).toHaveLength(1);
    expect(poisoned[0]!.queue).toMatch(/-authorisations-pipe-dlq$/);
    expect(report.embeddedSummary.invalid).toBe(1);
  });

  it('redeliveries (duplicate deliveries, expired visibility timeouts) post nothing twice: every leg once, in its record and its balance', () => {
    expect(report.redeliveries.duplicatesInjected).toBeGreaterThan(0);
    expect(report.redeliveries.visibilityExpiriesInjected).toBeGreaterThan(0);
    expect(report.redeliveries.redelivered).toBeGreaterThan(0);
    expect(report.postingRecords.legs).toBeGreaterThan(report.postingRecords.rehearsal);
    expect(report.postingRecords.legItems).toBe(report.postingRecords.legs);
    expect(Object.keys(report.transactions)).toEqual(['COMPLETED']);
  });

  it('a message that used every receive is parked, and the sweeper schedule re-drives it through the redrive state machine', () => {
    expect(report.sweeper.faultInjections).toBeGreaterThan(0);
    expect(report.sweeper.parked).toBe(true);
    expect(report.sweeper.redriveExecutions).toBeGreaterThan(0);
    expect(report.sweeper.runs.length).toBeGreaterThan(0);
  });

  it('has no findings, and exits 0', () => {
    expect(report.findings).toEqual([]);
    expect(report.functions.flatMap((fn) => fn.initErrors)).toEqual([]);
    expect(report.exitCode).toBe(0);
  });
});
