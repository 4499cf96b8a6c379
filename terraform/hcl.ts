/**
 * Writing `.tftest.hcl`: literal values (strings escaped so `${` / `%{` stay literal), and the
 * expressions the generated assertions are made of. Every helper returns HCL source text.
 *
 * IAM checks (`grants`) follow IAM's matching: an Allow statement grants an action on a
 * resource when one of its actions and one of its resources match, `*` matching any run of
 * characters (so `s3:GetObject*` grants s3:GetObject, `arn:…:bucket/parked/*` the objects under
 * parked/). They are evaluated by Terraform on the PLANNED policy, after every interpolation.
 */

export type HclValue = string | number | boolean | null | readonly HclValue[] | { readonly [key: string]: HclValue };

/** A quoted HCL string literal: JSON escapes, and template introducers doubled. */
export function str(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

/** Any JSON-like value as an HCL literal (objects with quoted keys, so any key is allowed). */
export function lit(value: HclValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`lit: ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((item: HclValue) => lit(item)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, HclValue>);
  return `{ ${entries.map(([key, item]) => `${str(key)} = ${lit(item)}`).join(', ')} }`;
}

/** A multi-line object literal (for override blocks: one attribute per line, readable in failures). */
export function block(values: Readonly<Record<string, HclValue>>, indent = '    '): string {
  const lines = Object.entries(values).map(([key, value]) => `${indent}${/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : str(key)} = ${lit(value)}`);
  return `{\n${lines.join('\n')}\n${indent.slice(2)}}`;
}

/** `jsondecode(<expr>).Statement` of a policy-document attribute. */
function statements(policy: string): string {
  return `jsondecode(${policy}).Statement`;
}

/** HCL: the anchored regex of IAM pattern `x` (an expression): metacharacters escaped, `*` → `.*`. */
function iamRegex(x: string): string {
  return '"^${' + String.raw`replace(replace(${x}, "/([.+?^$()\\[\\]{}|\\\\])/", "\\$1"), "*", ".*")` + '}$"';
}

export interface Permission {
  action: string;
  resource: string;
  /** Why it is needed (shown when it is missing). */
  why?: string;
}

/**
 * HCL: the permissions of `wanted` that the policy document `policy` (an expression) does NOT
 * Allow (or, with effect Deny, does not deny), as "<action> on <resource>" strings. The policy is
 * decoded and its patterns turned into regexes once (bound through a one-element `for`).
 */
export function notCovered(policy: string, wanted: readonly Permission[], effect: 'Allow' | 'Deny' = 'Allow'): string {
  const compiled = `[for s in ${statements(policy)} : { effect = s.Effect, actions = [for a in flatten([s.Action]) : ${iamRegex('a')}], resources = [for r in flatten([try(s.Resource, [])]) : ${iamRegex('r')}] }]`;
  const list = lit(wanted.map((permission) => ({ action: permission.action, resource: permission.resource, why: permission.why ? ` (${permission.why})` : '' })));
  return (
    `one([for st in [${compiled}] : [for n in ${list} : "\${n.action} on \${n.resource}\${n.why}" if !anytrue([for s in st : ` +
    `s.effect == "${effect}" && anytrue([for p in s.actions : can(regex(p, n.action))]) && anytrue([for p in s.resources : can(regex(p, n.resource))])])]])`
  );
}

/** HCL: the permissions of `wanted` that the policy DOES Allow. */
export function covered(policy: string, wanted: readonly Permission[]): string {
  const compiled = `[for s in ${statements(policy)} : { effect = s.Effect, actions = [for a in flatten([s.Action]) : ${iamRegex('a')}], resources = [for r in flatten([try(s.Resource, [])]) : ${iamRegex('r')}] }]`;
  const list = lit(wanted.map((permission) => ({ action: permission.action, resource: permission.resource })));
  return (
    `one([for st in [${compiled}] : [for n in ${list} : "\${n.action} on \${n.resource}" if anytrue([for s in st : ` +
    `s.effect == "Allow" && anytrue([for p in s.actions : can(regex(p, n.action))]) && anytrue([for p in s.resources : can(regex(p, n.resource))])])]])`
  );
}

/** HCL: a one-line summary of a policy's statements (for failure messages). */
export function policySummary(policy: string): string {
  return 'join("; ", [for s in ' + statements(policy) + ' : "${try(s.Sid, "-")}: ${join(",", flatten([s.Action]))} on ${join(",", flatten([try(s.Resource, [])]))}"])';
}

/** HCL string template that interpolates an expression (for failure messages). */
export function show(expression: string): string {
  return '${' + expression + '}';
}

/** `jsonencode(x)` inside a message: shows lists/objects whatever their type. */
export function showJson(expression: string): string {
  return '${jsonencode(' + expression + ')}';
}
