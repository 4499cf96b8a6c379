/**
 * REPLAY-1 on AWS, against a recorded EventBridge client (no EventBridge stand-in exists): the
 * adapter's StartReplay / DescribeReplay calls, and the replay use case's handling of every
 * replay state (polling to the end, an existing replay followed and not started twice, failure
 * and cancellation named).
 */
import { DescribeReplayCommand, EventBridgeClient, ResourceAlreadyExistsException, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeArchiveReplayer, replayArn } from '../../../src/adapters/aws/event-replay';
import { replayNameFor, replayOnAws, ReplayError } from '../../../src/use-cases/replay/replay';
import type { ReplayStatus } from '../../../src/use-cases/replay/ports';
import { TransientStoreError } from '../../../src/ports';
import { TEST_AWS } from './support/dynalite';

const ARCHIVE = 'arn:aws:events:eu-west-2:111111111111:archive/ledgerline-dev-replay';
const BUS = 'arn:aws:events:eu-west-2:111111111111:event-bus/ledgerline-dev-bus';
const RULE = 'arn:aws:events:eu-west-2:111111111111:rule/ledgerline-dev-bus/ledgerline-dev-posting-failed-notify';
const window = { from: new Date('2026-12-06T03:00:00Z'), to: new Date('2026-12-06T04:00:00Z') };

