/**
 * ING-1: the strict-JSON check against a recursive reference over generated documents, written out
 * with every spelling JSON allows (escapes of any character, raw surrogates, whitespace).
 */
import fc from 'fast-check';
import { MAX_JSON_DEPTH, strictJsonFault } from '../../src/domain/strict-json';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

type Node = { t: 'obj'; members: [string, Node][] } | { t: 'arr'; items: Node[] } | { t: 'str'; v: string } | { t: 'lit'; v: string };

function check(text: string): string | undefined {
  return strictJsonFault(text, JSON.parse(text))?.reason;
}

// --- writing a document out, spelled at random -----------------------------------------------

function escapeChar(char: string, choice: number): string {
  const code = char.charCodeAt(0);
  const hex = `\\u${code.toString(16).padStart(4, '0')}`;
  const upperHex = `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (char === '"') return choice % 2 ? '\\"' : hex;
  if (char === '\\') return choice % 2 ? '\\\\' : upperHex;
  if (code < 0x20) return choice % 2 ? hex : upperHex;
  return [char, char, hex, upperHex][choice % 4]!;
}

function writeString(value: string, choices: number[], at: { i: number }): string {
  let out = '"';
  for (const char of value) {
    for (const unit of char.length === 2 ? [char[0]!, char[1]!] : [char]) out += escapeChar(unit, choices[at.i++ % choices.length]!);
  }
  return `${out}"`;
}

const SPACES = ['', '', ' ', '\t', '\n ', '\r\n'];

function write(node: Node, choices: number[], at = { i: 0 }): string {
  const ws = (): string => SPACES[choices[at.i++ % choices.length]! % SPACES.length]!;
  switch (node.t) {
    case 'str':
      return writeString(node.v, choices, at);
    case 'lit':
      return node.v;
    case 'arr':
      return `[${ws()}${node.items.map((item) => `${write(item, choices, at)}${ws()}`).join(`,${ws()}`)}]`;
    case 'obj':
      return `{${ws()}${node.members.map(([name, value]) => `${writeString(name, choices, at)}${ws()}:${ws()}${write(value, choices, at)}${ws()}`).join(`,${ws()}`)}}`;
  }
}

// --- the reference: recursive, first fault in document order ---------------------------------

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function reference(root: Node): string | undefined {
  if (root.t !== 'obj') return 'not a JSON object (a line is one authorisation object)';
  const visit = (node: Node, depth: number, path: string): string | undefined => {
    if (node.t === 'str') return LONE.test(node.v) ? `lone UTF-16 surrogate at ${path}` : undefined;
    if (node.t === 'lit') return undefined;
    if (depth > MAX_JSON_DEPTH) return `nested more than ${MAX_JSON_DEPTH} deep at ${path}`;
    if (node.t === 'arr') {
      for (let i = 0; i < node.items.length; i += 1) {
        const fault = visit(node.items[i]!, depth + 1, `${path}[${i}]`);
        if (fault) return fault;
      }
      return undefined;
    }
    const seen = new Set<string>();
    for (let i = 0; i < node.members.length; i += 1) {
      const [name, value] = node.members[i]!;
      if (LONE.test(name)) return `lone UTF-16 surrogate at ${path}.{member ${i + 1}}`;
      const shown = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) && name.replace(/[^0-9]/g, '').length < 13 ? `.${name}` : `.{member ${i + 1}}`;
      if (seen.has(name)) return `duplicate member name at ${path}${shown}`;
      seen.add(name);
      const fault = visit(value, depth + 1, `${path}${shown}`);
      if (fault) return fault;
    }
    return undefined;
  };
  return visit(root, 1, '$');
}

// --- generated documents -----------------------------------------------------------------

const NAMES = ['a', 'b', 'panToken', 'amount', 'x1', 'é', 'two words', '4111111111111111', '\uD800', '\uDC00\uD800', '\uD83D\uDE00', '"', '\\', '\u0000'];
const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\u0000', '\u001f', 'é', '€', '\u2028', '\uFEFF', '\uD83D', '\uDE00', '\uD83D\uDE00', '\uDBFF', '\uDFFF'];

const name = fc.constantFrom(...NAMES);
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 6 }).map((chars) => chars.join(''));
const tree = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((v): Node => ({ t: 'str', v })),
    fc.constantFrom('true', 'false', 'null', '0', '-1.5e3', '1e400', '12345678901234567890').map((v): Node => ({ t: 'lit', v })),
    fc.array(tie('node'), { maxLength: 4 }).map((items): Node => ({ t: 'arr', items })),
    fc.array(fc.tuple(name, tie('node')), { maxLength: 5 }).map((members): Node => ({ t: 'obj', members })),
  ),
})).node;
const document = fc.array(fc.tuple(name, tree), { maxLength: 6 }).map((members): Node => ({ t: 'obj', members }));
const spelling = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 64 });

