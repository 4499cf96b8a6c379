/**
 * DEP-1: the pipeline's plan and apply steps — what is approved is exactly what is applied.
 *
 *   npx tsx scripts/deploy.ts plan  --env prod [--stacks-dir cdktf.out/stacks] [--out plans/prod]
 *   npx tsx scripts/deploy.ts apply --plans plans/prod [--stacks-dir cdktf.out/stacks] --expect-digest <sha256>
 *
 * `plan` runs with the environment's read-only plan role. Per stack, in deploy order
 * (network → data → analytics → app → observability), it saves the binary plan, its text and a
 * manifest (each plan's digest, its changes, the digest of the upstream outputs it read). A stack
 * that reads a stack whose outputs change in this plan waits for the next run (its plan would be
 * stale by the time it is applied). Prints the PLAN DIGEST the approval shows.
 *
 * `apply` runs with the deploy role and never plans: it refuses a manifest whose digest is not the
 * approved one, a plan file that is not the one in the manifest, and a stack whose upstream
 * outputs changed since it was planned; then it applies each saved plan in order.
 *
 * Exit codes: 0 done, 1 Terraform failed, 2 bad usage, 4 plan refused (nothing further applied).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  PlanRejected,
  checkApprovedDigest,
  checkNotStale,
  checkPlanFile,
  deferralReason,
  hasChanges,
  manifestDigest,
  outputValues,
  sha256,
  summarisePlan,
  upstreamStacksOf,
  type PlanManifest,
  type PlannedStack,
} from './deploy/manifest';

/** Deploy order of an environment's stacks (bootstrap is applied by an administrator, docs/runbooks/first-deploy.md). */
export const DEPLOY_ORDER = ['network', 'data', 'analytics', 'app', 'observability'] as const;

class TerraformFailed extends Error {}

function terraform(dir: string, args: readonly string[], options: { capture?: boolean } = {}): string {
  const result = spawnSync('terraform', [`-chdir=${dir}`, ...args], {
    encoding: 'utf8',
    stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.error) throw new TerraformFailed(`terraform ${args[0]} in ${dir}: ${result.error.message}`);
  // plan -detailed-exitcode: 2 = changes present.
  if (result.status !== 0 && !(args[0] === 'plan' && result.status === 2)) {
    throw new TerraformFailed(`terraform ${args.join(' ')} in ${dir} exited ${result.status}${options.capture ? `:\n${result.stderr}` : ''}`);
  }
  return result.stdout ?? '';
}

function init(dir: string, lockfile: 'readonly' | 'update'): void {
  terraform(dir, ['init', '-input=false', '-no-color', ...(lockfile === 'readonly' ? ['-lockfile=readonly'] : [])], { capture: true });
}

function stackNames(options: { env?: string; stacks?: string }): string[] {
  if (options.stacks)
    return options.stacks
      .split(',')
      .map((stack) => stack.trim())
      .filter(Boolean);
  if (!options.env) throw new InvalidArgumentError('give --env <name> or --stacks <a,b,c>');
  return DEPLOY_ORDER.map((component) => `ledgerline-${options.env}-${component}`);
}

function revision(): string {
  if (process.env.CODEBUILD_RESOLVED_SOURCE_VERSION) return process.env.CODEBUILD_RESOLVED_SOURCE_VERSION;
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
  return git.status === 0 ? git.stdout.trim() : 'unknown';
}

function terraformVersion(): string {
  const result = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  if (result.status !== 0) throw new TerraformFailed('terraform is not on PATH');
  return (JSON.parse(result.stdout) as { terraform_version: string }).terraform_version;
}

const describe = (changes: PlannedStack['changes']) => (changes ? `+${changes.add} ~${changes.change} -${changes.destroy}, ${changes.outputs} output change(s)` : '');

export function plan(options: { env?: string; stacks?: string; stacksDir: string; out?: string }): PlanManifest {
  const stacks = stackNames(options);
  const outDir = resolve(options.out ?? join('plans', options.env ?? 'custom'));
  mkdirSync(outDir, { recursive: true });
  const planned = new Map<string, PlannedStack>();
  for (const stack of stacks) {
    const dir = resolve(options.stacksDir, stack);
    if (!existsSync(join(dir, 'cdk.tf.json')) && !existsSync(join(dir, 'main.tf.json'))) throw new InvalidArgumentError(`no synthesized stack at ${dir} (run npm run synth first)`);
    const json = JSON.parse(readFileSync(existsSync(join(dir, 'cdk.tf.json')) ? join(dir, 'cdk.tf.json') : join(dir, 'main.tf.json'), 'utf8')) as { data?: Record<string, Record<string, unknown>> };
    const deferred = deferralReason(upstreamStacksOf(json), planned);
    if (deferred) {
      planned.set(stack, { stack, reads: {}, deferred });
      console.log(`${stack.padEnd(36)} waits: ${deferred}`);
      continue;
    }
    init(dir, 'update');
    const planFile = `${stack}.tfplan`;
    terraform(dir, ['plan', '-input=false', '-no-color', '-lock-timeout=300s', '-detailed-exitcode', `-out=${join(outDir, planFile)}`], { capture: true });
    const text = terraform(dir, ['show', '-no-color', join(outDir, planFile)], { capture: true });
    writeFileSync(join(outDir, `${stack}.txt`), text);
    const { changes, reads } = summarisePlan(JSON.parse(terraform(dir, ['show', '-json', join(outDir, planFile)], { capture: true })));
    const entry: PlannedStack = { stack, plan: planFile, sha256: sha256(readFileSync(join(outDir, planFile))), changes, reads };
    planned.set(stack, entry);
    console.log(`${stack.padEnd(36)} ${describe(changes)}`);
  }
  const manifest: PlanManifest = {
    format: 1,
    environment: options.env ?? 'custom',
    revision: revision(),
    terraformVersion: terraformVersion(),
    createdAt: new Date().toISOString(),
    stacks: [...planned.values()],
  };
  const digest = manifestDigest(manifest);
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(outDir, 'digest.txt'), `${digest}\n`);
  const summary = manifest.stacks.map((entry) => (entry.deferred ? `${entry.stack}: waits` : `${entry.stack}: ${describe(entry.changes)}`)).join('; ');
  writeFileSync(join(outDir, 'summary.txt'), `${summary}\n`);
  console.log(`\nPLAN DIGEST ${digest}\n(plans, their text and manifest.json in ${outDir})`);
  return manifest;
}

