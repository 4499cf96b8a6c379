/**
 * `ledgerline reconcile` and `ledgerline inbox` (REC-1): registered on the CLI program by
 * src/cli/main.ts. Machine output with --json on stdout alone; progress on stderr; user errors
 * (bad arguments, bad input files) are CliErrors with exit code 2.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, EXIT_LOCKED } from '../../cli/errors';
import type { StatementFormat } from '../types';
import { parseEncoding, STATEMENT_ENCODINGS, type StatementEncoding } from '../parsers/encoding';
import { resolveCsvProfile } from '../parsers/csv-profiles';
import { isIsoDate } from './ledger-file';
import type { InboxEvent } from './inbox';
import type { CommittedRun, LedgerOption, NothingNew } from './reconcile';
import type { BalanceCheck } from './results';
import type { CliIo } from '../../cli/io';
import { directory, directoryFault } from '../../cli/options';

// The use cases load DuckDB, SQLite, the parsers and the matcher: only when these commands run.
/* eslint-disable @typescript-eslint/no-require-imports */
const useCases = () => require('./reconcile') as typeof import('./reconcile');
const inboxModule = () => require('./inbox') as typeof import('./inbox');
const lockModule = () => require('../../adapters/embedded/recon-results') as typeof import('../../adapters/embedded/recon-results');
/* eslint-enable @typescript-eslint/no-require-imports */

const FORMATS: readonly StatementFormat[] = ['camt.052', 'camt.053', 'camt.054', 'mt940', 'mt942', 'bai2', 'csv'];

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function isoDate(value: string): string {
  if (!isIsoDate(value)) throw new InvalidArgumentError(`--as-of must be a date YYYY-MM-DD, got "${value}"`);
  return value;
}

function format(value: string): StatementFormat {
  if (!FORMATS.includes(value as StatementFormat)) throw new InvalidArgumentError(`--format must be one of ${FORMATS.join(', ')}, got "${value}"`);
  return value as StatementFormat;
}

/** REC-IN-7: --encoding; a bad value is a usage error naming it and the encodings there are. */
function encoding(value: string): StatementEncoding {
  try {
    return parseEncoding(value);
  } catch (error) {
    throw new InvalidArgumentError(`--encoding: ${(error as Error).message}`);
  }
}

const ENCODING_HELP = `the statement files' text encoding: ${STATEMENT_ENCODINGS.join(', ')} (default: UTF-8, else Windows-1252 where that reading is unambiguous)`;

function ledgerOption(command: string, options: { ledger?: string; state?: string; accounts?: string }): LedgerOption {
  if (options.accounts !== undefined && !existsSync(options.accounts)) throw new CliError(`${command}: account registry "${options.accounts}" does not exist`);
  if (options.accounts !== undefined && statSync(options.accounts).isDirectory()) throw new CliError(`${command}: account registry "${options.accounts}" is a directory, expected a file`);
  const side = ledgerSideOption(command, options);
  return options.accounts !== undefined ? { ...side, accounts: options.accounts } : side;
}

function ledgerSideOption(command: string, options: { ledger?: string; state?: string }): LedgerOption {
  if (options.ledger && options.state) throw new CliError(`${command}: give either --ledger FILE or --state DIR, not both`);
  if (options.ledger) {
    if (!existsSync(options.ledger)) throw new CliError(`${command}: ledger file "${options.ledger}" does not exist`);
    if (statSync(options.ledger).isDirectory()) throw new CliError(`${command}: ledger "${options.ledger}" is a directory, expected a CSV or NDJSON file`);
    return { file: options.ledger };
  }
  if (options.state) {
    if (!existsSync(options.state)) throw new CliError(`${command}: state directory "${options.state}" does not exist (run \`ledgerline post --state ${options.state} ...\` first)`);
    return { stateDir: options.state };
  }
  throw new CliError(`${command}: the ledger side is required: --ledger FILE (CSV or NDJSON) or --state DIR (the posting pipeline's state)`);
}

/**
 * What `reconcile` and `inbox` refuse before they create, lock or move anything: an --out,
 * --registry or --quarantine that is a file, a rule set that is missing or bad, a CSV profile that does not exist (whether or not a CSV
 * statement comes).
 */
