/**
 * workflows/reconciliation.asl.json: valid ASL (asl-validator), placeholders as documented, and
 * the same definition run locally with aws-local-stepfunctions, its Task states routed to the
 * local implementations of the Lambdas (over an in-memory S3) and stubs of the AWS services.
 */
import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { matchStep, normaliseStep, summariseStep, type MatchEvent, type NormaliseEvent, type RunConfig, type StepContext, type SummariseEvent } from '../../../src/recon/run/aws/steps';
import { reconciliationExecutionName } from '../../../src/recon/run/aws/objects';
import { loadWorkflow, substitute, workflowPlaceholders } from '../../../stacks/workflows';
import { tempDir } from '../../support/runtime';
import { BAI2_UNKNOWN, CAMT053, LEDGER_HEADER, LEDGER_ROWS, MT940 } from '../run/helpers';
import { FakeS3 } from './fake-s3';

const INGEST = 'ledgerline-dev-ingest';
const ANALYTICS = 'ledgerline-dev-analytics';
const VALUES: Record<string, string> = {
  ConfigParameterName: '/ledgerline/dev/reconciliation/config',
  NormaliseFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:ledgerline-dev-reconcile-normalise',
  MatchFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:ledgerline-dev-reconcile-match',
  SummariseFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:ledgerline-dev-reconcile-summarise',
  GlueJobName: 'ledgerline-dev-normalise-statements',
  GlueDatabase: 'ledgerline_dev_reconciliation',
  AnalyticsBucket: ANALYTICS,
  RedshiftWorkgroup: 'ledgerline-dev',
  RedshiftDatabase: 'ledgerline',
  RedshiftSecretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:ledgerline-dev/redshift-AbCdEf',
  NotificationTopicArn: 'arn:aws:sns:eu-west-2:123456789012:ledgerline-dev-reconciliation',
};

type Definition = ConstructorParameters<typeof StateMachine>[0];

function definition(): Definition & Record<string, unknown> {
  return substitute(loadWorkflow('reconciliation'), VALUES) as Definition & Record<string, unknown>;
}

