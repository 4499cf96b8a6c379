/**
 * WB-BULK-1 on AWS: the workbench function's scheduled advance, through the REAL handler
 * (functions/reconcile-workbench/index.ts, loaded as Lambda loads it, with the function's variables)
 * on the workbench table on dynalite with the rehearsal's transactions. A job is started and its page
 * never viewed: scheduled invocations alone finish it, each case taking the action exactly once;
 * two invocations at once share the chunks through their leases; a chunk whose holder froze part
 * way is left alone while its lease holds and taken over after it, without acting twice.
 */
import type { Context } from 'aws-lambda';
import { useWorkbenchTable } from '../adapters/aws/support/workbench-standin';
import { DynamoBulkJobStore } from '../../src/adapters/aws/dynamo-bulk-job-store';
import type { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { BULK_CHUNK_SIZE, BulkJobs, type BulkAdvanceSummary } from '../../src/recon/workbench/bulk';
import type { Actor, CaseAction } from '../../src/recon/workbench/cases';
import { staleOpenCase } from '../recon/workbench/helpers';
import type { BulkItem, BulkJobStore, BulkLease } from '../../src/recon/workbench/ports';
import { BULK_ADVANCE_EVENT, BULK_ADVANCE_RESERVE_MS } from '../../functions/reconcile-workbench/schedule';

const { table, freshStore } = useWorkbenchTable();

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The function's variables (as the app stack sets them) and DynamoDB at the stand-in, for the whole file (the SDK reads them lazily). */
let savedEnv: NodeJS.ProcessEnv;
beforeAll(async () => {
  const endpoint = await table.client.config.endpoint!();
  savedEnv = process.env;
  process.env = {
    ...savedEnv,
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_ENDPOINT_URL_DYNAMODB: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}${endpoint.path}`,
    WORKBENCH_TABLE: table.tableName,
    WORKBENCH_SESSIONS_TABLE: 'workbench-sessions',
    WORKBENCH_BASE_URL: 'https://workbench.bank.example',
    WORKBENCH_OIDC_ISSUER: 'https://bank.okta.com/oauth2/default',
    WORKBENCH_OIDC_CLIENT_ID: 'ledgerline-workbench',
    WORKBENCH_OIDC_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111111111111:secret:workbench-okta-client-secret-AbCdEf',
    WORKBENCH_SESSION_SECONDS: '28800',
    WORKBENCH_GROUP_ROLES: JSON.stringify({ 'recon-preparers': 'reconciler' }),
    WORKBENCH_CSRF_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111111111111:secret:workbench-csrf-AbCdEf',
    LEDGER_TABLE: 'ledger',
    REFERENCE_TABLE: 'reference',
    INGEST_BUCKET: 'ledgerline-test-ingest',
    OUTBOX_PREFIX: 'outbox/',
    EVENT_BUS_NAME: 'ledgerline-test',
  };
});
afterAll(() => {
  process.env = savedEnv;
});

/** The function's handler as a fresh container loads it (functions/reconcile-workbench/index.ts). */
function container(): Handler {
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require('../../functions/reconcile-workbench/index') as { handler: Handler }).handler;
  });
  return handler!;
}

/** A Lambda context whose time left is `left()` (the function's timeout minus what has run). */
const contextWith = (left: () => number): Context => ({ awsRequestId: 'schedule-1', getRemainingTimeInMillis: left }) as unknown as Context;
/**
 * Lambda's longest timeout: Middy arms its early timeout from the first answer, and a wall-clock
 * budget of a few seconds fails the test on a loaded machine (two invocations at once against the
 * in-process DynamoDB stand-in took 27 s under a load of 9), which is not what these tests check.
 */
const PLENTY_MS = 900_000;
const plenty = contextWith(() => PLENTY_MS);
/**
 * Time for one chunk, then under the reserve: each invocation works exactly one chunk. The time
 * left is asked once by Middy (to arm its early timeout), then before each chunk.
 */
function oneChunkOfTime(): Context {
  let asked = 0;
  return contextWith(() => (asked++ < 2 ? PLENTY_MS : BULK_ADVANCE_RESERVE_MS - 1));
}

const RITA: Actor = { user: 'rita@bank.example', roles: ['reconciler'] };
const RESOLVE: CaseAction = { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'cleared next day' };

/** Ten requests in flight at a time: the cases are independent, and the stand-in's round trips overlap. */
async function inBatches<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 10) await Promise.all(items.slice(i, i + 10).map(each));
}

async function raise(cases: DynamoWorkbenchStore, ids: readonly string[]): Promise<void> {
  await inBatches(ids, async (caseId) => {
    const { next, event } = staleOpenCase(caseId, '2026-03-10T10:00:00.000Z');
    await cases.save(next, event);
  });
}

const idsOf = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `exception:statement:${prefix}${String(i).padStart(3, '0')}`);

/** Every case took the job's action exactly once (one history event carrying the job id, version 2). */
async function expectOnce(cases: DynamoWorkbenchStore, jobId: string, ids: readonly string[]): Promise<void> {
  await inBatches(ids, async (id) => {
    const events = (await cases.history(id)).filter((event) => event.bulkJobId === jobId);
    const stored = (await cases.get(id))!;
    expect([id, events.length, stored.status, stored.version]).toEqual([id, 1, 'RESOLVED', 2]);
  });
}

describe('reconcile-workbench: the scheduled advance keeps bulk jobs moving with no page open', () => {
  let cases: DynamoWorkbenchStore;
  let jobs: DynamoBulkJobStore;
  beforeEach(async () => {
    cases = await freshStore();
    jobs = new DynamoBulkJobStore({ client: table.client, tableName: table.tableName });
  });

  it('a job whose page is never viewed is finished by scheduled invocations alone, a chunk each here: every case once, a result per case, failures with their reason', async () => {
    const present = idsOf('sched', 2 * BULK_CHUNK_SIZE + 20);
    const missing = idsOf('gone', 3);
    await raise(cases, present);
    const all = [...present.slice(0, 60), ...missing, ...present.slice(60)];
    const jobId = await new BulkJobs(cases, jobs, () => new Date()).start(RITA, RESOLVE, all, 'status=OPEN');
    const handler = container();
    table.operations.length = 0;
    const logged: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    const summaries: BulkAdvanceSummary[] = [];
    try {
      for (let run = 0; run < 3; run += 1) {
        summaries.push((await handler(BULK_ADVANCE_EVENT, oneChunkOfTime())) as BulkAdvanceSummary);
        expect((await jobs.get(jobId))!.items).toHaveLength(Math.min(all.length, (run + 1) * BULK_CHUNK_SIZE));
      }
    } finally {
      write.mockRestore();
    }
    expect(summaries.map((s) => [s.jobsSeen, s.chunksWorked, s.casesDone, s.casesFailed, s.outOfTime])).toEqual([
      [1, 1, 50, 0, true],
      [1, 1, 47, 3, true],
      [1, 1, 23, 0, true],
    ]);
    expect(summaries.map((s) => s.jobsFinished)).toEqual([0, 0, 1]);
    const job = (await jobs.get(jobId))!;
    expect(job.state).toBe('done');
    expect(job.items.map((item) => [item.caseId, item.ok])).toEqual(all.map((id) => [id, !id.includes(':gone')]));
    expect(job.items.filter((item) => !item.ok).map((item) => item.message)).toEqual(missing.map(() => 'the case no longer exists'));
    await expectOnce(cases, jobId, present);
    // One line a run, counts only: no case id (nor anything card-like).
    const lines = logged.filter((line) => line.includes('bulk jobs advanced'));
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'info', jobsSeen: 1, chunksWorked: 1, casesDone: 47, casesFailed: 3 });
    expect(lines.join('\n')).not.toMatch(/exception:|\d{13,19}/);
    // The running jobs are read from the bulkRunning index, never by a Scan; a finished job leaves it.
    expect(table.operations).not.toContain('Scan');
    const after = (await handler(BULK_ADVANCE_EVENT, plenty)) as BulkAdvanceSummary;
    expect(after).toMatchObject({ jobsSeen: 0, chunksWorked: 0, outOfTime: false });
    expect((await table.items()).filter((item) => item.bulkState !== undefined)).toEqual([]);
  }, 60_000);

  it('with time for all of it, one invocation finishes a job of several chunks; the next has nothing to do', async () => {
    const ids = idsOf('whole', BULK_CHUNK_SIZE + 7);
    await raise(cases, ids);
    const jobId = await new BulkJobs(cases, jobs, () => new Date()).start(RITA, RESOLVE, ids, 'status=OPEN');
    const handler = container();
    expect(await handler(BULK_ADVANCE_EVENT, plenty)).toEqual({ jobsSeen: 1, chunksWorked: 2, chunksFailed: 0, casesDone: ids.length, casesFailed: 0, jobsFinished: 1, outOfTime: false });
    await expectOnce(cases, jobId, ids);
    expect(await handler(BULK_ADVANCE_EVENT, plenty)).toMatchObject({ jobsSeen: 0, chunksWorked: 0 });
  }, 60_000);

  it('two invocations at once (two containers) work every case exactly once between them', async () => {
    // Three chunks (the last a short one) for the two containers to share.
    const ids = idsOf('pair', 2 * BULK_CHUNK_SIZE + 10);
    await raise(cases, ids);
    const jobId = await new BulkJobs(cases, jobs, () => new Date()).start(RITA, RESOLVE, ids, 'status=OPEN');
    const [first, second] = [container(), container()];
    const runs = (await Promise.all([first(BULK_ADVANCE_EVENT, plenty), second(BULK_ADVANCE_EVENT, plenty)])) as BulkAdvanceSummary[];
    expect(runs.reduce((sum, run) => sum + run.chunksWorked, 0)).toBe(3);
    expect(runs.reduce((sum, run) => sum + run.casesDone, 0)).toBe(ids.length);
    const job = (await jobs.get(jobId))!;
    expect(job.state).toBe('done');
    expect(job.items.map((item) => [item.caseId, item.ok])).toEqual(ids.map((id) => [id, true]));
    await expectOnce(cases, jobId, ids);
  }, 60_000);

  it('a chunk whose holder froze part way is left alone while its lease holds, then taken over: the cases it saved are not acted on twice', async () => {
    const ids = idsOf('frozen', BULK_CHUNK_SIZE + 10);
    await raise(cases, ids);
    // A container leases chunk 0 (a 4 s lease here), saves cases 0..3, records 0..2, and freezes before recording case 3.
    let recorded = 0;
    const freezing: BulkJobStore = Object.assign(Object.create(jobs) as BulkJobStore, {
      record: async (lease: BulkLease, index: number, item: BulkItem) => {
        if (recorded === 3) throw new Error('frozen');
        recorded += 1;
        return jobs.record(lease, index, item);
      },
    });
    const frozen = new BulkJobs(cases, freezing, () => new Date(), { leaseMs: 4000 });
    const jobId = await frozen.start(RITA, RESOLVE, ids, 'status=OPEN');
    await expect(frozen.advance(jobId)).rejects.toThrow('frozen');
    const leasedUntil = Date.now() + 4000;
    const handler = container();
    // Within the lease: the schedule works chunk 1 only.
    const during = (await handler(BULK_ADVANCE_EVENT, plenty)) as BulkAdvanceSummary;
    expect(Date.now()).toBeLessThan(leasedUntil);
    expect(during).toMatchObject({ jobsSeen: 1, chunksWorked: 1, casesDone: 10, jobsFinished: 0 });
    expect((await jobs.get(jobId))!.items).toHaveLength(3 + 10);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, leasedUntil - Date.now()) + 50));
    // After it: the rest of chunk 0, case 3 recorded from the event the frozen holder saved.
    const after = (await handler(BULK_ADVANCE_EVENT, plenty)) as BulkAdvanceSummary;
    expect(after).toMatchObject({ jobsSeen: 1, chunksWorked: 1, casesDone: BULK_CHUNK_SIZE - 3, jobsFinished: 1 });
    const job = (await jobs.get(jobId))!;
    expect(job.state).toBe('done');
    expect(job.items.map((item) => [item.caseId, item.ok])).toEqual(ids.map((id) => [id, true]));
    await expectOnce(cases, jobId, ids);
  }, 60_000);

  it('refuses an event that is neither an ALB request nor the schedule, naming its fields and not their values', async () => {
    const handler = container();
    await expect(handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: { pan: '4111111111111111' } }, plenty)).rejects.toThrow(
      "neither an ALB request nor the bulk schedule's event (fields: detail, detail-type, source)",
    );
    await expect(handler({ ...BULK_ADVANCE_EVENT, extra: 1 }, plenty)).rejects.toThrow('fields: detail-type, extra, source');
  });
});
