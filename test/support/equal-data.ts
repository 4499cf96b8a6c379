/**
 * `expect(actual).toEqual(expected)` for large plain data (the rows of a table: arrays of numbers,
 * strings, nulls and Buffers), without walking it value by value in Jest's matcher when it is equal.
 *
 * Jest's recursive equality costs microseconds a value: comparing two stores' tables of tens of
 * thousands of rows took most of a suite's time. Two values whose structured-clone encodings
 * (node:v8 `serialize`) are byte for byte the same are equal to toEqual (same types, same values,
 * same keys in the same order), so they pass here at once; anything else (a difference, or an
 * encoding that differs where toEqual would not care) goes to toEqual itself, which decides and,
 * when they differ, fails with its usual diff. The verdict is always toEqual's.
 */
import { serialize } from 'node:v8';

function encoded(value: unknown): Buffer | undefined {
  try {
    return serialize(value);
  } catch {
    return undefined; // not structured-cloneable (a function, a symbol): toEqual decides
  }
}

export function expectEqualData(actual: unknown, expected: unknown): void {
  const left = encoded(actual);
  const right = left && encoded(expected);
  if (left && right && left.equals(right)) return;
  expect(actual).toEqual(expected);
}
