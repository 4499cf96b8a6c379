/**
 * `ledgerline cost --env <env> [--json]` (COST-1): the AWS list-price bill per 1M posted payments
 * of one environment, from its synthesized Terraform (`npm run synth`), the counts a deployment
 * rehearsal measured (`npm run rehearse -- --counts`) and the one dated price file
 * (config/prices/). This module reads the files and prints; the arithmetic is src/cost (pure).
 */
import type { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  computeCost,
  CostFileError,
  CostModelError,
  DeploymentConfigError,
  parseCounts,
  parsePrices,
  readDeploymentConfig,
  reportDocument,
  reportText,
  SEED_RATE_PER_SECOND,
  type ReportSources,
} from '../cost';
import { CliError } from './errors';
import { positiveInteger } from './options';
import type { CliIo } from './io';

/** The repository root: the defaults (price file, measured counts, cdktf.out) live there. */
const ROOT = resolve(__dirname, '..', '..');

export interface CostCommandOptions {
  env: string;
  json?: boolean;
  counts?: string;
  synth?: string;
  prices?: string;
  rate?: number;
}

function shown(path: string): string {
  const fromRoot = relative(ROOT, path);
  return fromRoot.startsWith('..') ? path : fromRoot;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new CliError(`cost: ${what} ${shown(path)} is not JSON: ${(error as Error).message}`);
  }
}

/** The price file: --prices, else the newest dated file in config/prices/. */
function pricesFile(option: string | undefined): string {
  if (option) {
    const path = resolve(option);
    if (!existsSync(path)) throw new CliError(`cost: price file ${option} does not exist`);
    return path;
  }
  const dir = join(ROOT, 'config', 'prices');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .sort()
    : [];
  if (files.length === 0) throw new CliError(`cost: no price file in ${shown(dir)} (expected aws-<region>.<yyyy-mm>.json)`);
  return join(dir, files[files.length - 1]!);
}

function readdirIfDirectory(dir: string): string[] {
  return existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir) : [];
}

/** Every stack of `env` in the synth directory, parsed (stack name → cdk.tf.json). */
function synthesizedStacks(synthDir: string, env: string): Record<string, unknown> {
  const stacksDir = join(synthDir, 'stacks');
  const prefix = `ledgerline-${env}-`;
  const names = readdirIfDirectory(stacksDir).filter((name) => name.startsWith(prefix));
  const found = names.filter((name) => existsSync(join(stacksDir, name, 'cdk.tf.json')));
  if (found.length === 0) {
    // Other environments' stacks there: this one is not an environment the synthesis makes.
    const others = [...new Set(readdirIfDirectory(stacksDir).flatMap((name) => /^ledgerline-(.+)-[a-z]+$/.exec(name)?.[1] ?? []))].sort();
    if (others.length > 0) throw new CliError(`cost: environment "${env}" is not synthesized in ${shown(synthDir)}; the environments there: ${others.join(', ')}`);
    throw new CliError(`cost: no synthesized configuration of environment "${env}" in ${shown(synthDir)} (no stacks/${prefix}*/cdk.tf.json): run \`npm run synth\` first, or pass --synth DIR`);
  }
  return Object.fromEntries(found.map((name) => [name, readJson(join(stacksDir, name, 'cdk.tf.json'), 'synthesized stack')]));
}

export function runCost(options: CostCommandOptions, io: CliIo): void {
  const env = options.env;
  if (!/^[a-z][a-z0-9-]*$/.test(env)) throw new CliError(`cost: --env must be an environment name such as dev or prod, got "${env}"`);
  // The environment first: one that is not synthesized is named as such, before its counts are asked for.
  const synthDir = resolve(options.synth ?? join(ROOT, 'cdktf.out'));
  const stacks = synthesizedStacks(synthDir, env);
  const countsPath = resolve(options.counts ?? join(ROOT, 'cost', 'measured', `${env}.counts.json`));
  if (!existsSync(countsPath))
    throw new CliError(`cost: no measured counts for ${env} at ${shown(countsPath)}: measure them with \`npm run rehearse -- --env ${env} --count 2000 --counts ${shown(countsPath)}\``);
  const pricesPath = pricesFile(options.prices);
  try {
    const prices = parsePrices(readJson(pricesPath, 'price file'), shown(pricesPath));
    const counts = parseCounts(readJson(countsPath, 'counts file'), shown(countsPath));
    const config = readDeploymentConfig(env, stacks);
    const report = computeCost(prices, config, counts, { ratePerSecond: options.rate ?? SEED_RATE_PER_SECOND });
    const sources: ReportSources = { pricesFile: shown(pricesPath), prices, countsFile: shown(countsPath), counts, synthDir: shown(synthDir) };
    if (!counts.clean) io.stderr(`cost: warning: ${shown(countsPath)} was measured by a run that was not clean (differences, denials or findings)\n`);
    if (options.json) io.stdout(`${JSON.stringify(reportDocument(report, sources), null, 2)}\n`);
    else io.stdout(reportText(report, sources));
  } catch (error) {
    if (error instanceof CostFileError) throw new CliError(`cost: ${error.message}`);
    if (error instanceof CostModelError || error instanceof DeploymentConfigError) throw new CliError(`cost: ${error.message}`);
    throw error;
  }
}

export function addCostCommand(program: Command, io: CliIo): void {
  program
    .command('cost')
    .description('the AWS list-price bill per 1M posted payments of an environment, from its synth and measured counts, with the quotas at the seed rate (COST-1)')
    .requiredOption('--env <env>', 'environment (dev, staging, prod): reads its synthesized stacks and cost/measured/<env>.counts.json')
    .option('--json', 'print one stable JSON document (lines with their arithmetic, total, quotas)')
    .option('--counts <file>', 'measured counts (default cost/measured/<env>.counts.json, written by `npm run rehearse -- --env <env> --counts FILE`)')
    .option('--synth <dir>', 'synthesized cdktf.out directory (default cdktf.out, written by `npm run synth`)')
    .option('--prices <file>', 'price file (default: the newest config/prices/*.json)')
    .option('--rate <payments/s>', `payment rate the quotas are checked at (default ${SEED_RATE_PER_SECOND}, the seed's sustained rate)`, positiveInteger('--rate'))
    .addHelpText(
      'after',
      [
        '',
        'Every line is count per payment × 1,000,000 × unit price = $, where the count comes from the measured file',
        '(requests, DynamoDB capacity, Lambda invocations and billed duration, events, log bytes) divided by the',
        'payments that run posted, and the configuration (memory, architecture, windows, keys, retention) from the synth.',
        'Quotas: need at the rate, the limit in the environment region, headroom (limit ÷ need) and the highest',
        'sustainable payments/s. Exit 2 when an input is missing or malformed (the message names the file, the field,',
        'or the command that produces it).',
        '',
        'Examples:',
        '  npm run synth && ledgerline cost --env prod',
        '  npm run rehearse -- --env prod --count 2000 --counts cost/measured/prod.counts.json',
        '  ledgerline cost --env prod --json | jq .totalUsd',
      ].join('\n'),
    )
    .action((options: CostCommandOptions) => runCost(options, io));
}
