/**
 * ING-1: an authorisation line is strict JSON. JSON.parse (native and iterative) does the parse;
 * this module checks what JSON.parse lets through:
 *
 * - the line is one object;
 * - nesting is at most MAX_JSON_DEPTH (32) deep, the root object being depth 1;
 * - no object has two members with the same name once the names are unescaped
 *   (`"pan\u0054oken"` is `panToken`): RFC 7493 (I-JSON) section 2.3. JSON.parse would keep the
 *   last one silently, so a re-sent payment could change card, amount or id by adding a member;
 * - no string (member name or value) holds a lone UTF-16 surrogate, escaped or raw
 *   (RFC 7493 section 2.1): it has no UTF-8 form, so it would not survive being written out.
 *
 * The scan is a single loop with an explicit stack (no recursion, so a line nested 20,000 deep costs
 * one pass and no stack), and it stops at the first fault. A fault names the rule and the member
 * path (`$.merchant.name`), never a value; a member name that is not a plain identifier is shown
 * by its position (`{member 3}`), since a hostile name is content too.
 */

export const MAX_JSON_DEPTH = 32;

export interface StrictJsonFault {
  /** The rule broken and where, e.g. `duplicate member name at $.panToken`. */
  reason: string;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
/** Member names shown as they are in a path: short identifiers with too few digits to be a card number. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function shownName(name: string, position: number): string {
  if (PLAIN_NAME.test(name) && name.replace(/[^0-9]/g, '').length < 13) return `.${name}`;
  return `.{member ${position}}`;
}

/**
 * The first strict-JSON fault of `text`, or undefined. `text` must be a line JSON.parse accepted
 * and `parsed` its result: the scan relies on the text being well-formed JSON.
 *
 * The common line (no escapes, no surrogates) takes a fast path: one pass counts the member
 * names in the text and checks the depth, and a walk of the parsed value counts its distinct
 * member names; equal counts mean no object repeated a name (every repeat loses a member in
 * JSON.parse, and the outermost object with a repeat is never itself overwritten). Anything
 * else, and every fault, goes through the exact scan, which names the first fault in line order.
 */
export function strictJsonFault(text: string, parsed: unknown, maxDepth = MAX_JSON_DEPTH): StrictJsonFault | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { reason: 'not a JSON object (a line is one authorisation object)' };
  if (!text.includes('\\u') && !ANY_SURROGATE.test(text)) {
    const written = memberNamesWithin(text, maxDepth);
    if (written >= 0 && written === distinctMemberNames(parsed)) return undefined;
  }
  return exactFault(text, maxDepth);
}

/** The member names written in `text` (a colon outside strings is one), or -1 when it nests deeper than maxDepth. */
function memberNamesWithin(text: string, maxDepth: number): number {
  let nextBackslash = text.indexOf('\\');
  let depth = 0;
  let names = 0;
  const length = text.length;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = closingQuote(text, i, nextBackslash);
      if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf('\\', i);
    } else if (code === COLON) {
      names += 1;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth) return -1;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return names;
}

/** The index of the quote closing the string that opens at `open`. */
function closingQuote(text: string, open: number, nextBackslash: number): number {
  const end = text.indexOf('"', open + 1);
  if (nextBackslash === -1 || nextBackslash > end) return end;
  for (let at = open + 1; ;) {
    const c = text.charCodeAt(at);
    if (c === BACKSLASH) at += 2;
    else if (c === QUOTE) return at;
    else at += 1;
  }
}

const pending: object[] = [];

/** Distinct member names over every object of a parsed value (depth already bounded by the scan). */
function distinctMemberNames(root: object): number {
  let count = 0;
  pending.length = 0;
  pending.push(root);
  while (pending.length > 0) {
    const container = pending.pop()!;
    if (Array.isArray(container)) {
      for (const item of container) if (item !== null && typeof item === 'object') pending.push(item as object);
    } else {
      for (const key in container) {
        count += 1;
        const value = (container as Record<string, unknown>)[key];
        if (value !== null && typeof value === 'object') pending.push(value);
      }
    }
  }
  return count;
}

/** The exact scan: the first fault in line order, with its member path. */
function exactFault(text: string, maxDepth: number): StrictJsonFault | undefined {
  // Surrogates can only be wrong when the text has one raw, or an escape that may spell one.
  const checkSurrogates = ANY_SURROGATE.test(text) || text.includes('\\u');
  let nextBackslash = text.indexOf('\\');
  // Per open container (index = depth - 1): member names seen, the current member name or
  // element index, and how many members so far (for positions in paths).
  const names: Set<string>[] = [];
  const isObject: boolean[] = [];
  const current: (string | number)[] = [];
  const members: number[] = [];
  let depth = 0;
  let expectName = false;

  const pathTo = (levels: number): string => {
    let path = '$';
    for (let level = 0; level < levels; level += 1) {
      const step = current[level]!;
      path += typeof step === 'number' ? `[${step}]` : step;
    }
    return path;
  };

  const length = text.length;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const end = closingQuote(text, i, nextBackslash);
      const escaped = nextBackslash !== -1 && nextBackslash < end;
      if (escaped) nextBackslash = text.indexOf('\\', end);
      let value: string | undefined;
      if (checkSurrogates) {
        value = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (LONE_SURROGATE.test(value)) {
          const where = expectName ? `${pathTo(depth - 1)}.{member ${members[depth - 1]! + 1}}` : pathTo(depth);
          return { reason: `lone UTF-16 surrogate at ${where}` };
        }
      }
      if (expectName) {
        const name = value ?? (escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end));
        const level = depth - 1;
        members[level]! += 1;
        current[level] = shownName(name, members[level]!);
        const seen = names[level]!;
        if (seen.has(name)) return { reason: `duplicate member name at ${pathTo(depth)}` };
        seen.add(name);
        expectName = false;
      }
      i = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return { reason: `nested more than ${maxDepth} deep at ${pathTo(depth - 1)}` };
      const level = depth - 1;
      const object = code === OPEN_BRACE;
      isObject[level] = object;
      members[level] = 0;
      current[level] = 0;
      if (object) names[level] = new Set();
      expectName = object;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
      expectName = false;
    } else if (code === COMMA) {
      const level = depth - 1;
      if (isObject[level]) expectName = true;
      else current[level] = (current[level] as number) + 1;
    }
  }
  return undefined;
}
