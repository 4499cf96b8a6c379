/**
 * `ledgerline`: the one command-line entry point. Every command has --help; machine output
 * with --json goes to stdout alone; progress and diagnostics go to stderr.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createReadStream, existsSync, mkdtempSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CliError, EXIT_LOCKED } from './errors';
import type { CliIo } from './io';
import { progressBar } from './progress';
import { directory, positiveInteger, wholeNumber } from './options';
import { openStateDatabase } from '../adapters/embedded/database';
import { SqliteDeadLetterStore } from '../adapters/embedded/dead-letters';
import { acquireDirLock, DirLockedError } from '../adapters/embedded/dir-lock';
import { SqliteLedgerStore } from '../adapters/embedded/ledger-store';
import { loadReferenceData } from '../adapters/embedded/reference-data';
import { authorisationLines } from '../generator/authorisations';
import { EmbeddedRuntime, SUMMARY_CATEGORIES } from '../runtime/embedded-runtime';
import { postPartitioned } from '../runtime/partitioned-runtime';
import { partitionDirs } from '../runtime/state-layout';
import { fromMinorUnits, toMinorUnits } from '../domain/money';
import { withoutByteOrderMark } from '../domain/ingest';
import { assertHotAccounts, HotAccountConfigError, knownAccounts } from '../domain/hot-accounts';
import type { BalanceView } from '../ports';
import type { RunSummary } from '../runtime/embedded-runtime';
import { addReconcileCommands } from '../recon/run/cli-commands';
import { addWorkbenchCommand } from '../recon/workbench/cli-command';
import { addIdpCommand } from './idp-command';
import { configureLoadReferenceDataCommand } from '../adapters/aws/reference-data-loader';
import { addCostCommand } from './cost';
import { addAuditFlowCommand } from './audit-flow-command';
import { addAuditCommand } from './audit-command';
import { addReplayCommand } from './replay-command';
import { addDlqCommand } from './dlq-command';
import { addNotifyCommand } from './notify-command';
import { addServeCommand } from './serve-command';
import { addTokenCommand } from './token-command';
import { addModeCommands } from './modes-command';
import { FaultDropError, parseDropRatio } from '../runtime/fault-drop';
import type { DropCounts } from '../runtime/fault-drop';
import { DEFAULT_RULE_SET_FILE } from '../rule-sets';

export type { CliIo } from './io';

/**
 * Progress and diagnostics (stderr). On the batch commands' worker thread (bin/ledgerline.js)
 * process.stderr hands each write to the main thread only when the worker next yields, so a line
 * written before a long synchronous phase (matching) would appear after it: there the line is
 * written to fd 2 at once, as the main thread does; if the descriptor cannot take it now (a full
 * non-blocking pipe), it goes the asynchronous way.
 */
function writeStderr(text: string): void {
  if (isMainThread) {
    process.stderr.write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(2, bytes, written);
  } catch {
    process.stderr.write(bytes.subarray(written));
  }
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: writeStderr,
};

/** The generator's duplicate share: a sampling probability, not money. */
function rate(text: string): number {
  if (!/^(0(\.[0-9]+)?|1(\.0+)?)$/.test(text)) throw new InvalidArgumentError(`--duplicates must be a fraction between 0 and 1 (e.g. 0.02), got "${text}"`);
  return Number(text);
}

