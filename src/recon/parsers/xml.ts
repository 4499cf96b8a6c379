/**
 * A small streaming XML tokenizer for the subset bank statements use: elements, attributes,
 * character data, the five predefined entities and character references, CDATA sections,
 * comments and processing instructions. No DTDs (a DOCTYPE is rejected: no entity expansion,
 * no external resources). Checks well-formedness: tag nesting, one root, quoted attributes,
 * no duplicate attributes, known entities, nothing but markup/whitespace outside the root.
 *
 * Push-based: feed text chunks with `push`, then call `end()`. A construct split across chunks
 * is kept until it is complete. Every construct is bounded (REC-IN-1): a text node by its
 * element's limit (the handler's `textLimit`, else `limits.text`), a tag, a comment or processing
 * instruction and the nesting depth by `limits`. A construct that passes its bound is refused as
 * soon as the bound is passed, so memory stays within the largest bound plus one pushed chunk.
 *
 * Errors name the line and the fault, never the text (PCI-3).
 */
import { LineSyntaxError } from '../types';
import { CAMT_TEXT_DEFAULT, XML_LIMITS, XML_WHITESPACE_SLACK } from './limits';
import { isStatementEncoding, STATEMENT_ENCODINGS } from './encoding';

export interface XmlHandler {
  /** `name` is the local name (prefix stripped); `qname` the name as written. */
  open(name: string, attrs: Record<string, string> | undefined, qname: string): void;
  close(name: string): void;
  text(text: string): void;
  /**
   * The most characters the text of element `name` (local name) may hold, surrounding whitespace
   * not counted. A function of the name alone: the tokenizer asks once per name and keeps the answer.
   */
  textLimit?(name: string): number;
}

export interface XmlLimits {
  /** Text of an element the handler sets no limit for. */
  text: number;
  /** A start or end tag with its attributes. */
  tag: number;
  /** A comment or processing instruction. */
  comment: number;
  /** Element nesting. */
  depth: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = Object.freeze({ text: CAMT_TEXT_DEFAULT, ...XML_LIMITS });

export class XmlSyntaxError extends LineSyntaxError {
  override name = 'XmlSyntaxError';
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY = /&([^;&<>\s]*);?/g;
/** The longest entity or character reference ("&#x10FFFF;" is 10). */
const MAX_ENTITY = 12;
/** XML 1.0 §2.2: characters no document may hold (C0 controls but tab, LF and CR; U+FFFE, U+FFFF). */
// eslint-disable-next-line no-control-regex -- finding them is the point
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

/** An element or attribute name for a message: names are markup, but bounded here all the same. */
function shortName(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}

/** ASCII name characters: 1 may start a name, 2 only follow (digits, "-", "."). */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58) ASCII_NAME[c] = 1;
  else if ((c >= 48 && c <= 57) || c === 45 || c === 46) ASCII_NAME[c] = 2;
}

/** The name table's hash of a name: its length and characters (the same as the scan in markup computes). */
function nameHash(name: string): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) | 0;
  return hash & NAME_BUCKETS;
}

function isNameStart(code: number): boolean {
  return code < 128 ? ASCII_NAME[code] === 1 : code >= 0xc0;
}

function isNameChar(code: number): boolean {
  return code < 128 ? ASCII_NAME[code] !== 0 : code >= 0xc0 || code === 0xb7;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13;
}

/** An element name as written, its local name and its text limit: looked up once per distinct name. */
interface ElementName {
  qname: string;
  local: string;
  limit: number;
  /** The element that opened next after this one opened, and after it closed, last time (a guess for the next start tag). */
  afterOpen: ElementName | undefined;
  afterClose: ElementName | undefined;
}

/** Names kept in a tokenizer's name table (longer or further ones are looked up each time): bounds its memory. */
const NAME_TABLE = 1024;
const NAME_TABLE_LENGTH = 64;
/** Buckets of the name table, less one (a mask). */
const NAME_BUCKETS = 255;

/**
 * The engine's one copy of `name` (a property key is one): names the table hands out then compare
 * with the handler's literal names by identity, and hash once.
 */
function canonical(name: string): string {
  return Object.keys({ [name]: 0 })[0] ?? name;
}

function countLines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

