/**
 * The Glue job of the reconciliation workflow (`glue:startJobRun.sync`, REC-2), as far as it can
 * run without Spark: the job's synthesized default arguments merged with the task's, its input
 * read from S3 AS THE JOB'S ROLE (through the gateway, so the role and the bucket policy are
 * checked), and every record mapped by the job's deployed logic module (its `--extra-py-files`
 * object, glue/normalise_logic.py as synthesized) in python3 (rehearsal/glue_job.py). A refused
 * record fails the run, as the job would. Writing Parquet and the catalog partitions is not
 * rehearsed (reported as a gap).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Deployment } from './deployment';
import { TaskError } from './stepfunctions';
import type { JsonObject } from './terraform';

export interface GlueRun {
  id: string;
  job: string;
  state: 'SUCCEEDED' | 'FAILED';
  rows: Record<string, number>;
  error?: string;
}

function python(script: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', [script], { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python3 ${script}: ${error.message}${stderr ? `\n${stderr}` : ''}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

export class GlueStandIn {
  readonly runs: GlueRun[] = [];

  constructor(
    private readonly deployment: Pick<Deployment, 'glueJobs' | 'objects'>,
    private readonly s3As: (roleName: string) => S3Client,
  ) {}

  private async readPrefix(client: S3Client, bucket: string, prefix: string): Promise<[string, string][]> {
    const objects: [string, string][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
        objects.push([object.Key!, await body.Body!.transformToString('utf8')]);
      }
      token = page.NextContinuationToken;
    } while (token);
    return objects;
  }

  /** startJobRun.sync: runs the job and answers as the optimised integration does, or fails the task. */
  async startJobRunSync(params: JsonObject): Promise<JsonObject> {
    const name = String(params.JobName ?? '');
    const job = this.deployment.glueJobs.find((candidate) => candidate.name === name);
    if (!job) throw new TaskError('Glue.EntityNotFoundException', `Job ${name} not found`);
    const args: Record<string, string> = { ...job.defaultArguments };
    for (const [key, value] of Object.entries((params.Arguments ?? {}) as Record<string, unknown>)) args[key] = String(value);
    const resolved = Object.fromEntries(Object.entries(args).map(([key, value]) => [key.replace(/^--/, ''), value]));
    resolved.JOB_NAME = name;
    const extra = args['--extra-py-files'];
    const logic = this.deployment.objects.find((object) => extra === `s3://${object.bucket}/${object.key}`);
    if (!logic?.sourcePath) throw new TaskError('States.TaskFailed', `job ${name}: --extra-py-files ${extra ?? '(unset)'} is no object the deployment uploads`);
    const bucket = resolved.analytics_bucket ?? '';
    const runId = resolved.run_id ?? '';
    const client = this.s3As(job.roleName);
    const tables: Record<string, [string, string][]> = {};
    try {
      tables.statement_lines = await this.readPrefix(client, bucket, `normalised/${runId}/statement-lines/`);
      tables.ledger_entries = await this.readPrefix(client, bucket, `normalised/${runId}/ledger-entries/`);
    } catch (error) {
      throw new TaskError('States.TaskFailed', `job ${name} (role ${job.roleName}) could not read its input: ${(error as Error).name}: ${(error as Error).message}`);
    }
    const output = JSON.parse(await python(join(__dirname, 'glue_job.py'), JSON.stringify({ logic: logic.sourcePath, args: resolved, tables }))) as {
      state: 'SUCCEEDED' | 'FAILED';
      rows: Record<string, number>;
      error?: string;
    };
    const run: GlueRun = { id: `jr_${randomUUID().replace(/-/g, '')}`, job: name, state: output.state, rows: output.rows, ...(output.error ? { error: output.error } : {}) };
    this.runs.push(run);
    if (run.state === 'FAILED') throw new TaskError('States.TaskFailed', JSON.stringify({ JobName: name, Id: run.id, JobRunState: 'FAILED', ErrorMessage: run.error }));
    return { Id: run.id, JobName: name, JobRunState: 'SUCCEEDED', Arguments: args };
  }
}
