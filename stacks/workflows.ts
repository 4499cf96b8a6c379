/**
 * The Step Functions definitions live in the repo as ASL (workflows/*.asl.json), validated by
 * asl-validator in tests. Deployment-specific values are `${Name}` placeholders inside string
 * values; `renderWorkflow` substitutes them (values may be CDKTF tokens) and refuses unknown or
 * unused placeholders, so a definition and its stack cannot drift apart silently.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WORKFLOWS_DIR = resolve(__dirname, '..', 'workflows');

export const WORKFLOW_FILES = {
  redrive: 'posting-redrive.asl.json',
  reconciliation: 'reconciliation.asl.json',
} as const;
export type WorkflowName = keyof typeof WORKFLOW_FILES;

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;

export function loadWorkflow(name: WorkflowName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(WORKFLOWS_DIR, WORKFLOW_FILES[name]), 'utf8')) as Record<string, unknown>;
}

/** The placeholder names a definition uses. */
export function workflowPlaceholders(definition: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') for (const match of value.matchAll(PLACEHOLDER)) found.add(match[1]!);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(definition);
  return [...found].sort();
}

export function substitute(definition: unknown, values: Readonly<Record<string, string>>): unknown {
  const used = workflowPlaceholders(definition);
  const missing = used.filter((name) => !(name in values));
  const unused = Object.keys(values).filter((name) => !used.includes(name));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(`workflow placeholders: missing ${missing.join(', ') || 'none'}; unused ${unused.join(', ') || 'none'}`);
  }
  const visit = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(PLACEHOLDER, (_, name: string) => values[name]!);
    if (Array.isArray(value)) return value.map(visit);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, visit(inner)]));
    return value;
  };
  return visit(definition);
}

/** The definition string for `aws_sfn_state_machine.definition`. */
export function renderWorkflow(name: WorkflowName, values: Readonly<Record<string, string>>): string {
  return JSON.stringify(substitute(loadWorkflow(name), values));
}