/** A chain of `depth` containers, arrays and objects mixed by `kinds`, holding a string with an escape. */
function chain(depth: number, kinds: boolean[]): string {
  let open = '';
  let close = '';
  for (let level = 0; level < depth; level += 1) {
    const object = level === 0 || kinds[level % kinds.length]!;
    open += object ? '{"k":' : '[';
    close = (object ? '}' : ']') + close;
  }
  return `${open}"\\u0041"${close}`;
}

describe('strict JSON (ING-1)', () => {
  it('agrees with the recursive reference on every generated document, however it is spelled', () => {
    fc.assert(
      fc.property(document, spelling, (root, choices) => {
        const written = write(root, choices);
        expect(check(written)).toBe(reference(root));
      }),
      { numRuns: fuzzRuns(2000), seed: fuzzSeed(71) },
    );
  });

  it('agrees with the reference on documents written plainly (the fast path: no \\u escapes, no surrogates)', () => {
    let plain = 0;
    const plainText = fc.array(fc.constantFrom('a', 'Z', '0', ' ', ':', '{', ']', ',', '"', '\\', '/', '\n', 'é', '€'), { maxLength: 6 }).map((chars) => chars.join(''));
    const plainTree = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        plainText.map((v): Node => ({ t: 'str', v })),
        fc.constantFrom('true', 'null', '-1.5e3', '1e400').map((v): Node => ({ t: 'lit', v })),
        fc.array(tie('node'), { maxLength: 4 }).map((items): Node => ({ t: 'arr', items })),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'a:b', '{', '"', 'panToken'), tie('node')), { maxLength: 5 }).map((members): Node => ({ t: 'obj', members })),
      ),
    })).node;
    const written = (node: Node): string =>
      node.t === 'str'
        ? JSON.stringify(node.v)
        : node.t === 'lit'
          ? node.v
          : node.t === 'arr'
            ? `[${node.items.map(written).join(',')}]`
            : `{${node.members.map(([n, v]) => `${JSON.stringify(n)}: ${written(v)}`).join(' ,')}}`;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'a:b', 'panToken'), plainTree), { maxLength: 6 }), (members) => {
        const root: Node = { t: 'obj', members };
        const text = written(root);
        if (!text.includes('\\u')) plain += 1;
        expect(check(text)).toBe(reference(root));
      }),
      { numRuns: fuzzRuns(1500), seed: fuzzSeed(72) },
    );
    expect(plain).toBeGreaterThan(1000);
  });

  it('finds the faults the generator was asked for (the reference is not vacuous)', () => {
    const counts = { none: 0, duplicate: 0, surrogate: 0 };
    fc.assert(
      fc.property(document, (root) => {
        const fault = reference(root);
        if (!fault) counts.none += 1;
        else if (fault.startsWith('duplicate')) counts.duplicate += 1;
        else if (fault.startsWith('lone')) counts.surrogate += 1;
      }),
      { numRuns: 500, seed: 5 },
    );
    expect(Math.min(counts.none, counts.duplicate, counts.surrogate)).toBeGreaterThan(25);
  });

  it('accepts nesting of exactly 32 and refuses 33, for objects, arrays and mixes', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), (kinds) => {
        expect(check(chain(MAX_JSON_DEPTH, kinds))).toBeUndefined();
        expect(check(chain(MAX_JSON_DEPTH + 1, kinds))).toMatch(/^nested more than 32 deep at \$/);
      }),
      { numRuns: fuzzRuns(50), seed: fuzzSeed(3) },
    );
  });

  it('checks a line nested 200,000 deep in one pass, without recursion', () => {
    const started = performance.now();
    expect(check(chain(200_000, [false]))).toMatch(/^nested more than 32 deep/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a duplicate name is found after unescaping, wherever the escapes are', () => {
    expect(check('{"panToken":"a","pan\\u0054oken":"b"}')).toBe('duplicate member name at $.panToken');
    expect(check('{"a\\"b":1,"a\\u0022b":2}')).toBe('duplicate member name at $.{member 2}');
    expect(check('{"a\\/b":1,"a/b":2}')).toBe('duplicate member name at $.{member 2}');
    expect(check('{"x":{"a":1},"y":{"a":1},"z":[{"a":1,"b":2},{"a":1,"b":2}]}')).toBeUndefined();
    expect(check('{"x":[{"a":1},{"a":1,"a":2}]}')).toBe('duplicate member name at $.x[1].a');
    // a name that could hold a card number is never shown
    expect(check('{"4111111111111111":1,"4111111111111111":2}')).toBe('duplicate member name at $.{member 2}');
  });

  it('a string that only looks structural does not confuse the scan', () => {
    expect(check('{"a":"{[\\"}]","b":"\\\\","c":"\\\\\\"{","a2":"]]]]"}')).toBeUndefined();
    expect(check('{"a":"\\\\","a":1}')).toBe('duplicate member name at $.a');
  });
});