export class XmlTokenizer {
  private buf = '';
  private pos = 0;
  /** Newlines in text already discarded from `buf`. */
  private discardedLines = 0;
  /** Open elements, outermost first. */
  private readonly stack: ElementName[] = [];
  /**
   * Valid element names seen so far (at most NAME_TABLE), by nameHash: a start tag of a known name
   * is matched whole, without cutting the name out.
   */
  private readonly names: (ElementName[] | undefined)[] = [];
  private nameCount = 0;
  /** The element of the last start or end tag read, and which it was. */
  private last: ElementName | undefined;
  private lastOpened = false;
  /** The first '&' in `buf` at or after the last text run read (`buf.length`: none); -1 before any. */
  private ampAt = -1;
  private rootSeen = false;
  private rootClosed = false;
  private pendingText = '';
  private ended = false;
  private readonly limits: XmlLimits;
  /** The last chunk ended with CR: it and a LF starting the next chunk are one line end. */
  private heldCR = false;

  /**
   * @param skipLeadingWhitespace drop whitespace that starts a text run (indentation between
   *   tags): for consumers that trim text values anyway. Inner whitespace is always kept.
   */
  constructor(
    private readonly handler: XmlHandler,
    private readonly skipLeadingWhitespace = false,
    limits: Partial<XmlLimits> = {},
  ) {
    this.limits = { ...DEFAULT_XML_LIMITS, ...limits };
  }

  /** Adds the text `buf[from, to)` to the pending text run. */
  private addText(from: number, to: number): void {
    const buf = this.buf;
    let skippedLines = 0;
    if (this.pendingText.length === 0 && this.skipLeadingWhitespace && this.stack.length > 0) {
      let i = from;
      for (; i < to; i++) {
        const c = buf.charCodeAt(i);
        if (c === 10) skippedLines++;
        else if (c !== 32 && c !== 9 && c !== 13) break;
      }
      if (i === to) return;
      from = i;
    }
    // Entities: only a run with a '&' in it needs decoding (the next '&' in the buffer is looked for once).
    let amp = this.ampAt;
    if (amp < from) {
      amp = buf.indexOf('&', from);
      if (amp === -1) amp = buf.length;
      this.ampAt = amp;
    }
    const raw = buf.slice(from, to);
    const decoded = amp < to ? this.decodeText(raw) : raw;
    this.checkText(decoded, skippedLines);
    this.pendingText = this.pendingText.length === 0 ? decoded : this.pendingText + decoded;
  }

  /**
   * Refuses a text run that would pass its element's limit once `addition` joins it (REC-IN-1),
   * before the run is built any longer. Whitespace around the value is not counted, up to
   * XML_WHITESPACE_SLACK characters of it.
   */
  private checkText(addition: string, skippedLines = 0): void {
    const length = this.pendingText.length + addition.length;
    const depth = this.stack.length;
    const limit = depth > 0 ? this.stack[depth - 1]!.limit : this.limits.text;
    if (length <= limit) return;
    const open = this.stack[depth - 1]?.qname;
    const what = open === undefined ? 'text outside the root element' : `text of <${shortName(open)}>`;
    const whole = this.pendingText + addition;
    if (length > limit + XML_WHITESPACE_SLACK || whole.trim().length > limit) {
      // The line where the run's first non-space character is: the parse position is where
      // `addition` starts, after the pending text's line breaks and before the skipped ones.
      let lead = 0;
      let leadLines = 0;
      while (lead < whole.length && isSpace(whole.charCodeAt(lead))) {
        if (whole.charCodeAt(lead) === 10) leadLines++;
        lead++;
      }
      throw new XmlSyntaxError(this.line() - countLines(this.pendingText) + skippedLines + leadLines, `${what} is longer than ${limit} characters`);
    }
  }

  /** 1-based line of the current parse position (computed on demand: use for errors only). */
  line(): number {
    let count = this.discardedLines;
    const end = Math.min(this.pos, this.buf.length);
    let at = this.buf.indexOf('\n');
    while (at !== -1 && at < end) {
      count++;
      at = this.buf.indexOf('\n', at + 1);
    }
    return count + 1;
  }

  /** Element names currently open, outermost first (qualified names as written). */
  openElements(): readonly string[] {
    return this.stack.map((element) => element.qname);
  }