async function* fileLines(path: string, onBytes: (bytes: number) => void): AsyncGenerator<string> {
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  let first = true;
  for await (const line of reader) {
    onBytes(Buffer.byteLength(line) + 1);
    // ING-1: a UTF-8 byte-order mark on the first line is ignored, as every reader does.
    yield first ? withoutByteOrderMark(line) : line;
    first = false;
  }
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

export function buildProgram(io: CliIo = defaultIo): Command {
  const program = new Command('ledgerline')
    .description(
      'Ledgerline: post authorised card payments to a balanced ledger and reconcile bank statements.\nRuns embedded (SQLite in a --state directory) with no AWS; the same handlers deploy to AWS Lambda.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const generate = program.command('generate').description('generate sample input data');
  generate
    .command('authorizations')
    .description('write deterministic sample card authorisations as NDJSON to stdout (they reference the shipped reference data)')
    .requiredOption('--count <n>', 'number of authorisations', positiveInteger('--count'))
    .requiredOption('--seed <s>', 'random seed: the same seed gives the same output', wholeNumber('--seed'))
    .option('--duplicates <rate>', 'fraction re-sent with a new authorizationId but the same business key (0..1)', rate, 0)
    .option('--output <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExample:\n  ledgerline generate authorizations --count 10000 --seed 42 --duplicates 0.01 > auths.ndjson')
    .action(async (options: { count: number; seed: number; duplicates: number; output?: string }) => {
      const lines = authorisationLines({ count: options.count, seed: options.seed, duplicateRate: options.duplicates, referenceData: loadReferenceData() });
      await writeLines(lines, options.output, io);
    });

  program
    .command('post')
    .description('run the full posting pipeline over an NDJSON file of authorisations; returns when everything has drained')
    .requiredOption('--input <file>', 'NDJSON authorisations ("-" for stdin)')
    .requiredOption('--state <dir>', 'state directory (created if absent); re-running against it posts nothing twice', directory('--state'))
    .option('--json', 'print one JSON summary object on stdout')
    .option('--batch-size <n>', "micro-batch size per consumer (default: the route's SQS batch size)", positiveInteger('--batch-size'))
    .option('--wave-size <n>', 'input lines per committed database transaction', positiveInteger('--wave-size'), 10000)
    .option('--hot-account <id=shards...>', "shard a hot account's balance, e.g. SETTLE-GBP-001=8")
    .option('--partitions <n>', 'worker threads / state partitions by card for a NEW state (an existing state keeps its count)', positiveInteger('--partitions'), DEFAULT_PARTITIONS)
    .option('--fault-drop <ratio>', 'FLOW-4 fault injection: drop this share [0, 1) of the events crossing every stage boundary, chosen by event id (then `audit-flow --repair`)', dropRatio)
    .option('--rules <file>', `the posting rule set (default: ${DEFAULT_RULE_SET_FILE}, the one AWS runs: it also holds on fraud signals, FRAUD-1)`)
    .addHelpText(
      'after',
      '\nSummary fields: received = invalid + notApproved + replayed + duplicates + rejected + declined + review + posted + failed + pending, and with --fault-drop + the payments its dropped events left where they were (dropped, per boundary).\nInvalid lines are kept with their line number and reason (see `ledgerline dead-letters`).',
    )
    .action(async (options: { input: string; state: string; json?: boolean; batchSize?: number; waveSize: number; hotAccount?: string[]; partitions: number; faultDrop?: number; rules?: string }) => {
      if (options.rules !== undefined && !existsSync(options.rules)) throw new CliError(`post: rule set file "${options.rules}" does not exist`);
      if (options.input !== '-' && !existsSync(options.input)) throw new CliError(`post: input file "${options.input}" does not exist`);
      if (options.input !== '-' && statSync(options.input).isDirectory()) throw new CliError(`post: input "${options.input}" is a directory, expected an NDJSON file`);
      const hotAccountShards = parseHotAccounts(options.hotAccount ?? []);
      const summary = await runPost({ ...options, hotAccountShards }, io);
      if (options.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else io.stdout(`${formatSummary(summary)}\n`);
    });

  program
    .command('ledger')
    .description('print account balances from a state directory')
    .requiredOption('--state <dir>', 'state directory written by `ledgerline post`', directory('--state'))
    .option('--json', 'print {accounts: [{accountId, currency, balance, version}]}')
    .option('--account <id>', 'only this account')
    .action(async (options: { state: string; json?: boolean; account?: string }) => {
      const accounts = await readBalances(options.state, options.account);
      if (options.json) io.stdout(`${JSON.stringify({ accounts })}\n`);
      else io.stdout(`${formatTable([['ACCOUNT', 'CCY', 'VERSION', 'BALANCE'], ...accounts.map((a) => [a.accountId, a.currency, String(a.version), a.balance])])}\n`);
    });

  program
    .command('dead-letters')
    .description('list input lines and messages that could not be processed, with line number and reason')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .option('--json', 'print JSON')
    .action(async (options: { state: string; json?: boolean }) => {
      const letters = (await eachPartition(options.state, (db) => new SqliteDeadLetterStore(db).all())).flat().sort((a, b) => a.source.localeCompare(b.source) || a.position - b.position);
      if (options.json) io.stdout(`${JSON.stringify({ deadLetters: letters })}\n`);
      else io.stdout(letters.length === 0 ? 'no dead letters\n' : `${letters.map((l) => `${l.source}:${l.position}: ${l.reason}`).join('\n')}\n`);
    });

  program
    .command('sweep')
    .description('run the sweeper once: re-drive RETRYING transactions under the threshold, fail the rest')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .option('--json', 'print JSON')
    .action(async (options: { state: string; json?: boolean }) => {
      requireState(options.state);
      const result = { examined: 0, redriven: 0, alreadyRedriven: 0, failed: 0 };
      // LOCK-1: the sweeper writes the state, so it is a writer like `post`.
      const lock = acquireDirLockForCli(options.state, 'ledgerline sweep');
      try {
        for (const dir of partitionDirs(options.state)) {
          const runtime = new EmbeddedRuntime({ stateDir: dir });
          try {
            runtime.db.exec('BEGIN IMMEDIATE');
            const swept = await runtime.sweepUntilSettled();
            runtime.db.exec('COMMIT');
            runtime.outbox.flush();
            for (const key of Object.keys(result) as (keyof typeof result)[]) result[key] += swept[key];
          } finally {
            runtime.close();
          }
        }
      } finally {
        lock.release();
      }
      io.stdout(options.json ? `${JSON.stringify(result)}\n` : `examined ${result.examined}, re-driven ${result.redriven}, failed ${result.failed}\n`);
    });

  program
    .command('demo')
    .description('the main job on the embedded default: generate sample authorisations, post them, print the summary and balances')
    .option('--count <n>', 'authorisations to generate', positiveInteger('--count'), 20000)
    .option('--seed <s>', 'random seed', wholeNumber('--seed'), 42)
    .option('--state <dir>', 'state directory (default: a new temporary directory)', directory('--state'))
    .option('--json', 'print the summary as JSON')
    .action(async (options: { count: number; seed: number; state?: string; json?: boolean }) => {
      const state = resolve(options.state ?? mkdtempSync(join(tmpdir(), 'ledgerline-demo-')));
      const input = join(state, `authorizations-seed${options.seed}-n${options.count}.ndjson`);
      io.stderr(`generating ${options.count} authorisations (seed ${options.seed}, 1% duplicates) → ${input}\n`);
      await writeLines(authorisationLines({ count: options.count, seed: options.seed, duplicateRate: 0.01, referenceData: loadReferenceData() }), input, io);
      const summary = await runPost({ input, state, waveSize: 2000, hotAccountShards: {}, partitions: DEFAULT_PARTITIONS }, io);
      if (options.json) {
        io.stdout(`${JSON.stringify(summary)}\n`);
        return;
      }
      io.stdout(`${formatSummary(summary)}\n\n`);
      const accounts = await readBalances(state);
      const top = [...accounts].sort((a, b) => b.version - a.version).slice(0, 10);
      io.stdout(
        `Busiest accounts (of ${accounts.length}):\n${formatTable([['ACCOUNT', 'CCY', 'UPDATES', 'BALANCE'], ...top.map((a) => [a.accountId, a.currency, String(a.version), a.balance])])}\n\n`,
      );
      io.stdout(
        `State: ${state}\n  ledgerline ledger --state ${state}\n  ledgerline dead-letters --state ${state}\n  posting records: ${partitionDirs(state)
          .map((dir) => join(dir, 'outbox'))
          .join(', ')}\n`,
      );
    });

  // REC-1: `reconcile` and `inbox` (src/recon/run/cli-commands.ts).
  addReconcileCommands(program, io);
  // The exceptions workbench (src/recon/workbench/cli-command.ts).
  addWorkbenchCommand(program, io);
  addIdpCommand(program, io);
  // FR6: reference data into the AWS reference table (src/adapters/aws/reference-data-loader.ts).
  configureLoadReferenceDataCommand(program.command('load-reference-data'), io);
  // COST-1: the bill per 1M posted payments from the synth and measured counts (src/cli/cost.ts).
  addCostCommand(program, io);
  // FLOW-1..3: the flow audit and its repair (src/cli/audit-flow-command.ts).
  addAuditFlowCommand(program, io);
  // AUDIT-1, AUDIT-2: the audit trail in PostgreSQL.
  addAuditCommand(program, io);
  // REPLAY-1, DLQ-1: replay archived events; list, show and redrive dead letters (locally or on AWS).
  addReplayCommand(program, io);
  addDlqCommand(program, io);
  // NOTIFY-1/2, HOOK-1/2: notifications and partner webhooks.
  addNotifyCommand(program, io);
  // MODE-1..4: batch files from an inbox, a tailed stream, one authorisation answered synchronously.
  addModeCommands(program, io);
  // API-1..5: the payments API over HTTP and its local tokens.
  addServeCommand(program, io);
  addTokenCommand(program, io);

  return program;
}

/** FLOW-4: the --fault-drop share, refused outside [0, 1). */
function dropRatio(text: string): number {
  try {
    return parseDropRatio(text);
  } catch (error) {
    if (error instanceof FaultDropError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** One partition per core, at most two by default (the CI machine's size). */
const DEFAULT_PARTITIONS = Math.max(1, Math.min(2, availableParallelism()));

function requireState(state: string): void {
  if (!existsSync(state) || partitionDirs(state).length === 0) throw new CliError(`state directory "${state}" does not exist (run \`ledgerline post --state ${state} ...\` first)`);
}

function parseHotAccounts(specs: string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const spec of specs) {
    const match = /^([A-Za-z0-9._:-]+)=([1-9][0-9]{0,2})$/.exec(spec);
    if (!match) throw new CliError(`--hot-account expects ACCOUNT=SHARDS (e.g. SETTLE-GBP-001=8), got "${spec}"`);
    result[match[1]!] = Number(match[2]);
  }
  // HOT-1: every hot account must be one posting can name, with 1..256 shards.
  if (specs.length > 0) {
    try {
      assertHotAccounts(result, knownAccounts(loadReferenceData()), '--hot-account');
    } catch (error) {
      if (error instanceof HotAccountConfigError) throw new CliError(error.message);
      throw error;
    }
  }
  return result;
}

async function writeLines(lines: Iterable<string>, output: string | undefined, io: CliIo): Promise<void> {
  if (output) {
    const chunks: string[] = [];
    for (const line of lines) chunks.push(line);
    writeFileSync(output, chunks.length ? `${chunks.join('\n')}\n` : '');
    return;
  }
  let buffer: string[] = [];
  for (const line of lines) {
    buffer.push(line);
    if (buffer.length >= 5000) {
      io.stdout(`${buffer.join('\n')}\n`);
      buffer = [];
    }
  }
  if (buffer.length) io.stdout(`${buffer.join('\n')}\n`);
}

interface PostOptions {
  input: string;
  partitions: number;
  state: string;
  batchSize?: number;
  waveSize: number;
  hotAccountShards: Record<string, number>;
  faultDrop?: number;
  rules?: string;
}

async function runPost(options: PostOptions, io: CliIo) {
  const total = options.input === '-' ? 0 : statSync(options.input).size;
  const bar = progressBar(total, 'posting');
  let bytes = 0;
  // LOCK-1: one writer per state directory, taken before the layout is read or created.
  const lock = acquireDirLockForCli(options.state, 'ledgerline post');
  try {
    const { summary } = await postPartitioned(
      fileLines(options.input, (n) => (bytes += n)),
      resolve(options.input),
      {
        stateDir: options.state,
        partitions: options.partitions,
        runtime: {
          batchSize: options.batchSize,
          waveSize: options.waveSize,
          hotAccountShards: options.hotAccountShards,
          ...(options.faultDrop ? { faultDrop: options.faultDrop } : {}),
          ...(options.rules ? { rulesFile: resolve(options.rules) } : {}),
        },
        onProgress: (progress) => bar.update(bytes, { detail: `${progress.linesRead} lines, ${progress.waves} waves committed` }),
      },
    );
    bar.update(total, { detail: `${summary.received} lines` });
    return summary;
  } finally {
    bar.stop();
    lock.release();
    void io;
  }
}

function acquireDirLockForCli(dir: string, command: string) {
  try {
    return acquireDirLock(dir, command);
  } catch (error) {
    if (error instanceof DirLockedError) throw new CliError(error.message, EXIT_LOCKED);
    throw error;
  }
}

/** Runs `work` on each partition database of a state, in partition order. */
async function eachPartition<T>(state: string, work: (db: ReturnType<typeof openStateDatabase>, dir: string) => Promise<T> | T): Promise<T[]> {
  requireState(state);
  const results: T[] = [];
  for (const dir of partitionDirs(state)) {
    const db = openStateDatabase(dir);
    try {
      results.push(await work(db, dir));
    } finally {
      db.close();
    }
  }
  return results;
}

/** Balances summed over partitions and shards: an account several partitions post to is read as one. */
async function readBalances(state: string, account?: string): Promise<BalanceView[]> {
  const merged = new Map<string, { accountId: string; currency: string; minor: bigint; version: number }>();
  for (const balances of await eachPartition(state, (db) => new SqliteLedgerStore(db).balances())) {
    for (const balance of balances) {
      const key = `${balance.accountId}\u0000${balance.currency}`;
      const entry = merged.get(key) ?? { accountId: balance.accountId, currency: balance.currency, minor: 0n, version: 0 };
      entry.minor += toMinorUnits(balance.balance, balance.currency);
      entry.version += balance.version;
      merged.set(key, entry);
    }
  }
  return [...merged.values()]
    .filter((entry) => !account || entry.accountId === account)
    .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.currency.localeCompare(b.currency)))
    .map((entry) => ({ accountId: entry.accountId, currency: entry.currency, balance: fromMinorUnits(entry.minor, entry.currency), version: entry.version }));
}

function formatSummary(summary: RunSummary): string {
  const order = ['received', ...SUMMARY_CATEGORIES, 'elapsedMs'];
  const rows = order.map((key) => [key, String((summary as unknown as Record<string, unknown>)[key])]);
  const ledger = Object.entries(summary.ledger).map(([ccy, t]) => [ccy, t.debits, t.credits, t.debits === t.credits ? 'balanced' : 'UNBALANCED']);
  const table = `${formatTable([['FIELD', 'VALUE'], ...rows])}\n\nLedger by currency:\n${formatTable([['CCY', 'DEBITS', 'CREDITS', 'CHECK'], ...ledger])}`;
  return summary.dropped ? `${table}\n\n${formatDropped(summary.dropped)}` : table;
}

/** FLOW-4: the events dropped on purpose, per boundary. */
function formatDropped(dropped: DropCounts): string {
  const rows = Object.entries(dropped).map(([boundary, count]) => [boundary, String(count)]);
  const total = Object.values(dropped).reduce((sum, count) => sum + count, 0);
  return `Dropped on purpose (--fault-drop; run \`ledgerline audit-flow --repair\`):\n${formatTable([['BOUNDARY', 'DROPPED'], ...rows, ['total', String(total)]])}`;
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<void> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return;
    // Help shown because a command group was given no subcommand (`ledgerline dlq`): a usage error,
    // exit 2 like the others; help asked for (`--help`, `help <command>`) exits 0.
    if (code === 'commander.help') {
      if ((error as { exitCode?: number }).exitCode !== 0) process.exitCode = 2;
      return;
    }
    if (code?.startsWith('commander.')) {
      process.exitCode = 2;
      return;
    }
    if (error instanceof CliError) {
      io.stderr(`ledgerline: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    throw error;
  }
}
