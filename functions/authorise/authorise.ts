/**
 * authorise: real-time mode on AWS (MODE-4, FR11). The payments API invokes this function with
 * one authorisation and gets its outcome back synchronously: posted (sequence id, posting record
 * id, legs) or duplicate / declined / review / rejected / failed / pending with the reason.
 *
 * The same use case as every other mode: the authorisation becomes its `payment.authorised`
 * event (src/domain/ingest.ts, deterministic id), which runs through the fused hot path
 * (src/use-cases/hot-path/run-hot-path.ts) over the same stages and adapters as `hot-path`; only
 * outward events cross the bus (FUSE-2). Idempotent: the same authorisation again is a
 * re-delivery to every stage (dedup recognises its event id, the ledger its sequence), so it
 * posts nothing twice; once settled, its answer is claimed per authorisation id, and a later call
 * with that id is answered as a duplicate, as the embedded mode answers it (MODE-4). An invalid authorisation is refused with
 * its reason and nothing is written; a failure inside the hot path is raised (the caller retries;
 * what was recorded stays, and the retry completes it).
 */
import middy from '@middy/core';
import type { Authorisation, LedgerEvent } from '../../src/domain/events';
import { authorisedEvent, classifyLine, isApproved } from '../../src/domain/ingest';
import { validateAuthorisation } from '../../schemas';
import type { Clock, EventPublisher } from '../../src/ports';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { createHotPath, type HotPathStages } from '../../src/use-cases/hot-path/run-hot-path';
import { outcomeFromEvents, type RealTimeOutcome, type RecordedSequence } from '../../src/modes/outcome';

/** Where an ingestion is recorded for the flow audit (FLOW-1): src/adapters/aws/flow-facts.ts on AWS. */
export interface IngestionJournal {
  recordIngested(authorisation: Authorisation, ingestedAt: string): Promise<void>;
}

/** Which authorisations have been answered (MODE-4): src/adapters/aws/flow-facts.ts on AWS. */
export interface AnswerClaims {
  /** True for the first call that settles this authorisation id, false for a repeat. */
  claimAnswer(authorizationId: string, answeredAt: string): Promise<boolean>;
}

export interface AuthoriseDeps {
  stages: HotPathStages;
  /** When given, each valid authorisation is recorded as ingested before it enters the hot path. */
  journal?: IngestionJournal;
  /** When given, a repeat of an answered authorisation id is answered as a duplicate (MODE-4). */
  answers?: AnswerClaims;
  publisher: EventPublisher;
  clock: Clock;
  logger?: Logger;
}

/** The invocation payload: the authorisation itself, or `{ authorisation }`. */
export type AuthoriseRequest = Record<string, unknown>;

export class AuthoriseFailedError extends Error {
  override name = 'AuthoriseFailedError';
}

export function createAuthoriseHandler(deps: AuthoriseDeps): middy.MiddyfiedHandler<AuthoriseRequest, RealTimeOutcome> {
  const logger = deps.logger ?? silentLogger;
  return middy<AuthoriseRequest, RealTimeOutcome>().handler(async function authorise(request) {
    const body = request && typeof request === 'object' && 'authorisation' in request && Object.keys(request).length === 1 ? request.authorisation : request;
    const classified = classifyLine(JSON.stringify(body ?? null), validateAuthorisation);
    if (classified.kind === 'invalid') {
      logger.warn('authorisation refused', { reason: classified.reason });
      return { outcome: 'rejected', reason: classified.reason };
    }
    const { authorisation } = classified;
    const ingestedAt = deps.clock.now().toISOString();
    // FLOW-1: the ingestion is recorded first, so a payment lost inside the hot path shows as stuck.
    if (deps.journal) await deps.journal.recordIngested(authorisation, ingestedAt);
    // MODE-4: a repeat (its id answered before) gets the embedded mode's answer, after any unfinished work is done.
    const answer = async (outcome: RealTimeOutcome): Promise<RealTimeOutcome> => {
      if (!deps.answers || (await deps.answers.claimAnswer(authorisation.authorizationId, deps.clock.now().toISOString()))) return outcome;
      const id = authorisation.authorizationId;
      return { outcome: 'duplicate', authorizationId: id, reason: `authorisation ${id} was received before: nothing posted again` };
    };
    // FR1: only an approved authorisation becomes a payment; an issuer decline is answered, no payment written.
    if (!isApproved(authorisation)) return answer(outcomeFromEvents(authorisation, [], []));
    const published: LedgerEvent[] = [];
    const recorded: RecordedSequence[] = [];
    const publisher: EventPublisher = {
      publish: async (events) => {
        await deps.publisher.publish(events);
        published.push(...events);
      },
    };
    // The assembler's input is the recorded sequence with its legs (POST-3): read it on the way.
    const stages: HotPathStages = {
      ...deps.stages,
      assembler: {
        ...deps.stages.assembler,
        run: (events) => {
          for (const event of events) recorded.push({ sequenceId: event.data.sequenceId, legs: event.data.legs });
          return deps.stages.assembler.run(events);
        },
      },
    };
    const event = authorisedEvent(authorisation, ingestedAt);
    const [failure] = await createHotPath({ stages, publisher })([event]);
    if (failure) {
      logger.error('authorisation not settled', { authorizationId: authorisation.authorizationId, reason: failure.message });
      throw new AuthoriseFailedError(`authorisation ${authorisation.authorizationId}: ${failure.message} (retry: nothing is posted twice)`);
    }
    const outcome = await answer(outcomeFromEvents(authorisation, published, recorded));
    logger.info('authorisation settled', { authorizationId: authorisation.authorizationId, outcome: outcome.outcome });
    return outcome;
  });
}
