/**
 * REH-1: `npm run rehearse` at a small count: the dev environment synthesized from this checkout with
 * real bundles, booted on the stand-ins, 300 authorisations (+ one poisoned record) through the
 * deployed functions, redeliveries and a transient fault injected, the sweeper schedule fired, a
 * statement reconciled; then the operating-mode functions (ingest-batch by its S3 rule, authorise
 * invoked synchronously, the flow auditor by its schedule after a payment's event was lost between
 * stages); the customer edge (a partner subscribed to the modes' posted payments: notify, then the
 * webhook sweeper after a refused delivery; audit-stream on the audited tables' streams into a
 * local PostgreSQL); everything compared with the embedded CLI on the same inputs.
 *
 * Red whenever the deployed system would not do what the embedded one does: a difference in
 * balances, posting records or reconciliation results, any IAM denial (a missing grant, see
 * gateway.test.ts), any dead letter other than the poisoned record, any function that cannot
 * start, any named finding. The last case removes one grant a mode function uses from the kept
 * synth and sees the rehearsal name the denial.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RehearsalReport } from '../../rehearsal/rehearse';
import { dev } from '../../environments/dev';
import { RehearsalCloud } from '../../rehearsal/cloud';
import { loadDeployment } from '../../rehearsal/deployment';
import { EXTERNAL_PREFIX } from '../../rehearsal/gateway';
import { rehearseModes } from '../../rehearsal/modes';
import { sharedFunctionBundlesDir } from '../support/shared-build';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ledgerline-rehearsal-test-'));
/** The run's work directory, kept: the synth with its real bundles is reused by the last case. */
const work = join(dir, 'work');
let report: RehearsalReport;
let output = '';

