/**
 * `ledgerline dlq list|show|redrive` (DLQ-1): the dead letters, locally and on AWS.
 *
 * Locally (--state DIR) a dead letter is a row of the state's dead-letter store
 * (src/adapters/embedded/dead-letters.ts), named `p<partition>-<id>`. A redrive delivers a
 * dead-lettered message's event through the partition's bus again (one transaction); consumers
 * are idempotent, so it posts nothing twice. An invalid input line (ING-*) is shown, but its
 * redrive says why it cannot help (fix the input), instead of looping it.
 *
 * On AWS (--env ENV) the dead letters are the messages of the environment's dead-letter queues:
 * list/show receive them WITHOUT deleting (visibility timeout 0); redrive starts an SQS message
 * move task back to each route queue (ListMessageMoveTasks reports its progress).
 *
 * PCI-3: content is stored redacted and redacted again before it is printed; lists print no content.
 */
import type { Command } from 'commander';
import type { CliIo } from './io';
import { CliError } from './errors';
import { positiveInteger, directory } from './options';
import { deliverThroughRuntime, environmentFor, lockState } from './replay-command';
import { openStateDatabase } from '../adapters/embedded/database';
import { SqliteDeadLetterStore, type StoredDeadLetter } from '../adapters/embedded/dead-letters';
import { SqsDeadLetterQueues, type DeadLetterMessage } from '../adapters/aws/redrivers';
import { EmbeddedRuntime } from '../runtime/embedded-runtime';
import { partitionDirs } from '../runtime/state-layout';
import { redactPans } from '../domain/pan';
import { routesFor } from '../routes';
import { redriveDeadLetters, redrivability, type DeadLetterRecord, type RedriveOutcome } from '../use-cases/redrive/redrive';
import type { Names } from '../../stacks/naming';
import type { EnvironmentConfig } from '../../environments/types';
import { formatTable } from './table';

const LETTER_ID = /^p(\d{1,4})-([1-9]\d{0,15})$/;

function letterId(partition: number, letter: StoredDeadLetter): string {
  return `p${partition}-${letter.id}`;
}

function parseLetterId(id: string): { partition: number; row: number } {
  const match = LETTER_ID.exec(id);
  if (!match) throw new CliError(`dlq: "${id.slice(0, 40)}" is not a dead-letter id; ids look like p0-12 (see \`ledgerline dlq list\`)`);
  return { partition: Number(match[1]), row: Number(match[2]) };
}

function toRecord(partition: number, letter: StoredDeadLetter): DeadLetterRecord {
  return { ...letter, id: letterId(partition, letter), content: redactPans(letter.content), reason: redactPans(letter.reason), source: redactPans(letter.source) };
}

function requireState(state: string): string[] {
  const dirs = partitionDirs(state);
  if (dirs.length === 0) throw new CliError(`state directory "${state}" does not exist (run \`ledgerline post --state ${state} ...\` first)`);
  return dirs;
}

/** Every letter of a state (read-only: readers need no lock, LOCK-1). */
function readLetters(state: string): DeadLetterRecord[] {
  return requireState(state).flatMap((dir, partition) => {
    const db = openStateDatabase(dir);
    try {
      return new SqliteDeadLetterStore(db).stored().map((letter) => toRecord(partition, letter));
    } finally {
      db.close();
    }
  });
}

function redrivableLabel(letter: DeadLetterRecord): string {
  const kind = redrivability(letter).kind;
  return kind === 'message' ? 'yes' : kind === 'input-line' ? 'no: fix the input' : 'no: unreadable';
}

/** Redrives letters of a local state, holding its lock. */
export async function redriveState(state: string, selection: { all: true } | { ids: readonly string[] }): Promise<RedriveOutcome[]> {
  const dirs = requireState(state);
  const lock = lockState(state, 'ledgerline dlq redrive');
  const runtimes = new Map<number, EmbeddedRuntime>();
  const runtimeOf = (partition: number): EmbeddedRuntime | undefined => {
    if (partition >= dirs.length) return undefined;
    let runtime = runtimes.get(partition);
    if (!runtime) runtimes.set(partition, (runtime = new EmbeddedRuntime({ stateDir: dirs[partition]! })));
    return runtime;
  };
  try {
    return await redriveDeadLetters(
      {
        clock: { now: () => new Date() },
        letters: {
          list: async () =>
            dirs.flatMap((_, partition) =>
              runtimeOf(partition)!
                .deadLetters.stored()
                .map((letter) => toRecord(partition, letter)),
            ),
          get: async (id) => {
            const { partition, row } = parseLetterId(id);
            const letter = runtimeOf(partition)?.deadLetters.get(row);
            return letter ? toRecord(partition, letter) : undefined;
          },
          markRedriven: async (id, at) => {
            const { partition, row } = parseLetterId(id);
            runtimeOf(partition)!.deadLetters.markRedriven(row, at);
          },
        },
        target: {
          deliver: async (letters) => {
            const runtime = runtimeOf(parseLetterId(letters[0]!.id).partition)!;
            await deliverThroughRuntime(
              runtime,
              letters.map((letter) => letter.event),
            );
          },
        },
      },
      selection,
    );
  } finally {
    for (const runtime of runtimes.values()) runtime.close();
    lock.release();
  }
}

