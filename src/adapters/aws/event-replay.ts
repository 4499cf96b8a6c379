/**
 * REPLAY-1 on AWS: EventBridge replays its archive (the data stack's `archive`) to the bus.
 * StartReplay under a deterministic name (src/use-cases/replay/replay.ts `replayNameFor`); a name
 * that exists already answers ResourceAlreadyExistsException, and the replay of that name is
 * described and followed instead of a second one being started. DescribeReplay reports the state
 * and how far the replay has got (EventLastReplayedTime).
 *
 * EventBridge cannot filter a replay by detail-type: a --type window is replayed to the rules that
 * consume that type only (Destination.FilterArns), which the caller derives from the routes.
 *
 * IAM: the operator needs events:StartReplay on the archive and events:DescribeReplay on the
 * replay (REPLAY_IAM, src/use-cases/replay/operator-iam.ts, which the operator role reads). EventBridge
 * delivers the replayed events to the bus itself.
 */
import { DescribeReplayCommand, EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import type { ArchiveReplayer, ReplayState, ReplayStatus, ReplayWindow } from '../../use-cases/replay/ports';
import { awsCall, errorName } from './errors';

/** The IAM actions replay needs, by the resource they are authorised on. */
export { REPLAY_IAM } from '../../use-cases/replay/operator-iam';

/** The ARN DescribeReplay is authorised on. */
export function replayArn(region: string, account: string, name: string): string {
  return `arn:aws:events:${region}:${account}:replay/${name}`;
}

export interface EventBridgeArchiveReplayerOptions {
  client?: EventBridgeClient;
  /** The region of a client this adapter creates. */
  region?: string;
  archiveArn: string;
  busArn: string;
  /** The rules a typed window is replayed to (the rules whose pattern matches the type). */
  rulesFor?: (type: string) => readonly string[];
}

const STATES: readonly ReplayState[] = ['STARTING', 'RUNNING', 'CANCELLING', 'COMPLETED', 'CANCELLED', 'FAILED'];

function toState(name: string, state: string | undefined): ReplayState {
  if (STATES.includes(state as ReplayState)) return state as ReplayState;
  throw new Error(`EventBridge replay ${name}: unknown state "${String(state)}"`);
}

export class EventBridgeArchiveReplayer implements ArchiveReplayer {
  private readonly client: EventBridgeClient;

  constructor(private readonly options: EventBridgeArchiveReplayerOptions) {
    this.client = options.client ?? new EventBridgeClient(options.region ? { region: options.region } : {});
  }

  async start(name: string, window: ReplayWindow): Promise<{ started: boolean; status: ReplayStatus }> {
    let filterArns: string[] | undefined;
    if (window.type !== undefined) {
      filterArns = [...(this.options.rulesFor?.(window.type) ?? [])];
      if (filterArns.length === 0) throw new Error(`no rule on ${this.options.busArn} consumes ${window.type}: a replay of it would reach nothing`);
    }
    try {
      const response = await awsCall('EventBridge StartReplay', () =>
        this.client.send(
          new StartReplayCommand({
            ReplayName: name,
            Description: `ledgerline replay ${window.from.toISOString()} .. ${window.to.toISOString()}${window.type ? ` of ${window.type}` : ''}`,
            EventSourceArn: this.options.archiveArn,
            EventStartTime: window.from,
            EventEndTime: window.to,
            Destination: { Arn: this.options.busArn, ...(filterArns ? { FilterArns: filterArns } : {}) },
          }),
        ),
      );
      return { started: true, status: { name, state: toState(name, response.State), ...(response.StateReason ? { reason: response.StateReason } : {}) } };
    } catch (error) {
      if (errorName(error) === 'ResourceAlreadyExistsException') return { started: false, status: await this.describe(name) };
      throw error;
    }
  }

  async describe(name: string): Promise<ReplayStatus> {
    const response = await awsCall('EventBridge DescribeReplay', () => this.client.send(new DescribeReplayCommand({ ReplayName: name })));
    return {
      name,
      state: toState(name, response.State),
      ...(response.StateReason ? { reason: response.StateReason } : {}),
      ...(response.EventLastReplayedTime ? { lastReplayed: response.EventLastReplayedTime } : {}),
    };
  }
}
