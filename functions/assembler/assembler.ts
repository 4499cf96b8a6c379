/**
 * assembler: consumes `posting.leg-recorded` (route legs-to-assembler). When a sequence is
 * complete it writes the core-banking posting record to the outbox and emits
 * `posting.completed`. Domain: src/domain/posting-record.ts.
 */
import type { LedgerEvent } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import { assembleSequence } from '../../src/domain/posting-record';
import { markCompleted } from '../../src/domain/transaction-state';
import type { Clock, EventPublisher, PostingOutbox, SequenceStore, TransactionStateStore } from '../../src/ports';
import { createSqsConsumer, type BatchResults, type SqsHandler } from '../../src/lambda/sqs-consumer';
import type { Logger } from '../../src/lambda/logger';

export interface AssemblerDeps {
  sequences: SequenceStore;
  outbox: PostingOutbox;
  transactions: TransactionStateStore;
  publisher: EventPublisher;
  clock: Clock;
  logger?: Logger;
}

export function createAssemblerHandler(deps: AssemblerDeps): SqsHandler {
  return createSqsConsumer({
    name: 'assembler',
    accepts: [EventTypes.legRecorded],
    logger: deps.logger,
    async processBatch(events): Promise<BatchResults> {
      const bySequence = new Map<string, number[]>();
      events.forEach((event, index) => {
        const positions = bySequence.get(event.data.sequenceId) ?? [];
        positions.push(index);
        bySequence.set(event.data.sequenceId, positions);
      });
      const results: (Error | undefined)[] = new Array(events.length).fill(undefined);
      let known: Map<string, LedgerEvent<'posting.leg-recorded'>['data'][]>;
      try {
        known = await deps.sequences.addLegs(events.map((event) => event.data));
      } catch (error) {
        return events.map(() => (error instanceof Error ? error : new Error(String(error))));
      }
      const now = deps.clock.now();
      const outputs: LedgerEvent[] = [];
      for (const [sequenceId, positions] of bySequence) {
        try {
          const assembly = assembleSequence(known.get(sequenceId) ?? []);
          if (!assembly.complete) continue;
          await deps.outbox.write(assembly.record);
          // The completing leg with the highest index is the cause: deterministic on re-delivery.
          const cause = positions.map((i) => events[i]!).reduce((a, b) => (a.data.legIndex >= b.data.legIndex ? a : b));
          await markCompleted(deps.transactions, cause.correlationId, cause.data.authorizationId, now);
          outputs.push(
            nextEvent(
              { id: `${sequenceId}:assembled`, correlationId: cause.correlationId },
              EventTypes.postingCompleted,
              'ledgerline.assembler',
              { sequenceId, authorizationId: cause.data.authorizationId, legCount: cause.data.legCount, postingRecordId: assembly.record.recordId },
              now.toISOString(),
            ),
          );
        } catch (error) {
          for (const position of positions) results[position] = error instanceof Error ? error : new Error(String(error));
        }
      }
      if (outputs.length > 0) {
        try {
          await deps.publisher.publish(outputs);
        } catch (error) {
          return events.map(() => (error instanceof Error ? error : new Error(String(error))));
        }
      }
      return results;
    },
  });
}