describe('reconciliation ASL', () => {
  it('uses exactly the documented placeholders', () => {
    expect(workflowPlaceholders(loadWorkflow('reconciliation'))).toEqual(Object.keys(VALUES).sort());
  });

  it('is valid Amazon States Language', () => {
    const result = aslValidator(definition());
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('runs normalise → Glue → Distributed Map → summarise → Redshift → SNS; Parameter Store config, Secrets Manager credentials', () => {
    const states = definition().States as unknown as Record<string, Record<string, unknown>>;
    expect(states.LoadConfiguration!.Resource).toBe('arn:aws:states:::aws-sdk:ssm:getParameter');
    expect(states.TransformToParquet!.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
    expect((states.MatchPartitions!.ItemProcessor as { ProcessorConfig: unknown }).ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(states.LoadResults!.Resource).toBe('arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement');
    expect((states.LoadResults!.Parameters as Record<string, string>).SecretArn).toBe(VALUES.RedshiftSecretArn);
    expect(states.NotifySummary!.Resource).toBe('arn:aws:states:::sns:publish');
  });
});

describe('reconciliation workflow, run locally (aws-local-stepfunctions)', () => {
  const dir = tempDir('recon-sfn-');
  const s3 = new FakeS3();
  const ctx: StepContext = { s3: s3.client, tmpDir: dir, now: () => new Date('2026-01-01T00:00:00Z') };
  const config: RunConfig = { ruleSet: 'default', confirmThreshold: '0.90', staleAfterDays: 30, matchConcurrency: 2, ledger: { bucket: INGEST, key: 'ledger/export.csv' }, partitionRows: 2, maxPartitions: 10, redshift: { schema: 'reconciliation' } };
  const published: { Subject: string; Message: Record<string, unknown> }[] = [];
  const sql: string[][] = [];
  const glue: Record<string, string>[] = [];

  const handlers = {
    LoadConfiguration: async (input: { Name: string }) => {
      expect(input.Name).toBe(VALUES.ConfigParameterName);
      return { Parameter: { Name: input.Name, Value: JSON.stringify(config) } };
    },
    Normalise: async (input: { FunctionName: string; Payload: NormaliseEvent }) => {
      expect(input.FunctionName).toBe(VALUES.NormaliseFunctionArn);
      return { StatusCode: 200, Payload: await normaliseStep(ctx, input.Payload) };
    },
    TransformToParquet: async (input: { JobName: string; Arguments: Record<string, string> }) => {
      expect(input.JobName).toBe(VALUES.GlueJobName);
      glue.push(input.Arguments);
      return { Id: `jr_${glue.length}`, JobRunState: 'SUCCEEDED' };
    },
    MatchPartition: async (input: { FunctionName: string; Payload: MatchEvent }) => {
      expect(input.FunctionName).toBe(VALUES.MatchFunctionArn);
      return { StatusCode: 200, Payload: await matchStep(ctx, input.Payload) };
    },
    Summarise: async (input: { FunctionName: string; Payload: SummariseEvent }) => ({ StatusCode: 200, Payload: await summariseStep(ctx, input.Payload) }),
    LoadResults: async (input: { Sqls: string[]; SecretArn: string; WorkgroupName: string; StatementName: string }) => {
      expect(input.SecretArn).toBe(VALUES.RedshiftSecretArn);
      sql.push(input.Sqls);
      return { Id: `stmt-${sql.length}` };
    },
    DescribeLoad: async (input: { Id: string }) => ({ Id: input.Id, Status: 'FINISHED' }),
    NotifySummary: async (input: { Subject: string; Message: Record<string, unknown> }) => (published.push(input), { MessageId: 'm1' }),
    NotifyDuplicate: async (input: { Subject: string; Message: Record<string, unknown> }) => (published.push(input), { MessageId: 'm2' }),
    NotifyFailure: async (input: { Subject: string; Message: Record<string, unknown> }) => (published.push(input), { MessageId: 'm3' }),
    ReleaseClaim: async (input: { Bucket: string; Key: string }) => {
      s3.objects.delete(`${input.Bucket}/${input.Key}`);
      return {};
    },
  };

  function execute(key: string, versionId = 'v1') {
    const runId = reconciliationExecutionName({ bucket: INGEST, key, versionId });
    const machine = new StateMachine(definition(), { validationOptions: { checkArn: true, checkPaths: true } });
    const execution = machine.run(
      { bucket: INGEST, key, versionId, runId },
      { overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: { WaitForLoad: 0 } } },
    );
    return { runId, result: execution.result as Promise<Record<string, unknown>> };
  }

  beforeAll(() => {
    s3.put(INGEST, 'ledger/export.csv', `${LEDGER_HEADER}\n${LEDGER_ROWS.join('\n')}\n`);
  });

  beforeEach(() => {
    published.length = 0;
    sql.length = 0;
    glue.length = 0;
  });

  it('reconciles an uploaded statement end to end and ends with the summary', async () => {
    s3.put(INGEST, 'incoming/statements/camt053.xml', readFileSync(CAMT053));
    const { runId, result } = execute('incoming/statements/camt053.xml');
    const output = await result;
    expect(output).toMatchObject({
      status: 'COMPLETED',
      runId,
      resultPrefix: `s3://${ANALYTICS}/matches/runs/${runId}/`,
      summary: { statementLines: 2, ledgerEntries: 2, matched: { total: 2, byRule: { 'e2e-exact': 2 } }, unmatchedStatement: 0, unmatchedLedger: 0 },
    });
    expect(glue).toEqual([{ '--run_id': runId, '--input_prefix': `normalised/${runId}/statement-lines/`, '--analytics_bucket': ANALYTICS, '--database': VALUES.GlueDatabase }]);
    expect(sql).toHaveLength(1);
    expect(sql[0]).toContain(`DELETE FROM reconciliation.matches WHERE run_id = '${runId}'`);
    expect(published).toEqual([expect.objectContaining({ Subject: 'Ledgerline reconciliation completed', Message: expect.objectContaining({ status: 'COMPLETED', runId, summary: output.summary }) })]);
    expect(s3.text(ANALYTICS, `matches/runs/${runId}/matches.csv`)!.trimEnd().split('\n')).toHaveLength(3);
    // Two account/currency partitions would be one chunk each here (partitionRows 2): the Map ran each.
    expect(s3.keys(ANALYTICS, `matches/runs/${runId}/partitions/`).length).toBeGreaterThanOrEqual(1);
  });

  it('a re-upload of the same content (new key) ends as DUPLICATE: no Glue job, no matching, no load', async () => {
    s3.put(INGEST, 'incoming/statements/camt053-again.xml', readFileSync(CAMT053));
    const first = reconciliationExecutionName({ bucket: INGEST, key: 'incoming/statements/camt053.xml', versionId: 'v1' });
    const { runId, result } = execute('incoming/statements/camt053-again.xml');
    expect(await result).toEqual({ status: 'DUPLICATE', runId, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), firstRunId: first });
    expect(glue).toEqual([]);
    expect(sql).toEqual([]);
    expect(s3.keys(ANALYTICS, `normalised/${runId}/`)).toEqual([]);
    expect(published.map((p) => p.Message.status)).toEqual(['DUPLICATE']);
  });

  it('bad input fails the execution with BadStatementFile naming the file and line, after quarantine and a FAILED notice', async () => {
    s3.put(INGEST, 'incoming/statements/sample-parseError.txt', readFileSync(BAI2_UNKNOWN));
    const { runId, result } = execute('incoming/statements/sample-parseError.txt');
    // The Fail state carries the failing step's error name and cause (ErrorPath / CausePath).
    await expect(result).rejects.toMatchObject({
      name: 'ExecutionError',
      cause: { name: 'BadStatementFile', message: expect.stringContaining(`s3://${INGEST}/incoming/statements/sample-parseError.txt line 1: unknown statement format`) },
    });
    expect(s3.keys(INGEST, `quarantine/${runId}/`)).toEqual([`quarantine/${runId}/sample-parseError.txt`, `quarantine/${runId}/sample-parseError.txt.reason.json`]);
    expect(published.map((p) => p.Message.status)).toEqual(['FAILED']);
    expect(glue).toEqual([]);
    expect(s3.keys(ANALYTICS, `normalised/${runId}/`)).toEqual([]);
  });

  it('a failure after normalise releases the run\'s registry claim, so the same file can be reconciled again', async () => {
    s3.put(INGEST, 'incoming/statements/mbank.sta', readFileSync(MT940));
    const failingGlue = { ...handlers, TransformToParquet: async () => Promise.reject(Object.assign(new Error('job failed'), { name: 'Glue.JobRunFailed' })) };
    const runId = reconciliationExecutionName({ bucket: INGEST, key: 'incoming/statements/mbank.sta', versionId: 'v1' });
    const machine = new StateMachine(definition());
    const failed = machine.run({ bucket: INGEST, key: 'incoming/statements/mbank.sta', versionId: 'v1', runId }, { overrides: { taskResourceLocalHandlers: failingGlue as never } });
    await expect(failed.result).rejects.toMatchObject({ cause: { name: 'Glue.JobRunFailed', message: 'job failed' } });
    expect(s3.keys(INGEST, 'results/registry/')).toHaveLength(1); // only camt053's claim
    expect(published.map((p) => p.Message.status)).toEqual(['FAILED']);
    published.length = 0;
    // The retried upload (a new version) goes through.
    const retry = execute('incoming/statements/mbank.sta', 'v2');
    expect(await retry.result).toMatchObject({ status: 'COMPLETED', summary: { matched: { total: 2 } } });
    expect(s3.keys(INGEST, 'results/registry/')).toHaveLength(2);
  });

  it('has its step payloads within Step Functions limits', () => {
    const item = { id: 'p-00000', key: 'normalised/recon-x/partitions/p-00000.json', rows: 50000 };
    expect(JSON.stringify(Array.from({ length: 500 }, () => item)).length).toBeLessThan(256 * 1024 / 4);
  });
});

