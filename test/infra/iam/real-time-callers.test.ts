/**
 * MODE-4: who may invoke the deployed `authorise` function. Each environment's `realTimeCallers`
 * (environments/*.ts) becomes one permission naming exactly that role; the synthesized resource
 * policy of the function is evaluated (rehearsal/iam evaluator) for the configured callers and
 * for generated principals that differ from them in one part (another role of the caller's
 * account, the same role name in another account, a user, the account root), and on the other
 * functions. A caller in another account needs both its own identity policy and our resource
 * policy: each call here carries an identity policy allowing it, so the resource policy decides.
 */
import fc from 'fast-check';
import { evaluate, loadIamContract, type IamContractImpl } from '../../../rehearsal/iam';
import type { PolicyDocument } from '../../../rehearsal/iam/model';
import { checkRealTimeCallers, realTimeCallerArn } from '../../../stacks/app-stack';
import { buildLedgerline } from '../../../stacks/ledgerline';
import type { EnvironmentConfig, RealTimeCaller } from '../../../environments/types';
import { dev } from '../../../environments/dev';
import { SYNTHESIZED_SCOPES, cleanupSynth } from '../support/synth';
import { stacksDir } from './support/stacks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withPlainStacks } from '../../support/plain-stacks';

const contracts = new Map<string, IamContractImpl>();
function contract(env: string): IamContractImpl {
  if (!contracts.has(env)) contracts.set(env, loadIamContract(stacksDir(), env));
  return contracts.get(env)!;
}

afterAll(cleanupSynth);

// Synthesizing every stack and loading each contract takes tens of seconds on a loaded machine.
beforeAll(() => {
  for (const [scope] of SYNTHESIZED_SCOPES) contract(scope);
}, 600_000);

/** May `principalArn` (an assumed-role session or a user/root ARN) invoke `functionArn` in `env`, its own account allowing it? */
function mayInvoke(env: string, principalArn: string, principalAccount: string, functionArn: string): { allowed: boolean; reason?: string } {
  const model = contract(env).model;
  const target = model.resourcePolicies.get(functionArn);
  const callerOwnPolicy: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn }] };
  const decision = evaluate(
    {
      principal: principalArn,
      action: 'lambda:InvokeFunction',
      resource: functionArn,
      accountId: model.account,
      context: {
        'aws:SecureTransport': 'true',
        'aws:RequestedRegion': model.region,
        'aws:PrincipalAccount': principalAccount,
        'aws:PrincipalArn': principalArn.replace(/^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.*$/, 'arn:aws:iam::$1:role/$2'),
        'aws:PrincipalIsAWSService': 'false',
      },
      caller: `caller ${principalArn}`,
    },
    {
      identity: [{ address: `the caller's own account (${principalAccount})`, document: callerOwnPolicy }],
      ...(target ? { resource: { addresses: target.addresses, document: target.document } } : {}),
    },
  );
  return decision;
}

const session = (caller: RealTimeCaller, name = 'switch') => `arn:aws:sts::${caller.accountId}:assumed-role/${caller.roleName}/${name}`;
const functionArn = (env: string, fn: string) => {
  const model = contract(env).model;
  return `arn:aws:lambda:${model.region}:${model.account}:function:ledgerline-${env}-${fn}`;
};

