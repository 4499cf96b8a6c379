/**
 * TF-1: real Terraform on the synthesized stacks, offline (terraform/README.md):
 *
 *   npm run terraform:validate   # fresh synth → terraform init -backend=false + validate, every stack
 *   npm run terraform:test       # fresh synth → generated tests → terraform test (plan, mock AWS provider)
 *
 * Options (after `--`): --require (a missing terraform / provider mirror FAILS instead of skipping),
 * --jobs N (stacks at a time, default 2), --stack TEXT (only stacks whose name contains TEXT;
 * repeatable), --bundle (real esbuild bundles instead of placeholder Lambda code), --keep (keep the
 * work directory under .tmp/terraform/ even when everything passes), --provider-per-stack (every
 * terraform process starts its own AWS provider processes, as Terraform does by default).
 *
 * One AWS provider process for the whole run: every stack's tests use `mock_provider "aws"`, so
 * the real provider is never configured and only answers schema and validation calls, which hold
 * no state. It is started once (`-debug`, Terraform's provider-reattach mode) and every terraform
 * process attaches to it (TF_REATTACH_PROVIDERS) instead of starting the 600 MB provider itself,
 * three or four times a stack (about 1 s of CPU each). Every stack still validates and plans
 * against that provider's schema and checks every assertion.
 *
 * Exit codes: 0 all stacks pass; 1 a stack fails (Terraform's diagnostics are printed) or the
 * synth fails; 3 SKIPPED (terraform or the AWS provider mirror is missing; 1 with --require).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { AWS_PROVIDER_VERSION, MIN_TERRAFORM_FOR_TEST, atLeast, findMirror, findTerraform, terraformEnv, writeCliConfig } from '../terraform/toolchain';
import { exec, parseTest, parseValidate, pool, renderDiagnostic, stopAll, type StackResult } from '../terraform/runner';
import { withPlainStacks } from '../test/support/plain-stacks';

type Command = 'validate' | 'test';
const EXIT_SKIPPED = 3;
const ROOT = resolve(__dirname, '..');

interface Options {
  command: Command;
  require: boolean;
  keep: boolean;
  bundle: boolean;
  jobs: number;
  stacks: string[];
  providerPerStack: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const command = argv[0];
  if (command !== 'validate' && command !== 'test')
    throw new Error(`usage: tsx scripts/terraform.ts validate|test [--require] [--jobs N] [--stack TEXT]... [--bundle] [--keep] [--provider-per-stack] (got "${command ?? ''}")`);
  const options: Options = { command, require: false, keep: false, bundle: false, jobs: 2, stacks: [], providerPerStack: false };
  for (let i = 1; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--require') options.require = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--bundle') options.bundle = true;
    else if (arg === '--provider-per-stack') options.providerPerStack = true;
    else if (arg === '--jobs') {
      const jobs = Number(argv[++i]);
      if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs: "${argv[i]}" is not a positive integer`);
      options.jobs = jobs;
    } else if (arg === '--stack') {
      const filter = argv[++i];
      if (!filter) throw new Error('--stack: needs the text a stack name must contain');
      options.stacks.push(filter);
    } else throw new Error(`unknown option "${arg}"`);
  }
  return options;
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/** CPU seconds of the finished child processes (Linux /proc: cutime + cstime), to tell work from waiting on a busy machine. */
function childCpuSeconds(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  // After "(comm) ": state is field 3, so cutime (16) and cstime (17) are at indexes 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function skipped(command: Command, missing: string[], looked: string[], require: boolean): never {
  const rule = '='.repeat(100);
  const lines = [
    rule,
    `  TERRAFORM ${command.toUpperCase()} SKIPPED${require ? ' -- AND --require WAS GIVEN: FAILING' : ''}`,
    ...missing.map((problem) => `  MISSING: ${problem}`),
    `  looked at: ${looked.join('; ')}`,
    `  NOTHING WAS ${command === 'validate' ? 'VALIDATED' : 'TESTED'} by Terraform. Install terraform (>= ${MIN_TERRAFORM_FOR_TEST.join('.')}) on PATH and a filesystem`,
    `  mirror holding registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}, or point LEDGERLINE_TF_MIRROR at one.`,
    `  Exit code ${require ? 1 : EXIT_SKIPPED}${require ? '' : ' (skipped); pass --require to make this a failure'}.`,
    rule,
  ];
  console.error(lines.join('\n'));
  process.exit(require ? 1 : EXIT_SKIPPED);
}