/** The dead-letter queues of an environment, and whether a move task can take their messages home. */
function deadLetterQueues(config: EnvironmentConfig, names: Names): { name: string; url: string; arn: string; redrive?: string }[] {
  const queue = (name: string, redrive?: string) => ({ name, url: names.queueUrl(name), arn: names.queueArn(name), ...(redrive ? { redrive } : {}) });
  return [
    ...routesFor(config.runtime.topology).map((route) => queue(names.routeDlqName(route))),
    queue(names.busDeliveryDlqName, 'EventBridge could not deliver these events to a route queue: replay their window from the archive (`ledgerline replay --from … --to … --env …`)'),
    queue(names.pipeDlqName, 'the Pipe parks stream-record batches it could not enrich here: fix the cause, then re-post those authorisations from the authorisations table'),
    queue(names.schedulerDlqName, 'a scheduled sweeper invocation failed: run the sweeper again (it is idempotent); the next schedule does too'),
    queue(names.asyncInvokeDlqName, 'an asynchronous invocation failed every retry: read the message, fix the cause and re-run the step it names'),
  ];
}

interface StateOrEnv {
  state?: string;
  env?: string;
  json?: boolean;
}

function target(options: StateOrEnv): { kind: 'state'; state: string } | { kind: 'env'; env: string } {
  if ((options.state === undefined) === (options.env === undefined)) throw new CliError('dlq: give exactly one of --state <dir> (embedded) or --env <env> (AWS)');
  return options.state !== undefined ? { kind: 'state', state: options.state } : { kind: 'env', env: options.env! };
}

async function peekAll(env: string, max: number): Promise<DeadLetterMessage[]> {
  const { config, names } = environmentFor(env);
  const queues = new SqsDeadLetterQueues({ region: config.region });
  const messages: DeadLetterMessage[] = [];
  for (const dlq of deadLetterQueues(config, names)) messages.push(...(await queues.peek(dlq.name, dlq.url, max)));
  return messages;
}

