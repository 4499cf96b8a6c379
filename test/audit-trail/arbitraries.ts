/**
 * Generated audit records for the audit-trail tests: any JSON payload the store must keep
 * exactly (full Unicode, nesting, safe integers, member names like `__proto__`), any text in the
 * other fields, partitions spread over the sources and days.
 */
import * as fc from 'fast-check';
import { partitionOf, type PartitionedRecord } from '../../src/audit-trail/chain';
import { AUDIT_SOURCES, auditRecord, type AuditSource } from '../../src/audit-trail/row';

/** Text PostgreSQL keeps (no U+0000) in any script. */
export const textArb = (maxLength = 16): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength }).map((s) => s.split('\u0000').join(''));

export const jsonArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    textArb(20),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(textArb(8), fc.constantFrom('__proto__', 'constructor', 'a', 'A', 'é', '')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

export interface RecordSpec {
  source: AuditSource;
  entity: string;
  day: number;
  eventType: string;
  actor: string;
  subjects: string[];
  payload: unknown;
  position: number;
  ms: number;
}

export const recordSpecArb: fc.Arbitrary<RecordSpec> = fc.record({
  source: fc.constantFrom(...AUDIT_SOURCES),
  entity: fc.constantFrom('pay-1', 'pay-2', 'case-7', 'pay-3', 'case-9'),
  day: fc.integer({ min: 0, max: 2 }),
  eventType: fc.constantFrom('posting.completed', 'ledger.sequence-recorded', 'workbench.approve-write-off', 'transaction.RETRYING'),
  actor: textArb(12).map((s) => (s.trim() === '' ? 'ledgerline' : s)),
  subjects: fc.array(textArb(10), { maxLength: 3 }),
  payload: jsonArb,
  position: fc.nat(),
  ms: fc.integer({ min: 0, max: 86_399_999 }),
});

/** The record of a spec, with a unique source id (`<prefix>:<index>`). */
export function recordOf(spec: RecordSpec, sourceId: string): PartitionedRecord {
  const record = auditRecord({
    source: spec.source,
    sourceId,
    sourcePosition: spec.position,
    eventType: spec.eventType,
    occurredAt: Date.UTC(2026, 11, 1 + spec.day) + spec.ms,
    actor: spec.actor,
    subjectIds: [spec.entity, ...spec.subjects],
    payload: spec.payload,
  });
  return { partition: partitionOf(record, spec.entity), record };
}

/** Records with unique source ids under `prefix`. */
export const recordsArb = (prefix: string, min = 1, max = 30): fc.Arbitrary<PartitionedRecord[]> =>
  fc.array(recordSpecArb, { minLength: min, maxLength: max }).map((specs) => specs.map((spec, i) => recordOf(spec, `${prefix}:${i}`)));
