/**
 * Use case: run a batch through the fused hot path (FUSE-1, FUSE-2).
 *
 * 1. Each event of the batch enters at the stage whose edge it matches: an authorisation at
 *    dedup, a re-driven event (the sweeper put it back on the bus) at the stage that consumes it.
 * 2. The stages run in order (src/routes.ts HOT_PATH_STAGES), each once, on everything that has
 *    reached it. Each output that feeds a later stage is handed over in process; each output that
 *    leaves the hot path (`crossesBus`) is collected.
 * 3. The outward events are published in one call.
 * 4. Every result is mapped back to the input event it came from: a failure anywhere fails that
 *    input alone (its record is retried; every stage is idempotent, so the re-run changes nothing
 *    already done), and a failed publish fails the inputs whose events it carried.
 *
 * No storage and no transport here: stages bring their own ports, the caller its publisher.
 */
import type { LedgerEvent } from '../../domain/events';
import type { EventPublisher } from '../../ports';
import type { BatchResults } from '../../lambda/sqs-consumer';
import type { Stage } from '../../lambda/stage';
import { toError } from '../../lambda/stage';
import type { StageName } from '../../routes';
import { crossesBus, HOT_PATH_STAGES, stageFor } from '../../routes';

/** The stage behind each edge (src/routes.ts EDGES), typed by the events it consumes. */
export interface HotPathStages {
  readonly dedup: Stage<'payment.authorised'>;
  readonly standardise: Stage<'payment.deduplicated'>;
  readonly enrich: Stage<'payment.standardised'>;
  readonly rules: Stage<'payment.enriched'>;
  readonly posting: Stage<'payment.rules-decided'>;
  readonly assembler: Stage<'posting.recorded'>;
}

export interface HotPathDeps {
  stages: HotPathStages;
  publisher: EventPublisher;
}

interface InFlight {
  event: LedgerEvent;
  /** The index of the batch input this event descends from. */
  origin: number;
}

const STAGE_ORDER = new Map<StageName, number>(HOT_PATH_STAGES.map((stage, index) => [stage, index]));

/** The stage that consumes `event` on the hot path, if any. */
export function entryStage(event: LedgerEvent): StageName | undefined {
  return stageFor({ source: event.source, 'detail-type': event.type, detail: event });
}

export function createHotPath(deps: HotPathDeps): (events: readonly LedgerEvent[]) => Promise<BatchResults> {
  return async function runHotPath(events) {
    const failures: (Error | undefined)[] = new Array(events.length).fill(undefined);
    const queued = new Map<StageName, InFlight[]>(HOT_PATH_STAGES.map((stage) => [stage, []]));
    const outward: InFlight[] = [];
    events.forEach((event, origin) => {
      const stage = entryStage(event);
      if (stage) queued.get(stage)!.push({ event, origin });
      else if (crossesBus(event)) outward.push({ event, origin });
    });

    for (const stageName of HOT_PATH_STAGES) {
      const items = queued.get(stageName)!.filter((item) => failures[item.origin] === undefined);
      if (items.length === 0) continue;
      const stage = deps.stages[stageName] as unknown as Stage;
      let results;
      try {
        results = await stage.run(items.map((item) => item.event));
      } catch (error) {
        // A stage must not throw; if one does, every event it held fails (and is retried).
        const failure = toError(error);
        for (const item of items) failures[item.origin] ??= failure;
        continue;
      }
      const position = STAGE_ORDER.get(stageName)!;
      items.forEach((item, index) => {
        const result = results[index];
        if (result instanceof Error) {
          failures[item.origin] ??= result;
          return;
        }
        for (const output of result ?? []) {
          if (crossesBus(output)) outward.push({ event: output, origin: item.origin });
          const next = entryStage(output);
          if (!next) continue;
          if (STAGE_ORDER.get(next)! <= position) {
            failures[item.origin] ??= new Error(`stage ${stageName} produced ${output.type}, which feeds ${next}: the hot path only runs forward`);
            continue;
          }
          queued.get(next)!.push({ event: output, origin: item.origin });
        }
      });
    }

    const publishable = outward.filter((item) => failures[item.origin] === undefined);
    if (publishable.length > 0) {
      try {
        await deps.publisher.publish(publishable.map((item) => item.event));
      } catch (error) {
        const failure = toError(error);
        for (const item of publishable) failures[item.origin] ??= failure;
      }
    }
    return failures;
  };
}
