/**
 * Whole-number option parsers for commander, shared by every command: counts, partitions, ports,
 * seconds. (Never money: amounts are decimal strings and never pass through here.)
 */
import { InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';

export interface WholeNumberLimits {
  min?: number;
  max?: number;
  /** What the number means, shown in the error, e.g. "0 = any free port". */
  hint?: string;
}

/** Parses `name`'s value as a base-10 whole number within the limits; the error names the option and the value. */
export function wholeNumber(name: string, limits: WholeNumberLimits = {}): (text: string) => number {
  const { min = 0, max, hint } = limits;
  const expected = max !== undefined ? `a whole number from ${min} to ${max}` : min === 1 ? 'a positive whole number' : min === 0 ? 'a whole number' : `a whole number of at least ${min}`;
  return (text: string): number => {
    const value = /^[0-9]{1,15}$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
    if (!(value >= min && (max === undefined || value <= max))) {
      throw new InvalidArgumentError(`${name} must be ${expected}${hint ? ` (${hint})` : ''}, got "${text}"`);
    }
    return value;
  };
}

export function positiveInteger(name: string): (text: string) => number {
  return wholeNumber(name, { min: 1 });
}

/**
 * A directory option a command reads or creates (`--state`): a path that is there must be a
 * directory, so a file named by mistake is a usage error naming it, never `EEXIST: mkdir` or a
 * write into it.
 */
export function directory(name: string): (text: string) => string {
  return (text: string): string => {
    const fault = directoryFault(name, text);
    if (fault) throw new InvalidArgumentError(fault);
    return text;
  };
}

/** Why `path`, given as the directory option `name`, cannot be one (it is there and is not a directory); undefined when it can. */
export function directoryFault(name: string, path: string): string | undefined {
  return existsSync(path) && !statSync(path).isDirectory() ? `${name} "${path}" exists and is not a directory` : undefined;
}