  push(chunk: string): void {
    if (this.ended) throw new Error('XmlTokenizer: push after end');
    const text = this.endOfLines(chunk);
    const rest = this.pos < this.buf.length ? this.buf.slice(this.pos) : '';
    // One flat string (a join, not a concatenation): the scans below read it character by character.
    this.buf = rest.length === 0 ? text : [rest, text].join('');
    this.pos = 0;
    this.ampAt = -1;
    const bad = NOT_XML.exec(text);
    if (bad) {
      this.pos = rest.length + bad.index;
      this.error(`control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML (binary data?)`);
    }
    this.run(false);
    this.checkIncomplete();
    this.compact();
  }

  /** What is left waiting for more input (an incomplete construct) must fit its bound. */
  private checkIncomplete(): void {
    const left = this.buf.length - this.pos;
    if (left <= MAX_ENTITY) return;
    const buf = this.buf;
    const at = this.pos;
    if (buf.charCodeAt(at) !== 60 /* < */) return; // text is consumed as it arrives; an entity is held back at most MAX_ENTITY
    // Early: the construct's content so far (less a possibly partial terminator) already passes its bound.
    if (buf.startsWith('<!--', at)) {
      if (left - 4 - 2 > this.limits.comment) this.error(`a comment is longer than ${this.limits.comment} characters`);
    } else if (buf.startsWith('<?', at)) {
      if (left - 2 - 1 > this.limits.comment) this.error(`a processing instruction is longer than ${this.limits.comment} characters`);
    } else if (buf.startsWith('<![CDATA[', at)) {
      this.checkText(buf.slice(at + 9, buf.length - 2));
    } else if (left - 1 > this.limits.tag) {
      this.error(`a tag is longer than ${this.limits.tag} characters`);
    }
  }

  /** XML 1.0 §2.11: CR LF and a lone CR are read as LF, so CRLF and LF files give the same text. */
  private endOfLines(chunk: string): string {
    let text = this.heldCR ? `\r${chunk}` : chunk;
    this.heldCR = false;
    if (text.indexOf('\r') === -1) return text;
    if (text.charCodeAt(text.length - 1) === 13) {
      this.heldCR = true;
      text = text.slice(0, -1);
    }
    return text.replace(/\r\n?/g, '\n');
  }

  end(): void {
    if (this.heldCR) {
      this.heldCR = false;
      this.push('\n');
    }
    this.run(true);
    this.ended = true;
    if (this.pos < this.buf.length) this.error('the document ends inside markup (truncated file?)');
    this.flushText();
    if (!this.rootSeen) this.error('no root element (empty or non-XML file)');
    if (this.stack.length > 0) {
      this.error(`the document ends before </${this.stack[this.stack.length - 1]!.qname}> (truncated file?); still open: ${this.openElements().join('/')}`);
    }
  }

  private compact(): void {
    if (this.pos === 0) return;
    let at = this.buf.indexOf('\n');
    while (at !== -1 && at < this.pos) {
      this.discardedLines++;
      at = this.buf.indexOf('\n', at + 1);
    }
    this.buf = this.buf.slice(this.pos);
    this.pos = 0;
    this.ampAt = -1;
  }

  private error(fault: string): never {
    throw new XmlSyntaxError(this.line(), fault);
  }

  private run(final: boolean): void {
    const buf = this.buf;
    const n = buf.length;
    while (this.pos < n) {
      const lt = buf.charCodeAt(this.pos) === 60 /* < */ ? this.pos : buf.indexOf('<', this.pos);
      if (lt === -1) {
        // Text up to the end of the buffer; an entity may be cut, so only take up to a '&' near the end.
        const amp = final ? -1 : buf.lastIndexOf('&');
        const cut = amp >= this.pos && n - amp <= MAX_ENTITY && buf.indexOf(';', amp) === -1 ? amp : n;
        if (cut > this.pos) this.addText(this.pos, cut);
        this.pos = cut;
        return;
      }
      if (lt > this.pos) {
        this.addText(this.pos, lt);
        this.pos = lt;
      }
      if (!this.markup(final)) return;
    }
  }

