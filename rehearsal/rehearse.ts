/**
 * REH-1. `npm run rehearse -- --env dev [--count 10000] [--seed 42] [--keep DIR] [--synth DIR] [--report FILE]`
 *
 * The deployed system, booted offline from its own synthesized Terraform:
 * 1. synthesizes the environment with real esbuild bundles (or reads --synth DIR) and reads its
 *    stacks' cdk.tf.json; everything below comes from that JSON;
 * 2. boots the stand-ins (rehearsal/cloud.ts) and prints what is emulated and what is a gap;
 * 3. runs the deploy-time steps of a first deploy (reference data, secrets, Redshift migrations);
 * 4. writes N generated authorisations (+ one poisoned record) into the authorisation table:
 *    stream → Pipe → ingest → bus → rules → queues → consumers → … → posting records, with
 *    injected redeliveries (duplicate deliveries, expired visibility timeouts) and one transient
 *    fault that exhausts a message's receives (→ parked RETRYING → the sweeper schedule →
 *    the redrive state machine);
 * 5. uploads one bank statement generated from the ledger: S3 Object Created → default bus →
 *    statement-uploaded rule → reconcile-trigger → the reconciliation state machine;
 * 6. runs the operating-mode functions (rehearsal/modes.ts, MODE-2, MODE-4, FLOW-1..3): a file
 *    uploaded under the batch prefix → the S3 rule → ingest-batch (and uploaded again: nothing
 *    posts twice); authorise invoked synchronously as the caller its permission names; a payment's
 *    event lost between stages → the flow auditor's schedule → repaired, its alarm's metric read;
 * 7. runs the embedded CLI on the same inputs (continued with the modes' inputs) and prints EQUAL
 *    or a precise diff;
 * 8. with --counts FILE (COST-1), writes what the traffic and the sweeper cost in requests,
 *    capacity, invocations, durations and log bytes (rehearsal/metering.ts), for `ledgerline cost`.
 * Exits non-zero on any difference, any IAM denial, any unexpected dead letter or any function
 * that cannot start.
 */
import { writeFileSync } from 'node:fs';
import type { RehearsalOptions, RehearsalReport } from './run';

export type { DeadLetterReport, QueueReport, RehearsalOptions, RehearsalReport, TwinSwap } from './run';

/** The rehearsal (rehearsal/run.ts), its modules (stand-ins, SDK clients, the stacks) loaded on the first call: `--help` and a refused argument answer without them. */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalReport> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./run') as typeof import('./run')).rehearse(options);
}

export const USAGE = `usage: npm run rehearse -- [options]

Boots one environment's synthesized Terraform on local stand-ins, runs generated traffic through the
real bundles (every AWS call checked against the synthesized IAM), then the operating-mode
functions (ingest-batch, authorise, flow-auditor), and compares the ledger, posting records,
reconciliation results and mode outcomes with the embedded run (REH-1). Exit 0: equal and clean.
REHEARSAL_EMBEDDED_PROCESS=spawn runs each embedded CLI command in its own process.

  --env NAME            environment to synthesize and rehearse (default dev)
  --count N             generated authorisations (default 10000)
  --seed N              generator seed (default 42)
  --duplicates RATE     share of re-sent authorisations, 0..1 (default 0.01)
  --synth DIR           use this synthesized cdktf.out instead of synthesizing
  --bundles DIR         synthesize with the functions already bundled in DIR (DIR/<name>/index.js,
                        as \`npm run build\` writes dist/functions) instead of bundling them now
  --keep DIR            keep function logs, the full ledger and the outbox in DIR
  --report FILE         write the full report as JSON
  --max-processes N     processes per function (default 2)
  --counts FILE         meter the traffic and the sweeper and write the measured counts (COST-1)
                        for \`ledgerline cost\`, e.g. cost/measured/dev.counts.json
  -h, --help            this text
`;

const VALUED_OPTIONS = new Set(['--env', '--count', '--seed', '--duplicates', '--synth', '--bundles', '--keep', '--report', '--max-processes', '--counts']);

function parseArgs(argv: readonly string[]): RehearsalOptions & { report?: string } {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!VALUED_OPTIONS.has(arg)) throw new Error(`unknown argument "${arg}" (see --help)`);
    if (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) throw new Error(`${arg} needs a value (see --help)`);
    i += 1;
  }
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const integer = (name: string, fallback: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    if (!/^[0-9]+$/.test(text)) throw new Error(`${name} expects a whole number, got "${text}"`);
    return Number(text);
  };
  const duplicates = value('--duplicates');
  if (duplicates !== undefined && !/^(0(\.[0-9]+)?|1)$/.test(duplicates)) throw new Error(`--duplicates expects a rate 0..1, got "${duplicates}"`);
  return {
    env: value('--env') ?? 'dev',
    count: integer('--count', 10000),
    seed: integer('--seed', 42),
    duplicateRate: duplicates === undefined ? 0.01 : Number(duplicates),
    keep: value('--keep'),
    synthDir: value('--synth'),
    bundleDir: value('--bundles'),
    maxProcesses: integer('--max-processes', 2),
    report: value('--report'),
    counts: value('--counts'),
  };
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: ReturnType<typeof parseArgs>;
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`rehearse: ${(error as Error).message}\n`);
    process.exit(2);
  }
  rehearse(options)
    .then((report) => {
      if (options.report) writeFileSync(options.report, `${JSON.stringify(report, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
      process.exitCode = report.exitCode;
    })
    .catch((error: unknown) => {
      process.stderr.write(`rehearse: FAILED: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    });
}
