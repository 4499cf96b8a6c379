/**
 * DEP-2: the deploy-time steps that follow an apply, as the deploy role, idempotent:
 * - after the data stack: the reference-data load into `<prefix>-reference` (a fresh deploy
 *   would otherwise reject every payment as an unknown card; re-loading a version rewrites the same items);
 * - after the analytics stack: the Redshift migrations (each applied once, in order), and the Node
 *   runtime archive of the EMR matcher job (REC-EMR-1; uploaded once per content);
 * - after the app stack (which holds the audit trail's Aurora cluster): the audit migrations
 *   (db/audit/migrations, AUDIT-1), through the RDS Data API, each applied once, in order, under a lock.
 * A step whose stack waits for a later run (see scripts/deploy.ts) is skipped and says so.
 *
 *   npx tsx scripts/post-deploy.ts --env dev --plans plans/dev [--stacks-dir cdktf.out/stacks] [--dry-run]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { PlanManifest } from './deploy/manifest';
import { ENVIRONMENTS } from '../stacks/ledgerline';
import { Names } from '../stacks/naming';
import { EMR_NODE_RUNTIME_KEY } from '../stacks/analytics-stack';
import { AUDIT_DB_NAME, AUDIT_SECRET_OUTPUT, auditClusterArn } from '../stacks/lib/audit-db';

export interface DeployTimeStep {
  name: string;
  /** The stack that must exist (not waiting in this run) before the step can run. */
  after: string;
  command: (context: StepContext) => string[];
}

/** What a step's command may need from its stack's outputs. */
export interface StepContext {
  redshiftSecretArn?: string;
  auditSecretArn?: string;
}

export function deployTimeSteps(env: string): DeployTimeStep[] {
  const config = ENVIRONMENTS.find((candidate) => candidate.name === env);
  if (!config) throw new Error(`unknown environment "${env}" (known: ${ENVIRONMENTS.map((candidate) => candidate.name).join(', ')})`);
  const names = Names.of(config);
  return [
    {
      name: 'reference-data load',
      after: `${config.prefix}-data`,
      command: () => ['scripts/load-reference-data.ts', '--table', names.tableName('reference'), '--dir', 'reference-data', '--region', config.region],
    },
    {
      name: 'Redshift migrations',
      after: `${config.prefix}-analytics`,
      command: ({ redshiftSecretArn }) => {
        if (!redshiftSecretArn) throw new Error(`${config.prefix}-analytics has no output holding the Redshift admin secret ARN`);
        return [
          'scripts/redshift-migrate.ts',
          '--target',
          'redshift',
          '--workgroup',
          names.redshiftWorkgroup,
          '--database',
          names.redshiftDatabase,
          '--secret-arn',
          redshiftSecretArn,
          '--region',
          config.region,
        ];
      },
    },
    {
      name: 'EMR Node runtime upload',
      after: `${config.prefix}-analytics`,
      command: () => ['scripts/upload-emr-runtime.ts', '--bucket', names.analyticsBucket, '--key', EMR_NODE_RUNTIME_KEY, '--kms-key', `alias/${names.name('analytics')}`, '--region', config.region],
    },
    {
      name: 'audit migrations',
      after: `${config.prefix}-app`,
      command: ({ auditSecretArn }) => {
        if (!auditSecretArn) throw new Error(`${config.prefix}-app has no output ${AUDIT_SECRET_OUTPUT} (the audit trail cluster's master secret ARN)`);
        return ['scripts/audit-migrate.ts', '--cluster-arn', auditClusterArn(names), '--secret-arn', auditSecretArn, '--database', AUDIT_DB_NAME, '--region', config.region];
      },
    },
  ];
}

/** Which steps can run after this plan was applied: those whose stack does not wait for a later run. */
export function runnableSteps(steps: readonly DeployTimeStep[], manifest: PlanManifest): Array<{ step: DeployTimeStep; skip?: string }> {
  return steps.map((step) => {
    const entry = manifest.stacks.find((stack) => stack.stack === step.after);
    if (!entry) return { step, skip: `${step.after} is not in this plan` };
    if (entry.deferred) return { step, skip: `${step.after} waits for a later run (${entry.deferred})` };
    return { step };
  });
}

/** The audit cluster's master secret ARN from the app stack's outputs (stacks/lib/audit-db.ts). */
export function auditSecretArnOf(outputs: Readonly<Record<string, { value?: unknown }>>): string | undefined {
  const value = outputs[AUDIT_SECRET_OUTPUT]?.value;
  return typeof value === 'string' ? value : undefined;
}

/** The Redshift admin secret's ARN from the analytics stack's outputs (a CDKTF cross-stack output). */
export function redshiftSecretArnOf(outputs: Readonly<Record<string, { value?: unknown }>>): string | undefined {
  const match = Object.entries(outputs).find(([name]) => /admin_password_secret_arn$/.test(name));
  return typeof match?.[1].value === 'string' ? match[1].value : undefined;
}

function main(argv: readonly string[]): void {
  const program = new Command('post-deploy')
    .description('Run the deploy-time steps (reference-data load, Redshift migrations, the EMR job Node runtime, audit migrations) after an apply. DEP-2.')
    .requiredOption('--env <name>', 'environment (dev, staging, prod)')
    .requiredOption('--plans <dir>', 'the plan directory that was just applied (its manifest says which stacks exist)')
    .option('--stacks-dir <dir>', 'synthesized stacks', 'cdktf.out/stacks')
    .option('--dry-run', 'print the steps; run nothing')
    .parse(argv, { from: 'user' });
  const options = program.opts<{ env: string; plans: string; stacksDir: string; dryRun?: boolean }>();
  const manifest = JSON.parse(readFileSync(join(resolve(options.plans), 'manifest.json'), 'utf8')) as PlanManifest;
  for (const { step, skip } of runnableSteps(deployTimeSteps(options.env), manifest)) {
    if (skip) {
      console.log(`${step.name}: skipped — ${skip}`);
      continue;
    }
    const context: StepContext = {};
    if (step.after.endsWith('-analytics') || step.after.endsWith('-app')) {
      const output = spawnSync('terraform', [`-chdir=${resolve(options.stacksDir, step.after)}`, 'output', '-json', '-no-color'], { encoding: 'utf8' });
      if (output.status !== 0) throw new Error(`terraform output of ${step.after} failed: ${output.stderr}`);
      const outputs = JSON.parse(output.stdout) as Record<string, { value?: unknown }>;
      context.redshiftSecretArn = redshiftSecretArnOf(outputs);
      context.auditSecretArn = auditSecretArnOf(outputs);
    }
    const args = step.command(context);
    console.log(`${step.name}: npx tsx ${args.join(' ')}`);
    if (options.dryRun) continue;
    const result = spawnSync('npx', ['tsx', ...args], { stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`${step.name} FAILED (exit ${result.status})`);
      process.exit(1);
    }
  }
}

if (require.main === module) main(process.argv.slice(2));
