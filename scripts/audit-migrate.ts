/**
 * The deploy-time step "audit migrations" (DEP-2, AUDIT-1): applies db/audit/migrations to the
 * audit trail's Aurora PostgreSQL cluster through the RDS Data API, with THE migration runner
 * `ledgerline audit migrate` runs locally (src/use-cases/migrate-audit-store): each migration once,
 * in order, all pending ones in one transaction under an advisory lock; a failing statement leaves
 * nothing applied and the error names the file. CodeBuild is not in the cluster's VPC, hence the
 * Data API (no migration Lambda to build, deploy and keep in step).
 *
 *   npx tsx scripts/audit-migrate.ts --cluster-arn A --secret-arn S --database D [--region R] [--migrations DIR]
 *
 * Exit status 0 when everything is applied, 1 on any error (named), 2 on bad usage.
 */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { Command, CommanderError } from 'commander';
import { dataApiTransactions } from '../src/adapters/aws/audit-data-api';
import { AUDIT_MIGRATIONS_DIR, readAuditMigrations } from '../src/adapters/postgres/audit-migrations';
import type { SqlTransactions } from '../src/ports/sql-transactions';
import { runAuditMigrations } from '../src/use-cases/migrate-audit-store/migrate-audit-store';

export interface CliOptions {
  clusterArn: string;
  secretArn: string;
  database: string;
  region?: string;
  migrations: string;
}

export interface MigrateIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The database the migrations go to (default: the Data API on the options' cluster). */
  connect?: (options: CliOptions) => SqlTransactions;
}

function dataApi(options: CliOptions): SqlTransactions {
  const client = new RDSDataClient(options.region ? { region: options.region } : {});
  return dataApiTransactions(client, { resourceArn: options.clusterArn, secretArn: options.secretArn, database: options.database });
}

/** Runs the step; resolves to the exit status. */
export async function main(argv: readonly string[], io: MigrateIo = { out: (line) => console.log(line), err: (line) => console.error(line) }): Promise<number> {
  const command = new Command('audit-migrate')
    .description('Apply the audit trail migrations (db/audit/migrations) not yet applied, through the RDS Data API. AUDIT-1, DEP-2.')
    .requiredOption('--cluster-arn <arn>', 'the audit trail Aurora cluster')
    .requiredOption('--secret-arn <arn>', "the cluster's master secret (the Data API signs in with it)")
    .requiredOption('--database <name>', 'the audit database')
    .option('--region <region>', 'AWS region (default: the environment)')
    .option('--migrations <dir>', 'migrations directory', AUDIT_MIGRATIONS_DIR)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = command.opts<CliOptions>();
  try {
    const migrations = readAuditMigrations(options.migrations);
    const db = (io.connect ?? dataApi)(options);
    const applied = await runAuditMigrations(db, migrations);
    for (const file of applied) io.out(`applied ${file}`);
    io.out(`audit migrations: ${applied.length} applied, ${migrations.length - applied.length} already in place (${db.label})`);
    return 0;
  } catch (error) {
    io.err(`audit-migrate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (status) => process.exit(status),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
