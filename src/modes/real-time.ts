/**
 * MODE-4 (FR11): real-time mode locally. One authorisation in, its outcome out, synchronously:
 * posted (with its sequence id, posting record id and legs), or duplicate / declined / review /
 * rejected / failed with the reason. Authorisations go through committed waves of the embedded
 * runtime (src/runtime/embedded-runtime.ts): the same ingest, the same hot-path handlers and
 * stores as `post`, the batch inbox and the tail (MODE-5), so it posts nothing twice however
 * often an authorisation is sent.
 *
 * Group commit (API-5 throughput): calls that arrive while a wave is committing wait together and
 * are posted as the next wave (at most `maxWave` lines), in arrival order; each caller still gets
 * its own outcome, read from the wave's events for its payment and from the wave's per-line
 * ingestion facts (a line whose authorisation id the wave did not ingest as new is a replay). The
 * same lines posted in one wave or one at a time leave the same ledger and the same outcomes.
 *
 * A partitioned state (PART-1) is honoured: the line is routed to its partition through the
 * state's routing table exactly as the partitioned coordinator routes it.
 */
import type { Authorisation } from '../domain/events';
import { correlationIdFor } from '../domain/events';
import { classifyLine, withoutByteOrderMark } from '../domain/ingest';
import { validateAuthorisation } from '../../schemas';
import { outcomeFromEvents, type RealTimeOutcome } from './outcome';
import { StatePoster, type NumberedLine, type StatePosterOptions, type WaveResult } from './state-poster';

export type { OutcomeLeg, RealTimeOutcome } from './outcome';

/** The most lines one group-committed wave carries by default. */
export const DEFAULT_MAX_WAVE = 256;

export interface RealTimeOptions extends StatePosterOptions {
  /** The source name recorded with each authorisation (default: payments-api). */
  source?: string;
  /** The most lines one wave carries (default 256; 1 = one authorisation per wave). */
  maxWave?: number;
}

interface Waiting {
  line: NumberedLine;
  resolve: (outcome: RealTimeOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Posts authorisations against a state directory, concurrent calls group-committed (one wave at a
 * time); the caller holds the state's writer lock (LOCK-1) for the poster's lifetime.
 */
export class RealTimePoster {
  private readonly poster: StatePoster;
  private readonly source: string;
  private readonly maxWave: number;
  private received = 0;
  private waiting: Waiting[] = [];
  private committing = false;

  constructor(options: RealTimeOptions) {
    const maxWave = options.maxWave ?? DEFAULT_MAX_WAVE;
    if (!Number.isSafeInteger(maxWave) || maxWave < 1) throw new RangeError(`real-time poster: maxWave must be a whole number ≥ 1, got ${String(options.maxWave)}`);
    this.poster = new StatePoster(options);
    this.source = options.source ?? 'payments-api';
    this.maxWave = maxWave;
  }

  /** One authorisation (an object, or its JSON text) → its outcome, once its wave is committed. */
  postOne(input: unknown): Promise<RealTimeOutcome> {
    const line = typeof input === 'string' ? withoutByteOrderMark(input.trim()) : JSON.stringify(input);
    if (line === undefined || line === '') return Promise.resolve({ outcome: 'rejected', reason: 'empty input: expected one authorisation as a JSON object' });
    this.received += 1;
    // The line goes through the runtime even when invalid: it is dead-lettered with its reason (nothing lost).
    const numbered = { lineNo: this.received, text: line };
    return new Promise<RealTimeOutcome>((resolve, reject) => {
      this.waiting.push({ line: numbered, resolve, reject });
      if (!this.committing) void this.commitWaves();
    });
  }

  /** Commits the waiting calls wave after wave until none is waiting. */
  private async commitWaves(): Promise<void> {
    this.committing = true;
    try {
      while (this.waiting.length > 0) {
        // One turn of the event loop first: requests whose bytes arrived while the last wave held the loop join this wave.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const group = this.waiting.slice(0, this.maxWave);
        this.waiting = this.waiting.slice(group.length);
        let wave: WaveResult;
        try {
          wave = await this.poster.postWave(
            group.map((waiting) => waiting.line),
            this.source,
          );
        } catch (error) {
          // The wave rolled back: nothing of it is committed, every caller in it learns so.
          for (const waiting of group) waiting.reject(error);
          continue;
        }
        const outcomes = outcomesOf(
          group.map((waiting) => waiting.line.text),
          wave,
        );
        group.forEach((waiting, index) => waiting.resolve(outcomes[index]!));
      }
    } finally {
      this.committing = false;
    }
  }

  close(): void {
    this.poster.close();
  }
}

/**
 * Each line's outcome in a committed wave. A valid line is new only if the wave ingested its
 * authorisation id and no earlier line of the wave had the same id (the runtime records an id
 * once: a second line with it is a replay, as it would be one wave later); its outcome is then
 * read from the wave's events for its payment (its correlation id).
 */
export function outcomesOf(lines: readonly string[], { events, sequences, ingested }: WaveResult): RealTimeOutcome[] {
  const fresh = new Set(ingested);
  const byPayment = new Map<string, WaveResult['events']>();
  for (const event of events) {
    const list = byPayment.get(event.correlationId);
    if (list) list.push(event);
    else byPayment.set(event.correlationId, [event]);
  }
  return lines.map((line): RealTimeOutcome => {
    const classified = classifyLine(line, validateAuthorisation);
    if (classified.kind === 'invalid') return { outcome: 'rejected', reason: classified.reason };
    const authorisation: Authorisation = classified.authorisation;
    const id = authorisation.authorizationId;
    if (!fresh.delete(id)) return { outcome: 'duplicate', authorizationId: id, reason: `authorisation ${id} was received before: nothing posted again` };
    return outcomeFromEvents(authorisation, byPayment.get(correlationIdFor(id, authorisation.transmittedAt)) ?? [], sequences);
  });
}
