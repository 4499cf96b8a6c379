/**
 * The payments API's schemas (API-2), compiled once with ajv. The request body of
 * POST /v1/authorisations IS the authorisation input record (schemas/authorisation.schema.json,
 * referenced, never copied); the responses are the documents beside this file. Validation here
 * collects every failing field (allErrors) as a JSON pointer, for a 422 that names them all.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import common from '../common.schema.json';
import authorisation from '../authorisation.schema.json';
import authorisationOutcome from './authorisation-outcome.schema.json';
import paymentStatus from './payment-status.schema.json';
import accountBalance from './account-balance.schema.json';
import problem from './problem.schema.json';

/** Every schema the API names, by the name the route table and the OpenAPI document use. */
export const API_SCHEMAS = {
  Authorisation: authorisation,
  AuthorisationOutcome: authorisationOutcome,
  PaymentStatus: paymentStatus,
  AccountBalance: accountBalance,
  Problem: problem,
} as const;

export type ApiSchemaName = keyof typeof API_SCHEMAS;

/** The shared definitions every API schema may reference. */
export const COMMON_SCHEMA = common;

/** One failing field: a JSON pointer into the validated value ('' = the whole value) and what is wrong. */
export interface FieldFault {
  pointer: string;
  detail: string;
}

let compiled: Map<ApiSchemaName, ValidateFunction> | undefined;

function validators(): Map<ApiSchemaName, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
  addFormats(ajv, { mode: 'fast', formats: ['date-time', 'date', 'uri'] });
  ajv.addSchema(common);
  compiled = new Map((Object.keys(API_SCHEMAS) as ApiSchemaName[]).map((name) => [name, ajv.compile(API_SCHEMAS[name])]));
  return compiled;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function faultOf(error: ErrorObject): FieldFault {
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { pointer: `${error.instancePath}/${escapePointer(missing)}`, detail: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { pointer: `${error.instancePath}/${escapePointer(extra)}`, detail: 'is not a field of this document' };
  }
  // ajv's messages name the rule (pattern, enum, type, length), never the value.
  return { pointer: error.instancePath, detail: error.message ?? error.keyword };
}

/** The faults of `value` against the named schema, one per field (the first fault of each), in document order of ajv's report; [] when valid. */
export function schemaFaults(name: ApiSchemaName, value: unknown): FieldFault[] {
  const validate = validators().get(name)!;
  if (validate(value)) return [];
  const seen = new Set<string>();
  const faults: FieldFault[] = [];
  for (const error of validate.errors ?? []) {
    // A $ref'd enum or pattern failure also reports the composite keywords above it: keep the first per field.
    const fault = faultOf(error);
    if (seen.has(fault.pointer)) continue;
    seen.add(fault.pointer);
    faults.push(fault);
  }
  return faults;
}