function stackLine(options: Options, result: StackResult, assertions?: number): string {
  const warnings = `${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}`;
  const time = `${result.seconds.toFixed(1).padStart(5)} s`;
  if (options.command === 'validate') {
    const errors = result.errors.length > 0 ? `, ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}` : '';
    return `  ${result.stack.padEnd(34)} ${result.status.padEnd(11)} ${(warnings + errors).padEnd(24)} ${time}`;
  }
  const detail = result.planErrors
    ? `plan FAILED (${result.planErrors} error${result.planErrors === 1 ? '' : 's'}): ${assertions ?? '?'} assertions not evaluated`
    : `${assertions ?? '?'} assertions${result.failedAssertions ? `, ${result.failedAssertions} FAILED` : ''}`;
  return `  ${result.stack.padEnd(34)} ${result.status.padEnd(11)} ${detail.padEnd(34)} ${warnings.padEnd(12)} ${time}`;
}

/** Warnings grouped by wording: "60 × Deprecated Parameter: The parameter "dynamodb_table" …". */
function warningSummary(results: readonly StackResult[]): string[] {
  const counts = new Map<string, number>();
  for (const result of results)
    for (const warning of result.warnings)
      counts.set(`${warning.summary}: ${(warning.detail ?? '').replace(/\s+/g, ' ').trim()}`, (counts.get(`${warning.summary}: ${(warning.detail ?? '').replace(/\s+/g, ' ').trim()}`) ?? 0) + 1);
  return [...counts].map(([text, count]) => `    ${count} × ${text}`);
}

/** The provider binary `terraform init` installed into `initDir` (.terraform/providers/…/terraform-provider-aws_*). */
function installedProvider(initDir: string): string | undefined {
  const dir = join(initDir, '.terraform', 'providers', 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER_VERSION);
  if (!existsSync(dir)) return undefined;
  for (const platform of readdirSync(dir)) {
    const binary = readdirSync(join(dir, platform)).find((name) => name.startsWith('terraform-provider-aws'));
    if (binary) return join(dir, platform, binary);
  }
  return undefined;
}

interface SharedProvider {
  /** The TF_REATTACH_PROVIDERS value that attaches a terraform process to it. */
  reattach: string;
  stop(): Promise<void>;
}

/**
 * Starts `binary -debug` and reads the reattach configuration it prints; the provider then serves
 * every terraform process given it, until stopped. Rejects (the provider stopped) when it prints
 * none within `timeoutMs`.
 */
