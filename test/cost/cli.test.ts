/**
 * `ledgerline cost` (COST-1) as a user runs it (in process through main; one child process for the
 * exit status the shell sees): the readable table and the stable JSON document
 * from a synth directory and a counts file; a missing input names the command that produces it;
 * a malformed one names the field; exit codes follow the CLI's conventions (2 for bad input).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exact } from '../../src/cost';
import { cli } from '../support/cli';
import { runCli } from '../support/cli-in-process';

const FIXTURES = join(__dirname, 'fixtures');
const root = mkdtempSync(join(tmpdir(), 'ledgerline-cost-cli-'));
const synthDir = join(root, 'cdktf.out');
const counts = join(root, 'test.counts.json');

beforeAll(() => {
  const stacks = JSON.parse(readFileSync(join(FIXTURES, 'small.synth.json'), 'utf8')) as Record<string, unknown>;
  for (const [name, json] of Object.entries(stacks)) {
    mkdirSync(join(synthDir, 'stacks', name), { recursive: true });
    writeFileSync(join(synthDir, 'stacks', name, 'cdk.tf.json'), JSON.stringify(json));
  }
  cpSync(join(FIXTURES, 'small.counts.json'), counts);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ledgerline cost', () => {
  it('--json prints the stable document: lines with their arithmetic, the total as their sum, the quotas', async () => {
    const run = await runCli(['cost', '--env', 'test', '--counts', counts, '--synth', synthDir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const document = JSON.parse(run.stdout) as {
      format: string;
      env: string;
      lines: { id: string; perPayment: string; quantity: string; unitPriceUsd: string; usd: string }[];
      totalUsd: string;
      quotas: { id: string; headroom: string | null }[];
    };
    expect(document.format).toBe('ledgerline-cost/1');
    expect(document.env).toBe('test');
    expect(Exact.sum(document.lines.map((line) => Exact.parse(line.usd))).toFixed(6)).toBe(document.totalUsd);
    const sqs = document.lines.find((line) => line.id === 'sqs.requests')!;
    expect(sqs).toMatchObject({ perPayment: '1.52000000', quantity: '1520000.00', unitPriceUsd: '0.0000004', usd: '0.608000' });
    expect(document.quotas.map((quota) => quota.id)).toEqual(
      expect.arrayContaining(['eventbridge.putEvents', 'eventbridge.invocations', 'lambda.concurrency', 'dynamodb.hotItem.wcu', 'sqs.inFlight']),
    );
    // The same inputs give the same document.
    expect((await runCli(['cost', '--env', 'test', '--counts', counts, '--synth', synthDir, '--json'])).stdout).toBe(run.stdout);
  });

  it('prints a readable table with each line, the total and the quotas at 1,111 payments/s', async () => {
    const run = await runCli(['cost', '--env', 'test', '--counts', counts, '--synth', synthDir]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/SQS\s+standard queue requests.*1\.52000\s+requests\s+× \$0\.0000004\s+0\.608000/);
    expect(run.stdout).toMatch(/TOTAL\s+\d+\.\d{6}/);
    expect(run.stdout).toContain("Quotas at 1,111 payments/s (the seed's sustained rate), eu-west-2:");
    expect(run.stdout).toMatch(/EventBridge PutEvents requests\s+166\.7\s+1,200 /);
    expect(run.stdout).toContain('prices are us-east-1 list prices');
  });

  it('a missing counts file names the rehearsal command that measures it (exit 2)', async () => {
    // A real child process once: the exit status as the shell sees it.
    const run = cli(['cost', '--env', 'test', '--counts', join(root, 'absent.json'), '--synth', synthDir]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('npm run rehearse -- --env test --count 2000 --counts');
    expect(run.stdout).toBe('');
  });

  it('an environment the synthesis does not make is named as such, with the ones it does, before any counts are asked for (exit 2)', async () => {
    const run = await runCli(['cost', '--env', 'bogus', '--synth', synthDir]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cost: environment "bogus" is not synthesized in`);
    expect(run.stderr).toContain('the environments there: test');
    expect(run.stderr).not.toContain('rehearse');
  });

  it('a missing synth names `npm run synth` (exit 2)', async () => {
    const run = await runCli(['cost', '--env', 'test', '--counts', counts, '--synth', join(root, 'nowhere')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('run `npm run synth` first, or pass --synth DIR');
  });

  it('a malformed counts file is refused naming the file and the field (exit 2)', async () => {
    const bad = join(root, 'bad.counts.json');
    const json = JSON.parse(readFileSync(counts, 'utf8')) as { dynamodb: Record<string, Record<string, unknown>> };
    json.dynamodb['ledgerline-test-ledger']!.readUnits = 40;
    writeFileSync(bad, JSON.stringify(json));
    const run = await runCli(['cost', '--env', 'test', '--counts', bad, '--synth', synthDir]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/bad\.counts\.json: dynamodb\.ledgerline-test-ledger\.readUnits: expected a decimal string/);
  });

  it('counts of another environment are refused with the command that re-measures (exit 2)', async () => {
    const run = await runCli(['cost', '--env', 'prod', '--counts', counts, '--synth', synthDir]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('environment "prod" is not synthesized in');
    expect(run.stderr).toContain('the environments there: test');
  });

  it('--help explains the arithmetic and the inputs', async () => {
    const run = await runCli(['cost', '--help']);
    expect(run.status).toBe(0);
    for (const text of ['--env', '--json', '--counts', '--synth', '--prices', '--rate', 'count per payment × 1,000,000 × unit price']) expect(run.stdout).toContain(text);
  });
});
