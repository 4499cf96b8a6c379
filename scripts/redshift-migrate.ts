/**
 * The deploy-time Redshift migration step (REC-2): applies the pending migrations of
 * redshift/migrations (each once, in order, one transaction each, recorded with its checksum in
 * public.schema_migrations; see redshift/migrations.ts).
 *
 *   npx tsx scripts/redshift-migrate.ts --target redshift --workgroup W --database D --secret-arn S [--region R]
 *   npx tsx scripts/redshift-migrate.ts --target postgres --url postgres://user@host:5432/db
 *   … --dry-run                  lists the pending migrations, changes nothing
 *
 * Exit status 0 when everything is applied (or, with --dry-run, listed), 1 on any error (the
 * error names the migration, the failing statement and the engine's message), 2 on bad usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { connectPostgres, postgresExecutor, redshiftExecutor } from '../redshift/executors';
import { migrate, MIGRATIONS_DIR, type SqlExecutor } from '../redshift/migrations';

export interface MigrateIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** For tests: a ready executor instead of one built from the options. */
  executor?: (options: CliOptions) => Promise<SqlExecutor>;
}

export interface CliOptions {
  target: 'redshift' | 'postgres';
  workgroup?: string;
  database?: string;
  secretArn?: string;
  region?: string;
  url?: string;
  dryRun?: boolean;
  migrations: string;
}

function program(io: MigrateIo): Command {
  return new Command('redshift-migrate')
    .description(
      'Apply the Redshift migrations (redshift/migrations/NNNN_<name>.sql) that are not yet recorded in public.schema_migrations: each once, in version order, each in one transaction with its ledger row. An applied migration whose file changed is an error naming it.',
    )
    .addOption(new Option('--target <target>', 'where to apply them').choices(['redshift', 'postgres']).makeOptionMandatory())
    .option('--workgroup <name>', 'Redshift Serverless workgroup (target redshift)')
    .option('--database <name>', 'Redshift database (target redshift)')
    .option('--secret-arn <arn>', 'Secrets Manager secret with the database credentials (target redshift)')
    .option('--region <region>', 'AWS region (target redshift; default: the environment)')
    .option('--url <url>', 'postgres://user@host:port/database (target postgres)')
    .option('--dry-run', 'list the pending migrations; change nothing')
    .option('--migrations <dir>', 'migrations directory', MIGRATIONS_DIR)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx tsx scripts/redshift-migrate.ts --target redshift --workgroup ledgerline-dev --database ledgerline \\',
        '      --secret-arn arn:aws:secretsmanager:eu-west-2:123456789012:secret:ledgerline-dev/redshift-AbCdEf',
        '  npx tsx scripts/redshift-migrate.ts --target postgres --url postgres://postgres@localhost:5432/postgres --dry-run',
        '',
        'Redshift goes through the Data API (BatchExecuteStatement per migration, polled with DescribeStatement);',
        'the caller needs redshift-data:ExecuteStatement, BatchExecuteStatement, DescribeStatement,',
        'GetStatementResult, CancelStatement on the workgroup and secretsmanager:GetSecretValue on the secret.',
        'PostgreSQL (the stand-in) runs the same SQL through the dialect layer (redshift/dialect.ts).',
      ].join('\n'),
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });
}

async function executorFor(options: CliOptions): Promise<SqlExecutor> {
  if (options.target === 'redshift') {
    return redshiftExecutor({ workgroup: options.workgroup!, database: options.database!, secretArn: options.secretArn!, ...(options.region ? { region: options.region } : {}) });
  }
  const url = new URL(options.url!);
  const label = `PostgreSQL ${decodeURIComponent(url.host)}${url.pathname}`;
  return postgresExecutor(await connectPostgres(options.url!), label);
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: readonly string[], io: MigrateIo = { out: (line) => console.log(line), err: (line) => console.error(line) }): Promise<number> {
  const command = program(io);
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = command.opts<CliOptions>();
  const missing =
    options.target === 'redshift'
      ? (['workgroup', 'database', 'secretArn'] as const).filter((name) => !options[name]).map((name) => `--${name === 'secretArn' ? 'secret-arn' : name}`)
      : options.url
        ? []
        : ['--url'];
  if (missing.length > 0) {
    io.err(`error: --target ${options.target} needs ${missing.join(', ')} (see --help)`);
    return 2;
  }
  if (options.target === 'postgres' && !/^postgres(ql)?:\/\//.test(options.url!)) {
    io.err(`error: --url ${options.url} is not a postgres:// URL`);
    return 2;
  }
  let executor: SqlExecutor | undefined;
  try {
    executor = await (io.executor ?? executorFor)(options);
    const outcome = await migrate(executor, { dir: options.migrations, dryRun: options.dryRun === true, log: io.out });
    if (options.dryRun) io.out(`${outcome.pending.length} pending, ${outcome.alreadyApplied.length} applied (dry run: nothing changed)`);
    else io.out(`${outcome.applied.length} applied now, ${outcome.alreadyApplied.length} applied before`);
    return 0;
  } catch (error) {
    io.err(`redshift-migrate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await executor?.close().catch(() => undefined);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
