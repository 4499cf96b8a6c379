/**
 * What the local notifier reads (NOTIFY-2):
 *
 * - ArchiveNotifyEventSource: the outward events of a --state, from each partition's event archive
 *   (src/adapters/embedded/event-archive.ts, the `event_archive` table: every outward event that
 *   crossed the embedded bus, once, in publish order), read past the notifier's cursor by `seq`.
 * - FlowPaymentFacts: an authorisation by id, from the flow journal's `flow_authorisations` (card
 *   token only, PCI-3), for notifications whose event names only the authorisation.
 * - JsonRecipientDirectory: contacts from a JSON file (`<state>/notify/recipients.json` by default;
 *   schema: schemas/notification-recipients.schema.json).
 *
 * The ledger databases are opened for reading only: the notifier never writes the posting state.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import type { Authorisation } from '../../domain/events';
import type { CustomerRef, NotifiableEvent } from '../../notify/mapping';
import { NOTIFYING_EVENT_TYPES } from '../../notify/mapping';
import type { CustomerContact, NotifyEventSource, PaymentFacts, RecipientDirectory, SourcedEvent } from '../../ports/notify';
import { partitionDirs } from '../../runtime/state-layout';
import { STATE_DB_FILE } from './database';
import { NOTIFY_DIR } from './notify-sqlite';
import { OUTWARD_DB_FILE, OUTWARD_SOURCE } from './notify-outward';
import recipientsSchema from '../../../schemas/notification-recipients.schema.json';

type Db = Database.Database;

function openReader(dir: string): Db | undefined {
  const file = join(dir, STATE_DB_FILE);
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

function hasTable(db: Db, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/** The partitions of a state, each with a reader opened on first use. */
class PartitionReaders {
  private readonly readers = new Map<string, Db | undefined>();

  constructor(private readonly stateDir: string) {}

  names(): string[] {
    return partitionDirs(this.stateDir).map((dir) => (dir === this.stateDir ? 'p0' : (dir.split(/[\\/]/).pop() ?? dir)));
  }

  dirOf(name: string): string {
    const dirs = partitionDirs(this.stateDir);
    const index = this.names().indexOf(name);
    if (index < 0) throw new Error(`${this.stateDir}: no partition ${name}`);
    return dirs[index]!;
  }

  reader(name: string): Db | undefined {
    if (!this.readers.has(name)) this.readers.set(name, openReader(this.dirOf(name)));
    return this.readers.get(name);
  }

  all(): Db[] {
    return this.names().flatMap((name) => {
      const db = this.reader(name);
      return db ? [db] : [];
    });
  }

  close(): void {
    for (const db of this.readers.values()) db?.close();
    this.readers.clear();
  }
}

export class ArchiveNotifyEventSource implements NotifyEventSource {
  private readonly partitions: PartitionReaders;
  private outward: Db | undefined;

  constructor(private readonly stateDir: string) {
    this.partitions = new PartitionReaders(stateDir);
  }

  private outwardFile(): string {
    return join(this.stateDir, NOTIFY_DIR, OUTWARD_DB_FILE);
  }

  async sources(): Promise<readonly string[]> {
    // The notify outbox (reconciliation and the workbench: src/notify/outward.ts), once anything was published to it.
    return [...this.partitions.names().map((name) => `archive:${name}`), ...(existsSync(this.outwardFile()) ? [OUTWARD_SOURCE] : [])];
  }

  async read(source: string, position: number, limit: number): Promise<SourcedEvent[]> {
    if (source === OUTWARD_SOURCE) {
      if (!this.outward) {
        if (!existsSync(this.outwardFile())) return [];
        this.outward = new Database(this.outwardFile(), { fileMustExist: true });
        this.outward.pragma('busy_timeout = 5000');
      }
      if (!hasTable(this.outward, 'outward_events')) return [];
      const rows = this.outward.prepare('SELECT seq, body FROM outward_events WHERE seq > ? ORDER BY seq LIMIT ?').all(position, limit) as { seq: number; body: string }[];
      return rows.map((row) => ({ position: row.seq, event: JSON.parse(row.body) as NotifiableEvent }));
    }
    const db = this.partitions.reader(source.replace(/^archive:/, ''));
    if (!db || !hasTable(db, 'event_archive')) return [];
    const types = NOTIFYING_EVENT_TYPES;
    const rows = db.prepare(`SELECT seq, body FROM event_archive WHERE seq > ? AND event_type IN (${types.map(() => '?').join(', ')}) ORDER BY seq LIMIT ?`).all(position, ...types, limit) as {
      seq: number;
      body: string;
    }[];
    return rows.map((row) => ({ position: row.seq, event: JSON.parse(row.body) as NotifiableEvent }));
  }

  close(): void {
    this.partitions.close();
    this.outward?.close();
    this.outward = undefined;
  }
}

export class FlowPaymentFacts implements PaymentFacts {
  private readonly partitions: PartitionReaders;

  constructor(stateDir: string) {
    this.partitions = new PartitionReaders(stateDir);
  }

  async authorisation(authorizationId: string): Promise<Authorisation | undefined> {
    for (const db of this.partitions.all()) {
      if (!hasTable(db, 'flow_authorisations')) continue;
      const row = db.prepare('SELECT authorisation FROM flow_authorisations WHERE authorization_id = ?').get(authorizationId) as { authorisation: string } | undefined;
      if (row) return JSON.parse(row.authorisation) as Authorisation;
    }
    return undefined;
  }

  close(): void {
    this.partitions.close();
  }
}

export interface RecipientsFile {
  operations?: CustomerContact[];
  customers?: (CustomerContact & { accountIds?: string[]; panTokens?: string[] })[];
}

export class RecipientsFileError extends Error {
  override name = 'RecipientsFileError';
}

/** Validates a recipients document (`source` names it in errors). */
export function parseRecipients(document: unknown, source: string): RecipientsFile {
  const validate = new Ajv({ allErrors: true, strict: true }).compile<RecipientsFile>(recipientsSchema);
  if (!validate(document)) {
    throw new RecipientsFileError(`${source}: ${(validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`).join('; ')}`);
  }
  return document;
}

export const RECIPIENTS_FILE = join('notify', 'recipients.json');

export class JsonRecipientDirectory implements RecipientDirectory {
  private readonly data: RecipientsFile;

  /** `file` may be absent: then nobody but webhook partners is told. */
  constructor(file: string) {
    this.data = existsSync(file) ? parseRecipients(JSON.parse(readFileSync(file, 'utf8')), file) : {};
  }

  async customer(ref: CustomerRef): Promise<CustomerContact | undefined> {
    const customers = this.data.customers ?? [];
    const found =
      (ref.panToken ? customers.find((customer) => customer.panTokens?.includes(ref.panToken!)) : undefined) ??
      (ref.accountId ? customers.find((customer) => customer.accountIds?.includes(ref.accountId!)) : undefined);
    if (!found) return undefined;
    const { accountIds: _accounts, panTokens: _tokens, ...contact } = found;
    return contact;
  }

  async operations(): Promise<readonly CustomerContact[]> {
    return this.data.operations ?? [];
  }
}
