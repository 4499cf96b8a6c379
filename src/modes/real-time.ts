/**
 * MODE-4 (FR11): real-time mode locally. One authorisation in, its outcome out, synchronously:
 * posted (with its sequence id, posting record id and legs), or duplicate / declined / review /
 * rejected / failed with the reason. Each call is one committed wave of the embedded runtime
 * (src/runtime/embedded-runtime.ts): the same ingest, the same hot-path handlers and stores as
 * `post`, the batch inbox and the tail (MODE-5), so it posts nothing twice however often an
 * authorisation is sent.
 *
 * A partitioned state (PART-1) is honoured: the line is routed to its partition through the
 * state's routing table exactly as the partitioned coordinator routes it.
 */
import type { Authorisation } from '../domain/events';
import { classifyLine, withoutByteOrderMark } from '../domain/ingest';
import { validateAuthorisation } from '../../schemas';
import { outcomeFromEvents, type RealTimeOutcome } from './outcome';
import { StatePoster, type StatePosterOptions, type WaveResult } from './state-poster';

export type { OutcomeLeg, RealTimeOutcome } from './outcome';

export interface RealTimeOptions extends StatePosterOptions {
  /** The source name recorded with each authorisation (default: payments-api). */
  source?: string;
}

/**
 * Posts authorisations one at a time against a state directory. Calls are serialised (one wave
 * at a time); the caller holds the state's writer lock (LOCK-1) for the poster's lifetime.
 */
export class RealTimePoster {
  private readonly poster: StatePoster;
  private readonly source: string;
  private received = 0;

  constructor(options: RealTimeOptions) {
    this.poster = new StatePoster(options);
    this.source = options.source ?? 'payments-api';
  }

  /** One authorisation (an object, or its JSON text) → its outcome, once its wave is committed. */
  async postOne(input: unknown): Promise<RealTimeOutcome> {
    const line = typeof input === 'string' ? withoutByteOrderMark(input.trim()) : JSON.stringify(input);
    if (line === undefined || line === '') return { outcome: 'rejected', reason: 'empty input: expected one authorisation as a JSON object' };
    this.received += 1;
    // The line goes through the runtime even when invalid: it is dead-lettered with its reason (nothing lost).
    const wave = await this.poster.postWave([{ lineNo: this.received, text: line }], this.source);
    const classified = classifyLine(line, validateAuthorisation);
    if (classified.kind === 'invalid') return { outcome: 'rejected', reason: classified.reason };
    return outcomeOf(classified.authorisation, wave);
  }

  close(): void {
    this.poster.close();
  }
}

function outcomeOf(authorisation: Authorisation, { summary, events, sequences }: WaveResult): RealTimeOutcome {
  if (summary.replayed > 0)
    return { outcome: 'duplicate', authorizationId: authorisation.authorizationId, reason: `authorisation ${authorisation.authorizationId} was received before: nothing posted again` };
  return outcomeFromEvents(authorisation, events, sequences);
}
