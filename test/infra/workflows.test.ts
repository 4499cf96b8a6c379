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
    const deployed = JSON.parse(String(machine!.config.definition)) as unknown;
    expect(workflowPlaceholders(deployed)).toEqual([]);
    expect(JSON.stringify(deployed)).not.toContain('${');
    expect(validate(deployed)).toEqual([]);
  });
});

test('placeholders must all be substituted, and nothing else', () => {
  const definition = loadWorkflow('redrive');
  expect(workflowPlaceholders(definition)).toEqual(['EventBusName']);
  expect(() => substitute(definition, {})).toThrow(/missing EventBusName/);
  expect(() => substitute(definition, { EventBusName: 'bus', Extra: 'x' })).toThrow(/unused Extra/);
});

test('reconciliation: normalise → Glue (.sync) → Distributed Map of a Lambda per partition → Redshift Data API → SNS', () => {
  const definition = loadWorkflow('reconciliation') as { States: Record<string, { Type: string; Resource?: string; Next?: string; ItemProcessor?: { ProcessorConfig: { Mode: string }; States: Record<string, { Resource?: string }> } }> };
  const states = definition.States;
  expect(states.Normalise!.Resource).toBe('arn:aws:states:::lambda:invoke');
  expect(states.TransformToParquet!.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
  expect(states.MatchPartitions!.Type).toBe('Map');
  expect(states.MatchPartitions!.ItemProcessor!.ProcessorConfig.Mode).toBe('DISTRIBUTED');
  expect(states.MatchPartitions!.ItemProcessor!.States.MatchPartition!.Resource).toBe('arn:aws:states:::lambda:invoke');
  expect(states.LoadResults!.Resource).toBe('arn:aws:states:::aws-sdk:redshiftdata:executeStatement');
  expect(states.NotifySummary!.Resource).toBe('arn:aws:states:::sns:publish');
  const order = ['LoadConfiguration', 'Normalise', 'AlreadyReconciled'];
  expect(order.slice(0, 2).map((state) => states[state]!.Next)).toEqual(order.slice(1));
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
