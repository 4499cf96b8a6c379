/**
 * EventBridge event-pattern matching (REH-1) (rules and Pipe filters), for the patterns the synthesized
 * rules and filters use and the usual operators: exact values (string, number, boolean, null),
 * `prefix`, `suffix`, `anything-but`, `numeric`, `exists`, `equals-ignore-case`, `wildcard`.
 * A field holding an array matches when any element matches. An unknown operator throws: the
 * rehearsal never guesses what a pattern means.
 */
import type { Json, JsonObject } from './terraform';

export class UnsupportedPatternError extends Error {
  override name = 'UnsupportedPatternError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function wildcard(pattern: string, value: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's').test(value);
}

function numericMatch(conditions: unknown[], value: unknown): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i < conditions.length; i += 2) {
    const operator = conditions[i];
    const operand = Number(conditions[i + 1]);
    const ok =
      operator === '='
        ? value === operand
        : operator === '<'
          ? value < operand
          : operator === '<='
            ? value <= operand
            : operator === '>'
              ? value > operand
              : operator === '>='
                ? value >= operand
                : undefined;
    if (ok === undefined) throw new UnsupportedPatternError(`numeric operator ${JSON.stringify(operator)}`);
    if (!ok) return false;
  }
  return true;
}

/** One element of a pattern's value list against one (non-array) event value. */
function matchesElement(element: unknown, value: unknown, present: boolean): boolean {
  if (!isObject(element)) return present && element === value;
  const [operator, operand] = Object.entries(element)[0] ?? [];
  switch (operator) {
    case 'prefix':
      if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') return typeof value === 'string' && value.toLowerCase().startsWith(operand['equals-ignore-case'].toLowerCase());
      return typeof value === 'string' && typeof operand === 'string' && value.startsWith(operand);
    case 'suffix':
      if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') return typeof value === 'string' && value.toLowerCase().endsWith(operand['equals-ignore-case'].toLowerCase());
      return typeof value === 'string' && typeof operand === 'string' && value.endsWith(operand);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && typeof operand === 'string' && wildcard(operand, value);
    case 'numeric':
      return Array.isArray(operand) && numericMatch(operand, value);
    case 'exists':
      return operand === present;
    case 'anything-but': {
      if (!present) return false;
      if (Array.isArray(operand)) return !operand.includes(value as never);
      if (isObject(operand)) {
        if (typeof operand.prefix === 'string') return typeof value === 'string' && !value.startsWith(operand.prefix);
        if (typeof operand.suffix === 'string') return typeof value === 'string' && !value.endsWith(operand.suffix);
        throw new UnsupportedPatternError(`anything-but ${JSON.stringify(operand)}`);
      }
      return value !== operand;
    }
    default:
      throw new UnsupportedPatternError(`pattern operator ${JSON.stringify(operator)}`);
  }
}

function matchesValues(values: unknown[], field: unknown, present: boolean): boolean {
  if (Array.isArray(field)) {
    if (field.length === 0) return values.some((element) => isObject(element) && 'exists' in element && element.exists === false);
    return field.some((item) => values.some((element) => matchesElement(element, item, true)));
  }
  return values.some((element) => matchesElement(element, field, present));
}

/** True when `event` matches `pattern` (EventBridge semantics). */
export function matchesEventPattern(pattern: JsonObject | Record<string, unknown>, event: unknown): boolean {
  if (!isObject(event)) return false;
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(expected) || !expected.some((alternative) => isObject(alternative) && matchesEventPattern(alternative, event))) return false;
      continue;
    }
    const present = Object.prototype.hasOwnProperty.call(event, key);
    const field = event[key];
    if (Array.isArray(expected)) {
      if (!matchesValues(expected, field, present)) return false;
    } else if (isObject(expected)) {
      if (Array.isArray(field)) {
        if (!field.some((item) => matchesEventPattern(expected, item))) return false;
      } else if (!isObject(field)) {
        // A nested pattern of only `exists: false` leaves matches an absent object.
        if (!matchesEventPattern(expected, {})) return false;
      } else if (!matchesEventPattern(expected, field)) return false;
    } else {
      throw new UnsupportedPatternError(`pattern field "${key}" must be an array or an object, got ${JSON.stringify(expected as Json)}`);
    }
  }
  return true;
}
