/**
 * The embedded event archive (REPLAY-1): the local stand-in for the EventBridge archive of the
 * data stack. Every event that crosses the embedded bus and is of an archived type
 * (`replayEventTypes`, the archive's event pattern on AWS too) is kept in the state database,
 * in the same SQLite transaction as the wave that published it: a rolled-back wave archives
 * nothing, a committed one archives all it published. Idempotent by event id: a re-published
 * event (a replay, a re-delivery) is kept once, with the time it FIRST crossed the bus.
 *
 * Events carry card tokens, never card numbers (PCI-3); the body is the envelope as published.
 */
import type { EventType, LedgerEvent } from '../../domain/events';
import type { Clock, EventPublisher } from '../../ports';
import type { ArchivedEvent, EventArchive, ReplayWindow } from '../../use-cases/replay/ports';
import type { StateDatabase } from './database';

const systemClock: Clock = { now: () => new Date() };

export interface SqliteEventArchiveOptions {
  /** The archived event types (the archive's event pattern); every other event is not kept. */
  types: readonly EventType[];
  clock?: Clock;
}

export class SqliteEventArchive implements EventArchive {
  private readonly insert;
  private readonly window;
  private readonly windowOfType;
  private readonly types: ReadonlySet<string>;
  private readonly clock: Clock;

  constructor(db: StateDatabase, options: SqliteEventArchiveOptions) {
    this.types = new Set(options.types);
    this.clock = options.clock ?? systemClock;
    // `seq` keeps the order events were published in (a replay delivers them in that order, so
    // which of two duplicates came first is decided as it was).
    db.exec(`CREATE TABLE IF NOT EXISTS event_archive (
      seq INTEGER PRIMARY KEY,
      event_id TEXT NOT NULL UNIQUE,
      event_type TEXT NOT NULL,
      archived_at TEXT NOT NULL,
      body TEXT NOT NULL
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS event_archive_by_time ON event_archive (archived_at, seq)');
    this.insert = db.prepare('INSERT OR IGNORE INTO event_archive (event_id, event_type, archived_at, body) VALUES (?, ?, ?, ?)');
    const select = 'SELECT event_id AS eventId, event_type AS type, archived_at AS archivedAt, body FROM event_archive WHERE archived_at >= ? AND archived_at < ?';
    this.window = db.prepare(`${select} ORDER BY archived_at, seq`);
    this.windowOfType = db.prepare(`${select} AND event_type = ? ORDER BY archived_at, seq`);
  }

  /** Keeps the archived types among `events` (the caller's transaction makes it atomic with the publish). */
  record(events: readonly LedgerEvent[]): void {
    let at: string | undefined;
    for (const event of events) {
      if (!this.types.has(event.type)) continue;
      at ??= this.clock.now().toISOString();
      this.insert.run(event.id, event.type, at, JSON.stringify(event));
    }
  }

  /** The archived events that crossed the bus in [from, to), in the order they were published. */
  async read(window: ReplayWindow): Promise<ArchivedEvent[]> {
    const from = window.from.toISOString();
    const to = window.to.toISOString();
    const rows = (window.type ? this.windowOfType.all(from, to, window.type) : this.window.all(from, to)) as { eventId: string; type: string; archivedAt: string; body: string }[];
    return rows.map((row) => ({ archivedAt: row.archivedAt, event: JSON.parse(row.body) as LedgerEvent }));
  }
}

/**
 * An EventPublisher that archives what it publishes: the archive row is written before the
 * inner publish, inside the caller's transaction, so both commit or roll back together.
 */
export class ArchivingPublisher implements EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly archive: Pick<SqliteEventArchive, 'record'>,
  ) {}

  async publish(events: readonly LedgerEvent[]): Promise<void> {
    this.archive.record(events);
    await this.inner.publish(events);
  }
}
