/**
 * Notification templates as versioned data (NOTIFY-1): validation and selection.
 *
 * A template is one JSON document (config/templates/<purpose>/<channel>.<locale>.v<version>.json,
 * schema: schemas/template.schema.json) with an id, a version, its purpose, channel, language and
 * optional region, and its parts: `subject` (email, push), `text` (every channel), `html` (email).
 * Parts use `{{variable}}` placeholders; a template naming a variable its purpose does not declare
 * (./catalogue.ts) is refused when it is loaded, never when a customer is waiting for it.
 *
 * Selection (the fallback chain), for a purpose, channel, language and region:
 *   1. language + region   (de-CH)
 *   2. language            (de)
 *   3. the default language + region, then the default language alone (en-CH, en)
 * and within a step the highest version. No match at all is a NoTemplateError that names the
 * purpose, the channel and every locale tried.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { Channel, Purpose, VariableKind } from './catalogue';
import { isChannel, isPurpose, variablesOf } from './catalogue';
import templateSchema from '../../schemas/template.schema.json';

export interface Template {
  id: string;
  version: number;
  purpose: Purpose;
  channel: Channel;
  language: string;
  region?: string;
  subject?: string;
  text: string;
  html?: string;
  description?: string;
}

export type TemplatePart = 'subject' | 'text' | 'html';

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export class NoTemplateError extends Error {
  override name = 'NoTemplateError';
  constructor(
    readonly purpose: string,
    readonly channel: string,
    readonly tried: readonly string[],
  ) {
    super(`no template for ${purpose} on ${channel}: tried ${tried.join(' → ')}`);
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
const STRAY_BRACES = /\{\{|\}\}/;

/** The variable names a part uses, in order of first use. */
export function placeholdersOf(part: string): string[] {
  const names: string[] = [];
  for (const match of part.matchAll(PLACEHOLDER)) if (!names.includes(match[1]!)) names.push(match[1]!);
  return names;
}

let compiled: ValidateFunction<Template> | undefined;
/** The schema validator, compiled on first use (a process that loads no template does not pay for it). */
function validateShape(document: unknown): document is Template {
  compiled ??= new Ajv({ allErrors: true, strict: true }).compile<Template>(templateSchema);
  return compiled(document);
}

/** The id a template must have: `<purpose>/<channel>/<language>[-<REGION>]`. */
export function templateIdOf(template: Pick<Template, 'purpose' | 'channel' | 'language' | 'region'>): string {
  return `${template.purpose}/${template.channel}/${template.language}${template.region ? `-${template.region}` : ''}`;
}

/**
 * Validates one template document (`source` names it in errors): the schema, then what a schema
 * cannot say: its id matches its purpose, channel and locale; the parts its channel needs are
 * there and no others; every placeholder is a variable of its purpose, used where its kind fits.
 */
export function parseTemplate(document: unknown, source: string): Template {
  if (!validateShape(document)) {
    const problems = (compiled?.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
    throw new TemplateError(`${source}: ${problems.join('; ')}`);
  }
  const template = document;
  if (!isPurpose(template.purpose)) throw new TemplateError(`${source}: /purpose "${template.purpose}" is not a purpose`);
  if (!isChannel(template.channel)) throw new TemplateError(`${source}: /channel "${template.channel}" is not a channel`);
  const expectedId = templateIdOf(template);
  if (template.id !== expectedId) throw new TemplateError(`${source}: /id is "${template.id}", expected "${expectedId}" (purpose/channel/locale)`);
  const needsSubject = template.channel === 'email' || template.channel === 'push';
  if (needsSubject && template.subject === undefined) throw new TemplateError(`${source}: /subject is required on ${template.channel}`);
  if (!needsSubject && template.subject !== undefined) throw new TemplateError(`${source}: /subject is not used on ${template.channel}`);
  if (template.channel !== 'email' && template.html !== undefined) throw new TemplateError(`${source}: /html is only for email`);
  const variables = variablesOf(template.purpose);
  for (const part of ['subject', 'text', 'html'] as const) {
    const content = template[part];
    if (content === undefined) continue;
    const withoutPlaceholders = content.replace(PLACEHOLDER, '');
    if (STRAY_BRACES.test(withoutPlaceholders)) throw new TemplateError(`${source}: /${part} has a "{{" or "}}" that is not a {{variable}}`);
    for (const name of placeholdersOf(content)) {
      const kind: VariableKind | undefined = variables[name];
      if (!kind) throw new TemplateError(`${source}: /${part} uses {{${name}}}, not a variable of ${template.purpose} (${Object.keys(variables).join(', ')})`);
    }
  }
  return template;
}

export interface TemplateRequest {
  purpose: Purpose;
  channel: Channel;
  language: string;
  region?: string;
}

/** The locales tried for `request`, in order (the fallback chain). */
export function fallbackChain(request: Pick<TemplateRequest, 'language' | 'region'>, defaultLanguage: string): { language: string; region?: string }[] {
  const steps: { language: string; region?: string }[] = [];
  const add = (language: string, region?: string) => {
    if (!steps.some((step) => step.language === language && step.region === region)) steps.push(region ? { language, region } : { language });
  };
  if (request.region) add(request.language, request.region);
  add(request.language);
  if (request.region) add(defaultLanguage, request.region);
  add(defaultLanguage);
  return steps;
}

/** The template for `request` by the fallback chain (highest version within a step). */
export function selectTemplate(templates: readonly Template[], request: TemplateRequest, defaultLanguage: string): Template {
  const chain = fallbackChain(request, defaultLanguage);
  for (const step of chain) {
    let best: Template | undefined;
    for (const template of templates) {
      if (template.purpose !== request.purpose || template.channel !== request.channel) continue;
      if (template.language !== step.language || template.region !== step.region) continue;
      if (!best || template.version > best.version) best = template;
    }
    if (best) return best;
  }
  throw new NoTemplateError(
    request.purpose,
    request.channel,
    chain.map((step) => (step.region ? `${step.language}-${step.region}` : step.language)),
  );
}

/**
 * Checks a template set as a whole: each (id, version) once, and the default language covers every
 * purpose on every channel some template of that purpose uses, so the chain always ends somewhere.
 */
export function checkTemplateSet(templates: readonly Template[], defaultLanguage: string): void {
  const seen = new Set<string>();
  for (const template of templates) {
    const key = `${template.id}@${template.version}`;
    if (seen.has(key)) throw new TemplateError(`template ${template.id} version ${template.version} is defined twice`);
    seen.add(key);
  }
  for (const template of templates) {
    const covered = templates.some((other) => other.purpose === template.purpose && other.channel === template.channel && other.language === defaultLanguage && other.region === undefined);
    if (!covered) throw new TemplateError(`${template.purpose} on ${template.channel} has no ${defaultLanguage} template without a region (the end of the fallback chain)`);
  }
}
