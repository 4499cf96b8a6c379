/**
 * REPLAY-1, DLQ-1: the operator role the data stack synthesizes (its actions declared once in
 * src/use-cases/replay/operator-iam.ts) allows every call `ledgerline replay --env` and
 * `ledgerline dlq --env` make, as the real adapters make them, against the synthesized role
 * policy, permissions boundary, queue policies and key policy, in every environment and topology;
 * and the hot-path function's role may do none of it.
 *
 * The calls are recorded from the adapters (a recorded SQS / EventBridge client) and mapped to the
 * authorisation requests AWS makes (an SQS message move task receives and deletes on the DLQ and
 * sends to the source queue as its caller).
 */
import { DescribeReplayCommand, EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { ListDeadLetterSourceQueuesCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { stacksDir } from './support/stacks';
import { loadIamContract, type AwsCall, type CallPrincipal, type IamContractImpl } from '../../../rehearsal/iam';
import { SYNTHESIZED_SCOPES } from '../support/synth';
import { EventBridgeArchiveReplayer, replayArn } from '../../../src/adapters/aws/event-replay';
import { SqsDeadLetterQueues } from '../../../src/adapters/aws/redrivers';
import { replayNameFor } from '../../../src/use-cases/replay/replay';
import { Names } from '../../../stacks/naming';
import { routesFor } from '../../../src/routes';
import { FUSED_CONSUMER } from '../../../src/routes';
import { TEST_AWS } from '../../adapters/aws/support/dynalite';

const window = { from: new Date('2026-12-06T03:00:00Z'), to: new Date('2026-12-06T04:00:00Z') };

interface Recorded {
  service: 'events' | 'sqs';
  operation: string;
  input: Record<string, unknown>;
}

/** Runs the adapters as the commands do, recording every request they send. */
async function recordOperatorRequests(names: Names, topology: 'fused' | 'staged'): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const events = new EventBridgeClient(TEST_AWS);
  const eventsMock = mockClient(events);
  eventsMock.on(StartReplayCommand).callsFake((input) => (recorded.push({ service: 'events', operation: 'StartReplay', input }), { State: 'STARTING' }));
  eventsMock.on(DescribeReplayCommand).callsFake((input) => (recorded.push({ service: 'events', operation: 'DescribeReplay', input }), { State: 'COMPLETED' }));
  const sqs = new SQSClient(TEST_AWS);
  const sqsMock = mockClient(sqs);
  for (const [command, operation] of [
    [ListDeadLetterSourceQueuesCommand, 'ListDeadLetterSourceQueues'],
    [ReceiveMessageCommand, 'ReceiveMessage'],
    [StartMessageMoveTaskCommand, 'StartMessageMoveTask'],
    [ListMessageMoveTasksCommand, 'ListMessageMoveTasks'],
  ] as const) {
    sqsMock.on(command as never).callsFake((input: Record<string, unknown>) => (recorded.push({ service: 'sqs', operation, input }), {}));
  }
  try {
    const replayer = new EventBridgeArchiveReplayer({
      client: events,
      archiveArn: `arn:aws:events:${names.region}:${names.account}:archive/${names.archiveName}`,
      busArn: names.busArn,
    });
    await replayer.start(replayNameFor(window, names.prefix), window);
    await replayer.describe(replayNameFor(window, names.prefix));
    const queues = new SqsDeadLetterQueues({ client: sqs });
    const dlqs = [...routesFor(topology).map((route) => names.routeDlqName(route)), names.busDeliveryDlqName, names.pipeDlqName, names.schedulerDlqName, names.asyncInvokeDlqName];
    for (const dlq of dlqs) {
      await queues.sources(names.queueUrl(dlq));
      await queues.peek(dlq, names.queueUrl(dlq), 10);
    }
    for (const route of routesFor(topology)) await queues.redrive(names.queueArn(names.routeDlqName(route)));
  } finally {
    eventsMock.restore();
    sqsMock.restore();
  }
  return recorded;
}

/** The authorisation requests AWS makes for each recorded request (the contract models the SQS data calls). */
function callsOf(contract: IamContractImpl, names: Names, principal: CallPrincipal, requests: readonly Recorded[]): AwsCall[] {
  const sqsArn = (url: string) => names.queueArn(url.slice(url.lastIndexOf('/') + 1));
  const urlOf = (arn: string) => names.queueUrl(arn.slice(arn.lastIndexOf(':') + 1));
  return requests.flatMap((request): AwsCall[] => {
    const input = request.input;
    switch (request.operation) {
      case 'StartReplay':
        return [{ principal, action: 'events:StartReplay', resource: String(input.EventSourceArn) }];
      case 'DescribeReplay':
        return [{ principal, action: 'events:DescribeReplay', resource: replayArn(names.region, names.account, String(input.ReplayName)) }];
      case 'ListDeadLetterSourceQueues':
        return [{ principal, action: 'sqs:ListDeadLetterSourceQueues', resource: sqsArn(String(input.QueueUrl)) }];
      case 'ReceiveMessage':
        return contract.callsFor(principal, { service: 'sqs', operation: 'ReceiveMessage', input });
      case 'ListMessageMoveTasks':
        return [{ principal, action: 'sqs:ListMessageMoveTasks', resource: String(input.SourceArn) }];
      case 'StartMessageMoveTask': {
        const dlq = String(input.SourceArn);
        // The task works as its caller: reads and deletes on the DLQ, sends to each source queue (the DLQ's route queue).
        const source = names.queueUrl(
          names.routeQueueName({
            name: dlq
              .slice(dlq.lastIndexOf(':') + 1)
              .replace(`${names.prefix}-`, '')
              .replace(/-dlq$/, ''),
          }),
        );
        return [
          { principal, action: 'sqs:StartMessageMoveTask', resource: dlq },
          ...contract.callsFor(principal, { service: 'sqs', operation: 'ReceiveMessage', input: { QueueUrl: urlOf(dlq) } }),
          ...contract.callsFor(principal, { service: 'sqs', operation: 'DeleteMessage', input: { QueueUrl: urlOf(dlq) } }),
          ...contract.callsFor(principal, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: source } }),
        ];
      }
      default:
        throw new Error(`unmapped ${request.service} ${request.operation}`);
    }
  });
}

