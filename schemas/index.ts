/**
 * The event contracts: one JSON Schema per event type, compiled once with ajv.
 * `validateEvent` / `validateAuthorisation` return a readable error naming the field and the fault.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Authorisation, EventType, LedgerEvent } from '../src/domain/events';
import { ALL_EVENT_TYPES } from '../src/domain/events';
import common from './common.schema.json';
import authorisationSchema from './authorisation.schema.json';
import authorised from './payment.authorised.schema.json';
import duplicateParked from './payment.duplicate-parked.schema.json';
import deduplicated from './payment.deduplicated.schema.json';
import standardised from './payment.standardised.schema.json';
import enriched from './payment.enriched.schema.json';
import rejected from './payment.rejected.schema.json';
import rulesDecided from './payment.rules-decided.schema.json';
import postingRecorded from './posting.recorded.schema.json';
import postingCompleted from './posting.completed.schema.json';
import postingFailed from './posting.failed.schema.json';
import reconciliationCompleted from './reconciliation.completed.schema.json';
import writeOffApproved from './workbench.write-off-approved.schema.json';
import type { OutwardEvent } from '../src/notify/outward';

/** Event type → its schema document. The file is `schemas/<type>.schema.json`. */
export const EVENT_SCHEMAS: Readonly<Record<EventType, object>> = {
  'payment.authorised': authorised,
  'payment.duplicate-parked': duplicateParked,
  'payment.deduplicated': deduplicated,
  'payment.standardised': standardised,
  'payment.enriched': enriched,
  'payment.rejected': rejected,
  'payment.rules-decided': rulesDecided,
  'posting.recorded': postingRecorded,
  'posting.completed': postingCompleted,
  'posting.failed': postingFailed,
};

/**
 * NOTIFY-1: the two outward events of reconciliation and the workbench (shapes: src/notify/mapping.ts),
 * which have their own envelope (no version, causation or source): `schemas/<type>.schema.json`.
 */
export const OUTWARD_EVENT_SCHEMAS: Readonly<Record<OutwardEvent['type'], object>> = {
  'reconciliation.completed': reconciliationCompleted,
  'workbench.write-off-approved': writeOffApproved,
};

const OUTWARD_EVENT_TYPES = Object.keys(OUTWARD_EVENT_SCHEMAS) as OutwardEvent['type'][];

export function isOutwardEventType(type: unknown): type is OutwardEvent['type'] {
  return typeof type === 'string' && (OUTWARD_EVENT_TYPES as readonly string[]).includes(type);
}

export class SchemaError extends Error {
  override name = 'SchemaError';
  constructor(
    readonly subject: string,
    readonly problems: string[],
  ) {
    super(`${subject} failed schema validation: ${problems.join('; ')}`);
  }
}

// strictTypes off: the event schemas put `properties` beside an `allOf` envelope $ref (type object lives in the envelope).
// Each schema compiled on its first use, once: a command or function validates only the types it
// meets (a Lambda cold start, `reconcile`) and pays for no other (13 schemas: about 120 ms at once).
let compiler: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validatorOf(name: string, schema: object): ValidateFunction {
  let validate = compiled.get(name);
  if (validate) return validate;
  if (!compiler) {
    compiler = new Ajv({ allErrors: false, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
    // 'fast' format mode: regex checks only (dates are re-parsed where they are used).
    addFormats(compiler, { mode: 'fast', formats: ['date-time', 'date'] });
    compiler.addSchema(common);
  }
  validate = compiler.compile(schema);
  compiled.set(name, validate);
  return validate;
}

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(ALL_EVENT_TYPES);

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const where = error.instancePath || '(root)';
    if (error.keyword === 'additionalProperties') {
      return `${where}: unexpected field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    }
    if (error.keyword === 'required') {
      return `${where}: missing required field "${(error.params as { missingProperty: string }).missingProperty}"`;
    }
    return `${where}: ${error.message ?? error.keyword}`;
  });
}

/** Validates one authorisation input record; throws SchemaError naming the field. */
export function validateAuthorisation(value: unknown): Authorisation {
  const authorisationValidator = validatorOf('authorisation', authorisationSchema) as ValidateFunction<Authorisation>;
  if (!authorisationValidator(value)) throw new SchemaError('authorisation', describe(authorisationValidator.errors));
  return value;
}

export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && EVENT_TYPE_SET.has(type);
}

/**
 * Validates an event envelope and its payload against the schema of its `type` (a ledger event's,
 * or one of the two outward events' when `expected` names it: a consumer that accepts them).
 */
export function validateEvent<T extends EventType = EventType>(value: unknown, expected?: T | readonly T[]): LedgerEvent<T> {
  const type = (value as { type?: unknown } | null)?.type;
  const named: readonly string[] = expected === undefined ? [] : Array.isArray(expected) ? expected : [expected as string];
  const expectsOutward = isOutwardEventType(type) && named.includes(type);
  if (!isEventType(type) && !expectsOutward) throw new SchemaError('event', [`unknown event type ${JSON.stringify(type)}`]);
  if (expected !== undefined && !(Array.isArray(expected) ? expected.includes(type as T) : expected === type)) {
    throw new SchemaError(`event ${type}`, [`expected ${String(expected)}`]);
  }
  const validate = validatorOf(type, isEventType(type) ? EVENT_SCHEMAS[type] : OUTWARD_EVENT_SCHEMAS[type as OutwardEvent['type']]);
  if (!validate(value)) throw new SchemaError(`event ${type}`, describe(validate.errors));
  return value as LedgerEvent<T>;
}
