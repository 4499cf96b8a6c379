/**
 * posting: consumes approved `payment.rules-decided` (edge approved-to-posting), builds each
 * payment's balanced sequence, records the whole batch in the ledger in one call (LEDGER-1: legs
 * append-only and idempotent by sequence, one versioned balance update per account shard), then
 * emits ONE `posting.recorded` per payment carrying its whole sequence (POST-3).
 * Domain: src/domain/posting.ts.
 */
import { EventTypes, nextEvent } from '../../src/domain/events';
import { buildPostingLegs } from '../../src/domain/posting';
import type { Clock, EventPublisher, LedgerStore, PostingSequence } from '../../src/ports';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { stageHandler, toError, type Stage, type StageResult } from '../../src/lambda/stage';
import type { Logger } from '../../src/lambda/logger';

export const POSTING_SOURCE = 'ledgerline.posting';

export interface PostingDeps {
  ledger: LedgerStore;
  clock: Clock;
  logger?: Logger;
}

export function createPostingStage(deps: PostingDeps): Stage<'payment.rules-decided'> {
  return {
    name: 'posting',
    accepts: [EventTypes.rulesDecided],
    async run(events): Promise<StageResult[]> {
      const results: (StageResult | undefined)[] = new Array(events.length).fill(undefined);
      const sequences: (PostingSequence | undefined)[] = events.map((event, index) => {
        // A decline or review is not posted (the route only delivers approvals; a stray one is done).
        if (event.data.decision.outcome !== 'approve') {
          results[index] = [];
          return undefined;
        }
        try {
          const legs = buildPostingLegs(event.correlationId, event.data);
          return { sequenceId: legs[0]!.sequenceId, authorizationId: event.data.authorisation.authorizationId, legs };
        } catch (error) {
          results[index] = toError(error);
          return undefined;
        }
      });
      const batch = sequences.filter((sequence): sequence is PostingSequence => sequence !== undefined);
      try {
        // One call for the whole batch. Re-delivered sequences are skipped by the store; we still
        // re-emit them (same ids), so a crash between the write and the hand-over loses nothing.
        if (batch.length > 0) await deps.ledger.recordPostings(batch);
      } catch (batchError) {
        // Isolate the poison: record each payment on its own so one bad payment cannot hold its
        // batch-mates hostage through every redelivery. Idempotent, so retrying is safe.
        deps.logger?.warn('batch posting failed; isolating payments', { error: batchError, batchSize: batch.length });
        for (let index = 0; index < events.length; index += 1) {
          const sequence = sequences[index];
          if (!sequence) continue;
          try {
            await deps.ledger.recordPostings([sequence]);
          } catch (error) {
            results[index] = toError(error);
            sequences[index] = undefined;
          }
        }
      }
      const occurredAt = deps.clock.now().toISOString();
      return events.map((cause, index) => {
        const sequence = sequences[index];
        if (results[index] !== undefined || !sequence) return results[index] ?? [];
        return [nextEvent(cause, EventTypes.recorded, POSTING_SOURCE, { sequenceId: sequence.sequenceId, authorizationId: sequence.authorizationId, legs: [...sequence.legs] }, occurredAt)];
      });
    },
  };
}

export function createPostingHandler(deps: PostingDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createPostingStage(deps), deps.publisher, deps.logger);
}