function startSharedProvider(binary: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<SharedProvider> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(binary, ['-debug'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const exited = new Promise<void>((resolveExit) => child.once('close', () => resolveExit()));
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${why}; its output:\n${output.slice(-2000)}`)));
    };
    const timer = setTimeout(() => fail(`${binary} -debug printed no TF_REATTACH_PROVIDERS within ${timeoutMs / 1000} s`), timeoutMs);
    const read = (chunk: Buffer) => {
      if (settled) return; // afterwards its output (logs) is drained and dropped
      output += chunk.toString('utf8');
      const found = /TF_REATTACH_PROVIDERS='([^'\n]+)'/.exec(output);
      if (!found) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise({ reattach: found[1]!, stop });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('error', (error) => fail(`${binary}: ${error.message}`));
    child.once('close', (code, signal) => fail(`${binary} -debug exited (${signal ?? `code ${code}`}) before printing TF_REATTACH_PROVIDERS`));
  });
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const verb = `terraform ${options.command}`;

  // 1. Tools (before anything slow: a skip is instant).
  const terraform = findTerraform();
  const mirror = findMirror(AWS_PROVIDER_VERSION, !terraform.problem);
  const missing: string[] = [];
  if (terraform.problem) missing.push(terraform.problem);
  if (mirror.problem) missing.push(mirror.problem);
  if (options.command === 'test' && terraform.found && !atLeast(terraform.found.version, MIN_TERRAFORM_FOR_TEST)) {
    missing.push(`terraform ${terraform.found.version} is too old for these tests (override_during needs >= ${MIN_TERRAFORM_FOR_TEST.join('.')})`);
  }
  if (missing.length > 0 || !terraform.found || !mirror.found) skipped(options.command, missing, [...terraform.looked, ...mirror.looked], options.require);
  console.log(`${verb}: terraform ${terraform.found.version} (${terraform.found.path}), hashicorp/aws ${AWS_PROVIDER_VERSION} from ${mirror.found}`);

  // 2. A fresh synth in a work directory of this run (never a stale cdktf.out).
  mkdirSync(join(ROOT, '.tmp', 'terraform'), { recursive: true });
  const work = mkdtempSync(join(ROOT, '.tmp', 'terraform', `${options.command}-`));
  const synthDir = join(work, 'synth');
  const synthStarted = performance.now();
  const { synthesizeLedgerline } = await import('../stacks/ledgerline');
  // V8's own stack formatting for the synthesis: cdktf records a creation stack for every token, and
  // tsx formats each through the sources' maps, about half of the synthesis (test/support/plain-stacks.ts).
  const built = withPlainStacks(() => synthesizeLedgerline({ assetMode: options.bundle ? 'bundle' : 'placeholder', outdir: synthDir }));
  const synthSeconds = seconds(synthStarted);
  const stacks = built.stacks.map((stack) => stack.node.id).filter((name) => options.stacks.length === 0 || options.stacks.some((filter) => name.includes(filter)));
  if (stacks.length === 0) throw new Error(`--stack ${options.stacks.join(', ')}: matches none of ${built.stacks.map((stack) => stack.node.id).join(', ')}`);
  const { loadSynth } = await import('../terraform/stack-json');
  for (const [name, stack] of loadSynth(synthDir)) {
    if (stack.awsProviderVersion !== AWS_PROVIDER_VERSION)
      throw new Error(`stack ${name} requires hashicorp/aws ${stack.awsProviderVersion ?? '(none)'}, but this tooling and the mirror are for ${AWS_PROVIDER_VERSION}`);
  }
  console.log(
    `${verb}: synthesized ${built.stacks.length} stacks (${options.bundle ? 'esbuild bundles' : 'placeholder Lambda code'}) into ${relative(ROOT, synthDir)} in ${synthSeconds.toFixed(1)} s`,
  );

  // 3. Tests (terraform test only): generated from the sources of truth, next to each stack.
  const assertions = new Map<string, number>();
  let generateSeconds = 0;
  if (options.command === 'test') {
    const generateStarted = performance.now();
    const { generateTests } = await import('../terraform/generate');
    for (const generated of generateTests(synthDir, (name) => stacks.includes(name))) assertions.set(generated.stack, generated.assertions);
    generateSeconds = seconds(generateStarted);
    const total = [...assertions.values()].reduce((a, b) => a + b, 0);
    console.log(`${verb}: generated ${total} assertions in ${assertions.size} test files (stacks/<stack>/tests/wiring.tftest.hcl) in ${generateSeconds.toFixed(1)} s`);
  }

  // 4. Our CLI config + ONE `terraform init -backend=false` (the provider from the mirror, through a
  // plugin cache of symlinks); every stack then shares its .terraform/providers and lock file.
  const cliConfig = join(work, 'terraform.tfrc');
  writeCliConfig(cliConfig, mirror.found);
  const env = terraformEnv(cliConfig, join(work, 'plugin-cache'));
  mkdirSync(join(work, 'plugin-cache'), { recursive: true });
  const seed = join(work, 'provider-seed');
  mkdirSync(seed, { recursive: true });
  writeFileSync(join(seed, 'main.tf.json'), JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: AWS_PROVIDER_VERSION } } } }));
  const seedStarted = performance.now();
  const seeded = await exec(terraform.found.path, ['init', '-backend=false', '-input=false', '-no-color'], seed, env);
  const seedSeconds = seconds(seedStarted);
  if (seeded.code !== 0) {
    console.error(`${verb}: terraform init could not install hashicorp/aws ${AWS_PROVIDER_VERSION} from ${mirror.found}:\n${seeded.stdout}${seeded.stderr}`);
    console.error(`(work directory kept: ${relative(ROOT, work)})`);
    return 1;
  }

  // One provider process for every stack (see the module comment), unless --provider-per-stack.
  let shared: SharedProvider | undefined;
  if (!options.providerPerStack) {
    const binary = installedProvider(seed);
    if (!binary) throw new Error(`terraform init installed no hashicorp/aws ${AWS_PROVIDER_VERSION} under ${relative(ROOT, join(seed, '.terraform', 'providers'))}`);
    shared = await startSharedProvider(binary, env);
    process.once('exit', () => void shared?.stop());
    env.TF_REATTACH_PROVIDERS = shared.reattach;
    console.log(`${verb}: one hashicorp/aws provider process for every stack (TF_REATTACH_PROVIDERS; --provider-per-stack starts one per terraform process)`);
  }

  // 5. Every stack, `jobs` at a time, the biggest first.
  const bySize = [...stacks].sort((a, b) => statSync(join(synthDir, 'stacks', b, 'cdk.tf.json')).size - statSync(join(synthDir, 'stacks', a, 'cdk.tf.json')).size);
  console.log(`${verb}: ${stacks.length} stacks, ${options.jobs} at a time`);
  const stacksStarted = performance.now();
  const results = await pool(
    bySize,
    options.jobs,
    async (stack): Promise<StackResult> => {
      const dir = join(synthDir, 'stacks', stack);
      const stackStarted = performance.now();
      // The init of the seed, shared: same provider requirement (checked above), no modules, backend off.
      mkdirSync(join(dir, '.terraform'), { recursive: true });
      symlinkSync(join(seed, '.terraform', 'providers'), join(dir, '.terraform', 'providers'));
      copyFileSync(join(seed, '.terraform.lock.hcl'), join(dir, '.terraform.lock.hcl'));
      if (options.command === 'validate') {
        const validate = await exec(terraform.found!.path, ['validate', '-json', '-no-color'], dir, env);
        const result = parseValidate(stack, validate.stdout, seconds(stackStarted));
        return validate.code !== 0 && result.ok ? { ...result, ok: false, status: 'INVALID', raw: validate.stderr } : result;
      }
      const test = await exec(terraform.found!.path, ['test', '-json', '-no-color'], dir, env);
      const result = parseTest(stack, test.stdout, seconds(stackStarted));
      return test.code !== 0 && result.ok ? { ...result, ok: false, status: 'FAIL', raw: test.stderr } : { ...result, raw: result.raw ?? (result.ok ? undefined : test.stderr) };
    },
    (result) => console.log(stackLine(options, result, assertions.get(result.stack))),
  );
  const stacksSeconds = seconds(stacksStarted);
  await shared?.stop();

  // 6. Failures with Terraform's diagnostics, then the summary and timings.
  const failed = results.filter((result) => !result.ok);
  for (const result of failed) {
    console.log(`\n── ${result.stack}: ${result.status} ${'─'.repeat(Math.max(0, 80 - result.stack.length))}`);
    for (const error of result.errors) console.log(`${renderDiagnostic(error)}\n`);
    if (result.raw?.trim())
      console.log(
        result.raw
          .trim()
          .split('\n')
          .map((line) => `    ${line}`)
          .join('\n'),
      );
  }
  const warnings = results.reduce((n, result) => n + result.warnings.length, 0);
  console.log('');
  if (options.command === 'validate') console.log(`${verb}: ${results.length - failed.length}/${results.length} stacks valid; ${warnings} warnings`);
  else {
    const total = [...assertions.values()].reduce((a, b) => a + b, 0);
    const notEvaluated = results.filter((result) => result.planErrors).reduce((n, result) => n + (assertions.get(result.stack) ?? 0), 0);
    const failedAssertions = results.reduce((n, result) => n + (result.planErrors ? 0 : (result.failedAssertions ?? 0)), 0);
    console.log(
      `${verb}: ${results.length - failed.length}/${results.length} stacks pass; ${total - notEvaluated - failedAssertions}/${total} assertions hold` +
        `${failedAssertions ? `, ${failedAssertions} fail` : ''}${notEvaluated ? `, ${notEvaluated} not evaluated (the plan failed)` : ''}; ${warnings} warnings`,
    );
  }
  for (const line of warningSummary(results)) console.log(line);
  const timings = [
    `synth ${synthSeconds.toFixed(1)} s`,
    ...(options.command === 'test' ? [`generate ${generateSeconds.toFixed(1)} s`] : []),
    `terraform init ${seedSeconds.toFixed(1)} s`,
    `${options.command} of ${results.length} stacks (${options.jobs} at a time) ${stacksSeconds.toFixed(1)} s`,
    `total ${seconds(started).toFixed(1)} s`,
  ];
  const cpu = childCpuSeconds();
  if (cpu !== undefined) timings.push(`terraform CPU ${cpu.toFixed(0)} s (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)})`);
  console.log(`${verb} timings: ${timings.join(' · ')}`);
  if (failed.length > 0 || options.keep)
    console.log(`${verb}: work directory kept: ${relative(ROOT, work)}${options.command === 'test' ? ' (tests: synth/stacks/<stack>/tests/wiring.tftest.hcl)' : ''}`);
  else rmSync(work, { recursive: true, force: true });
  if (failed.length > 0) console.log(`${verb}: FAILED: ${failed.map((result) => result.stack).join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`terraform: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