beforeAll(
  () => {
    const reportFile = join(dir, 'report.json');
    // The run's shared bundles of every function (test/support/shared-build.ts: this checkout, built
    // once a run as the synth builds them), rather than bundling them all again.
    const bundles = sharedFunctionBundlesDir();
    const args = ['rehearsal/rehearse.ts', '--env', 'dev', '--count', '300', '--bundles', bundles, '--report', reportFile, '--keep', work];
    // One Node process with tsx's hooks (`--import tsx`; the run's dynamic imports need its ES module
    // loader too): the tsx command would start a second Node process to run the first one.
    const run = spawnSync(process.execPath, ['--import', 'tsx', ...args], {
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

/** The main traffic's comparison (the modes' own are asserted by their cases below). */
const MAIN_COMPARISONS = new Set(['balance', 'posting record', 'legs', 'balance vs legs', 'reconciliation', 'reconciliation result']);

describe('rehearsal of the dev deployment (300 authorisations)', () => {
  it('ends with the balances, posting records and reconciliation results of the embedded run', () => {
    expect(report.differences.filter((difference) => MAIN_COMPARISONS.has(difference.what))).toEqual([]);
    expect(report.postingRecords.rehearsal).toBe(report.postingRecords.embedded);
    expect(report.postingRecords.rehearsal).toBeGreaterThan(200);
    expect(report.reconciliation.status).toBe('SUCCEEDED');
  });

  it('denies no call: every function, the Pipe, the schedule and the state machines hold the grants they use', () => {
    expect(report.authorizer.kind).toBe('iam-contract');
    expect(report.denials).toEqual([]);
  });

  it("dead-letters exactly the poisoned authorisation, on the Pipe's DLQ, and nothing else: nothing on the notifier's DLQ", () => {
    expect(report.deadLetters.filter((letter) => !letter.expected)).toEqual([]);
    expect(report.deadLetters).toHaveLength(1);
    expect(report.deadLetters[0]!.queue).toMatch(/-authorisations-pipe-dlq$/);
    const notifyQueues = report.queues.filter((queue) => /-notify-events(-dlq)?$/.test(queue.queue));
    expect(notifyQueues.map((queue) => queue.queue.replace(/^.*-notify-events/, 'notify-events')).sort()).toEqual(['notify-events', 'notify-events-dlq']);
    expect(notifyQueues.map((queue) => [queue.queue, queue.movedToDlq, queue.queue.endsWith('-dlq') ? queue.depth : 0])).toEqual(notifyQueues.map((queue) => [queue.queue, 0, 0]));
    expect(report.gaps.map((entry) => entry.name)).not.toContain('Notifications of batch and real-time payments on AWS');
    expect(report.embeddedSummary.invalid).toBe(1);
  });

  it("notify (NOTIFY-2, HOOK-1): every payment the batch and real-time modes post (found in the flow journal) is told to the subscribed partner once, signed as the product's verifier accepts", () => {
    const notifications = report.notifications!;
    expect(notifications.posted.batch).toBeGreaterThan(20);
    expect(notifications.posted.realTime).toBe(1);
    expect(notifications.missing).toEqual([]);
    expect(notifications.twice).toEqual([]);
    expect(notifications.unverified).toEqual([]);
    expect(notifications.delivered).toBe(notifications.posted.batch + notifications.posted.realTime + notifications.posted.other);
    const notify = report.functions.find((fn) => fn.name === 'notify')!;
    expect(notify.invocations).toBeGreaterThan(0);
    expect(notify.initErrors).toEqual([]);
  });

  it('webhook-sweeper (HOOK-2): a delivery the partner refused is parked RETRYING; after the partner recovers, the schedule-fired sweeper delivers it once, signed, and a second sweep finds nothing', () => {
    const sweeper = report.notifications!.sweeper!;
    expect(sweeper.reference).toMatch(/^AUTH-[0-9]+-R-/);
    expect(sweeper.refusedRequests).toBeGreaterThanOrEqual(1);
    expect(sweeper.parked).toMatchObject({ status: 'RETRYING', attempts: sweeper.refusedRequests, dueAt: expect.any(String) });
    expect(sweeper.sweeps).toEqual([expect.objectContaining({ examined: 1, delivered: 1, deadLettered: 0 }), expect.objectContaining({ examined: 0, delivered: 0 })]);
    expect(sweeper.deliveredAfterRecovery).toBe(1);
    expect(sweeper.verified).toBe(true);
    expect(sweeper.final).toEqual({ status: 'COMPLETED', attempts: sweeper.refusedRequests + 1, lastBy: expect.stringMatching(/^sweeper:/) });
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

  it("audit-stream (AUDIT-1): the audited tables' stream records, batched as the synthesized mappings batch them and partly delivered twice, land in the audit trail (PostgreSQL over TLS at the synthesized endpoint) once each, and the chain verifies", () => {
    const audit = report.audit!;
    expect(audit.endpoint).toMatch(/^ledgerline-dev-audit\.cluster-[a-z0-9]+\.eu-west-2\.rds\.amazonaws\.com:5432$/);
    expect(audit.invocationErrors).toEqual([]);
    expect(Object.keys(audit.records).sort()).toEqual(['ledgerline-dev-ledger', 'ledgerline-dev-transactions', 'ledgerline-dev-workbench']);
    expect(audit.records['ledgerline-dev-ledger']).toBeGreaterThan(report.postingRecords.rehearsal);
    expect(audit.redelivered).toBeGreaterThan(0);
    expect(audit.expectedRows).toBeGreaterThan(report.postingRecords.rehearsal);
    expect({ rows: audit.rows, duplicates: audit.duplicates, missing: audit.missing, intact: audit.intact, faults: audit.faults }).toEqual({
      rows: audit.expectedRows,
      duplicates: 0,
      missing: [],
      intact: true,
      faults: [],
    });
    expect(report.gaps.map((gap) => gap.name).filter((name) => name.endsWith('-audit-stream'))).toEqual([]);
  });

  it('has no findings and no difference, and exits 0', () => {
    expect(report.findings).toEqual([]);
    expect(report.differences).toEqual([]);
    expect(report.equal).toBe(true);
    expect(report.functions.flatMap((fn) => fn.initErrors)).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it("ingest-batch (MODE-2): the file uploaded under the rule's prefix reaches it by the synthesized S3 → default-bus rule and is posted as the embedded ingest posts it; the same file again posts nothing", () => {
    const batch = report.modes.batch!;
    expect(batch.rule).toMatch(/-batch-uploaded$/);
    expect(batch.first).toMatchObject({ outcome: 'posted', attempts: 1 });
    expect(batch.first!.summary).toMatchObject({ received: batch.lines, invalid: 1, failed: 0 });
    expect(Number(batch.first!.summary!.posted)).toBeGreaterThan(20);
    expect(Number(batch.first!.summary!.duplicates)).toBeGreaterThan(0);
    expect(batch.again?.outcome).toBe('already-posted');
    expect(batch.addedByAgain).toEqual({ records: 0, legs: 0 });
    expect(batch.invocations).toBe(2);
    expect(batch.embeddedFirst).toEqual(batch.first);
    expect(batch.embeddedAgain?.outcome).toBe('already-posted');
  });

  it('authorise (MODE-4): answers each call synchronously as the embedded authorise does; the same call again is a duplicate (nothing posted again), its twin a duplicate, a decline declined; the posting is in the ledger table', () => {
    expect(report.modes.authorise!.caller).toBe(`arn:aws:iam::${dev.realTimeCallers[0]!.accountId}:role/${dev.realTimeCallers[0]!.roleName}`);
    const calls = report.modes.authorise!.calls;
    expect(calls.map((call) => (call.outcome as { outcome?: string }).outcome)).toEqual(['posted', 'duplicate', 'duplicate', 'declined']);
    const [first, again] = calls as [(typeof calls)[0], (typeof calls)[0]];
    expect(again.outcome).toEqual({ outcome: 'duplicate', authorizationId: first.authorizationId, reason: `authorisation ${first.authorizationId} was received before: nothing posted again` });
    expect(first.legsInLedger).toBe((first.outcome as { legs: unknown[] }).legs.length);
    expect(first.legsInLedger).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(call.outcome).toEqual(call.embedded);
    expect((calls[2]!.outcome as { originalAuthorizationId?: string }).originalAuthorizationId).toBe(first.authorizationId);
  });

  it("flow-auditor (FLOW-1..3): a payment whose event was lost between stages is found stuck by the schedule's target, re-emitted and posted once; the metric its alarm watches is emitted and stays below the threshold", () => {
    const flow = report.modes.flow!;
    expect(flow.lostAt).toMatch(/^(queue|bus) /);
    expect(flow.first).toMatchObject({ stuck: 1, repaired: 1, stuckUnrepaired: 0 });
    expect(flow.second).toMatchObject({ stuck: 0, stuckUnrepaired: 0, repaired: 0 });
    expect(flow.posted).toBe(true);
    const alarm = flow.alarms.find((candidate) => candidate.metric === 'FlowStuckUnrepaired');
    expect(alarm).toMatchObject({ namespace: 'Ledgerline', dimensions: { Environment: 'dev' }, emitted: 0, breached: false });
  });

  it('the modes add to the ledger and the outbox exactly what the embedded run adds from the same inputs', () => {
    expect(report.differences.filter((difference) => difference.what.startsWith('modes') || difference.what.includes('outcome') || difference.what === 'ingest-batch')).toEqual([]);
    expect(report.modes.added.records).toBe(report.modes.added.embeddedRecords);
    expect(report.modes.added.records).toBeGreaterThan(20);
    expect(report.modes.findings).toEqual([]);
  });

  it('a mode function without a grant it uses fails under the synthesized IAM, the denial named: authorise without dynamodb:PutItem on the rules-state table (its FLOW-1 journal)', async () => {
    const synth = join(dir, 'no-journal-grant');
    cpSync(join(work, 'synth'), synth, { recursive: true });
    const table = removeGrant(synth, 'fn-authorise_role_policy', 'TableRulesState', 'dynamodb:PutItem');
    const cloudWork = mkdtempSync(join(dir, 'denied-'));
    const cloud = new RehearsalCloud({ deployment: loadDeployment(synth, 'dev'), synthDir: synth, workDir: cloudWork, announce: () => undefined });
    await cloud.start();
    try {
      const modes = await rehearseModes({
        cloud,
        workDir: cloudWork,
        seed: 7,
        outside: (who) => ({ accessKeyId: `${EXTERNAL_PREFIX}${who}`, secretAccessKey: 'x' }),
        log: () => undefined,
        only: ['authorise'],
        compare: false,
      });
      expect(modes.authorise!.calls.map((call) => 'error' in call.outcome)).toEqual([true, true, true, true]);
      expect(modes.findings.filter((finding) => finding.startsWith('authorise (one authorisation) failed:'))).toHaveLength(1);
      const denials = [...cloud.gateway.denials.values()].map((denial) => [denial.caller, denial.action, denial.resource]);
      expect(denials).toEqual([['function authorise', 'dynamodb:PutItem', table]]);
    } finally {
      await cloud.stop();
    }
  }, 120_000);
});

/** Removes `action` from the statement `sid` of the role policy `policyPrefix`* in the app stack; returns the statement's resource. */
function removeGrant(synth: string, policyPrefix: string, sid: string, action: string): string {
  const file = join(synth, 'stacks', 'ledgerline-dev-app', 'cdk.tf.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { resource: Record<string, Record<string, { policy: string }>> };
  const policies = json.resource.aws_iam_role_policy!;
  const address = Object.keys(policies).find((key) => key.startsWith(policyPrefix));
  if (!address) throw new Error(`no role policy ${policyPrefix}* in ${file}`);
  const document = JSON.parse(policies[address]!.policy) as { Statement: { Sid?: string; Action: string | string[]; Resource: string | string[] }[] };
  const statement = document.Statement.find((candidate) => candidate.Sid === sid);
  const actions = statement ? (Array.isArray(statement.Action) ? statement.Action : [statement.Action]) : [];
  if (!statement || !actions.includes(action)) throw new Error(`${address}: statement ${sid} does not grant ${action}`);
  statement.Action = actions.filter((candidate) => candidate !== action);
  policies[address]!.policy = JSON.stringify(document);
  writeFileSync(file, JSON.stringify(json));
  return [statement.Resource].flat()[0]!;
}