export function apply(options: { plans: string; stacksDir: string; expectDigest?: string }): void {
  const planDir = resolve(options.plans);
  const manifest = JSON.parse(readFileSync(join(planDir, 'manifest.json'), 'utf8')) as PlanManifest;
  const digest = checkApprovedDigest(manifest, options.expectDigest);
  console.log(`applying approved plan ${digest} (${manifest.environment}, revision ${manifest.revision})`);
  for (const entry of manifest.stacks) {
    if (entry.deferred) {
      console.log(`${entry.stack.padEnd(36)} not in this plan (${entry.deferred})`);
      continue;
    }
    if (!hasChanges(entry.changes)) {
      console.log(`${entry.stack.padEnd(36)} no changes`);
      continue;
    }
    checkPlanFile(entry, readFileSync(join(planDir, entry.plan!)));
    const current = new Map<string, Record<string, unknown>>();
    for (const upstream of Object.keys(entry.reads)) {
      const upstreamDir = resolve(options.stacksDir, upstream);
      init(upstreamDir, 'readonly');
      current.set(upstream, outputValues(JSON.parse(terraform(upstreamDir, ['output', '-json', '-no-color'], { capture: true }))));
    }
    checkNotStale(entry, current);
    const dir = resolve(options.stacksDir, entry.stack);
    init(dir, 'readonly');
    console.log(`${entry.stack.padEnd(36)} applying ${describe(entry.changes)}`);
    terraform(dir, ['apply', '-input=false', '-no-color', '-lock-timeout=300s', join(planDir, entry.plan!)]);
  }
  console.log('applied');
}

function main(argv: readonly string[]): void {
  const program = new Command('deploy')
    .description('Plan an environment (read-only plan role) and apply exactly the approved plan (deploy role). DEP-1.')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program
    .command('plan')
    .description('plan every stack of an environment in deploy order; save plans, their text and a manifest; print the plan digest')
    .option('--env <name>', 'environment (dev, staging, prod): stacks ledgerline-<env>-{network,data,analytics,app,observability}')
    .option('--stacks <list>', 'comma-separated stack names, in deploy order (instead of --env)')
    .option('--stacks-dir <dir>', 'synthesized stacks', 'cdktf.out/stacks')
    .option('--out <dir>', 'where to write the plans (default plans/<env>)')
    .action((options: { env?: string; stacks?: string; stacksDir: string; out?: string }) => {
      plan(options);
    });
  program
    .command('apply')
    .description('apply the saved plans of a plan directory, in order, after checking they are the approved ones and not stale')
    .requiredOption('--plans <dir>', 'plan directory written by `deploy plan`')
    .option('--stacks-dir <dir>', 'the synthesized stacks the plans were made from', 'cdktf.out/stacks')
    .option('--expect-digest <sha256>', 'the approved plan digest (default: $EXPECTED_PLAN_DIGEST)', process.env.EXPECTED_PLAN_DIGEST)
    .action((options: { plans: string; stacksDir: string; expectDigest?: string }) => {
      apply(options);
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') process.exit(0);
    if (error instanceof PlanRejected) {
      console.error(`REFUSED: ${error.message}`);
      process.exit(4);
    }
    if (error instanceof TerraformFailed) {
      console.error(`FAILED: ${error.message}`);
      process.exit(1);
    }
    if (error instanceof InvalidArgumentError || (typeof code === 'string' && code.startsWith('commander.'))) {
      if (error instanceof InvalidArgumentError) console.error(`error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

if (require.main === module) main(process.argv.slice(2));