  /** Handles the markup at `pos` (a '<'); returns false when more input is needed. */
  private markup(final: boolean): boolean {
    const buf = this.buf;
    const start = this.pos;
    const next = buf.charCodeAt(start + 1);
    if (Number.isNaN(next)) {
      if (final) this.error('the document ends inside markup (truncated file?)');
      return false;
    }
    // Fast paths for the two tags a statement is made of, "<Name>" and "</Name>" closing the open
    // element: the same checks and events as the general path below, without cutting the tag out.
    if (next === 47 /* / */) {
      const depth = this.stack.length;
      if (depth > 0) {
        const open = this.stack[depth - 1]!;
        const qname = open.qname;
        const length = qname.length;
        const from = start + 2;
        if (buf.charCodeAt(from + length) === 62 /* > */ && length < this.limits.tag && buf.startsWith(qname, from)) {
          this.flushText();
          this.stack.pop();
          if (depth === 1) this.rootClosed = true;
          this.last = open;
          this.lastOpened = false;
          this.handler.close(open.local);
          this.pos = from + length + 1;
          return true;
        }
      }
    } else if (next < 128 && isNameStart(next)) {
      // Documents repeat: the element that followed the last tag's element last time, when it is this one.
      const last = this.last;
      const guess = last === undefined ? undefined : this.lastOpened ? last.afterOpen : last.afterClose;
      if (guess !== undefined) {
        const qname = guess.qname;
        const length = qname.length;
        const from = start + 1;
        if (buf.charCodeAt(from + length) === 62 /* > */ && length <= this.limits.tag && buf.startsWith(qname, from)) {
          this.flushText();
          this.openElement(guess, undefined, false);
          this.pos = from + length + 1;
          return true;
        }
      }
      // The name, hashed as it is read: a name seen before is found in the table, not cut out again.
      let i = start + 2;
      let hash = next;
      let c = buf.charCodeAt(i);
      while (isNameChar(c)) {
        hash = (Math.imul(hash, 31) + c) | 0;
        c = buf.charCodeAt(++i);
      }
      if (c === 62 /* > */ && i - start - 1 <= this.limits.tag) {
        this.flushText();
        this.openElement(this.knownName(buf, start + 1, i - start - 1, hash & NAME_BUCKETS) ?? this.elementName(buf.slice(start + 1, i)), undefined, false);
        this.pos = i + 1;
        return true;
      }
    }
    if (next === 33 /* ! */) {
      if (buf.length - start < 9 && !final) {
        const head = buf.slice(start);
        if ('<!--'.startsWith(head) || '<![CDATA['.startsWith(head) || '<!DOCTYPE'.startsWith(head)) return false;
      }
      if (buf.startsWith('<!--', start)) {
        const close = buf.indexOf('-->', start + 4);
        if (close === -1) {
          if (final) this.error('unterminated comment (truncated file?)');
          return false;
        }
        if (close - start - 4 > this.limits.comment) this.error(`a comment is longer than ${this.limits.comment} characters`);
        this.pos = close + 3;
        return true;
      }
      if (buf.startsWith('<![CDATA[', start)) {
        if (this.stack.length === 0) this.error('CDATA section outside the root element');
        const close = buf.indexOf(']]>', start + 9);
        if (close === -1) {
          if (final) this.error('unterminated CDATA section (truncated file?)');
          return false;
        }
        const cdata = buf.slice(start + 9, close);
        this.checkText(cdata);
        this.pendingText += cdata;
        this.pos = close + 3;
        return true;
      }
      if (buf.startsWith('<!DOCTYPE', start)) this.error('DOCTYPE declarations are not allowed in statement files');
      this.error('unexpected markup after "<!" (only comments and CDATA sections are allowed)');
    }
    if (next === 63 /* ? */) {
      const close = buf.indexOf('?>', start + 2);
      if (close === -1) {
        if (final) this.error('unterminated processing instruction (truncated file?)');
        return false;
      }
      if (close - start - 2 > this.limits.comment) this.error(`a processing instruction is longer than ${this.limits.comment} characters`);
      const body = buf.slice(start + 2, close);
      if (/^xml(\s|$)/.test(body)) {
        if (start !== 0 || this.discardedLines > 0 || this.rootSeen) this.error('the XML declaration must be at the very start of the file');
        const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(body);
        // REC-IN-7: the bytes were decoded before they reached the tokenizer (by the declared
        // encoding, or an explicit one that overrides it); here the name must only be one we read.
        if (encoding && !isStatementEncoding(encoding[1]!)) {
          this.error(`encoding "${shortName(encoding[1]!)}" is not supported: use one of ${STATEMENT_ENCODINGS.join(', ')}`);
        }
      }
      this.pos = close + 2;
      return true;
    }
    // Element tag. Fast path: no quotes before the next '>' means no attributes, so that '>' ends it.
    const gt = buf.indexOf('>', start + 1);
    if (gt === -1) {
      if (final) this.error('the document ends inside a tag (truncated file?)');
      return false;
    }
    const tag = buf.slice(start + 1, gt);
    if (tag.indexOf('"') === -1 && tag.indexOf("'") === -1) {
      if (tag.length > this.limits.tag) this.error(`a tag is longer than ${this.limits.tag} characters`);
      if (tag.indexOf('<') !== -1) this.error('"<" inside a tag');
      this.flushText();
      if (next === 47 /* / */) this.endTag(tag.slice(1));
      else this.plainStartTag(tag);
      this.pos = gt + 1;
      return true;
    }
    // Attributes: find the closing '>' outside attribute quotes.
    let i = start + 1;
    const n = buf.length;
    let quote = 0;
    for (; i < n; i++) {
      const c = buf.charCodeAt(i);
      if (quote !== 0) {
        if (c === quote) quote = 0;
        else if (c === 60 /* < */) this.error('"<" is not allowed in an attribute value');
      } else if (c === 62 /* > */) break;
      else if (c === 34 || c === 39) quote = c;
      else if (c === 60) this.error('"<" inside a tag');
    }
    if (i >= n) {
      if (final) this.error('the document ends inside a tag (truncated file?)');
      return false;
    }
    if (i - start - 1 > this.limits.tag) this.error(`a tag is longer than ${this.limits.tag} characters`);
    this.flushText();
    if (next === 47 /* / */) this.endTag(buf.slice(start + 2, i));
    else this.startTag(buf, start + 1, i);
    this.pos = i + 1;
    return true;
  }

