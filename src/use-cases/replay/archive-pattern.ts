/**
 * What the event archive keeps (REPLAY-1): one definition, read by the data stack (the
 * EventBridge archive's event pattern) and by the embedded archive (src/adapters/embedded/event-archive.ts).
 */
import { EventTypes, type EventType } from '../../domain/events';
import type { Topology } from '../../routes';

/**
 * The events that leave the hot path (FUSE-2, src/routes.ts `crossesBus`): what consumers
 * outside it read. `payment.rules-decided` crosses as a decline or review (an approval only in
 * the staged topology).
 */
export const OUTWARD_EVENT_TYPES: readonly EventType[] = [EventTypes.duplicateParked, EventTypes.rejected, EventTypes.rulesDecided, EventTypes.postingCompleted, EventTypes.postingFailed];

/**
 * The lifecycle events the archive keeps: the outward events (audit, and replay to the consumers
 * outside the hot path). Fused, nothing else of the hot path reaches the bus: authorisations go
 * from the Pipe to the hot path's queue, intermediate events are handed over in process, and a
 * whole run is replayed from its source, the authorisations table (point-in-time recovery).
 * Staged, the authorisations cross the bus too, and replaying `payment.authorised` re-runs the
 * whole (idempotent, deterministic) flow. Intermediate events are derivable and the bulk of the
 * volume: never archived.
 */
export function replayEventTypes(topology: Topology): readonly EventType[] {
  return topology === 'staged' ? [EventTypes.authorised, ...OUTWARD_EVENT_TYPES] : OUTWARD_EVENT_TYPES;
}

/** Every type either topology archives: what a replay may name with --type. */
export const ARCHIVED_EVENT_TYPES: readonly EventType[] = replayEventTypes('staged');
