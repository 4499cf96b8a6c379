/**
 * The Step Functions definitions kept in the repo (workflows/*.asl.json): valid ASL as written,
 * valid as deployed (placeholders substituted, read back from the synthesized state machines),
 * and the posting redrive run locally with aws-local-stepfunctions.
 */
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { WORKFLOW_FILES, loadWorkflow, substitute, workflowPlaceholders, type WorkflowName } from '../../stacks/workflows';
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { EventTypes } from '../../src/domain/events';
import { cleanupSynth, model } from './support/synth';

afterAll(cleanupSynth);

const WORKFLOWS = Object.keys(WORKFLOW_FILES) as WorkflowName[];

function validate(definition: unknown): string[] {
  const { isValid, errors } = aslValidator(definition as object);
  return isValid ? [] : errors.map((error) => JSON.stringify(error));
}

describe.each(WORKFLOWS)('%s ASL', (name) => {
  test('is valid as kept in the repo', () => {
    expect(validate(loadWorkflow(name))).toEqual([]);
  });

  test.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('is valid as deployed in %s', (_env, config) => {
    const names = Names.of(config);
    const machineName = names.stateMachineName(name === 'redrive' ? names.redriveStateMachine : names.reconciliationStateMachine);
    const machine = model(config.name)
      .of('aws_sfn_state_machine')
      .find((candidate) => candidate.config.name === machineName);
    expect(machine).toBeDefined();
    // Values AWS generates (e.g. the Redshift admin secret ARN) stay Terraform references; nothing else may.
    const definition = String(machine!.config.definition);
    const terraformReferences = /\$\{(data\.terraform_remote_state|aws_)[^}]+\}/g;
    const resolved = definition.replace(terraformReferences, 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:resolved-by-terraform');
    expect(resolved).not.toContain('${');
    const deployed = JSON.parse(resolved) as unknown;
    expect(workflowPlaceholders(deployed)).toEqual([]);
    expect(validate(deployed)).toEqual([]);
  });
});

test('placeholders must all be substituted, and nothing else', () => {
  const definition = loadWorkflow('redrive');
  expect(workflowPlaceholders(definition)).toEqual(['EventBusName']);
  expect(() => substitute(definition, {})).toThrow(/missing EventBusName/);
  expect(() => substitute(definition, { EventBusName: 'bus', Extra: 'x' })).toThrow(/unused Extra/);
});

test('reconciliation: Parameter Store → normalise → Glue (.sync) → Distributed Map of a Lambda per partition → summarise → Redshift Data API → raise workbench cases → SNS', () => {
  type State = { Type: string; Resource?: string; Next?: string; Default?: string; ItemProcessor?: { ProcessorConfig: { Mode: string }; States: Record<string, { Resource?: string }> } };
  const states = (loadWorkflow('reconciliation') as { StartAt: string; States: Record<string, State> }).States;
  const happyPath = ['LoadConfiguration', 'Normalise', 'AlreadyReconciled', 'TransformToParquet', 'EmrConfigured', 'MatchPartitions', 'Summarise', 'LoadResults'];
  expect(happyPath.slice(0, -1).map((name) => states[name]!.Next ?? states[name]!.Default)).toEqual(happyPath.slice(1));
  // REC-EMR-1: a configured large run takes the EMR Serverless job instead of the Distributed Map.
  const choiceTargets = (name: string) => (states[name] as unknown as { Choices: { Next: string }[] }).Choices.map((choice) => choice.Next);
  expect([choiceTargets('EmrConfigured'), choiceTargets('LargeRun'), states.LargeRun!.Default, states.MatchOnEmr!.Next]).toEqual([['LargeRun'], ['MatchOnEmr'], 'MatchPartitions', 'Summarise']);
  expect(states.MatchOnEmr!.Resource).toBe('arn:aws:states:::emr-serverless:startJobRun.sync');
  expect(states.LoadConfiguration!.Resource).toBe('arn:aws:states:::aws-sdk:ssm:getParameter');
  expect(states.Normalise!.Resource).toBe('arn:aws:states:::lambda:invoke');
  expect(states.TransformToParquet!.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
  expect(states.MatchPartitions!.ItemProcessor!.ProcessorConfig.Mode).toBe('DISTRIBUTED');
  expect(states.MatchPartitions!.ItemProcessor!.States.MatchPartition!.Resource).toBe('arn:aws:states:::lambda:invoke');
  expect(states.Summarise!.Resource).toBe('arn:aws:states:::lambda:invoke');
  expect(states.RaiseCases!.Resource).toBe('arn:aws:states:::lambda:invoke');
  expect(states.LoadResults!.Resource).toMatch(/^arn:aws:states:::aws-sdk:redshiftdata:/);
  expect(states.NotifySummary!.Resource).toBe('arn:aws:states:::sns:publish');
  expect(states.NotifyFailure!.Resource).toBe('arn:aws:states:::sns:publish');
});

describe('posting redrive, run locally', () => {
  const envelope = {
    id: 'evt_01',
    type: EventTypes.rulesDecided,
    version: 1,
    occurredAt: '2026-01-02T03:04:05.000Z',
    correlationId: 'corr_01',
    causationId: 'evt_00',
    source: 'ledgerline.rules',
    data: { decision: { outcome: 'approve' }, amount: { value: '12.34', currency: 'GBP' } },
  };
  const busName = Names.of(ENVIRONMENTS[0]!).busName;
  const definition = substitute(loadWorkflow('redrive'), { EventBusName: busName });

  test('puts the envelope back on the bus as a producer would (DetailType = type, Source = source, Detail = envelope)', async () => {
    const calls: unknown[] = [];
    const machine = new StateMachine(definition as ConstructorParameters<typeof StateMachine>[0]);
    const execution = machine.run(envelope, {
      overrides: {
        taskResourceLocalHandlers: {
          PutEnvelopeOnBus: (input) => {
            calls.push(input);
            return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
          },
        },
      },
    });
    const result = (await execution.result) as Record<string, unknown>;
    expect(calls).toEqual([{ Entries: [{ EventBusName: busName, DetailType: envelope.type, Source: envelope.source, Detail: envelope }] }]);
    expect(result).toMatchObject({ ...envelope, redrive: { failedEntryCount: 0 } });
  });

  test('fails (the transaction stays RETRYING) when EventBridge rejects the entry', async () => {
    const machine = new StateMachine(definition as ConstructorParameters<typeof StateMachine>[0]);
    const execution = machine.run(envelope, {
      overrides: { taskResourceLocalHandlers: { PutEnvelopeOnBus: () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] }) } },
    });
    await expect(execution.result).rejects.toThrow(/EventBridge rejected the re-driven event/);
  });
});
