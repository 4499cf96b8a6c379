/**
 * `ledgerline replay` (REPLAY-1): replays a window of archived events and posts nothing twice.
 *
 *   ledgerline replay --from 2026-12-06T03:00:00Z --to 2026-12-06T04:00:00Z [--type posting.failed] --state DIR
 *   ledgerline replay --from ... --to ... [--type ...] --env prod [--no-wait]
 *
 * Locally the embedded archive of each state partition (src/adapters/embedded/event-archive.ts)
 * is delivered again through that partition's bus, one committed transaction per chunk; on AWS
 * EventBridge replays its archive to the bus (src/adapters/aws/event-replay.ts) and the command
 * follows the replay to its end.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { CliIo } from './io';
import { CliError, EXIT_LOCKED } from './errors';
import { acquireDirLock, DirLockedError, type DirLock } from '../adapters/embedded/dir-lock';
import { SqliteEventArchive } from '../adapters/embedded/event-archive';
import { EventBridgeArchiveReplayer } from '../adapters/aws/event-replay';
import { sleep } from '../adapters/aws/errors';
import { EmbeddedRuntime } from '../runtime/embedded-runtime';
import { partitionDirs } from '../runtime/state-layout';
import type { LedgerEvent } from '../domain/events';
import { detailTypesOf, routesFor, type Route } from '../routes';
import { ARCHIVED_EVENT_TYPES } from '../use-cases/replay/archive-pattern';
import { parseReplayTime, replayFromArchive, replayOnAws, ReplayError, type LocalReplayResult } from '../use-cases/replay/replay';
import type { ReplayWindow } from '../use-cases/replay/ports';
import { Names } from '../../stacks/naming';
import type { EnvironmentConfig } from '../../environments/types';
import { ENVIRONMENTS, environmentNamed } from '../../environments';
import { directory } from './options';

/** The deployed environment `--env` names (its account, region and resource names). */
export function environmentFor(name: string): { config: EnvironmentConfig; names: Names } {
  const config = environmentNamed(name);
  if (!config) throw new CliError(`--env "${name}" is not an environment; one of ${ENVIRONMENTS.map((known) => known.name).join(', ')}`);
  return { config, names: Names.of(config) };
}

/** A state to write: it must exist, and this command holds its lock (LOCK-1). */
export function lockState(state: string, command: string): DirLock {
  if (!existsSync(state) || partitionDirs(state).length === 0) throw new CliError(`state directory "${state}" does not exist (run \`ledgerline post --state ${state} ...\` first)`);
  try {
    return acquireDirLock(state, command);
  } catch (error) {
    if (error instanceof DirLockedError) throw new CliError(error.message, EXIT_LOCKED);
    throw error;
  }
}

/**
 * Delivers events through a partition's embedded bus to the consumers the routes name, drains and
 * sweeps them, and commits: one database transaction per call, so a crash leaves all or nothing.
 */
export async function deliverThroughRuntime(runtime: EmbeddedRuntime, events: readonly LedgerEvent[]): Promise<void> {
  runtime.db.exec('BEGIN IMMEDIATE');
  try {
    await runtime.bus.publish(events);
    await runtime.drain();
    await runtime.sweepUntilSettled();
    runtime.db.exec('COMMIT');
  } catch (error) {
    if (runtime.db.inTransaction) runtime.db.exec('ROLLBACK');
    throw error;
  }
  runtime.outbox.flush();
}

/** Replays a window of each partition's archive into that partition (the state's lock held by the caller). */
export async function replayState(state: string, window: ReplayWindow): Promise<LocalReplayResult> {
  const total: LocalReplayResult = { replayed: 0, byType: {} };
  for (const dir of partitionDirs(state)) {
    const runtime = new EmbeddedRuntime({ stateDir: dir });
    try {
      const archive = new SqliteEventArchive(runtime.db, { types: ARCHIVED_EVENT_TYPES });
      const result = await replayFromArchive({ archive, target: { deliver: (events) => deliverThroughRuntime(runtime, events) } }, window);
      total.replayed += result.replayed;
      for (const [type, count] of Object.entries(result.byType)) total.byType[type] = (total.byType[type] ?? 0) + count;
    } finally {
      runtime.close();
    }
  }
  return total;
}

