/**
 * REH-1: the operating-mode functions as deployed (MODE-2, MODE-4, FLOW-1..3), run on the booted
 * deployment after its main traffic and compared with the embedded CLI continuing the same state:
 * - ingest-batch: a file of authorisations uploaded under the prefix of the synthesized S3 → default
 *   bus rule that targets it reaches it through that rule and is posted; the same file uploaded
 *   again posts nothing (MODE-2); embedded: `ledgerline ingest --source <BATCH_SOURCE> --inbox`;
 * - authorise: invoked synchronously with one authorisation, the same authorisation again (a retried
 *   call), its re-sent twin (same business key, another id) and an issuer-declined one, answering
 *   the real-time outcome; the posting is read back from the ledger table (MODE-4); embedded:
 *   `ledgerline authorise` with the same requests, whose outcomes must be the same;
 * - flow-auditor: an authorisation written to the intake table whose `payment.authorised` event is
 *   lost on the bus (between ingest and the hot path) is found stuck by the auditor fired by its
 *   schedule's target, re-emitted and posted (FLOW-1..3); its EMF line carries the metric the
 *   synthesized alarm watches, with the alarm's namespace and dimensions; embedded: `ledgerline post`.
 * Every function runs its real bundle under the synthesized IAM: a missing grant is a denial the
 * report names. The comparison is of what the modes ADDED: the ledger's balance deltas and the new
 * posting records, deployed versus embedded.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { balancesFromLedgerItems, legsFromLedgerItems } from '../src/adapters/aws/dynamo-ledger-store';
import { fromMinorUnits, toMinorUnits } from '../src/domain/money';
import { authorisationLines } from '../src/generator/authorisations';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import type { RehearsalCloud } from './cloud';
import { settingOf, type Deployment, type FunctionDefinition } from './deployment';
import { embeddedCli, embeddedPostingRecords, postingRecordsOf, type EmbeddedBalance } from './embedded';
import type { InvokeOutcome } from './lambda-host';
import { diffMaps, type Difference } from './report';
import { authorisationItem } from './traffic';

export type ModeCase = 'batch' | 'authorise' | 'flow';
export const MODE_CASES: readonly ModeCase[] = ['batch', 'authorise', 'flow'];

type Credentials = { accessKeyId: string; secretAccessKey: string };

export interface ModesOptions {
  cloud: RehearsalCloud;
  workDir: string;
  seed: number;
  /** The embedded state of the run so far: copied, then continued with the modes' inputs (absent: a fresh state). */
  embeddedState?: string;
  /** The embedded balances and posting records of `embeddedState` (what the modes add is compared). */
  embeddedBefore?: { balances: readonly EmbeddedBalance[]; records: ReadonlyMap<string, string> };
  /** Credentials of a principal outside the deployment (an uploader, an upstream writer). */
  outside(who: string): Credentials;
  log(text: string): void;
  /** Which cases to run (default all, in order). */
  only?: readonly ModeCase[];
  /** Compare with the embedded CLI (default true). */
  compare?: boolean;
}

export interface BatchFileOutcomeSummary {
  outcome: string;
  attempts?: number;
  summary?: Record<string, unknown>;
}

export interface ModesReport {
  batch?: {
    bucket: string;
    key: string;
    rule: string;
    lines: number;
    first?: BatchFileOutcomeSummary;
    again?: BatchFileOutcomeSummary;
    embeddedFirst?: BatchFileOutcomeSummary;
    embeddedAgain?: BatchFileOutcomeSummary;
    /** Posting records and ledger legs the re-upload added (must be 0). */
    addedByAgain: { records: number; legs: number };
    invocations: number;
  };
  authorise?: {
    /** The synthesized trusted caller the calls are made as (MODE-4: a Lambda permission naming its role), if any. */
    caller?: string;
    calls: { name: string; authorizationId: string; outcome: Record<string, unknown> | { error: string }; embedded?: Record<string, unknown>; legsInLedger: number }[];
  };
  flow?: {
    planted: string;
    /** Where its payment.authorised was lost (a queue or a bus, and who sent it). */
    lostAt?: string;
    first?: Record<string, number>;
    second?: Record<string, number>;
    posted: boolean;
    /** The synthesized alarms on the auditor's metrics, with the value the audit after the repair reported. */
    alarms: { alarm: string; namespace: string; metric: string; dimensions: Record<string, string>; emitted?: number; threshold: number; breached?: boolean }[];
  };
  timings: Record<string, number>;
  /** Records and balance deltas the modes added: deployed vs embedded. */
  added: { records: number; embeddedRecords: number; accounts: number };
  differences: Difference[];
  findings: string[];
}