  private flushText(): void {
    const text = this.pendingText;
    if (text.length === 0) return;
    this.pendingText = '';
    if (this.stack.length === 0) {
      for (let i = 0; i < text.length; i++) {
        if (!isSpace(text.charCodeAt(i))) this.error(this.rootSeen ? 'content after the root element' : 'text before the root element');
      }
      return;
    }
    this.handler.text(text);
  }

  private endTag(raw: string): void {
    const name = raw.trimEnd();
    const open = this.stack[this.stack.length - 1];
    if (open === undefined) this.error(`</${shortName(name)}> without an open element`);
    if (open.qname !== name) this.error(`</${shortName(name)}> does not close <${shortName(open.qname)}>`);
    this.stack.pop();
    if (this.stack.length === 0) this.rootClosed = true;
    this.last = open;
    this.lastOpened = false;
    this.handler.close(open.local);
  }

  /** A start tag without attributes: "Name", "Name ", "Name/", "Name /". */
  private plainStartTag(tag: string): void {
    let end = tag.length;
    const selfClosing = tag.charCodeAt(end - 1) === 47;
    if (selfClosing) end--;
    while (end > 0 && isSpace(tag.charCodeAt(end - 1))) end--;
    if (end === 0 || !isNameStart(tag.charCodeAt(0))) this.error('invalid element name');
    for (let i = 1; i < end; i++) {
      if (!isNameChar(tag.charCodeAt(i))) {
        if (isSpace(tag.charCodeAt(i))) this.error(`attribute in <${shortName(tag.slice(0, i))}> is not quoted`);
        this.error('invalid element name');
      }
    }
    const qname = end === tag.length ? tag : tag.slice(0, end);
    this.openElement(this.elementName(qname), undefined, selfClosing);
  }

  private openElement(element: ElementName, attrs: Record<string, string> | undefined, selfClosing: boolean): void {
    if (this.stack.length === 0) {
      if (this.rootSeen || this.rootClosed) this.error(`a second root element <${shortName(element.qname)}>`);
      this.rootSeen = true;
    }
    if (this.stack.length >= this.limits.depth) this.error(`elements are nested deeper than ${this.limits.depth} levels`);
    const last = this.last;
    if (last !== undefined && element.qname.length <= NAME_TABLE_LENGTH) {
      if (this.lastOpened) last.afterOpen = element;
      else last.afterClose = element;
    }
    this.last = element;
    this.lastOpened = true;
    this.stack.push(element);
    this.handler.open(element.local, attrs, element.qname);
    if (selfClosing) {
      this.stack.pop();
      if (this.stack.length === 0) this.rootClosed = true;
      this.lastOpened = false;
      this.handler.close(element.local);
    }
  }

