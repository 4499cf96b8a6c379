/**
 * assembler: consumes `posting.recorded` (edge recorded-to-assembler): each carries a whole
 * sequence, so nothing is gathered or stored to wait for legs (POST-3). The batch's core-banking
 * posting records are written as ONE outbox object (LEDGER-2), then each payment emits
 * `posting.completed`. Domain: src/domain/posting-record.ts.
 */
import { EventTypes, nextEvent } from '../../src/domain/events';
import { assembleSequence } from '../../src/domain/posting-record';
import { completeIfTracked } from '../../src/domain/transaction-state';
import type { Clock, EventPublisher, PostingOutbox, PostingRecord, TransactionStateStore } from '../../src/ports';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { stageHandler, toError, type Stage, type StageResult } from '../../src/lambda/stage';
import type { Logger } from '../../src/lambda/logger';

export const ASSEMBLER_SOURCE = 'ledgerline.assembler';

export interface AssemblerDeps {
  outbox: PostingOutbox;
  transactions: TransactionStateStore;
  clock: Clock;
  logger?: Logger;
}

export function createAssemblerStage(deps: AssemblerDeps): Stage<'posting.recorded'> {
  return {
    name: 'assembler',
    accepts: [EventTypes.recorded],
    async run(events): Promise<StageResult[]> {
      const results: StageResult[] = new Array(events.length);
      const records: PostingRecord[] = [];
      const assembled: (PostingRecord | undefined)[] = events.map((event, index) => {
        try {
          const assembly = assembleSequence(event.data.legs);
          if (!assembly.complete) throw new Error(`sequence ${event.data.sequenceId} has ${assembly.have} of ${assembly.need} legs`);
          records.push(assembly.record);
          return assembly.record;
        } catch (error) {
          results[index] = toError(error);
          return undefined;
        }
      });
      try {
        if (records.length > 0) await deps.outbox.writeBatch(records);
      } catch (error) {
        return events.map((_event, index) => results[index] ?? toError(error));
      }
      const now = deps.clock.now();
      for (let index = 0; index < events.length; index += 1) {
        const record = assembled[index];
        if (!record) continue;
        const event = events[index]!;
        try {
          await completeIfTracked(deps.transactions, event.correlationId, now);
          results[index] = [
            nextEvent(
              { id: `${event.data.sequenceId}:assembled`, correlationId: event.correlationId },
              EventTypes.postingCompleted,
              ASSEMBLER_SOURCE,
              { sequenceId: event.data.sequenceId, authorizationId: event.data.authorizationId, legCount: event.data.legs.length, postingRecordId: record.recordId },
              now.toISOString(),
            ),
          ];
        } catch (error) {
          results[index] = toError(error);
        }
      }
      return results;
    },
  };
}

export function createAssemblerHandler(deps: AssemblerDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createAssemblerStage(deps), deps.publisher, deps.logger);
}
