/**
 * The operating modes on the command line (FR11, MODE-1..4), chosen by the source's configuration
 * (config/sources.json):
 * - `ledgerline ingest --source <batch source> --inbox DIR --state DIR [--once|--watch]` (MODE-2);
 * - `ledgerline ingest --source <near-real-time source> --input FILE --state DIR [--once|--watch]`
 *   (MODE-3: a tailing reader);
 * - `ledgerline authorise --state DIR [--source <real-time source>]`: one authorisation (JSON) on
 *   stdin or --input, its outcome on stdout (MODE-4).
 * Each takes the state's writer lock (LOCK-1) like `post`.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { acquireDirLock, DirLockedError, type DirLock } from '../adapters/embedded/dir-lock';
import { runBatchInbox, type BatchFileOutcome } from '../modes/batch-inbox';
import { RealTimePoster, type RealTimeOutcome } from '../modes/real-time';
import { sourceConfig, SourceConfigError, type SourceSettings } from '../modes/source-config';
import { tailFile } from '../modes/tail';
import { CliError, EXIT_LOCKED } from './errors';
import type { CliIo } from './io';
import { directory, positiveInteger } from './options';

const DEFAULT_PARTITIONS = Math.max(1, Math.min(2, availableParallelism()));

function lockState(state: string, command: string): DirLock {
  try {
    return acquireDirLock(state, command);
  } catch (error) {
    if (error instanceof DirLockedError) throw new CliError(error.message, EXIT_LOCKED);
    throw error;
  }
}

function configuredSource(name: string, command: string): SourceSettings {
  try {
    const config = sourceConfig();
    const source = config.sources.find((candidate) => candidate.name === name);
    if (!source) throw new CliError(`${command}: source "${name}" is not configured in config/sources.json (configured: ${config.sources.map((s) => `${s.name} (${s.mode})`).join(', ')})`);
    return source;
  } catch (error) {
    if (error instanceof SourceConfigError) throw new CliError(`${command}: ${error.message}`);
    throw error;
  }
}

/** Aborts on SIGINT / SIGTERM while `work` runs (the current wave or file finishes first). */
async function untilInterrupted<T>(io: CliIo, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    io.stderr(`${signal}: stopping after the current wave\n`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function describeFile(outcome: BatchFileOutcome): string {
  const s = outcome.summary;
  switch (outcome.outcome) {
    case 'posted':
      return `${outcome.file}: posted ${s!.posted} of ${s!.received} (duplicates ${s!.duplicates}, declined ${s!.declined + s!.notApproved}, review ${s!.review}, rejected ${s!.rejected}, invalid ${s!.invalid}, already received ${s!.replayed}, failed ${s!.failed}, pending ${s!.pending})${outcome.attempts > 1 ? ` [resumed, attempt ${outcome.attempts}]` : ''}`;
    case 'already-posted':
      return `${outcome.file}: already posted on ${outcome.postedAt} (sha256 ${outcome.contentHash.slice(0, 12)}): nothing posted`;
    default:
      return `${outcome.file}: FAILED (left in the inbox): ${outcome.reason}`;
  }
}

function describeOutcome(outcome: RealTimeOutcome): string {
  if (outcome.outcome === 'posted') {
    const legs = outcome.legs.map((leg) => `  ${leg.legIndex} ${leg.direction.padEnd(6)} ${leg.accountId} ${leg.amount.value} ${leg.amount.currency} (${leg.legType})`).join('\n');
    return `posted ${outcome.authorizationId}: sequence ${outcome.sequenceId}, posting record ${outcome.postingRecordId}\n${legs}`;
  }
  return `${outcome.outcome}${'authorizationId' in outcome && outcome.authorizationId ? ` ${outcome.authorizationId}` : ''}: ${outcome.reason}`;
}

export function addModeCommands(program: Command, io: CliIo): void {
  program
    .command('ingest')
    .description("post authorisations as a configured source's mode says (config/sources.json): a batch source posts each inbox file once, in chunks; a near-real-time source tails an NDJSON file")
    .requiredOption('--source <name>', 'the source, as named in config/sources.json')
    .requiredOption('--state <dir>', 'state directory (created if absent)', directory('--state'))
    .option('--inbox <dir>', 'batch: the inbox directory; posted files move to <inbox>/processed/')
    .option('--input <file>', 'near-real-time: the NDJSON file to tail')
    .option('--once', 'post what is there now, then exit (the default)')
    .option('--watch', 'keep posting new files / lines as they arrive until SIGINT (stops cleanly after the current wave)')
    .option('--partitions <n>', 'worker threads / state partitions by card for a NEW state', positiveInteger('--partitions'), DEFAULT_PARTITIONS)
    .option('--json', 'print JSON on stdout (batch: one object per file, one line each; tail: the summary)')
    .addHelpText(
      'after',
      '\nExamples:\n  ledgerline ingest --source card-files --inbox ./inbox --state ./state --once\n  ledgerline ingest --source card-stream --input ./auths.ndjson --state ./state --watch',
    )
    .action(async (options: { source: string; state: string; inbox?: string; input?: string; once?: boolean; watch?: boolean; partitions: number; json?: boolean }) => {
      if (options.once && options.watch) throw new CliError('ingest: --once and --watch are exclusive');
      const source = configuredSource(options.source, 'ingest');
      const watch = options.watch === true;
      if (source.mode === 'real-time') throw new CliError(`ingest: source "${source.name}" is real-time: post it one authorisation at a time with \`ledgerline authorise --source ${source.name}\``);
      if (source.mode === 'batch') {
        if (!options.inbox) throw new CliError(`ingest: source "${source.name}" is batch: give --inbox <dir>`);
        if (options.input) throw new CliError(`ingest: source "${source.name}" is batch: it reads --inbox, not --input`);
        if (!existsSync(options.inbox) || !statSync(options.inbox).isDirectory()) throw new CliError(`ingest: inbox "${options.inbox}" is not a directory`);
        const lock = lockState(options.state, 'ledgerline ingest');
        try {
          const outcomes = await untilInterrupted(io, (signal) =>
            runBatchInbox({
              source,
              inbox: options.inbox!,
              stateDir: options.state,
              partitions: options.partitions,
              watch,
              signal,
              progress: (message) => io.stderr(`${message}\n`),
              onFile: (outcome) => io.stdout(options.json ? `${JSON.stringify(outcome)}\n` : `${describeFile(outcome)}\n`),
            }),
          );
          if (outcomes.length === 0 && !options.json) io.stdout('no files in the inbox\n');
          if (outcomes.some((outcome) => outcome.outcome === 'failed')) process.exitCode = 1;
        } finally {
          lock.release();
        }
        return;
      }
      if (!options.input) throw new CliError(`ingest: source "${source.name}" is near-real-time: give --input <file> to tail`);
      if (options.inbox) throw new CliError(`ingest: source "${source.name}" is near-real-time: it tails --input, not --inbox`);
      if (!existsSync(options.input) || statSync(options.input).isDirectory()) throw new CliError(`ingest: input "${options.input}" is not a file`);
      const lock = lockState(options.state, 'ledgerline ingest');
      try {
        const result = await untilInterrupted(io, (signal) =>
          tailFile({ source, input: options.input!, stateDir: options.state, partitions: options.partitions, follow: watch, signal, progress: (message) => io.stderr(`${message}\n`) }),
        );
        if (options.json) io.stdout(`${JSON.stringify(result)}\n`);
        else {
          const s = result.summary;
          io.stdout(
            `${result.waves} wave(s) to line ${result.position.lines}: posted ${s.posted} of ${s.received} (duplicates ${s.duplicates}, declined ${s.declined + s.notApproved}, invalid ${s.invalid}, already received ${s.replayed})\n`,
          );
        }
      } finally {
        lock.release();
      }
    });

  program
    .command('authorise')
    .description(
      'real-time: post ONE authorisation (a JSON object on stdin or --input) and print its outcome: posted with its sequence and legs, or duplicate / declined / review / rejected / failed with the reason',
    )
    .requiredOption('--state <dir>', 'state directory (created if absent)', directory('--state'))
    .option('--source <name>', 'the real-time source, as named in config/sources.json', 'payments-api')
    .option('--input <file>', 'read the authorisation from a file instead of stdin')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', '\nExample:\n  echo \'{"authorizationId":"...",...}\' | ledgerline authorise --state ./state --json')
    .action(async (options: { state: string; source: string; input?: string; json?: boolean }) => {
      const source = configuredSource(options.source, 'authorise');
      if (source.mode !== 'real-time') throw new CliError(`authorise: source "${source.name}" is ${source.mode}, not real-time (see \`ledgerline ingest\`)`);
      if (options.input && !existsSync(options.input)) throw new CliError(`authorise: input file "${options.input}" does not exist`);
      const text = readFileSync(options.input ?? 0, 'utf8');
      const lock = lockState(options.state, 'ledgerline authorise');
      try {
        const poster = new RealTimePoster({ stateDir: options.state, source: source.name });
        try {
          const outcome = await poster.postOne(text);
          io.stdout(options.json ? `${JSON.stringify(outcome)}\n` : `${describeOutcome(outcome)}\n`);
          if (outcome.outcome === 'rejected') process.exitCode = 1;
        } finally {
          poster.close();
        }
      } finally {
        lock.release();
      }
    });
}
