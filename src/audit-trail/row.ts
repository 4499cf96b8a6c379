/**
 * The audit row (AUDIT-1), pure: what one copied source record is, its canonical serialisation,
 * and the guarantee that no card number reaches it (PCI-3).
 *
 * An AuditRecord is what a feed hands the audit store: one ledger change, lifecycle event or
 * workbench action, identified by its source id (the idempotency key: a re-delivered source
 * record is the same id, so it is stored once). The store gives it a place in its partition's
 * chain (partition, seq, recordedAt, prevHash, rowHash): an AuditRow.
 *
 * Canonical form: JSON of the row's fields in a fixed order, the payload with its member names
 * sorted (at every depth), no whitespace. It is computed from values as they read back from the
 * store (jsonb, timestamptz, text[]), so the verifier recomputes exactly what the appender
 * hashed: times are ISO 8601 UTC with milliseconds, payload numbers are safe integers (money is
 * a decimal string, never a float), strings are well-formed Unicode without U+0000.
 */
import { containsPan, findPan, PAN_REDACTION, type PanEvidence, redactPans } from '../domain/pan';

/** Where an audit record comes from. */
export const AUDIT_SOURCES = ['ledger', 'lifecycle', 'transaction-state', 'workbench'] as const;
export type AuditSource = (typeof AUDIT_SOURCES)[number];

/** One source record, as a feed hands it to the audit store. */
export interface AuditRecord {
  source: AuditSource;
  /** Unique per source record across every feed: the idempotency key (a re-delivery is a no-op). */
  sourceId: string;
  /** Where the source says this record sits: a version, a stream sequence number, an archive position. */
  sourcePosition: string;
  /** What happened: `posting.recorded`, `payment.rules-decided`, `transaction.RETRYING`, `workbench.approve-write-off`, … */
  eventType: string;
  /** ISO 8601 UTC with milliseconds (normalised by auditRecord). */
  occurredAt: string;
  /** Who did it: a workbench user, or the producing component (`ledgerline.posting`, …). */
  actor: string;
  /** The ids the record is about (payment, authorisation, sequence, case, account, …): sorted, unique. */
  subjectIds: string[];
  /** The record's content: plain JSON, PAN-free. */
  payload: JsonValue;
}

/** A record placed in its partition's hash chain, as the store keeps it. */
export interface AuditRow extends AuditRecord {
  partition: string;
  /** 1, 2, 3, … without gaps within the partition. */
  seq: number;
  /** When the audit store appended it (ISO 8601 UTC, ms). */
  recordedAt: string;
  /** The previous row's rowHash (GENESIS_HASH for seq 1): lowercase hex SHA-256. */
  prevHash: string;
  /** sha256(prevHash ‖ canonicalRow(this row)), lowercase hex. */
  rowHash: string;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class AuditRecordError extends Error {
  override name = 'AuditRecordError';
}

/** Normalises an instant to ISO 8601 UTC with milliseconds; a fault names the field and the record. */
export function isoInstant(value: string | number | Date, what: string): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new AuditRecordError(`${what}: "${String(value)}" is not a time`);
  return new Date(ms).toISOString();
}

/** Identifier-shaped member names: judged with PCI-2's identifier evidence (an IBAN is no card number). */
const IDENTIFIER_KEY = /(?:id|ids|Id|Ids|ID|reference|Reference|iban|Iban|IBAN|accountId|account|Account|sortCode|rrn|stan|code|Code|key|Key)$/;