/** The rules on the bus that consume `type` (a typed replay is sent to them only). */
function rulesConsuming(config: EnvironmentConfig, names: Names, type: string): string[] {
  const routes = routesFor(config.runtime.topology).filter((route: Route) => detailTypesOf(route.eventPattern).includes(type as never));
  return [...routes.map((route) => names.routeRuleArn(route)), ...(type === 'posting.failed' ? [names.postingFailureRuleArn] : [])];
}

interface ReplayOptions {
  from: string;
  to: string;
  type?: string;
  state?: string;
  env?: string;
  wait: boolean;
  json?: boolean;
}

export function addReplayCommand(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description('replay archived events of a time window through the bus; consumers are idempotent, so nothing is posted twice (REPLAY-1)')
    .requiredOption('--from <time>', 'start of the window (inclusive): RFC 3339 instant with offset, or a date (UTC midnight)')
    .requiredOption('--to <time>', 'end of the window (exclusive)')
    .option('--type <event type>', `only events of this type (${ARCHIVED_EVENT_TYPES.join(', ')})`)
    .option('--state <dir>', 'replay the embedded archive of this state directory', directory('--state'))
    .option('--env <env>', 'replay the EventBridge archive of this deployed environment (dev, staging, prod)')
    .option('--no-wait', 'on AWS: start the replay and return without following it')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      '\nThe window selects events by the time they crossed the bus. Replaying the same window twice changes nothing.\nExamples:\n  ledgerline replay --from 2026-12-06T03:00:00Z --to 2026-12-06T04:00:00Z --state ./state\n  ledgerline replay --from 2026-12-06 --to 2026-12-07 --type posting.failed --env prod',
    )
    .action(async (options: ReplayOptions) => {
      if ((options.state === undefined) === (options.env === undefined)) throw new CliError('replay: give exactly one of --state <dir> (embedded) or --env <env> (AWS)');
      let window: ReplayWindow;
      try {
        window = { from: parseReplayTime('--from', options.from), to: parseReplayTime('--to', options.to), ...(options.type !== undefined ? { type: options.type } : {}) };
      } catch (error) {
        if (error instanceof ReplayError) throw new CliError(`replay: ${error.message}`);
        throw error;
      }
      try {
        if (options.state !== undefined) {
          const lock = lockState(options.state, 'ledgerline replay');
          let result: LocalReplayResult;
          try {
            result = await replayState(options.state, window);
          } finally {
            lock.release();
          }
          if (options.json) io.stdout(`${JSON.stringify({ from: window.from.toISOString(), to: window.to.toISOString(), type: window.type ?? null, ...result })}\n`);
          else {
            const types = Object.entries(result.byType).map(([type, count]) => `${type} ${count}`);
            io.stdout(`replayed ${result.replayed} archived event(s) from ${window.from.toISOString()} to ${window.to.toISOString()}${types.length ? ` (${types.join(', ')})` : ''}\n`);
          }
          return;
        }
        const { config, names } = environmentFor(options.env!);
        const replayer = new EventBridgeArchiveReplayer({
          region: config.region,
          archiveArn: `arn:aws:events:${config.region}:${config.account}:archive/${names.archiveName}`,
          busArn: names.busArn,
          rulesFor: (type) => rulesConsuming(config, names, type),
        });
        const result = await replayOnAws(
          { replayer, sleep, onProgress: (status) => io.stderr(`replay ${status.name}: ${status.state}${status.lastReplayed ? `, replayed up to ${status.lastReplayed.toISOString()}` : ''}\n`) },
          window,
          { wait: options.wait, environmentPrefix: names.prefix },
        );
        if (options.json) io.stdout(`${JSON.stringify({ name: result.name, started: result.started, state: result.status.state, lastReplayed: result.status.lastReplayed?.toISOString() ?? null })}\n`);
        else io.stdout(`${result.started ? 'started' : 'found existing'} replay ${result.name}: ${result.status.state}\n`);
      } catch (error) {
        if (error instanceof ReplayError) throw new CliError(`replay: ${error.message}`);
        throw error;
      }
    });
}
