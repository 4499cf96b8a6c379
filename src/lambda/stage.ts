/**
 * A hot-path stage (FUSE-1): one step of the posting flow over a batch of events, with its own
 * domain module and its own idempotency, and no transport. The same stage runs
 * - alone, as the Middy handler of its own function (`stageHandler`: staged topology, every
 *   output put on the bus), and
 * - fused with the others in one invocation (src/use-cases/hot-path), which hands each output to
 *   the next stage in process and puts only outward events on the bus.
 */
import type { EventType, LedgerEvent } from '../domain/events';
import type { EventPublisher } from '../ports';
import type { StageName } from '../routes';
import type { Logger } from './logger';
import { createSqsConsumer, type BatchResults, type SqsHandler } from './sqs-consumer';

/** Per input event: the events it produced, in order, or the error that failed it. */
export type StageResult = readonly LedgerEvent[] | Error;

export interface Stage<T extends EventType = EventType> {
  name: StageName;
  /** The event types this stage consumes (its edge's detail-types). */
  accepts: readonly T[];
  /** Runs the stage on a batch. Never throws: a failure is the result of the events it fails. */
  run(events: LedgerEvent<T>[]): Promise<StageResult[]>;
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A stage whose events are independent: `work` runs per event, a throw fails that event alone. */
export function perEvent<T extends EventType>(work: (event: LedgerEvent<T>) => Promise<readonly LedgerEvent[]>): Stage<T>['run'] {
  return async (events) => {
    const results: StageResult[] = [];
    for (const event of events) {
      try {
        results.push(await work(event));
      } catch (error) {
        results.push(toError(error));
      }
    }
    return results;
  };
}

/**
 * Publishes the outputs of a stage run in one call. A failed publish fails every event that
 * produced output (they are retried; every consumer is idempotent, so a retry changes nothing).
 */
export async function publishResults(publisher: EventPublisher, results: readonly StageResult[], shouldPublish: (event: LedgerEvent) => boolean = () => true): Promise<BatchResults> {
  const outcome: (Error | undefined)[] = [];
  const outputs: LedgerEvent[] = [];
  const producers: number[] = [];
  results.forEach((result, index) => {
    if (result instanceof Error) {
      outcome.push(result);
      return;
    }
    outcome.push(undefined);
    let produced = false;
    for (const event of result) {
      if (!shouldPublish(event)) continue;
      outputs.push(event);
      produced = true;
    }
    if (produced) producers.push(index);
  });
  if (outputs.length > 0) {
    try {
      await publisher.publish(outputs);
    } catch (error) {
      const failure = toError(error);
      for (const index of producers) outcome[index] = failure;
    }
  }
  return outcome;
}

/** The stage as its own function's Middy handler (staged topology): every output goes on the bus. */
export function stageHandler<T extends EventType>(stage: Stage<T>, publisher: EventPublisher, logger?: Logger): SqsHandler {
  return createSqsConsumer({
    name: stage.name,
    accepts: stage.accepts,
    logger,
    processBatch: async (events) => publishResults(publisher, await stage.run(events)),
  });
}
