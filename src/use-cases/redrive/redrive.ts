/**
 * DLQ-1: redrive dead letters, posting nothing twice.
 *
 * A dead letter is either an invalid input line (ING-1..5: its source is the input file and its
 * position the line) or a message that failed every delivery (source `queue:<route>`, its content
 * the message body). Only the second can be helped by a redrive: its event is delivered again
 * through the bus, and every consumer is idempotent by the event's deterministic ids (FR4,
 * LEDGER-1, LEDGER-2), so a redrive of a message that was processed meanwhile, or a second
 * redrive, changes nothing. An invalid input line would fail again exactly as before: its redrive
 * says so, names the line and the fault, and tells the operator to fix the input, rather than
 * looping it through the pipeline.
 *
 * PCI-3: letters are stored redacted (src/adapters/embedded/dead-letters.ts); the messages here
 * name the source, the line and the reason, never the content.
 */
import type { LedgerEvent } from '../../domain/events';
import type { Clock } from '../../ports';

export interface DeadLetterRecord {
  /** The letter's id as the operator names it (e.g. `p0-12`: partition 0, letter 12). */
  id: string;
  source: string;
  position: number;
  reason: string;
  content: string;
  redrives: number;
  lastRedriveAt?: string;
}

export interface DeadLetterLog {
  list(): Promise<DeadLetterRecord[]>;
  get(id: string): Promise<DeadLetterRecord | undefined>;
  markRedriven(id: string, at: Date): Promise<void>;
}

export interface RedriveTarget {
  /** Delivers the letters' events again through the bus, for the letters of one id group, and settles them (one commit). */
  deliver(letters: readonly { id: string; event: LedgerEvent }[]): Promise<void>;
}

/** What can be done with a letter. */
export type Redrivability = { kind: 'message'; event: LedgerEvent } | { kind: 'input-line'; why: string } | { kind: 'unreadable'; why: string };

export const QUEUE_SOURCE_PREFIX = 'queue:';

function isEvent(value: unknown): value is LedgerEvent {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.id === 'string' && typeof candidate.type === 'string' && typeof candidate.correlationId === 'string' && typeof candidate.data === 'object' && candidate.data !== null;
}

/** Classifies a letter: a queue message carrying an event, an invalid input line, or a message no event can be read from. */
export function redrivability(letter: Pick<DeadLetterRecord, 'source' | 'position' | 'reason' | 'content'>): Redrivability {
  if (!letter.source.startsWith(QUEUE_SOURCE_PREFIX)) {
    return {
      kind: 'input-line',
      why: `line ${letter.position} of ${letter.source} is invalid input (${letter.reason}); a redrive would fail it again. Fix the line and post the file again: lines already posted are recognised and not posted twice`,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(letter.content);
  } catch {
    return { kind: 'unreadable', why: `message from ${letter.source} is not JSON (${letter.reason}); it cannot be redriven` };
  }
  // A queue message body is the EventBridge event (`detail` = the envelope) or, from the Pipe, the envelope itself.
  const detail = body !== null && typeof body === 'object' && 'detail' in body ? (body as { detail: unknown }).detail : body;
  if (!isEvent(detail)) return { kind: 'unreadable', why: `message from ${letter.source} carries no ledger event (${letter.reason}); it cannot be redriven` };
  return { kind: 'message', event: detail };
}

export interface RedriveOutcome {
  id: string;
  outcome: 'redriven' | 'not-redrivable' | 'not-found' | 'skipped-already-redriven';
  message: string;
}

export type RedriveSelection = { all: true } | { ids: readonly string[] };

/** The group a letter id belongs to (the letters of one group are delivered in one commit): the id up to its last `-`. */
export function groupOf(id: string): string {
  const dash = id.lastIndexOf('-');
  return dash < 0 ? '' : id.slice(0, dash);
}

/**
 * Redrives the selected letters. `--all` takes every redrivable letter not redriven yet; named
 * ids are redriven even when they were before (harmless: consumers are idempotent).
 */
export async function redriveDeadLetters(deps: { letters: DeadLetterLog; target: RedriveTarget; clock: Clock }, selection: RedriveSelection): Promise<RedriveOutcome[]> {
  const outcomes: RedriveOutcome[] = [];
  const chosen: DeadLetterRecord[] = [];
  if ('all' in selection) {
    for (const letter of await deps.letters.list()) {
      if (letter.redrives > 0 && redrivability(letter).kind === 'message') {
        outcomes.push({
          id: letter.id,
          outcome: 'skipped-already-redriven',
          message: `${letter.id}: redriven ${letter.redrives} time(s) already (last ${letter.lastRedriveAt}); name it to redrive it again`,
        });
      } else chosen.push(letter);
    }
  } else {
    for (const id of selection.ids) {
      const letter = await deps.letters.get(id);
      if (letter) chosen.push(letter);
      else outcomes.push({ id, outcome: 'not-found', message: `${id}: no such dead letter (see \`ledgerline dlq list\`)` });
    }
  }
  const byGroup = new Map<string, { id: string; event: LedgerEvent }[]>();
  for (const letter of chosen) {
    const verdict = redrivability(letter);
    if (verdict.kind !== 'message') {
      outcomes.push({ id: letter.id, outcome: 'not-redrivable', message: `${letter.id}: ${verdict.why}` });
      continue;
    }
    const group = byGroup.get(groupOf(letter.id)) ?? [];
    group.push({ id: letter.id, event: verdict.event });
    byGroup.set(groupOf(letter.id), group);
  }
  for (const letters of byGroup.values()) {
    await deps.target.deliver(letters);
    const at = deps.clock.now();
    for (const { id, event } of letters) {
      await deps.letters.markRedriven(id, at);
      outcomes.push({ id, outcome: 'redriven', message: `${id}: ${event.type} ${event.id} delivered again` });
    }
  }
  return outcomes;
}
