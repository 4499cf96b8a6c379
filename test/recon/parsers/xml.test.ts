/** The streaming XML tokenizer: chunk-boundary independence and well-formedness checks. */
import { readdirSync, readFileSync } from 'node:fs';
import { XmlSyntaxError, XmlTokenizer, type XmlHandler } from '../../../src/recon/parsers/xml';
import { shared } from './support/fixtures';

type Event = ['open', string, Record<string, string> | undefined, string] | ['close', string] | ['text', string];

function events(chunks: string[]): Event[] {
  const out: Event[] = [];
  const handler: XmlHandler = {
    open: (name, attrs, qname) => out.push(['open', name, attrs, qname]),
    close: (name) => out.push(['close', name]),
    text: (text) => {
      const last = out[out.length - 1];
      // Adjacent text events are one text run split by chunking (or CDATA): merge them.
      if (last?.[0] === 'text') last[1] += text;
      else out.push(['text', text]);
    },
  };
  const tokenizer = new XmlTokenizer(handler);
  for (const chunk of chunks) tokenizer.push(chunk);
  tokenizer.end();
  return out;
}

function syntaxError(xml: string): XmlSyntaxError {
  try {
    events([xml]);
  } catch (error) {
    if (error instanceof XmlSyntaxError) return error;
    throw error;
  }
  throw new Error('expected an XmlSyntaxError');
}

/** Deterministic pseudo-random chunking. */
function chunked(text: string, seed: number): string[] {
  const chunks: string[] = [];
  let state = seed;
  for (let i = 0; i < text.length;) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (state % 17);
    chunks.push(text.slice(i, i + size));
    i += size;
  }
  return chunks;
}

describe('XmlTokenizer', () => {
  const files = readdirSync(shared('camt')).filter((f) => f.endsWith('.xml'));

  it.each(files)('%s: the same events whatever the chunking', (name) => {
    const text = readFileSync(shared(`camt/${name}`), 'utf8');
    const whole = events([text]);
    expect(whole.filter((e) => e[0] === 'open').length).toBeGreaterThanOrEqual(5);
    for (const seed of [1, 2, 3]) expect(events(chunked(text, seed))).toEqual(whole);
  });

  it('entities, character references, CDATA, comments, PIs, self-closing tags, attributes with ">" and quotes', () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><!-- c --><a:Doc xmlns:a="urn:x" q='1 > 0' r="&quot;&#39;"><b>x &amp; y &lt;z&gt; &#x20AC;&#8364;</b><c/><d e="1" /><f><![CDATA[<raw> & ]]]]><![CDATA[>]]></f><?pi data?></a:Doc>\n`;
    expect(events([xml])).toEqual([
      ['open', 'Doc', { 'xmlns:a': 'urn:x', q: '1 > 0', r: `"'` }, 'a:Doc'],
      ['open', 'b', undefined, 'b'],
      ['text', 'x & y <z> €€'],
      ['close', 'b'],
      ['open', 'c', undefined, 'c'],
      ['close', 'c'],
      ['open', 'd', { e: '1' }, 'd'],
      ['close', 'd'],
      ['open', 'f', undefined, 'f'],
      ['text', '<raw> & ]]>'],
      ['close', 'f'],
      ['close', 'Doc'],
    ]);
    for (const seed of [4, 5, 6, 7]) expect(events(chunked(xml, seed))).toEqual(events([xml]));
  });

  it.each([
    ['<a><b></a>', 1, '</a> does not close <b>'],
    ['<a>\n<b>\n</b>\n', 4, 'the document ends before </a> (truncated file?); still open: a'],
    ['<a></a><b></b>', 1, 'a second root element <b>'],
    ['<a></a>junk', 1, 'content after the root element'],
    ['text<a></a>', 1, 'text before the root element'],
    ['<a b=1></a>', 1, 'attribute in <a> is not quoted'],
    ['<a c="2" b=1></a>', 1, 'attribute b of <a> is not quoted'],
    ['<a b></a>', 1, 'attribute in <a> is not quoted'],
    ['<a b="1" b="2"></a>', 1, 'duplicate attribute b in <a>'],
    ['<a>&bogus;</a>', 1, 'unknown entity reference (only &lt; &gt; &amp; &quot; &apos; and character references)'],
    ['<a>AT&T</a>', 1, '"&" must start an entity reference ("&amp;" for a literal ampersand)'],
    ['<a>&#0;</a>', 1, 'a character reference is not a valid XML character'],
    ['<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>', 1, 'DOCTYPE declarations are not allowed in statement files'],
    ['<a><!-- open', 1, 'unterminated comment (truncated file?)'],
    ['<a><![CDATA[x', 1, 'unterminated CDATA section (truncated file?)'],
    ['<a><b', 1, 'the document ends inside a tag (truncated file?)'],
    ['', 1, 'no root element (empty or non-XML file)'],
    ['<a/>\n<?xml version="1.0"?>', 2, 'the XML declaration must be at the very start of the file'],
    ['<?xml version="1.0" encoding="UTF-16"?><a/>', 1, 'encoding "UTF-16" is not supported: use one of utf-8, iso-8859-1, windows-1250, windows-1252'],
    ['<1a/>', 1, 'invalid element name'],
  ])('%j is rejected at line %i', (xml, line, fault) => {
    const error = syntaxError(xml);
    expect([error.line, error.fault]).toEqual([line, fault]);
  });
});