export function addDlqCommand(program: Command, io: CliIo): void {
  const dlq = program.command('dlq').description('dead letters: list, show and redrive them, locally (--state) or on AWS (--env) (DLQ-1)');

  dlq
    .command('list')
    .description('list dead letters (no content: see `dlq show <id>`)')
    .option('--state <dir>', 'state directory', directory('--state'))
    .option('--env <env>', 'deployed environment (dev, staging, prod): its dead-letter queues, read without deleting')
    .option('--max <n>', 'on AWS: at most this many messages per queue', positiveInteger('--max'), 100)
    .option('--json', 'print JSON')
    .action(async (options: StateOrEnv & { max: number }) => {
      const where = target(options);
      if (where.kind === 'state') {
        const letters = readLetters(where.state);
        if (options.json)
          io.stdout(
            `${JSON.stringify({
              deadLetters: letters.map((letter) => {
                const { content: _content, ...rest } = letter;
                return { ...rest, redrivable: redrivability(letter).kind === 'message' };
              }),
            })}\n`,
          );
        else if (letters.length === 0) io.stdout('no dead letters\n');
        else
          io.stdout(
            `${formatTable([
              ['ID', 'SOURCE', 'LINE', 'REDRIVES', 'REDRIVABLE', 'REASON'],
              ...letters.map((letter) => [letter.id, letter.source, String(letter.position), String(letter.redrives), redrivableLabel(letter), letter.reason]),
            ])}\n`,
          );
        return;
      }
      const messages = await peekAll(where.env, options.max);
      if (options.json) io.stdout(`${JSON.stringify({ messages: messages.map(({ body: _body, ...rest }) => rest) })}\n`);
      else if (messages.length === 0) io.stdout('no dead letters\n');
      else io.stdout(`${formatTable([['QUEUE', 'MESSAGE ID', 'RECEIVES', 'SENT'], ...messages.map((m) => [m.queueName, m.messageId, String(m.receiveCount), m.sentAt ?? ''])])}\n`);
    });

  dlq
    .command('show <id>')
    .description('show one dead letter with its (redacted) content')
    .option('--state <dir>', 'state directory', directory('--state'))
    .option('--env <env>', 'deployed environment (the id is an SQS message id)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: StateOrEnv) => {
      const where = target(options);
      if (where.kind === 'state') {
        parseLetterId(id);
        const letter = readLetters(where.state).find((candidate) => candidate.id === id);
        if (!letter) throw new CliError(`dlq show: no dead letter ${id} in ${where.state} (see \`ledgerline dlq list\`)`);
        const verdict = redrivability(letter);
        if (options.json) io.stdout(`${JSON.stringify({ ...letter, redrivable: verdict.kind === 'message' })}\n`);
        else
          io.stdout(
            `id:         ${letter.id}\nsource:     ${letter.source}\nline:       ${letter.position}\nreason:     ${letter.reason}\nredrives:   ${letter.redrives}${letter.lastRedriveAt ? ` (last ${letter.lastRedriveAt})` : ''}\nredrivable: ${
              verdict.kind === 'message' ? `yes (${verdict.event.type} ${verdict.event.id})` : `no: ${verdict.why}`
            }\ncontent:    ${letter.content}\n`,
          );
        return;
      }
      const message = (await peekAll(where.env, 1000)).find((candidate) => candidate.messageId === id);
      if (!message) throw new CliError(`dlq show: no message ${id.slice(0, 80)} on the dead-letter queues of ${where.env}`);
      if (options.json) io.stdout(`${JSON.stringify(message)}\n`);
      else
        io.stdout(
          `queue:    ${message.queueName}\nmessage:  ${message.messageId}\nreceives: ${message.receiveCount}\nsent:     ${message.sentAt ?? ''}\n${Object.entries(message.attributes ?? {})
            .map(([name, value]) => `${`${name}:`.padEnd(9)} ${value}\n`)
            .join('')}body:     ${message.body}\n`,
        );
    });

  dlq
    .command('redrive [ids...]')
    .description('redrive dead letters (local: letter ids; AWS: dead-letter queue names); nothing is posted twice')
    .option('--all', 'every redrivable dead letter (locally: those not redriven yet) / every dead-letter queue')
    .option('--state <dir>', 'state directory', directory('--state'))
    .option('--env <env>', 'deployed environment: starts SQS message move tasks back to the source queues')
    .option('--json', 'print JSON')
    .action(async (ids: string[], options: StateOrEnv & { all?: boolean }) => {
      const where = target(options);
      if (Boolean(options.all) === ids.length > 0) throw new CliError('dlq redrive: give --all or one or more ids, not both and not neither');
      if (where.kind === 'state') {
        for (const id of ids) parseLetterId(id);
        const outcomes = await redriveState(where.state, options.all ? { all: true } : { ids });
        if (options.json) io.stdout(`${JSON.stringify({ outcomes })}\n`);
        else io.stdout(outcomes.length === 0 ? 'no dead letters to redrive\n' : `${outcomes.map((outcome) => outcome.message).join('\n')}\n`);
        const refused = outcomes.filter((outcome) => !options.all && (outcome.outcome === 'not-found' || outcome.outcome === 'not-redrivable'));
        if (refused.length > 0) throw new CliError(`dlq redrive: ${refused.length} of ${outcomes.length} dead letter(s) could not be redriven (see above)`, 1);
        return;
      }
      const { config, names } = environmentFor(where.env);
      const queues = deadLetterQueues(config, names);
      const chosen = options.all ? queues : ids.map((id) => queues.find((queue) => queue.name === id) ?? id);
      const unknown = chosen.filter((entry): entry is string => typeof entry === 'string');
      if (unknown.length > 0)
        throw new CliError(
          `dlq redrive: ${unknown.map((name) => `"${name.slice(0, 80)}"`).join(', ')} is not a dead-letter queue of ${where.env}; one of ${queues.map((queue) => queue.name).join(', ')}`,
        );
      const sqs = new SqsDeadLetterQueues({ region: config.region });
      const results: { queue: string; outcome: string; message: string }[] = [];
      for (const queue of chosen as typeof queues) {
        if (queue.redrive) {
          results.push({ queue: queue.name, outcome: 'not-redrivable', message: `${queue.name}: not moved: ${queue.redrive}` });
          continue;
        }
        const { started, task } = await sqs.redrive(queue.arn);
        results.push({
          queue: queue.name,
          outcome: started ? 'started' : 'already-running',
          message: `${queue.name}: ${started ? 'move task started' : 'a move task is already running'}${task.taskHandle ? ` (${task.taskHandle.slice(0, 24)}…)` : ''}, ${task.moved}${task.toMove !== undefined ? ` of ${task.toMove}` : ''} moved`,
        });
      }
      if (options.json) io.stdout(`${JSON.stringify({ outcomes: results })}\n`);
      else io.stdout(`${results.map((result) => result.message).join('\n')}\n`);
    });
}
