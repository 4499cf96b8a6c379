import type { LedgerEvent } from '../domain/events';
import type { EventPublisher } from '../ports';
import type { BatchResults } from './sqs-consumer';

/**
 * Runs `work` per event, then publishes every produced event in one call. A failed event
 * fails alone; a failed publish fails every event that produced output (they are retried,
 * and every consumer is idempotent, so a retry changes nothing).
 */
export async function publishPerEvent<E>(publisher: EventPublisher, events: readonly E[], work: (event: E) => Promise<readonly LedgerEvent[]>): Promise<BatchResults> {
  const results: (Error | undefined)[] = [];
  const outputs: LedgerEvent[] = [];
  const producers: number[] = [];
  for (const event of events) {
    try {
      const produced = await work(event);
      if (produced.length > 0) {
        producers.push(results.length);
        for (const output of produced) outputs.push(output);
      }
      results.push(undefined);
    } catch (error) {
      results.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  if (outputs.length > 0) {
    try {
      await publisher.publish(outputs);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const index of producers) results[index] = failure;
    }
  }
  return results;
}
