/**
 * `ledgerline audit`: the audit trail in PostgreSQL (AUDIT-1, AUDIT-2, docs/audit-trail.md).
 *
 *   ledgerline audit migrate --database URL
 *   ledgerline audit sync    --state DIR [--workbench DIR] --database URL [--full] [--json]
 *   ledgerline audit verify  --database URL [--partition P] [--json]
 *
 * sync copies an embedded state's ledger changes, lifecycle events and transaction states (and a
 * workbench's actions) after each feed's cursor, applying the migrations first. verify exits 0
 * when every chain is intact, 1 naming every changed, deleted or reordered row.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { CliIo } from './io';
import { CliError } from './errors';
import { embeddedStateFeeds, embeddedWorkbenchFeeds } from '../adapters/embedded/audit-source';
import { migrateAuditStore } from '../adapters/postgres/audit-migrations';
import { PostgresAuditStore } from '../adapters/postgres/audit-store';
import { type Pool, poolFromUrl } from '../adapters/postgres/connect';
import { describeFault } from '../audit-trail/verify';
import { redactPans } from '../domain/pan';
import { partitionDirs } from '../runtime/state-layout';
import { type AuditFeed, copyAudit, verifyAuditTrail } from '../use-cases/copy-audit/copy-audit';
import { directory } from './options';

/** Exit status of `audit verify` when a row was changed, deleted or reordered. */
export const EXIT_TAMPERED = 1;

/** A connection URL with its password hidden (for messages). */
export function safeUrl(url: string): string {
  return redactPans(url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@'), 'identifier');
}

function openPool(url: string): Pool {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new CliError(`--database must be a postgres:// URL, got "${safeUrl(url)}"`);
  return poolFromUrl(url);
}

async function withPool<T>(url: string, work: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = openPool(url);
  try {
    return await work(pool);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === '3D000' || code === '28P01' || code === '28000') {
      throw new CliError(`cannot use the audit database ${safeUrl(url)}: ${(error as Error).message}`);
    }
    throw error;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function migrate(pool: Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    return await migrateAuditStore(client);
  } finally {
    client.release();
  }
}

export function addAuditCommand(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the audit trail in PostgreSQL: append-only, idempotent, hash-chained (AUDIT-1, AUDIT-2)');

  audit
    .command('migrate')
    .description('apply the audit schema migrations (db/audit/migrations) not applied yet')
    .requiredOption('--database <url>', 'PostgreSQL connection URL')
    .action(async (options: { database: string }) => {
      await withPool(options.database, async (pool) => {
        const applied = await migrate(pool);
        io.stdout(applied.length === 0 ? 'audit migrate: up to date\n' : `audit migrate: applied ${applied.map((file) => file.split('/').pop()).join(', ')}\n`);
      });
    });

  audit
    .command('sync')
    .description("copy an embedded state's ledger changes, lifecycle events and transaction states (and a workbench's actions) to the audit trail")
    .requiredOption('--state <dir>', 'embedded state directory', directory('--state'))
    .requiredOption('--database <url>', 'PostgreSQL connection URL')
    .option('--workbench <dir>', 'also copy the workbench actions of <dir>/workbench.db (a reconcile --out directory)')
    .option('--full', 're-read everything from the start (idempotent: nothing is stored twice)')
    .option('--role <name>', 'append as this PostgreSQL role (SET ROLE), e.g. ledgerline_audit_writer')
    .option('--json', 'print the summary as one JSON object on stdout')
    .action(async (options: { state: string; database: string; workbench?: string; full?: boolean; role?: string; json?: boolean }) => {
      if (!existsSync(options.state) || partitionDirs(options.state).length === 0) {
        throw new CliError(`audit sync: state directory "${options.state}" holds no state (run \`ledgerline post --state ${options.state} ...\` first)`);
      }
      if (options.workbench !== undefined && !existsSync(options.workbench)) throw new CliError(`audit sync: workbench directory "${options.workbench}" does not exist`);
      const feeds: AuditFeed[] = partitionDirs(options.state).flatMap((dir) => embeddedStateFeeds(dir, { full: options.full === true }));
      if (options.workbench !== undefined) feeds.push(...embeddedWorkbenchFeeds(options.workbench));
      await withPool(options.database, async (pool) => {
        await migrate(pool);
        const store = new PostgresAuditStore(pool, options.role ? { role: options.role } : {});
        const result = await copyAudit({ store, feeds }, { fromStart: options.full === true, onProgress: (message) => io.stderr(`audit sync: ${message}\n`) });
        if (options.json) io.stdout(`${JSON.stringify(result)}\n`);
        else io.stdout(`audit sync: ${result.appended} appended, ${result.duplicates} already there, from ${result.feeds.length} feed(s)\n`);
      });
    });

  audit
    .command('verify')
    .description('recompute every hash chain; name each changed, deleted or reordered row')
    .requiredOption('--database <url>', 'PostgreSQL connection URL')
    .option('--partition <p>', 'only this partition (or those under this prefix, e.g. ledger/2026-12-06)')
    .option('--json', 'print the result as one JSON object on stdout')
    .addHelpText('after', '\nExit status: 0 when every chain is intact; 1 when a row was changed, deleted or reordered (each is named).')
    .action(async (options: { database: string; partition?: string; json?: boolean }) => {
      await withPool(options.database, async (pool) => {
        const store = new PostgresAuditStore(pool);
        const result = await verifyAuditTrail(store, options.partition !== undefined ? { partition: options.partition } : {});
        if (options.json) {
          io.stdout(`${JSON.stringify({ intact: result.intact, partitions: result.partitions.length, rows: result.rows, faults: result.faults })}\n`);
        } else {
          const lines = [`audit verify: ${result.partitions.length} partition(s), ${result.rows} row(s): ${result.intact ? 'intact' : `${result.faults.length} fault(s)`}`];
          for (const fault of result.faults) lines.push(`  ${describeFault(fault)}`);
          io.stdout(`${lines.join('\n')}\n`);
        }
        if (!result.intact) process.exitCode = EXIT_TAMPERED;
      });
    });
}
