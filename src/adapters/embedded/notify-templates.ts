/**
 * Templates from a directory (NOTIFY-1): every `*.json` under it (config/templates by default),
 * each validated (src/notify/template.ts) and its file name checked against its id and version
 * (`<purpose>/<channel>.<locale>.v<version>.json`), the set checked whole (each id and version
 * once; the default language ends every chain). Loaded once, on first use.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { Template } from '../../notify/template';
import { checkTemplateSet, parseTemplate, TemplateError } from '../../notify/template';
import type { TemplateStore } from '../../ports/notify';

/**
 * The repository's templates, config/templates: `LEDGERLINE_TEMPLATES_DIR` if set, else the first
 * `config/templates` found walking up from this module (a checkout: three levels up; a bundle in
 * dist/ or /var/task: beside or above it, where the build copies them), else under the working
 * directory.
 */
export function defaultTemplatesDir(): string {
  const configured = process.env.LEDGERLINE_TEMPLATES_DIR;
  if (configured) return configured;
  let dir = __dirname;
  for (let level = 0; level < 6; level += 1) {
    const candidate = join(dir, 'config', 'templates');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'config', 'templates');
}

function jsonFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...jsonFiles(path));
    else if (name.endsWith('.json')) files.push(path);
  }
  return files;
}

/** Reads and validates every template under `dir`. */
export function loadTemplates(dir: string, defaultLanguage: string): Template[] {
  const templates: Template[] = [];
  for (const file of jsonFiles(dir)) {
    const source = relative(dir, file) || file;
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new TemplateError(`${source}: not JSON (${(error as Error).message})`);
    }
    const template = parseTemplate(document, source);
    const expected = `${template.purpose}/${template.channel}.${template.language}${template.region ? `-${template.region}` : ''}.v${template.version}.json`;
    const actual = `${basename(dirname(file))}/${basename(file)}`;
    if (actual !== expected) throw new TemplateError(`${source}: a template of id ${template.id} version ${template.version} belongs in ${expected}`);
    templates.push(template);
  }
  if (templates.length === 0) throw new TemplateError(`${dir}: no templates`);
  checkTemplateSet(templates, defaultLanguage);
  return templates;
}

export class FileTemplateStore implements TemplateStore {
  private loaded: readonly Template[] | undefined;

  constructor(
    private readonly dir: string = defaultTemplatesDir(),
    private readonly defaultLanguage = 'en',
  ) {}

  async all(): Promise<readonly Template[]> {
    this.loaded ??= loadTemplates(this.dir, this.defaultLanguage);
    return this.loaded;
  }
}
