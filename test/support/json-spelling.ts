/**
 * Semantically equal spellings of a JSON value (ING-5): member order shuffled, any character of
 * any member name or string written as a `\u` escape (either hex case) or a short escape, and
 * whitespace between tokens. JSON.parse gives the same value back, whatever the spelling.
 *
 * Whitespace is spaces and tabs only: a line break would end the NDJSON line.
 */
import { Prng } from '../../src/generator/authorisations';

export interface SpellingOptions {
  /** Chance that a character is escaped (0..1). */
  escape: number;
  /** Chance of whitespace around each token (0..1). */
  whitespace: number;
  /** Shuffle the members of every object. */
  shuffle: boolean;
}

const SHORT: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function hexEscape(code: number, upper: boolean): string {
  const hex = code.toString(16).padStart(4, '0');
  return `\\u${upper ? hex.toUpperCase() : hex}`;
}

export function spellString(value: string, random: Prng, options: SpellingOptions): string {
  let out = '"';
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i]!;
    const code = value.charCodeAt(i);
    const mustEscape = char === '"' || char === '\\' || code < 0x20;
    if (!mustEscape && random.next() >= options.escape) out += char;
    else if (SHORT[char] !== undefined && random.next() < 0.5) out += SHORT[char];
    else out += hexEscape(code, random.next() < 0.5);
  }
  return `${out}"`;
}

function space(random: Prng, options: SpellingOptions): string {
  if (random.next() >= options.whitespace) return '';
  return [' ', '\t', '  ', ' \t '][random.int(4)]!;
}

/** One spelling of `value` (a parsed JSON value: objects, arrays, strings, finite numbers, booleans, null). */
export function spell(value: unknown, random: Prng, options: SpellingOptions): string {
  const ws = (): string => space(random, options);
  if (typeof value === 'string') return spellString(value, random, options);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${ws()}${value.map((item) => `${spell(item, random, options)}${ws()}`).join(`,${ws()}`)}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (options.shuffle) {
    for (let i = entries.length - 1; i > 0; i -= 1) {
      const j = random.int(i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
  }
  return `{${ws()}${entries.map(([name, item]) => `${spellString(name, random, options)}${ws()}:${ws()}${spell(item, random, options)}${ws()}`).join(`,${ws()}`)}}`;
}

/** A random spelling of a JSON line, from mild (a few escapes) to every character escaped. */
export function respellLine(line: string, random: Prng): string {
  const options: SpellingOptions = { escape: [0, 0.05, 0.3, 1][random.int(4)]!, whitespace: [0, 0.2, 1][random.int(3)]!, shuffle: random.next() < 0.7 };
  return spell(JSON.parse(line), random, options);
}
