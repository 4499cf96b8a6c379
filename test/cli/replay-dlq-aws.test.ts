/**
 * `ledgerline replay --env` and `ledgerline dlq --env` against recorded AWS clients (every
 * EventBridge and SQS client the commands create is the mocked one): the environment's names
 * reach the calls (archive, bus, dead-letter queue URLs and ARNs), a redrive moves route DLQs
 * only and explains the others, and nothing is ever deleted from a DLQ by list or show.
 */
import { Command } from 'commander';
import { DescribeReplayCommand, EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { addReplayCommand } from '../../src/cli/replay-command';
import { addDlqCommand } from '../../src/cli/dlq-command';
import { CliError } from '../../src/cli/errors';
import { dev } from '../../environments/dev';
import { Names } from '../../stacks/naming';
import { routesFor } from '../../src/routes';

const names = Names.of(dev);
const events = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
beforeEach(() => {
  events.reset();
  sqs.reset();
});
afterAll(() => {
  events.restore();
  sqs.restore();
});

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; error?: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('ledgerline').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const io = { stdout: (text: string) => void out.push(text), stderr: (text: string) => void err.push(text) };
  addReplayCommand(program, io);
  addDlqCommand(program, io);
  try {
    await program.parseAsync(['node', 'ledgerline', ...args]);
    return { stdout: out.join(''), stderr: err.join('') };
  } catch (error) {
    return { stdout: out.join(''), stderr: err.join(''), error: error instanceof CliError ? error.message : String(error) };
  }
}

it('replay --env dev replays the dev archive to the dev bus under a dev replay name', async () => {
  events.on(StartReplayCommand).resolves({ State: 'STARTING' });
  events.on(DescribeReplayCommand).resolves({ State: 'COMPLETED' });
  const result = await cli(['replay', '--env', 'dev', '--from', '2026-12-06T03:00:00Z', '--to', '2026-12-06T04:00:00Z', '--type', 'posting.failed', '--no-wait', '--json']);
  expect(result.error).toBeUndefined();
  const input = events.commandCalls(StartReplayCommand)[0]!.args[0].input;
  expect(input.EventSourceArn).toBe(`arn:aws:events:${dev.region}:${dev.account}:archive/${names.archiveName}`);
  expect(input.Destination).toEqual({ Arn: names.busArn, FilterArns: [names.postingFailureRuleArn] });
  expect(input.ReplayName).toMatch(/^ledgerline-dev-replay-20261206T030000Z-[0-9a-f]{12}$/);
  expect(JSON.parse(result.stdout)).toMatchObject({ name: input.ReplayName, started: true, state: 'STARTING' });
});

it('dlq list --env dev peeks every dev dead-letter queue and deletes nothing', async () => {
  let served = false;
  sqs.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string }) => {
    if (served || input.QueueUrl !== names.queueUrl(names.busDeliveryDlqName)) return {};
    served = true;
    return { Messages: [{ MessageId: 'm-1', Body: '{}', Attributes: { ApproximateReceiveCount: '2' } }] };
  });
  const result = await cli(['dlq', 'list', '--env', 'dev']);
  expect(result.error).toBeUndefined();
  expect(result.stdout).toMatch(new RegExp(`${names.busDeliveryDlqName} +m-1 +2`));
  const urls = new Set(sqs.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input.QueueUrl));
  const dlqs = [...routesFor(dev.runtime.topology).map((route) => names.routeDlqName(route)), names.busDeliveryDlqName, names.pipeDlqName, names.schedulerDlqName, names.asyncInvokeDlqName];
  expect(urls).toEqual(new Set(dlqs.map((dlq) => names.queueUrl(dlq))));
  expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
});

it('dlq show --env dev prints a message with its attributes, each name apart from its value (EventBridge names them ERROR_CODE, TARGET_ARN…)', async () => {
  sqs.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string }) => {
    if (input.QueueUrl !== names.queueUrl(names.busDeliveryDlqName)) return {};
    const attributes = { RULE_ARN: 'arn:aws:events:rule', TARGET_ARN: 'arn:aws:sqs:target', ERROR_CODE: 'SDK_CLIENT_ERROR', ERROR_MESSAGE: 'throttled' };
    return {
      Messages: [
        {
          MessageId: 'm-1',
          Body: '{}',
          Attributes: { ApproximateReceiveCount: '2' },
          MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
        },
      ],
    };
  });
  const result = await cli(['dlq', 'show', 'm-1', '--env', 'dev']);
  expect(result.error).toBeUndefined();
  const lines = result.stdout.split('\n');
  expect(lines).toEqual(
    expect.arrayContaining([
      `queue:    ${names.busDeliveryDlqName}`,
      'message:  m-1',
      'receives: 2',
      'RULE_ARN: arn:aws:events:rule',
      'TARGET_ARN: arn:aws:sqs:target',
      'ERROR_CODE: SDK_CLIENT_ERROR',
      'ERROR_MESSAGE: throttled',
      'body:     {}',
    ]),
  );
  expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
});

it('dlq redrive --all --env dev moves the route DLQs and explains why the others cannot be moved', async () => {
  sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
  sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h' });
  const result = await cli(['dlq', 'redrive', '--all', '--env', 'dev', '--json']);
  expect(result.error).toBeUndefined();
  const routeDlqs = routesFor(dev.runtime.topology).map((route) => names.queueArn(names.routeDlqName(route)));
  expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((call) => call.args[0].input.SourceArn)).toEqual(routeDlqs);
  const outcomes = (JSON.parse(result.stdout) as { outcomes: { queue: string; outcome: string; message: string }[] }).outcomes;
  expect(outcomes.filter((outcome) => outcome.outcome === 'started')).toHaveLength(routeDlqs.length);
  const others = outcomes.filter((outcome) => outcome.outcome === 'not-redrivable');
  expect(others.map((outcome) => outcome.queue).sort()).toEqual([names.asyncInvokeDlqName, names.busDeliveryDlqName, names.pipeDlqName, names.schedulerDlqName].sort());
  expect(others.find((outcome) => outcome.queue === names.busDeliveryDlqName)!.message).toMatch(/ledgerline replay/);
  // An unknown queue is refused, naming the known ones; nothing starts.
  sqs.resetHistory();
  const unknown = await cli(['dlq', 'redrive', 'ledgerline-dev-payments-to-hot-path-queue', '--env', 'dev']);
  expect(unknown.error).toMatch(/is not a dead-letter queue of dev; one of /);
  expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
});