/** Every posting record in the outbox (`PR-<sequenceId>` → its lines), read by `client`. */
export async function readOutboxRecords(client: S3Client, bucket: string, prefix: string, findings?: string[]): Promise<Map<string, string>> {
  const records = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
      const content = await body.Body!.transformToString('utf8');
      // Keyed as the embedded outbox is: by the sequence id the record's lines carry; an object holds a batch (LEDGER-2).
      for (const [id, lines] of postingRecordsOf(content)) {
        const seen = records.get(id);
        if (seen !== undefined && seen !== lines) findings?.push(`posting record ${id} differs between outbox objects (${object.Key})`);
        records.set(id, lines);
      }
    }
    token = page.NextContinuationToken;
  } while (token);
  return records;
}

/** The ledger table's balances: account → currency and minor units (hot-account shards summed). */
export async function ledgerTotals(cloud: RehearsalCloud, ledgerTable: string): Promise<Map<string, { currency: string; minor: bigint }>> {
  const totals = new Map<string, { currency: string; minor: bigint }>();
  for (const balance of balancesFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never)) {
    const minor = toMinorUnits(balance.balance, balance.currency);
    const seen = totals.get(balance.accountId);
    totals.set(balance.accountId, { currency: balance.currency, minor: (seen?.minor ?? 0n) + minor });
  }
  return totals;
}

function balanceDelta(before: ReadonlyMap<string, { currency: string; minor: bigint }>, after: ReadonlyMap<string, { currency: string; minor: bigint }>): Map<string, string> {
  const delta = new Map<string, string>();
  for (const [accountId, total] of after) {
    const change = total.minor - (before.get(accountId)?.minor ?? 0n);
    if (change !== 0n) delta.set(`${accountId} ${total.currency}`, fromMinorUnits(change, total.currency));
  }
  for (const [accountId, total] of before) if (!after.has(accountId)) delta.set(`${accountId} ${total.currency}`, fromMinorUnits(-total.minor, total.currency));
  return delta;
}

function embeddedTotals(balances: readonly EmbeddedBalance[]): Map<string, { currency: string; minor: bigint }> {
  return new Map(balances.map((balance) => [balance.accountId, { currency: balance.currency, minor: toMinorUnits(balance.balance, balance.currency) }] as const));
}

function newRecords(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...after].filter(([id]) => !before.has(id)));
}

/** JSON with object keys sorted. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}

function modeFunction(deployment: Deployment, logicalName: string): FunctionDefinition | undefined {
  return deployment.functions.find((fn) => fn.logicalName === logicalName);
}

type Line = Record<string, unknown> & { authorizationId: string; responseCode: string; transmittedAt: string };

/** Generated authorisations under their own id prefix (no clash with the main traffic's). */
function generated(count: number, seed: number, tag: string, start: string, duplicateRate = 0): Line[] {
  return [...authorisationLines({ count, seed, duplicateRate, referenceData: loadReferenceData(), start })].map((text) => {
    const line = JSON.parse(text) as Line;
    return { ...line, authorizationId: line.authorizationId.replace(/^AUTH-[0-9]+-N/, `AUTH-${tag}-`) };
  });
}

const SUMMARY_FIELDS = ['received', 'invalid', 'notApproved', 'duplicates', 'rejected', 'declined', 'review', 'posted', 'failed'] as const;

function fileOutcome(value: unknown): BatchFileOutcomeSummary | undefined {
  const file = value as { outcome?: string; attempts?: number; summary?: Record<string, unknown> } | undefined;
  if (!file?.outcome) return undefined;
  return {
    outcome: file.outcome,
    ...(file.attempts !== undefined ? { attempts: file.attempts } : {}),
    ...(file.summary ? { summary: Object.fromEntries(SUMMARY_FIELDS.map((field) => [field, file.summary![field]])) } : {}),
  };
}

