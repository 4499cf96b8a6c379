/**
 * The XML tokenizer's scanning fast paths (REC-PERF-1) change nothing it reports: on generated
 * documents, well-formed and broken, fed in any chunking, it gives the same events and the same
 * errors (fault and line) as the tokenizer it replaced (support/reference-xml.ts), under the default
 * bounds and under small ones (REC-IN-1).
 */
import * as fc from 'fast-check';
import { XmlSyntaxError, XmlTokenizer, type XmlHandler, type XmlLimits } from '../../../src/recon/parsers/xml';
import { ReferenceXmlSyntaxError, ReferenceXmlTokenizer } from './support/reference-xml';
import { split } from './support/chunks';

type Outcome = { events: unknown[]; error?: { line: number; fault: string } };

interface Tokenizer {
  push(chunk: string): void;
  end(): void;
}

/** Text limits by local name, as a handler gives them (a function of the name alone). */
function textLimit(name: string): number {
  return name.length === 1 ? 6 : 2048;
}

function outcome(make: (handler: XmlHandler) => Tokenizer, chunks: string[]): Outcome {
  const events: unknown[] = [];
  const handler: XmlHandler = {
    open: (name, attrs, qname) => events.push(['open', name, attrs === undefined ? undefined : { ...attrs }, qname]),
    close: (name) => events.push(['close', name]),
    text: (text) => {
      const last = events[events.length - 1] as unknown[] | undefined;
      // Adjacent text events are one run split by chunking: merged, as the consumer joins them.
      if (last?.[0] === 'text') last[1] = `${last[1] as string}${text}`;
      else events.push(['text', text]);
    },
    textLimit,
  };
  const tokenizer = make(handler);
  try {
    for (const chunk of chunks) tokenizer.push(chunk);
    tokenizer.end();
    return { events };
  } catch (error) {
    if (error instanceof XmlSyntaxError || error instanceof ReferenceXmlSyntaxError) return { events, error: { line: error.line, fault: error.fault } };
    throw error;
  }
}

const NAMES = ['a', 'b', 'Ntry', 'Amt', 'x:Id', 'Nm', 'RmtInf', 'Ustrd', 'Doc', 'é', 'a-1.b', 'A_b'];

/** An element, or a sprinkling of the constructs the tokenizer reads (and some it refuses). */
const piece: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('text', '  \n\t', '\r\n', 'a &amp; b', '&lt;&#x41;&#66;', 'AT&T', '&bogus;', 'long text here', '<![CDATA[ <x> ]]>', '<!-- c -->', '<?pi x?>', '', ' ', '\u0001', '>', ']]>'),
    fc
      .tuple(
        fc.constantFrom(...NAMES),
        fc.constantFrom('', ' ', ' k="v"', " k='1 > 0'", ' k="&quot;"', ' k=v', ' k="1" k="2"', '/', ' /', ' k="<"'),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.constantFrom('', ' ', 'X', '\n'),
      )
      .map(([name, attrs, children, closeSuffix]) =>
        attrs.endsWith('/') ? `<${name}${attrs}>` : `<${name}${attrs}>${children.join('')}</${closeSuffix === 'X' ? `${name}X` : name}${closeSuffix === 'X' ? '' : closeSuffix}>`,
      ),
  ),
})).node;

const document = fc
  .tuple(fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>\n', '\n'), fc.array(piece, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '\n', 'junk', '<'))
  .map(([head, body, tail]) => `${head}${body.join('\n')}${tail}`);

const SMALL: Partial<XmlLimits> = { text: 8, tag: 12, comment: 6, depth: 3 };

describe('XmlTokenizer against the reference tokenizer', () => {
  it.each([
    ['default bounds', {}, false],
    ['default bounds, leading whitespace skipped', {}, true],
    ['small bounds', SMALL, false],
    ['small bounds, leading whitespace skipped', SMALL, true],
  ] as const)('%s: the same events and errors for any document in any chunking', (_name, limits, skip) => {
    fc.assert(
      fc.property(document, fc.array(fc.nat(), { maxLength: 12 }), (xml, cuts) => {
        // Events before an error may depend on the chunking (a chunk is checked for control
        // characters before it is read): compared chunking for chunking.
        for (const chunks of [[xml], split(xml, cuts)]) {
          expect(outcome((h) => new XmlTokenizer(h, skip, limits), chunks)).toEqual(outcome((h) => new ReferenceXmlTokenizer(h, skip, limits), chunks));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the same on a long run of known names, then names past the name table and a tag past its bound', () => {
    const many = Array.from({ length: 1500 }, (_, i) => `<n${i}>v</n${i}>`).join('');
    const known = '<Ntry><Amt>1</Amt><Nm>x</Nm></Ntry>'.repeat(50);
    const long = `<${'L'.repeat(70)}>t</${'L'.repeat(70)}><${'T'.repeat(5000)}>`;
    for (const xml of [`<Doc>${known}${many}${known}</Doc>`, `<Doc>${known}${long}</Doc>`]) {
      for (const size of [1, 7, 64, 65536]) {
        const chunks = split(
          xml,
          Array.from({ length: Math.ceil(xml.length / size) }, (_, i) => i * size),
        );
        expect(outcome((h) => new XmlTokenizer(h, true), chunks)).toEqual(outcome((h) => new ReferenceXmlTokenizer(h, true), chunks));
      }
    }
  });
});
