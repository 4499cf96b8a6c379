/**
 * A strict reader for the cost model's data files (COST-1): every value is checked where it is
 * read, and a file that does not have the shape expected is refused naming the file and the
 * field (`prices.lambda.request.usd: expected a decimal string, got 0.2`). Pure: the caller reads
 * the file and passes the parsed JSON.
 */
import { Exact, ExactError } from './exact';

export class CostFileError extends Error {
  override name = 'CostFileError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field}: ${problem}`);
  }
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Reads fields of one JSON document, naming `file` and the dotted field path in every refusal. */
export class FieldReader {
  constructor(readonly file: string) {}

  fail(field: string, problem: string): never {
    throw new CostFileError(this.file, field, problem);
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(field, `expected an object, got ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, `expected a list, got ${describe(value)}`);
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value === '') this.fail(field, `expected a non-empty string, got ${describe(value)}`);
    return value;
  }

  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined ? undefined : this.string(value, field);
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.fail(field, `expected true or false, got ${describe(value)}`);
    return value;
  }

  /** A whole number ≥ 0 (a count). */
  count(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(field, `expected a whole number ≥ 0, got ${describe(value)}`);
    return value;
  }

  /** A whole number ≥ 1. */
  positive(value: unknown, field: string): number {
    const n = this.count(value, field);
    if (n < 1) this.fail(field, `expected a whole number ≥ 1, got ${n}`);
    return n;
  }

  /** A decimal string ≥ 0 ("0.625", "12"): never a JSON number, so no binary fraction sneaks in. */
  decimal(value: unknown, field: string): Exact {
    if (typeof value !== 'string') this.fail(field, `expected a decimal string such as "0.000001", got ${describe(value)}`);
    try {
      const parsed = Exact.parse(value);
      if (parsed.compare(Exact.ZERO) < 0) this.fail(field, `expected a decimal ≥ 0, got "${value}"`);
      return parsed;
    } catch (error) {
      if (error instanceof ExactError) this.fail(field, `expected a decimal string such as "0.000001", got ${describe(value)}`);
      throw error;
    }
  }

  /** An ISO date (YYYY-MM-DD) or instant. */
  date(value: unknown, field: string): string {
    const text = this.string(value, field);
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?$/.test(text) || Number.isNaN(Date.parse(text))) this.fail(field, `expected a date such as 2026-12-06, got ${describe(value)}`);
    return text;
  }

  /** An object whose every value is read by `each`. */
  record<T>(value: unknown, field: string, each: (inner: unknown, innerField: string) => T): Record<string, T> {
    const object = this.object(value, field);
    const out: Record<string, T> = {};
    for (const [key, inner] of Object.entries(object)) out[key] = each(inner, `${field}.${key}`);
    return out;
  }

  strings(value: unknown, field: string): string[] {
    return this.array(value, field).map((item, index) => this.string(item, `${field}[${index}]`));
  }
}
