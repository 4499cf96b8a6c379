/**
 * Embedded stand-in for Step Functions StartExecution with a deterministic name: the name is
 * recorded once; a second redrive under the same name starts nothing.
 */
import type { StateDatabase } from './database';
import type { LedgerEvent } from '../../domain/events';
import type { EventPublisher, Redriver } from '../../ports';

export class EmbeddedRedriver implements Redriver {
  private readonly insert;

  constructor(
    db: StateDatabase,
    private readonly bus: EventPublisher,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS redrive_executions (
      name TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      event_type TEXT NOT NULL
    ) WITHOUT ROWID`);
    this.insert = db.prepare('INSERT OR IGNORE INTO redrive_executions VALUES (?, ?, ?)');
  }

  async redrive(executionName: string, event: LedgerEvent): Promise<'started' | 'already-started'> {
    if (this.insert.run(executionName, event.id, event.type).changes === 0) return 'already-started';
    await this.bus.publish([event]);
    return 'started';
  }
}
