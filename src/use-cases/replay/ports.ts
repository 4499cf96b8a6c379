/**
 * The ports of replay (REPLAY-1): an archive to read a window of events from and a target that
 * delivers them again (locally the embedded bus and its consumers; on AWS EventBridge replays
 * the archive itself, see ArchiveReplayer).
 */
import type { LedgerEvent } from '../../domain/events';

/** A replay window: events that crossed the bus at or after `from` and before `to`. */
export interface ReplayWindow {
  from: Date;
  to: Date;
  /** Only events of this detail-type. */
  type?: string;
}

export interface ArchivedEvent {
  /** When the event first crossed the bus (ISO 8601). */
  archivedAt: string;
  event: LedgerEvent;
}

export interface EventArchive {
  /** The archived events of the window, oldest first. */
  read(window: ReplayWindow): Promise<ArchivedEvent[]>;
}

export interface ReplayTarget {
  /** Delivers events to their consumers as the bus would, and returns once they have settled (committed). */
  deliver(events: readonly LedgerEvent[]): Promise<void>;
}

/** The states of an EventBridge replay (DescribeReplay `State`). */
export type ReplayState = 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface ReplayStatus {
  name: string;
  state: ReplayState;
  reason?: string;
  /** The time of the last event replayed so far (progress through the window). */
  lastReplayed?: Date;
}

/** The archive replays itself (EventBridge StartReplay / DescribeReplay). */
export interface ArchiveReplayer {
  /** Starts a replay named `name`; a replay of that name that exists already is not started again. */
  start(name: string, window: ReplayWindow): Promise<{ started: boolean; status: ReplayStatus }>;
  describe(name: string): Promise<ReplayStatus>;
}
