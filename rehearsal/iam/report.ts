/**
 * Least privilege the other way round: per role, the (action, resource pattern) pairs its
 * identity policies grant that no authorised call used. A report, not a failure (NFR7: it is read
 * by people); a test pins the known-unused list so it cannot grow unnoticed.
 */
import type { AwsCall, Decision } from './contract';
import { list, type IamModel } from './model';

export interface Grant {
  role: string;
  action: string;
  resource: string;
  /** The identity policy granting it, and the statement. */
  policy: string;
  sid?: string;
}

function glob(pattern: string, caseInsensitive: boolean): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'i' : '');
}

/** Every Allow (action, resource) pair of a role's identity policies (inline and managed). */
export function grantsOf(model: IamModel, roleName: string): Grant[] {
  const role = model.roles.get(roleName);
  if (!role) throw new Error(`no role ${roleName} in environment ${model.tf.env}`);
  const grants: Grant[] = [];
  for (const policy of [...role.inline, ...role.managed]) {
    for (const statement of policy.document.Statement) {
      if (statement.Effect !== 'Allow' || statement.Action === undefined || statement.Resource === undefined) continue;
      for (const action of list(statement.Action)) {
        for (const resource of list(statement.Resource)) grants.push({ role: roleName, action, resource, policy: policy.address, ...(statement.Sid ? { sid: statement.Sid } : {}) });
      }
    }
  }
  return grants;
}

/** Whether an allowed call used the grant (action and resource match its patterns). */
export function usedBy(grant: Grant, call: AwsCall): boolean {
  return call.principal.kind === 'role' && call.principal.roleName === grant.role && glob(grant.action, true).test(call.action) && glob(grant.resource, false).test(call.resource);
}

/**
 * Grants of `roles` (default: every role that made a call) that no call in `log` used. A call
 * denied elsewhere (boundary, bucket policy) still uses the grant: the code needs it.
 */
export function unusedGrants(model: IamModel, log: ReadonlyArray<{ call: AwsCall; decision: Decision }>, roles?: readonly string[]): Grant[] {
  const allowed = log.map((entry) => entry.call);
  const callers = roles ?? [...new Set(log.map((entry) => (entry.call.principal.kind === 'role' ? entry.call.principal.roleName : undefined)).filter((name): name is string => name !== undefined))];
  return callers.flatMap((role) => grantsOf(model, role).filter((grant) => !allowed.some((call) => usedBy(grant, call))));
}

/** A plain-text table: role, action, resource, policy statement. */
export function formatGrants(grants: readonly Grant[]): string {
  const rows = [
    ['role', 'action', 'resource', 'granted by'],
    ...grants.map((grant) => [grant.role, grant.action, grant.resource, `${grant.policy.split('/').pop()}${grant.sid ? ` (${grant.sid})` : ''}`]),
  ];
  const widths = rows[0]!.map((_, column) => Math.min(90, Math.max(...rows.map((row) => row[column]!.length))));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