describe('EventBridgeArchiveReplayer + replayOnAws', () => {
  const client = new EventBridgeClient(TEST_AWS);
  const mock = mockClient(client);
  const replayer = new EventBridgeArchiveReplayer({ client, archiveArn: ARCHIVE, busArn: BUS, rulesFor: (type) => (type === 'posting.failed' ? [RULE] : []) });
  const sleeps: number[] = [];
  const progress: ReplayStatus[] = [];
  const deps = { replayer, sleep: async (ms: number) => void sleeps.push(ms), onProgress: (status: ReplayStatus) => void progress.push(status) };
  beforeEach(() => {
    mock.reset();
    sleeps.length = 0;
    progress.length = 0;
  });
  afterAll(() => mock.restore());

  it('starts the window replay from the archive to the bus and polls DescribeReplay until it completes', async () => {
    mock.on(StartReplayCommand).resolves({ State: 'STARTING' });
    mock
      .on(DescribeReplayCommand)
      .resolvesOnce({ State: 'RUNNING', EventLastReplayedTime: new Date('2026-12-06T03:20:00Z') })
      .resolvesOnce({ State: 'RUNNING', EventLastReplayedTime: new Date('2026-12-06T03:50:00Z') })
      .resolves({ State: 'COMPLETED', EventLastReplayedTime: new Date('2026-12-06T03:59:59Z') });
    const result = await replayOnAws(deps, window, { pollMs: 250 });
    expect(result).toMatchObject({ name: replayNameFor(window), started: true, status: { state: 'COMPLETED' } });
    const start = mock.commandCalls(StartReplayCommand)[0]!.args[0].input;
    expect(start).toMatchObject({ ReplayName: replayNameFor(window), EventSourceArn: ARCHIVE, EventStartTime: window.from, EventEndTime: window.to, Destination: { Arn: BUS } });
    expect(start.Destination).not.toHaveProperty('FilterArns');
    expect(mock.commandCalls(DescribeReplayCommand).map((call) => call.args[0].input)).toEqual(Array(3).fill({ ReplayName: replayNameFor(window) }));
    expect(sleeps).toEqual([250, 250, 250]);
    expect(progress.map((status) => status.state)).toEqual(['STARTING', 'RUNNING', 'RUNNING', 'COMPLETED']);
    expect(progress[2]!.lastReplayed?.toISOString()).toBe('2026-12-06T03:50:00.000Z');
  });

  it('the same window again finds the replay that exists and follows it: nothing is started twice', async () => {
    mock.on(StartReplayCommand).rejects(new ResourceAlreadyExistsException({ message: 'Replay already exists', $metadata: {} }));
    mock.on(DescribeReplayCommand).resolvesOnce({ State: 'RUNNING' }).resolves({ State: 'COMPLETED' });
    const result = await replayOnAws(deps, window, { pollMs: 1 });
    expect(result.started).toBe(false);
    expect(result.status.state).toBe('COMPLETED');
    expect(mock.commandCalls(StartReplayCommand)).toHaveLength(1);
  });

  it.each([
    ['FAILED', 'Destination bus not found'],
    ['CANCELLED', undefined],
  ])('a replay that ends %s throws naming the replay and the reason', async (state, reason) => {
    mock.on(StartReplayCommand).resolves({ State: 'STARTING' });
    mock.on(DescribeReplayCommand).resolves({ State: state as 'FAILED', StateReason: reason });
    const failure = replayOnAws(deps, window, { pollMs: 1 });
    await expect(failure).rejects.toThrow(ReplayError);
    await expect(replayOnAws(deps, window, { pollMs: 1 })).rejects.toThrow(`replay ${replayNameFor(window)} ${state.toLowerCase()}${reason ? `: ${reason}` : ''}`);
  });

  it('gives up polling after maxPolls naming the replay and its state; --no-wait returns after the start', async () => {
    mock.on(StartReplayCommand).resolves({ State: 'STARTING' });
    mock.on(DescribeReplayCommand).resolves({ State: 'RUNNING' });
    await expect(replayOnAws(deps, window, { pollMs: 1, maxPolls: 3 })).rejects.toThrow(/still RUNNING after 3 polls; run the same command again/);
    mock.resetHistory();
    const noWait = await replayOnAws(deps, window, { wait: false });
    expect(noWait.status.state).toBe('STARTING');
    expect(mock.commandCalls(DescribeReplayCommand)).toHaveLength(0);
  });

  it('a typed window goes to the rules that consume the type only; a type no rule consumes starts nothing', async () => {
    mock.on(StartReplayCommand).resolves({ State: 'STARTING' });
    mock.on(DescribeReplayCommand).resolves({ State: 'COMPLETED' });
    await replayOnAws(deps, { ...window, type: 'posting.failed' }, { pollMs: 1 });
    expect(mock.commandCalls(StartReplayCommand)[0]!.args[0].input.Destination).toEqual({ Arn: BUS, FilterArns: [RULE] });
    mock.resetHistory();
    await expect(replayOnAws(deps, { ...window, type: 'posting.completed' }, { pollMs: 1 })).rejects.toThrow(/no rule on .* consumes posting.completed/);
    expect(mock.commandCalls(StartReplayCommand)).toHaveLength(0);
  });

  it('throttling is a transient error naming the call; an unknown state is refused', async () => {
    mock.on(StartReplayCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(replayer.start('r', window)).rejects.toThrow(TransientStoreError);
    await expect(replayer.start('r', window)).rejects.toThrow(/EventBridge StartReplay/);
    mock.on(DescribeReplayCommand).resolves({ State: 'PAUSED' as never });
    await expect(replayer.describe('r')).rejects.toThrow(/replay r: unknown state "PAUSED"/);
  });

  it('replay names: deterministic, distinct per window and type, valid for EventBridge', () => {
    const names = new Set<string>();
    for (let hour = 0; hour < 24; hour += 1) {
      for (const type of [undefined, 'posting.failed', 'payment.authorised']) {
        const w = { from: new Date(Date.UTC(2026, 11, 6, hour)), to: new Date(Date.UTC(2026, 11, 6, hour, 59, 59, 999)), ...(type ? { type } : {}) };
        const name = replayNameFor(w);
        expect(name).toMatch(/^ledgerline-replay-[A-Za-z0-9._-]{1,46}$/);
        expect(replayNameFor(w, 'ledgerline-staging')).toMatch(/^ledgerline-staging-replay-[A-Za-z0-9._-]+$/);
        expect(replayNameFor(w, 'ledgerline-staging').length).toBeLessThanOrEqual(64);
        expect(replayNameFor({ ...w })).toBe(name);
        names.add(name);
      }
    }
    expect(names.size).toBe(72);
    expect(replayArn('eu-west-2', '111111111111', 'x')).toBe('arn:aws:events:eu-west-2:111111111111:replay/x');
    expect(() => replayNameFor(window, 'x'.repeat(40))).toThrow(/is not a valid EventBridge name \(environment prefix "x{40}" too long\?\)/);
    expect(() => replayNameFor(window, 'bad prefix')).toThrow(ReplayError);
  });
});
