/**
 * Draining an event source into notifications (NOTIFY-2, HOOK-2): each source is read past its
 * cursor, in order; an event's notifications are made (./notify.ts) and only then the cursor moves
 * past it. A crash before the cursor moves makes the next drain see the event again, which creates
 * nothing twice (deterministic delivery ids) and re-attempts only what the crash interrupted.
 * An event that cannot be processed (a store error, a payment not found) stops its source where it
 * is, named in the result, for the next drain: nothing after it is skipped over.
 */
import type { NotifyCursorStore, NotifyEventSource } from '../../ports/notify';
import type { NotifyDeps, NotifyResult } from './notify';
import { notifyEvent } from './notify';

export interface DrainResult {
  events: number;
  results: NotifyResult[];
  /** Sources stopped at an event that failed: the event and the fault. */
  stopped: { source: string; position: number; eventId: string; error: string }[];
}

export async function drainEvents(deps: NotifyDeps & { source: NotifyEventSource; cursors: NotifyCursorStore }, options: { batchSize?: number } = {}): Promise<DrainResult> {
  const batchSize = options.batchSize ?? 500;
  const result: DrainResult = { events: 0, results: [], stopped: [] };
  for (const source of await deps.source.sources()) {
    let position = await deps.cursors.position(source);
    read: for (;;) {
      const batch = await deps.source.read(source, position, batchSize);
      if (batch.length === 0) break;
      for (const item of batch) {
        try {
          result.results.push(await notifyEvent(deps, item.event));
        } catch (error) {
          result.stopped.push({ source, position: item.position, eventId: item.event.id, error: error instanceof Error ? error.message : String(error) });
          break read;
        }
        result.events += 1;
        position = item.position;
        await deps.cursors.advance(source, position);
      }
    }
  }
  return result;
}