  /** The name table's entry for the name written at `buf[from, from + length)` (hashed `bucket`), if it has one. */
  private knownName(buf: string, from: number, length: number, bucket: number): ElementName | undefined {
    const candidates = this.names[bucket];
    if (candidates === undefined) return undefined;
    for (let j = 0; j < candidates.length; j++) {
      const qname = candidates[j]!.qname;
      if (qname.length === length && buf.startsWith(qname, from)) return candidates[j];
    }
    return undefined;
  }

  /** The valid element name `qname` with its local name and text limit, from the name table when it is there. */
  private elementName(qname: string): ElementName {
    const bucket = nameHash(qname);
    const known = this.knownName(qname, 0, qname.length, bucket);
    if (known !== undefined) return known;
    const colon = qname.indexOf(':');
    const local = colon === -1 ? qname : qname.slice(colon + 1);
    const element: ElementName = { qname: canonical(qname), local: canonical(local), limit: this.handler.textLimit?.(local) ?? this.limits.text, afterOpen: undefined, afterClose: undefined };
    if (this.nameCount < NAME_TABLE && qname.length <= NAME_TABLE_LENGTH) {
      (this.names[bucket] ??= []).push(element);
      this.nameCount++;
    }
    return element;
  }

  private startTag(buf: string, from: number, to: number): void {
    let i = from;
    if (!isNameStart(buf.charCodeAt(i))) this.error('invalid element name');
    while (i < to && isNameChar(buf.charCodeAt(i))) i++;
    const qname = buf.slice(from, i);
    let selfClosing = false;
    let attrs: Record<string, string> | undefined;
    for (;;) {
      const spaceStart = i;
      while (i < to && isSpace(buf.charCodeAt(i))) i++;
      if (i >= to) break;
      const c = buf.charCodeAt(i);
      if (c === 47 /* / */) {
        if (i + 1 !== to) this.error(`unexpected "/" in <${shortName(qname)}>`);
        selfClosing = true;
        break;
      }
      const element = shortName(qname);
      if (i === spaceStart) this.error(`attributes of <${element}> must be separated by whitespace`);
      const nameStart = i;
      if (!isNameStart(c)) this.error(`invalid attribute name in <${element}>`);
      while (i < to && isNameChar(buf.charCodeAt(i))) i++;
      const attrName = buf.slice(nameStart, i);
      const attribute = shortName(attrName);
      while (i < to && isSpace(buf.charCodeAt(i))) i++;
      if (buf.charCodeAt(i) !== 61 /* = */) this.error(`attribute ${attribute} of <${element}> has no value`);
      i++;
      while (i < to && isSpace(buf.charCodeAt(i))) i++;
      const q = buf.charCodeAt(i);
      if (q !== 34 && q !== 39) this.error(`attribute ${attribute} of <${element}> is not quoted`);
      const close = buf.indexOf(q === 34 ? '"' : "'", i + 1);
      if (close === -1 || close > to) this.error(`attribute ${attribute} of <${element}> is not terminated`);
      attrs ??= {};
      if (Object.prototype.hasOwnProperty.call(attrs, attrName)) this.error(`duplicate attribute ${attribute} in <${element}>`);
      attrs[attrName] = this.decodeText(buf.slice(i + 1, close));
      i = close + 1;
    }
    this.openElement(this.elementName(qname), attrs, selfClosing);
  }

  private decodeText(raw: string): string {
    if (raw.indexOf('&') === -1) return raw;
    return raw.replace(ENTITY, (whole, name: string) => {
      if (!whole.endsWith(';')) this.error('"&" must start an entity reference ("&amp;" for a literal ampersand)');
      const known = PREDEFINED[name];
      if (known !== undefined) return known;
      let code = Number.NaN;
      if (/^#x[0-9a-fA-F]{1,6}$/.test(name)) code = Number.parseInt(name.slice(2), 16);
      else if (/^#[0-9]{1,7}$/.test(name)) code = Number.parseInt(name.slice(1), 10);
      else this.error('unknown entity reference (only &lt; &gt; &amp; &quot; &apos; and character references)');
      if (!(code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff))) {
        this.error('a character reference is not a valid XML character');
      }
      return String.fromCodePoint(code);
    });
  }
}
