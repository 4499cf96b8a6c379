/**
 * Rendering a template with a notification's variables (NOTIFY-1, PCI-3).
 *
 * Each variable is formatted by its kind (./catalogue.ts, ./format.ts) for the template's language
 * and the recipient's region and time zone: money exactly from its decimal string, a card only as
 * the last four characters of its token. Free text has every card number withheld
 * (`[REDACTED-PAN]`) and control characters removed; in the HTML part every variable is escaped;
 * in a subject line breaks become spaces (no header injection). A rendered part that would still
 * hold a card number (in any spelling) is refused: the message is never produced.
 */
import type { Money } from '../domain/money';
import { containsPan, redactPans } from '../domain/pan';
import type { Purpose, VariableKind } from './catalogue';
import { variablesOf } from './catalogue';
import { canonicalMoney, cardSuffix, formatCard, formatCount, formatDateTime, formatMoney, FormatError, localeOf } from './format';
import type { Template, TemplatePart } from './template';

/** A card is passed by its token, never its number. */
export interface CardRef {
  panToken: string;
}

export type VariableValue = string | number | Money | CardRef;
export type Variables = Readonly<Record<string, VariableValue | undefined>>;

export interface RenderContext {
  /** The recipient's region (ISO 3166-1 alpha-2), for number and date conventions; absent = the language's own. */
  region?: string;
  /** IANA time zone for dates; UTC by default. */
  timeZone?: string;
}

export interface RenderedMessage {
  templateId: string;
  templateVersion: number;
  locale: string;
  subject?: string;
  text: string;
  html?: string;
}

export class RenderError extends Error {
  override name = 'RenderError';
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/g;
const LINE_BREAKS = /[\r\n\t]+/g;

function isMoney(value: unknown): value is Money {
  return typeof value === 'object' && value !== null && typeof (value as Money).value === 'string' && typeof (value as Money).currency === 'string';
}

function isCard(value: unknown): value is CardRef {
  return typeof value === 'object' && value !== null && typeof (value as CardRef).panToken === 'string';
}

/** Free text as it may appear in a message: card numbers withheld, control characters removed. */
export function safeText(value: string): string {
  return redactPans(value.replace(CONTROL, ''));
}

/** An identifier as it may appear in a message: card numbers judged as in identifier fields (PCI-2) and withheld, control characters removed. */
export function safeIdentifier(value: string): string {
  return redactPans(value.replace(CONTROL, ''), 'identifier');
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

function formatVariable(name: string, kind: VariableKind, value: VariableValue | undefined, locale: string, context: RenderContext): string {
  const fault = (what: string) => new RenderError(`variable ${name} (${kind}): ${what}`);
  if (value === undefined) throw fault('missing');
  try {
    switch (kind) {
      case 'text':
        if (typeof value !== 'string') throw fault('expected text');
        return safeText(value);
      case 'identifier':
        if (typeof value !== 'string') throw fault('expected an identifier (text)');
        return safeIdentifier(value);
      case 'money':
        if (!isMoney(value)) throw fault('expected { value, currency }');
        return formatMoney(value, locale);
      case 'card':
        if (!isCard(value)) throw fault('expected { panToken }');
        return formatCard(value.panToken);
      case 'datetime':
        if (typeof value !== 'string') throw fault('expected an ISO 8601 instant');
        return formatDateTime(value, locale, context.timeZone);
      case 'count':
        if (typeof value !== 'number') throw fault('expected an integer');
        return formatCount(value, locale);
    }
  } catch (error) {
    if (error instanceof FormatError) throw fault(error.message);
    throw error;
  }
}

function fill(part: string, values: ReadonlyMap<string, string>, escape: (text: string) => string): string {
  return part.replace(/\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g, (_, name: string) => escape(values.get(name)!));
}

/** Renders `template` with `variables`. Every variable the template uses must be present. */
export function renderTemplate(template: Template, variables: Variables, context: RenderContext = {}): RenderedMessage {
  const locale = localeOf(template.language, context.region ?? template.region);
  const kinds = variablesOf(template.purpose);
  const formatted = new Map<string, string>();
  const used = new Set<string>();
  for (const part of ['subject', 'text', 'html'] as const) {
    for (const match of (template[part] ?? '').matchAll(/\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g)) used.add(match[1]!);
  }
  for (const name of used) {
    const kind = kinds[name];
    if (!kind) throw new RenderError(`${template.id} v${template.version}: {{${name}}} is not a variable of ${template.purpose}`);
    try {
      formatted.set(name, formatVariable(name, kind, variables[name], locale, context));
    } catch (error) {
      throw new RenderError(`${template.id} v${template.version}: ${(error as Error).message}`);
    }
  }
  const parts: Partial<Record<TemplatePart, string>> = {};
  if (template.subject !== undefined) parts.subject = fill(template.subject, formatted, (text) => text.replace(LINE_BREAKS, ' ')).replace(LINE_BREAKS, ' ');
  parts.text = fill(template.text, formatted, (text) => text);
  if (template.html !== undefined) parts.html = fill(template.html, formatted, escapeHtml);
  // The last guard reads each part as free text, with every identifier (already judged with identifier
  // evidence above) standing as a word: a run id's digits are not a card number, but digits the
  // template and the other variables put side by side still are.
  const asChecked = new Map([...formatted].map(([name, value]) => [name, kinds[name] === 'identifier' ? ' ID ' : value]));
  const checked: Partial<Record<TemplatePart, string>> = {};
  if (template.subject !== undefined) checked.subject = fill(template.subject, asChecked, (text) => text);
  checked.text = fill(template.text, asChecked, (text) => text);
  if (template.html !== undefined) checked.html = fill(template.html, asChecked, escapeHtml);
  for (const [part, content] of Object.entries(checked)) {
    if (containsPan(content)) throw new RenderError(`${template.id} v${template.version}: the rendered ${part} would contain a card number; not produced`);
  }
  return { templateId: template.id, templateVersion: template.version, locale, ...parts, text: parts.text };
}

export type WebhookValue = string | number | Money | { last4: string };

/**
 * A notification's variables as a webhook carries them (JSON): text withheld as in a message,
 * money exact and canonical `{ value, currency }`, a card as `{ last4 }` of its token, datetimes
 * as given (ISO 8601), counts as integers. Variables of other purposes are dropped.
 */
export function webhookData(purpose: Purpose, variables: Variables): Record<string, WebhookValue> {
  const data: Record<string, WebhookValue> = {};
  for (const [name, kind] of Object.entries(variablesOf(purpose))) {
    const value = variables[name];
    if (value === undefined) continue;
    try {
      if (kind === 'text' && typeof value === 'string') data[name] = safeText(value);
      else if (kind === 'identifier' && typeof value === 'string') data[name] = safeIdentifier(value);
      else if (kind === 'money' && isMoney(value)) data[name] = canonicalMoney(value);
      else if (kind === 'card' && isCard(value)) data[name] = { last4: cardSuffix(value.panToken) };
      else if (kind === 'datetime' && typeof value === 'string') data[name] = safeText(value);
      else if (kind === 'count' && typeof value === 'number' && Number.isSafeInteger(value)) data[name] = value;
      else throw new RenderError(`variable ${name} (${kind}): wrong type`);
    } catch (error) {
      throw new RenderError(`webhook ${purpose}: ${(error as Error).message}`);
    }
  }
  return data;
}