/** The EMF lines a function wrote to its log (CloudWatch turns them into metrics). */
function emfLines(logPath: string): Record<string, unknown>[] {
  if (!existsSync(logPath)) return [];
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export async function rehearseModes(options: ModesOptions): Promise<ModesReport> {
  const { cloud, log } = options;
  const deployment = cloud.deployment;
  const only = new Set(options.only ?? MODE_CASES);
  const compare = options.compare !== false;
  const findings: string[] = [];
  const differences: Difference[] = [];
  const timings: Record<string, number> = {};
  const report: ModesReport = { timings, added: { records: 0, embeddedRecords: 0, accounts: 0 }, differences, findings };
  let lap = performance.now();
  const timed = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - lap);
    lap = now;
  };
  const endpoint = cloud.gateway.endpoint;
  const region = deployment.region;
  const s3For = (credentials: Credentials) => new S3Client({ endpoint, region, credentials, forcePathStyle: true, maxAttempts: 5 });
  const observer = s3For(options.outside('report'));
  const ingestBucket = settingOf(deployment, 'INGEST_BUCKET');
  const outboxPrefix = settingOf(deployment, 'OUTBOX_PREFIX');
  const ledgerTable = settingOf(deployment, 'LEDGER_TABLE');
  const cli = embeddedCli();
  const dir = join(options.workDir, 'modes');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  // The embedded side continues a copy of the main run's state with the same inputs, in the same order.
  const state = join(dir, 'embedded-state');
  if (compare && options.embeddedState) cpSync(options.embeddedState, state, { recursive: true });
  const embeddedRecordsBefore = options.embeddedBefore?.records ?? new Map<string, string>();
  const embeddedBalancesBefore = embeddedTotals(options.embeddedBefore?.balances ?? []);
  const ledgerBefore = await ledgerTotals(cloud, ledgerTable);
  const recordsBefore = await readOutboxRecords(observer, ingestBucket, outboxPrefix, findings);

  timed('beforeMs');
  const legsOf = async (sequenceId: string) => legsFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never).filter((leg) => leg.sequenceId === sequenceId).length;

  // MODE-2 ----------------------------------------------------------------------------------------
  if (only.has('batch')) {
    const fn = modeFunction(deployment, 'ingest-batch');
    const rule = fn && deployment.rules.find((candidate) => candidate.targets.some((target) => target.arn.replace(/:(\$LATEST|[0-9]+)$/, '') === fn.arn));
    if (!fn) findings.push('the synth deploys no ingest-batch function (MODE-2)');
    else if (!rule) findings.push(`no synthesized rule targets ${fn.functionName}: no uploaded file ever reaches it (MODE-2)`);
    else {
      const prefix = (JSON.stringify(rule.pattern).match(/"prefix":"([^"]+)"/) ?? [])[1];
      const bucket = ((rule.pattern.detail as { bucket?: { name?: string[] } } | undefined)?.bucket?.name ?? [])[0] ?? ingestBucket;
      if (!prefix) findings.push(`rule ${rule.name} names no key prefix: the rehearsal cannot tell where batch files go (${JSON.stringify(rule.pattern)})`);
      const lines = generated(40, options.seed + 1, `${options.seed}-B`, '2026-11-02T00:00:00.000Z', 0.05).map((line) => JSON.stringify(line));
      // One line no schema accepts: counted invalid with its line number on both sides.
      lines.splice(7, 0, JSON.stringify({ authorizationId: `AUTH-${options.seed}-B-INVALID`, amount: { value: '1.00' } }));
      const content = `${lines.join('\n')}\n`;
      const fileName = `rehearsal-batch-${options.seed}.ndjson`;
      const key = `${prefix ?? 'incoming/authorisations/'}${fileName}`;
      report.batch = { bucket, key, rule: rule.name, lines: lines.length, addedByAgain: { records: 0, legs: 0 }, invocations: 0 };
      const uploader = s3For(options.outside('batch-upload'));
      const invocationsOf = () => cloud.asyncInvocations.filter((invocation) => cloud.lambdas.get(invocation.function)?.definition.arn === fn.arn);
      const upload = async (): Promise<BatchFileOutcomeSummary | undefined> => {
        const seen = invocationsOf().length;
        await uploader.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content, ContentType: 'application/x-ndjson' }));
        await cloud.settle();
        const invocation = invocationsOf()[seen];
        if (!invocation) {
          findings.push(`the upload of s3://${bucket}/${key} did not invoke ${fn.functionName} (rule ${rule.name})`);
          return undefined;
        }
        if (!invocation.outcome?.ok) {
          const error = invocation.outcome && !invocation.outcome.ok ? `${invocation.outcome.error.errorType}: ${invocation.outcome.error.errorMessage}` : 'no outcome';
          findings.push(`ingest-batch on s3://${bucket}/${key} failed (${invocation.attempts} attempts): ${error}`);
          return undefined;
        }
        const files = (invocation.outcome.result as { files?: unknown[] } | null)?.files ?? [];
        return fileOutcome(files[0]);
      };
      log(`batch file: ${lines.length} lines uploaded to s3://${bucket}/${key} (rule ${rule.name} → ${fn.functionName})\n`);
      report.batch.first = await upload();
      const afterFirstRecords = await readOutboxRecords(observer, ingestBucket, outboxPrefix);
      const afterFirstLegs = legsFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never).length;
      log(`  first upload: ${canonical(report.batch.first)}\n`);
      report.batch.again = await upload();
      log(`  the same file again: ${canonical(report.batch.again)}\n`);
      report.batch.addedByAgain = {
        records: (await readOutboxRecords(observer, ingestBucket, outboxPrefix)).size - afterFirstRecords.size,
        legs: legsFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never).length - afterFirstLegs,
      };
      report.batch.invocations = invocationsOf().length;
      if (report.batch.first?.outcome !== 'posted') findings.push(`ingest-batch: the first upload of ${key} ended ${canonical(report.batch.first)}, not posted`);
      if (report.batch.again && report.batch.again.outcome !== 'already-posted')
        findings.push(`ingest-batch: the re-upload of ${key} ended ${report.batch.again.outcome}, not already-posted (MODE-2)`);
      if (report.batch.addedByAgain.records !== 0 || report.batch.addedByAgain.legs !== 0)
        findings.push(`ingest-batch: the re-upload of ${key} added ${report.batch.addedByAgain.records} posting record(s) and ${report.batch.addedByAgain.legs} leg(s) (MODE-2: once per content)`);
      if (compare) {
        const inbox = join(dir, 'inbox');
        mkdirSync(inbox, { recursive: true });
        const source = fn.environment.BATCH_SOURCE ?? 'card-files';
        const ingest = async () => {
          writeFileSync(join(inbox, fileName), content);
          const out = await cli(['ingest', '--source', source, '--inbox', inbox, '--state', state, '--once', '--json']);
          return fileOutcome(JSON.parse(out.trim().split('\n')[0] ?? 'null'));
        };
        timed('batchMs');
        report.batch.embeddedFirst = await ingest();
        report.batch.embeddedAgain = await ingest();
        for (const [what, deployed, embedded] of [
          ['first upload', report.batch.first, report.batch.embeddedFirst],
          ['re-upload', report.batch.again, report.batch.embeddedAgain],
        ] as const) {
          const a = canonical({ outcome: embedded?.outcome, summary: embedded?.summary });
          const b = canonical({ outcome: deployed?.outcome, summary: deployed?.summary });
          if (a !== b) differences.push({ what: 'ingest-batch', key: what, embedded: a, rehearsal: b });
        }
        timed('batchEmbeddedMs');
      }
    }
  }

  // MODE-4 ----------------------------------------------------------------------------------------
  if (only.has('authorise')) {
    const fn = modeFunction(deployment, 'authorise');
    if (!fn) findings.push('the synth deploys no authorise function (MODE-4)');
    else {
      const pool = generated(60, options.seed + 2, `${options.seed}-R`, '2026-11-03T00:00:00.000Z');
      const approved = pool.filter((line) => line.responseCode === '00');
      const first = approved[0]!;
      const twin = { ...first, authorizationId: `${first.authorizationId}-TWIN` };
      const declined = { ...approved[1]!, responseCode: '51' };
      // The second call wraps the authorisation as the payments API may (`{ authorisation }`); the CLI reads it bare.
      const requests: { name: string; body: unknown; authorizationId: string }[] = [
        { name: 'one authorisation', body: first, authorizationId: first.authorizationId },
        { name: 'the same authorisation again (a retried call)', body: { authorisation: first }, authorizationId: first.authorizationId },
        { name: 'its re-sent twin (same business key, another id)', body: twin, authorizationId: twin.authorizationId },
        { name: 'an issuer-declined authorisation', body: declined, authorizationId: declined.authorizationId },
      ];
      // MODE-4: who may call it is the function's resource policy (aws_lambda_permission). The callers
      // are roles of other accounts, outside what the stand-ins model: the calls are made as the first
      // role a permission names, after checking the permission allows exactly lambda:InvokeFunction.
      const permissions = deployment.synth
        .resources('aws_lambda_permission')
        .map((ref) => deployment.synth.resolved(ref))
        .filter((values) => [fn.functionName, fn.arn].includes(String(values.function_name ?? '')) && /^arn:aws:iam::[0-9]{12}:role\//.test(String(values.principal ?? '')));
      const caller = permissions.find((values) => values.action === 'lambda:InvokeFunction' && values.qualifier === undefined);
      if (caller)
        cloud.gap(
          'Cross-account caller of authorise',
          `the calls are made as ${String(caller.principal)}, which the synthesized permission names; the caller's own account's IAM is outside the synth and not evaluated`,
        );
      if (!caller) findings.push(`no synthesized permission lets a caller's role invoke ${fn.functionName} (MODE-4: the payments API's trusted callers)`);
      report.authorise = { ...(caller ? { caller: String(caller.principal) } : {}), calls: [] };
      log(`authorise: ${requests.length} synchronous invocations of ${fn.functionName}${caller ? ` as ${String(caller.principal)} (permission ${String(caller.statement_id)})` : ''}\n`);
      for (const request of requests) {
        // The payments API's synchronous call (MODE-4): Lambda Invoke, RequestResponse.
        const outcome: InvokeOutcome = await cloud.invoke(fn.arn, request.body);
        const answer: Record<string, unknown> | { error: string } = outcome.ok ? (outcome.result as Record<string, unknown>) : { error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` };
        const sequenceId = outcome.ok ? (outcome.result as { sequenceId?: string } | null)?.sequenceId : undefined;
        const legsInLedger = sequenceId ? await legsOf(sequenceId) : 0;
        let embedded: Record<string, unknown> | undefined;
        if (compare) {
          const file = join(dir, `authorise-${report.authorise.calls.length + 1}.json`);
          const body = request.body as { authorisation?: unknown };
          writeFileSync(file, JSON.stringify(body.authorisation ?? body));
          try {
            embedded = JSON.parse(await cli(['authorise', '--state', state, '--input', file, '--json'])) as Record<string, unknown>;
          } catch (error) {
            embedded = { error: (error as Error).message.slice(0, 300) };
          }
          if (canonical(embedded) !== canonical(answer)) differences.push({ what: 'authorise outcome', key: request.name, embedded: canonical(embedded), rehearsal: canonical(answer) });
        }
        timed(`authorise${report.authorise.calls.length + 1}Ms`);
        report.authorise.calls.push({ name: request.name, authorizationId: request.authorizationId, outcome: answer, ...(embedded ? { embedded } : {}), legsInLedger });
        log(
          `  ${request.name}: ${outcome.ok ? String((answer as { outcome?: string }).outcome) : (answer as { error: string }).error}${sequenceId ? ` (sequence ${sequenceId}, ${legsInLedger} legs in ${ledgerTable})` : ''}\n`,
        );
        if (!outcome.ok) findings.push(`authorise (${request.name}) failed: ${(answer as { error: string }).error}`);
        if (sequenceId && legsInLedger === 0) findings.push(`authorise answered posted with sequence ${sequenceId} but ${ledgerTable} holds none of its legs`);
      }
    }
  }

  // FLOW-1..3 -------------------------------------------------------------------------------------
  if (only.has('flow')) {
    const fn = modeFunction(deployment, 'flow-auditor');
    const schedule = fn && deployment.schedules.find((candidate) => candidate.targetArn.replace(/:(\$LATEST|[0-9]+)$/, '') === fn.arn);
    const intake = deployment.tables.find((table) => deployment.pipes.some((pipe) => pipe.sourceArn === table.streamArn))?.name;
    if (!fn) findings.push('the synth deploys no flow-auditor function (FLOW-1)');
    else if (!schedule) findings.push(`no synthesized schedule targets ${fn.functionName}: nothing audits the flow (FLOW-1)`);
    else if (!intake) findings.push('no table feeds a Pipe: nowhere to plant a stuck payment');
    else {
      // Ingested two hours ago (past the stuck threshold, inside the window), its event lost on the bus.
      const start = new Date(Date.now() - 2 * 3_600_000).toISOString();
      const planted = generated(20, options.seed + 3, `${options.seed}-F`, start).find((line) => line.responseCode === '00')!;
      report.flow = { planted: planted.authorizationId, posted: false, alarms: [] };
      // Lost wherever the event crosses between stages: on a queue (the Pipe's SQS target, a rule's
      // queue) or on the bus (a staged topology). Only its first crossing is lost.
      let lost = '';
      const mine = (text: string) => !lost && text.includes('payment.authorised') && text.includes(`"${planted.authorizationId}"`);
      for (const queue of cloud.queues.queues.values())
        queue.lose = (body, origin) => {
          if (!mine(body)) return false;
          lost = `queue ${queue.name} (sent by ${origin})`;
          return true;
        };
      cloud.events.drop = (bus, event, origin) => {
        if (!mine(JSON.stringify(event))) return false;
        lost = `bus ${bus} (put by ${origin})`;
        return true;
      };
      const upstream = new DynamoDBClient({ endpoint, region, credentials: options.outside('upstream-authorisation-writer'), maxAttempts: 5 });
      await upstream.send(new PutItemCommand({ TableName: intake, Item: authorisationItem(JSON.stringify(planted)) }));
      await cloud.settle();
      cloud.events.drop = undefined;
      for (const queue of cloud.queues.queues.values()) queue.lose = undefined;
      report.flow.lostAt = lost || undefined;
      log(`flow audit: ${planted.authorizationId} written to ${intake} (transmitted ${planted.transmittedAt}); its payment.authorised ${lost ? `lost on ${lost}` : 'NEVER SEEN between stages'}\n`);
      if (!lost) findings.push(`the planted authorisation ${planted.authorizationId}'s payment.authorised never crossed a queue or the bus: nothing was lost between stages`);
      const host = cloud.lambdas.get(fn.arn)!;
      const audit = async (): Promise<Record<string, number> | undefined> => {
        const outcome = await cloud.fireSchedule(schedule);
        await cloud.settle();
        if (!outcome.ok) {
          findings.push(`the flow auditor (schedule ${schedule.name}) failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
          return undefined;
        }
        return outcome.result as Record<string, number>;
      };
      timed('flowPlantMs');
      report.flow.first = await audit();
      timed('flowAudit1Ms');
      log(`  schedule ${schedule.name}: ${canonical(report.flow.first)}\n`);
      const emitted = emfLines(host.logPath).at(-1);
      report.flow.second = await audit();
      timed('flowAudit2Ms');
      log(`  again after the repair: ${canonical(report.flow.second)}\n`);
      const sequence = legsFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never).filter((leg) => leg.authorizationId === planted.authorizationId);
      report.flow.posted = sequence.length > 0;
      if (report.flow.first && (report.flow.first.stuck ?? 0) < 1) findings.push(`the flow auditor did not find the planted payment ${planted.authorizationId} stuck: ${canonical(report.flow.first)}`);
      if (report.flow.first && ((report.flow.first.repaired ?? 0) < 1 || (report.flow.first.stuckUnrepaired ?? 0) !== 0))
        findings.push(`the flow auditor did not repair the planted payment (FLOW-3): ${canonical(report.flow.first)}`);
      if (!report.flow.posted) findings.push(`the repaired payment ${planted.authorizationId} has no legs in ${ledgerTable} after the repair`);
      if (report.flow.second && (report.flow.second.stuck ?? 0) !== 0) findings.push(`the flow auditor still finds payments stuck after the repair: ${canonical(report.flow.second)}`);
      // The alarms on the auditor's EMF namespace: the metric, its namespace and dimensions must be in the line it wrote.
      const namespaces = new Set(
        emfLines(host.logPath).flatMap((line) => ((line._aws as { CloudWatchMetrics?: { Namespace: string }[] } | undefined)?.CloudWatchMetrics ?? []).map((metric) => metric.Namespace)),
      );
      for (const ref of deployment.synth.resources('aws_cloudwatch_metric_alarm')) {
        const values = deployment.synth.resolved(ref);
        const namespace = String(values.namespace ?? '');
        const metric = String(values.metric_name ?? '');
        if (!namespaces.has(namespace) || !/^Flow/.test(metric)) continue;
        const dimensions = (values.dimensions ?? {}) as Record<string, string>;
        const metrics = (emitted?._aws as { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined)?.CloudWatchMetrics ?? [];
        const declared = metrics.find(
          (candidate) =>
            candidate.Namespace === namespace &&
            candidate.Metrics.some((m) => m.Name === metric) &&
            candidate.Dimensions.some(
              (set) => set.length === Object.keys(dimensions).length && set.every((name) => dimensions[name] !== undefined && String(emitted?.[name]) === String(dimensions[name])),
            ),
        );
        const value = declared && typeof emitted?.[metric] === 'number' ? (emitted[metric] as number) : undefined;
        const threshold = Number(values.threshold ?? 0);
        const operator = String(values.comparison_operator ?? 'GreaterThanThreshold');
        const breached =
          value === undefined
            ? undefined
            : operator === 'GreaterThanThreshold'
              ? value > threshold
              : operator === 'GreaterThanOrEqualToThreshold'
                ? value >= threshold
                : operator === 'LessThanThreshold'
                  ? value < threshold
                  : value <= threshold;
        report.flow.alarms.push({ alarm: String(values.alarm_name ?? ref.address), namespace, metric, dimensions, emitted: value, threshold, breached });
        if (value === undefined) findings.push(`alarm ${String(values.alarm_name)} watches ${namespace}/${metric} ${canonical(dimensions)}, which the flow auditor's EMF line does not carry`);
        else if (breached) findings.push(`alarm ${String(values.alarm_name)} would fire after the repair: ${metric} = ${value}`);
      }
      if (!report.flow.alarms.some((alarm) => alarm.metric === 'FlowStuckUnrepaired'))
        findings.push(`no synthesized alarm watches the flow auditor's FlowStuckUnrepaired metric (FLOW-3) in ${[...namespaces].join(', ') || 'its EMF namespace'}`);
      if (compare) {
        // One authorisation through the same use case (the deployed Pipe path's embedded twin: `post`
        // of a one-line file would start its worker threads for one line).
        const file = join(dir, 'planted.json');
        writeFileSync(file, JSON.stringify(planted));
        const outcome = JSON.parse(await cli(['authorise', '--state', state, '--input', file, '--json'])) as { outcome?: string };
        if (outcome.outcome !== 'posted') findings.push(`the embedded run did not post the planted authorisation ${planted.authorizationId}: ${canonical(outcome)}`);
      }
    }
  }

  timed('flowRestMs');
  // What the modes added: deployed vs embedded ---------------------------------------------------
  const ledgerAfter = await ledgerTotals(cloud, ledgerTable);
  const recordsAfter = await readOutboxRecords(observer, ingestBucket, outboxPrefix, findings);
  const added = newRecords(recordsBefore, recordsAfter);
  const deployedDelta = balanceDelta(ledgerBefore, ledgerAfter);
  report.added = { records: added.size, embeddedRecords: 0, accounts: deployedDelta.size };
  if (compare) {
    const balances = (JSON.parse(await cli(['ledger', '--state', state, '--json'])) as { accounts: EmbeddedBalance[] }).accounts;
    const embeddedAdded = newRecords(embeddedRecordsBefore, embeddedPostingRecords(state));
    report.added.embeddedRecords = embeddedAdded.size;
    differences.push(...diffMaps('modes: balance change', balanceDelta(embeddedBalancesBefore, embeddedTotals(balances)), deployedDelta));
    differences.push(...diffMaps('modes: posting record', embeddedAdded, added));
  }
  timed('compareMs');
  return report;
}