const contracts = new Map<string, IamContractImpl>();
function contract(env: string): IamContractImpl {
  if (!contracts.has(env)) contracts.set(env, loadIamContract(stacksDir(), env));
  return contracts.get(env)!;
}

describe.each(SYNTHESIZED_SCOPES.map(([scope, config]) => [scope, config] as const))('IAM contract of %s: the operator role', (scope, config) => {
  const names = Names.of(config);

  it('allows every call of replay and dlq list/show/redrive, each on its exact resource', async () => {
    const requests = await recordOperatorRequests(names, config.runtime.topology);
    const operations = new Set(requests.map((request) => request.operation));
    expect([...operations].sort()).toEqual(['DescribeReplay', 'ListDeadLetterSourceQueues', 'ListMessageMoveTasks', 'ReceiveMessage', 'StartMessageMoveTask', 'StartReplay']);
    const calls = callsOf(contract(scope), names, { kind: 'role', roleName: names.roleName('operator') }, requests);
    // KMS is authorised too: the queues are encrypted with the messaging key.
    expect(calls.some((call) => call.action === 'kms:Decrypt')).toBe(true);
    expect(calls.some((call) => call.action === 'kms:GenerateDataKey')).toBe(true);
    const denied = calls.map((call) => ({ call, decision: contract(scope).authorize({ ...call, caller: 'operator' }) })).filter(({ decision }) => !decision.allowed);
    // The boundary's `events` resources name no archive or replay yet (see the pending test below).
    const boundaryOnly = denied.filter(({ call, decision }) => call.action.startsWith('events:') && /permissions boundary .* does not allow it/.test(decision.reason ?? ''));
    expect(denied.filter((entry) => !boundaryOnly.includes(entry)).map(({ call, decision }) => `${call.action} ${call.resource}: ${decision.reason}`)).toEqual([]);
  });

  // Pending the permissions boundary (stacks/bootstrap-stack.ts boundaryStatements) naming
  // `archive/<prefix>-*` and `replay/<prefix>-*` among its events resources: once it does, this
  // passes, jest reports the `failing` test as failed, and it becomes a plain `it`.
  it('the permissions boundary lets the operator replay (events:StartReplay, events:DescribeReplay)', async () => {
    const requests = await recordOperatorRequests(names, config.runtime.topology);
    const calls = callsOf(contract(scope), names, { kind: 'role', roleName: names.roleName('operator') }, requests).filter((call) => call.action.startsWith('events:'));
    expect(calls.map((call) => call.action).sort()).toEqual(['events:DescribeReplay', 'events:StartReplay']);
    expect(calls.filter((call) => !contract(scope).authorize(call).allowed).map((call) => call.action)).toEqual([]);
  });

  it('grants nothing wider: another archive, a replay not named by replay, a queue that is not a DLQ are refused', () => {
    const operator = { kind: 'role' as const, roleName: names.roleName('operator') };
    const refused = [
      { action: 'events:StartReplay', resource: `arn:aws:events:${names.region}:${names.account}:archive/other-archive` },
      { action: 'events:DescribeReplay', resource: replayArn(names.region, names.account, 'someone-elses') },
      { action: 'sqs:ReceiveMessage', resource: names.queueArn(names.routeQueueName(routesFor(config.runtime.topology)[0]!)) },
      { action: 'sqs:PurgeQueue', resource: names.queueArn(names.busDeliveryDlqName) },
      { action: 'events:PutEvents', resource: names.busArn },
    ];
    for (const call of refused) expect([call.action, call.resource, contract(scope).authorize({ principal: operator, ...call }).allowed]).toEqual([call.action, call.resource, false]);
  });

  it('the posting function may neither replay nor move dead letters', () => {
    const poster = { kind: 'role' as const, roleName: names.roleName(`fn-${config.runtime.topology === 'fused' ? FUSED_CONSUMER : 'posting'}`) };
    expect(contract(scope).authorize({ principal: poster, action: 'events:StartReplay', resource: `arn:aws:events:${names.region}:${names.account}:archive/${names.archiveName}` }).allowed).toBe(
      false,
    );
    expect(contract(scope).authorize({ principal: poster, action: 'sqs:StartMessageMoveTask', resource: names.queueArn(names.busDeliveryDlqName) }).allowed).toBe(false);
  });
});