function checkRunOptions(command: string, options: { out: string; registry?: string; quarantine?: string; rules?: string; profile?: string }): void {
  for (const [option, dir] of [
    ['--out', options.out],
    ['--registry', options.registry],
    ['--quarantine', options.quarantine],
  ] as const) {
    const fault = dir === undefined ? undefined : directoryFault(option, dir);
    if (fault) throw new CliError(`${command}: ${fault}`);
  }
  if (options.rules !== undefined) {
    const { loadRules, ReconcileConfigError } = useCases();
    try {
      loadRules(options.rules);
    } catch (error) {
      throw error instanceof ReconcileConfigError ? new CliError(`${command}: ${error.message}`) : error;
    }
  }
  if (options.profile !== undefined) {
    try {
      resolveCsvProfile(options.profile);
    } catch (error) {
      throw new CliError(`${command}: --profile: ${(error as Error).message}`);
    }
  }
}

/** Every --statement is a file that is there, or a usage error naming it (before --out is created). */
function checkStatementFiles(files: readonly string[]): void {
  for (const file of files) {
    if (!existsSync(file)) throw new CliError(`reconcile: statement file "${file}" does not exist`);
    if (statSync(file).isDirectory()) throw new CliError(`reconcile: statement "${file}" is a directory, expected a file`);
  }
}

function formatNothingNew(outcome: NothingNew): string {
  return [
    'nothing new: every statement was reconciled before; no run was committed',
    ...outcome.reuploaded.map((r) => `re-upload         ${r.file} (already reconciled in ${r.firstRunId}, by ${r.by}; skipped)`),
    `results           unchanged${outcome.currentRunId ? ` (current run ${outcome.currentRunId})` : ''}`,
  ].join('\n');
}

/**
 * Indented count rows ("  <name>  <n>"), their counts in one column: past the longest name by at
 * least one space, so a long rule id or reason never runs into its count.
 */
export function countRows(counts: Record<string, number>): string[] {
  const entries = Object.entries(counts);
  const width = Math.max(15, ...entries.map(([name]) => name.length)) + 1;
  return entries.map(([name, n]) => `  ${name.padEnd(width)}${n}`);
}

/** Up to this many statements' balance checks are listed one a line; past it, only those that differ, and a count. */
export const BALANCE_ROWS = 10;

/**
 * The run's balance checks for a reader: each one for a run of up to BALANCE_ROWS statements; for a
 * larger run (a million lines come in hundreds of statements) every check that differs, then how
 * many were ok. summary.json lists every check.
 */
export function balanceRows(checks: readonly Pick<BalanceCheck, 'statementId' | 'accountId' | 'ok' | 'difference' | 'currency' | 'fault'>[]): string[] {
  // A fault (a closing balance in another currency) is why the difference is not one to chase: named as summary.json names it.
  const row = (b: (typeof checks)[number]): string =>
    `balance           ${b.statementId} ${b.accountId}: ${b.ok ? 'ok' : `DIFFERS by ${b.difference} ${b.currency}${b.fault !== undefined ? ` (${b.fault})` : ''}`}`;
  if (checks.length <= BALANCE_ROWS) return checks.map(row);
  const differing = checks.filter((b) => !b.ok);
  return [
    ...differing.map(row),
    `balance           ${checks.length - differing.length} of ${checks.length} statements ok${differing.length > 0 ? `, ${differing.length} differ (above)` : ''}; every check is in summary.json`,
  ];
}

function formatOutcome(outcome: CommittedRun): string {
  const s = outcome.summary;
  const lines = [
    `run ${s.runId} (as of ${s.asOf}, rules ${s.ruleSet.ruleSetId} v${s.ruleSet.version})`,
    `statement lines   ${s.statementLines}`,
    `ledger entries    ${s.ledgerEntries}${s.ledgerEntriesAlreadyReconciled ? ` (+${s.ledgerEntriesAlreadyReconciled} reconciled earlier)` : ''}`,
    `matched           ${s.matched.total} (${s.matched.confirmed} confirmed, ${s.matched.proposed} proposed)`,
    ...countRows(s.matched.byRule),
    `unmatched         ${s.unmatchedStatement} statement, ${s.unmatchedLedger} ledger`,
    ...countRows(s.exceptions),
    // REC-IN-4/5: pending and foreign-currency lines are in `statement lines` but never matched; counted here so every line is accounted for.
    ...(s.excludedFromMatching
      ? [
          `excluded          ${Object.values(s.excludedFromMatching.counts).reduce((sum, n) => sum + (n ?? 0), 0)} statement line(s), not matched (summary.json lists them)`,
          ...countRows(s.excludedFromMatching.counts as Record<string, number>),
        ]
      : []),
    ...s.reuploaded.map((r) => `re-upload         ${r.file} (already reconciled in ${r.firstRunId}, by ${r.by}; skipped)`),
    ...s.statementFiles.flatMap((f) => (f.skippedStatements ?? []).map((k) => `re-upload         ${f.file}: statement ${k.statementId} (already reconciled in ${k.firstRunId}; skipped)`)),
    ...balanceRows(s.balanceChecks),
    `results           ${outcome.runDir}`,
  ];
  return lines.join('\n');
}