function evidenceFor(key: string | undefined): PanEvidence {
  return key !== undefined && IDENTIFIER_KEY.test(key) ? 'identifier' : 'text';
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkText(text: string, where: string): void {
  if (text.includes('\u0000')) throw new AuditRecordError(`${where}: holds U+0000, which the audit store cannot keep`);
  if (LONE_SURROGATE.test(text)) throw new AuditRecordError(`${where}: holds a lone UTF-16 surrogate (not well-formed Unicode)`);
}

/**
 * The payload as the audit keeps it: plain JSON (objects, arrays, strings, booleans, null, safe
 * integers), every card number replaced with PAN_REDACTION (PCI-3): member names and free text
 * under text evidence (PCI-1), identifier-named fields under identifier evidence (PCI-2). Faults
 * name the JSON path, never the value.
 */
export function auditPayload(value: unknown, where: string, path = '$', key?: string): JsonValue {
  if (value === null) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    checkText(value, `${where} ${path}`);
    return redactPans(value, evidenceFor(key));
  }
  if (typeof value === 'bigint') return auditPayload(value.toString(), where, path, key);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new AuditRecordError(`${where} ${path}: ${Number.isFinite(value) ? 'a number that is not a safe integer (money is a decimal string)' : 'not a finite number'}`);
    return containsPan(String(value), evidenceFor(key)) ? PAN_REDACTION : value;
  }
  if (Array.isArray(value)) return value.map((item, i) => auditPayload(item, where, `${path}[${i}]`, key));
  if (typeof value === 'object') {
    if (value instanceof Date) return isoInstant(value, `${where} ${path}`);
    const out: { [key: string]: JsonValue } = {};
    for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
      if (child === undefined) continue;
      checkText(name, `${where} ${path} (a member name)`);
      const safeName = redactPans(name);
      // defineProperty: a member named `__proto__` is data, as JSON.parse makes it, never a prototype.
      Object.defineProperty(out, safeName, { value: auditPayload(child, where, `${path}.${safeName}`, name), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new AuditRecordError(`${where} ${path}: a ${typeof value} is not JSON`);
}

/** Builds an AuditRecord: normalised, validated, PAN-free (PCI-3). Faults name the record and the field. */
export function auditRecord(input: {
  source: AuditSource;
  sourceId: string;
  sourcePosition: string | number | bigint;
  eventType: string;
  occurredAt: string | number | Date;
  actor: string;
  subjectIds: readonly (string | undefined | null)[];
  payload: unknown;
}): AuditRecord {
  if (!(AUDIT_SOURCES as readonly string[]).includes(input.source))
    throw new AuditRecordError(`audit record ${input.sourceId}: source "${String(input.source)}" is not one of ${AUDIT_SOURCES.join(', ')}`);
  const sourceId = redactPans(String(input.sourceId ?? ''), 'identifier');
  if (sourceId.trim() === '') throw new AuditRecordError(`a ${input.source} audit record has no source id`);
  const where = `audit record ${sourceId}`;
  const text = (value: string, field: string, evidence: PanEvidence): string => {
    if (typeof value !== 'string' || value.trim() === '') throw new AuditRecordError(`${where}: ${field} is empty`);
    checkText(value, `${where} ${field}`);
    return redactPans(value, evidence);
  };
  checkText(sourceId, `${where} sourceId`);
  const subjectIds = [...new Set(input.subjectIds.filter((id): id is string => typeof id === 'string' && id.trim() !== '').map((id) => text(id, 'subjectIds', 'identifier')))].sort(compareText);
  const record: AuditRecord = {
    source: input.source,
    sourceId,
    sourcePosition: text(String(input.sourcePosition), 'sourcePosition', 'identifier'),
    eventType: text(input.eventType, 'eventType', 'identifier'),
    occurredAt: isoInstant(input.occurredAt, `${where} occurredAt`),
    actor: text(input.actor, 'actor', 'text'),
    subjectIds,
    payload: auditPayload(input.payload, where),
  };
  // PCI-3: what the redaction above guarantees, asserted with the same finder (never reached).
  const leaked = findPan(record, '$', 'identifier');
  if (leaked !== undefined) throw new AuditRecordError(`${where}: ${leaked} still holds a card number after redaction`);
  return record;
}

/** Code-unit order (what `ORDER BY … COLLATE "C"` gives): the order everything canonical uses. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with member names sorted at every depth, no whitespace. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareText);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`;
}

/** The canonical serialisation of a row: every field but its hashes, in a fixed order. */
export function canonicalRow(row: Omit<AuditRow, 'prevHash' | 'rowHash'>): string {
  return canonicalJson([
    'ledgerline.audit.v1',
    row.partition,
    row.seq,
    row.source,
    row.sourceId,
    row.sourcePosition,
    row.eventType,
    row.occurredAt,
    row.recordedAt,
    row.actor,
    row.subjectIds,
    row.payload,
  ]);
}