describe.each(SYNTHESIZED_SCOPES.map(([scope, config]) => [scope, config] as const))('MODE-4: who may invoke authorise in %s', (env, config: EnvironmentConfig) => {
  it('every configured real-time caller may invoke authorise, and only authorise', () => {
    expect(config.realTimeCallers.length).toBeGreaterThan(0);
    for (const caller of config.realTimeCallers) {
      const allowed = mayInvoke(env, session(caller), caller.accountId, functionArn(env, 'authorise'));
      expect([caller.roleName, allowed.allowed, allowed.reason]).toEqual([caller.roleName, true, undefined]);
      for (const other of ['ingest-batch', 'flow-auditor', 'sweeper', 'reconcile-workbench']) {
        expect([other, mayInvoke(env, session(caller), caller.accountId, functionArn(env, other)).allowed]).toEqual([other, false]);
      }
    }
  });

  it('a principal differing from a configured caller in any one part may not (generated)', () => {
    const callers = config.realTimeCallers;
    const configured = new Set(callers.map(realTimeCallerArn));
    const roleName = fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,64}$/);
    const account = fc.stringMatching(/^\d{12}$/);
    const principal = fc.oneof(
      // Another role of a caller's account.
      fc.tuple(fc.constantFrom(...callers), roleName).map(([caller, name]) => ({ arn: session({ ...caller, roleName: name }), account: caller.accountId })),
      // The same role name in another account (ours included).
      fc.tuple(fc.constantFrom(...callers), fc.oneof(account, fc.constant(contract(env).model.account))).map(([caller, other]) => ({ arn: session({ ...caller, accountId: other }), account: other })),
      // A user of the caller's account, the caller's account root.
      fc.tuple(fc.constantFrom(...callers), roleName).map(([caller, name]) => ({ arn: `arn:aws:iam::${caller.accountId}:user/${name}`, account: caller.accountId })),
      fc.constantFrom(...callers).map((caller) => ({ arn: `arn:aws:iam::${caller.accountId}:root`, account: caller.accountId })),
    );
    fc.assert(
      fc.property(principal, ({ arn, account: principalAccount }) => {
        const asRole = arn.replace(/^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.*$/, 'arn:aws:iam::$1:role/$2');
        fc.pre(!configured.has(asRole));
        // A role of our own account is judged by its identity policy too (same account): only other accounts are decided by the resource policy alone.
        fc.pre(principalAccount !== contract(env).model.account);
        const decision = mayInvoke(env, arn, principalAccount, functionArn(env, 'authorise'));
        expect([arn, decision.allowed]).toEqual([arn, false]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('MODE-4: the real-time callers of an environment are checked at synth', () => {
  const valid: RealTimeCaller = { accountId: '444444444444', roleName: 'card-switch', description: 'Card switch' };
  it.each([
    ['an account id that is not 12 digits', { ...valid, accountId: '4444' }, /accountId must be 12 digits/],
    ['a role name with a path', { ...valid, roleName: 'path/card-switch' }, /roleName must be an IAM role name/],
    ['an empty role name', { ...valid, roleName: '' }, /roleName must be an IAM role name/],
    ['a role name over 64 characters', { ...valid, roleName: 'r'.repeat(65) }, /roleName must be an IAM role name/],
    ['no description', { ...valid, description: ' ' }, /description must say who the caller is/],
  ])('refuses %s, naming the environment and the caller', (_what, caller, message) => {
    expect(() => checkRealTimeCallers({ name: 'dev', realTimeCallers: [caller as RealTimeCaller] })).toThrow(message);
    expect(() => checkRealTimeCallers({ name: 'dev', realTimeCallers: [caller as RealTimeCaller] })).toThrow(/^environment dev: realTimeCallers /);
  });

  it('refuses a caller listed twice; accepts an empty list (nobody may invoke authorise)', () => {
    expect(() => checkRealTimeCallers({ name: 'prod', realTimeCallers: [valid, { ...valid, description: 'again' }] })).toThrow(/environment prod: .*listed twice/);
    expect(checkRealTimeCallers({ name: 'prod', realTimeCallers: [] })).toEqual([]);
  });

  it('an environment without callers synthesizes no permission on authorise', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ledgerline-callers-'));
    try {
      const built = withPlainStacks(() => buildLedgerline({ assetMode: 'placeholder', outdir, environments: [{ ...dev, realTimeCallers: [] }], tooling: false }));
      const permissions = built.environments[0]!.app.node.findAll().filter((node) => node.node.id.startsWith('authorise-caller-'));
      expect(permissions).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