function describeEvent(event: InboxEvent): string {
  switch (event.outcome) {
    case 'reconciled':
      return `${event.file}: reconciled (run ${event.runId}, ${event.matched} match(es)) → ${event.movedTo}`;
    case 'reuploaded':
      return `${event.file}: already reconciled (run ${event.runId}) → ${event.movedTo}`;
    case 'quarantined':
      return `${event.file}: quarantined → ${event.movedTo}: ${event.reason}`;
    default:
      return `${event.file}: FAILED (left in the inbox): ${event.reason}`;
  }
}

export function addReconcileCommands(program: Command, io: CliIo): void {
  program
    .command('reconcile')
    .description('reconcile bank statement files (camt.052/053/054, MT940/942, BAI2, CSV) against a ledger file or the posting state; results are written atomically to --out')
    .requiredOption('--statement <file>', 'a statement file (repeat for several)', collect)
    .option('--ledger <file>', 'ledger file: CSV with a header or NDJSON (entryId, accountId, currency, amount, bookingDate, valueDate, reference, description)')
    .option('--state <dir>', "instead of --ledger: the posting pipeline's state directory (accounts resolved through reference data)", directory('--state'))
    .option(
      '--accounts <file>',
      'registry of the accounts finance reconciles, one account id or IBAN per line: a declared account with no ledger entries yet reconciles to all unmatched instead of being refused',
    )
    .option('--rules <file>', 'matching rule set (default: config/recon/default.rules.json)')
    .option('--profile <name>', 'CSV column-mapping profile for CSV statements')
    .option('--format <format>', `force the statement format instead of detecting it (${FORMATS.join(', ')})`, format)
    .option('--encoding <encoding>', ENCODING_HELP, encoding)
    .option('--as-of <date>', 'YYYY-MM-DD the ages of unmatched items are counted to (default: the latest statement date)', isoDate)
    .requiredOption(
      '--out <dir>',
      "results directory (created if absent): matches.csv, exceptions.csv, summary.json, audit.ndjson, recon.duckdb, parquet/, registry.db (the runs reconciled), workbench.db (the exceptions workbench's cases)",
    )
    .option('--registry <dir>', 're-upload registry directory (default: --out)')
    .option('--quarantine <dir>', 'where bad input files are copied with <name>.reason.txt (default: <out>/quarantine)')
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText(
      'after',
      [
        '',
        'A statement reconciled before — the same bytes (SHA-256), or the same statement (format, account,',
        'statement id or sequence number, period) however it is encoded — is reported as reuploaded and',
        'skipped; when nothing is new no run is committed and the current results stay.',
        'Bad input (malformed, truncated, unknown format, wrong precision, unknown account) exits 2,',
        'names the file and the line or element, and copies the file to quarantine; nothing is recorded.',
        '',
        'Example:',
        '  ledgerline reconcile --statement camt053.xml --ledger ledger.csv --out recon-out --json',
      ].join('\n'),
    )
    .action(
      async (options: {
        statement: string[];
        ledger?: string;
        state?: string;
        rules?: string;
        profile?: string;
        format?: StatementFormat;
        encoding?: StatementEncoding;
        asOf?: string;
        out: string;
        registry?: string;
        quarantine?: string;
        json?: boolean;
      }) => {
        const ledger = ledgerOption('reconcile', options);
        checkStatementFiles(options.statement);
        checkRunOptions('reconcile', options);
        const { reconcile, ReconcileConfigError, RejectedInputError } = useCases();
        try {
          const outcome = await reconcile({
            statements: options.statement,
            ledger,
            rulesFile: options.rules,
            profile: options.profile,
            format: options.format,
            encoding: options.encoding,
            asOf: options.asOf,
            out: options.out,
            registryDir: options.registry,
            quarantineDir: options.quarantine,
            progress: (message) => io.stderr(`${message}\n`),
          });
          io.stdout(options.json ? `${JSON.stringify(outcome.json)}\n` : `${outcome.committed ? formatOutcome(outcome) : formatNothingNew(outcome)}\n`);
        } catch (error) {
          if (error instanceof RejectedInputError) throw new CliError(`reconcile: ${error.message} (quarantined: ${error.quarantined.file})`);
          // LOCK-1: another writer holds --out.
          if (error instanceof lockModule().DirLockedError) throw new CliError(`reconcile: ${error.message}`, EXIT_LOCKED);
          if (error instanceof ReconcileConfigError) throw new CliError(`reconcile: ${error.message}`);
          throw error;
        }
      },
    );

  program
    .command('inbox')
    .description('watch an inbox folder: each statement file dropped there is reconciled into --out, then moved to <dir>/processed/ (or <dir>/quarantine/ with its reason); idempotent by content hash')
    .requiredOption('--dir <inbox>', 'the inbox folder to watch')
    .requiredOption('--out <dir>', 'results directory (as for `ledgerline reconcile`)')
    .option('--ledger <file>', 'ledger file: CSV or NDJSON')
    .option('--state <dir>', "instead of --ledger: the posting pipeline's state directory", directory('--state'))
    .option('--accounts <file>', 'registry of the accounts finance reconciles (one account id or IBAN per line)')
    .option('--rules <file>', 'matching rule set')
    .option('--profile <name>', 'CSV column-mapping profile for CSV statements')
    .option('--encoding <encoding>', ENCODING_HELP, encoding)
    .option('--registry <dir>', 're-upload registry directory (default: --out)')
    .option('--once', 'process the files already in the inbox, then exit (no watching)')
    .option('--json', 'print JSON: with --once one object {events}, else one event per line')
    .addHelpText('after', '\nExample:\n  ledgerline inbox --dir ./inbox --out ./recon-out --ledger ledger.csv --once --json')
    .action(
      async (options: {
        dir: string;
        out: string;
        ledger?: string;
        state?: string;
        rules?: string;
        profile?: string;
        encoding?: StatementEncoding;
        registry?: string;
        once?: boolean;
        json?: boolean;
      }) => {
        const ledger = ledgerOption('inbox', options);
        if (!existsSync(options.dir)) throw new CliError(`inbox: inbox directory "${options.dir}" does not exist`);
        if (!statSync(options.dir).isDirectory()) throw new CliError(`inbox: inbox "${options.dir}" is not a directory`);
        checkRunOptions('inbox', options);
        if (resolve(options.out).startsWith(`${resolve(options.dir)}/`) || resolve(options.out) === resolve(options.dir)) {
          throw new CliError('inbox: --out must not be inside the inbox folder');
        }
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        if (!options.once) {
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        }
        try {
          const events = await inboxModule().runInbox({
            dir: options.dir,
            out: options.out,
            ledger,
            rulesFile: options.rules,
            profile: options.profile,
            encoding: options.encoding,
            registryDir: options.registry,
            once: options.once,
            signal: controller.signal,
            // LOCK-1: "watching" only once the locks are held, so a second writer started after it fails at once.
            onLocked: options.once ? undefined : () => io.stderr(`watching ${resolve(options.dir)} (Ctrl-C to stop)\n`),
            progress: (message) => io.stderr(`${message}\n`),
            onEvent: (event) => {
              if (options.json && !options.once) io.stdout(`${JSON.stringify(event)}\n`);
              else if (!options.json) io.stdout(`${describeEvent(event)}\n`);
            },
          });
          if (options.json && options.once) io.stdout(`${JSON.stringify({ events })}\n`);
          if (events.some((event) => event.outcome === 'failed')) process.exitCode = 1;
        } catch (error) {
          // LOCK-1: another writer holds --out or the inbox.
          if (error instanceof lockModule().DirLockedError) throw new CliError(`inbox: ${error.message}`, EXIT_LOCKED);
          throw error;
        } finally {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
        }
      },
    );
}
