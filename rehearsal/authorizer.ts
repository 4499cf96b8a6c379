/**
 * Who may do what in the rehearsal (IAM-1): the IAM contract of the synthesized environment
 * (rehearsal/iam: role policies, permissions boundaries, resource and key policies), behind the
 * `RequestAuthorizer` interface of rehearsal/iam/contract.ts.
 */
import type { Deployment } from './deployment';
import type { RequestAuthorizer } from './iam/contract';
import { loadIamContract } from './iam';

export interface LoadedAuthorizer {
  authorizer: RequestAuthorizer;
  kind: 'iam-contract' | 'injected';
  detail: string;
}

export function loadAuthorizer(deployment: Pick<Deployment, 'env'>, synthDir: string): LoadedAuthorizer {
  return { authorizer: loadIamContract(synthDir, deployment.env), kind: 'iam-contract', detail: `IAM contract (rehearsal/iam: role policies, boundaries, resource and key policies) of ${synthDir}` };
}
