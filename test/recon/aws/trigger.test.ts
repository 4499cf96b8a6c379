/**
 * reconcile-trigger: S3 "Object Created" (EventBridge) → StartExecution named deterministically
 * from bucket, key and version id; a duplicate notification starts nothing new.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { createReconcileTriggerHandler } from '../../../functions/reconcile-trigger/reconcile-trigger';
import { readReconFunctionConfig } from '../../../src/recon/run/aws/config';
import { createdObjects, reconciliationExecutionName } from '../../../src/recon/run/aws/objects';

const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:ledgerline-dev-reconciliation';

function objectCreated(bucket: string, key: string, versionId: string, id = 'evt-1') {
  return {
    version: '0',
    id,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-01-02T03:04:05Z',
    region: 'eu-west-2',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: { version: '0', bucket: { name: bucket }, object: { key, size: 2048, etag: 'abc', 'version-id': versionId, sequencer: '00' }, reason: 'PutObject' },
  };
}

const context = {} as Context;

describe('reconciliation execution name', () => {
  it('is deterministic from bucket, key and version, ≤ 80 chars of [A-Za-z0-9-_]', () => {
    const object = { bucket: 'ledgerline-dev-ingest', key: 'incoming/statements/2026/01/camt053 (final) ä.xml', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' };
    const name = reconciliationExecutionName(object);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(name).toMatch(/^recon-camt053_final_xml-[0-9a-f]{40}$/);
    expect(reconciliationExecutionName({ ...object })).toBe(name);
    expect(reconciliationExecutionName({ ...object, versionId: 'other' })).not.toBe(name);
    expect(reconciliationExecutionName({ ...object, bucket: 'other-bucket' })).not.toBe(name);
    expect(reconciliationExecutionName({ ...object, key: 'incoming/statements/2026/02/camt053 (final) ä.xml' })).not.toBe(name);
    const long = reconciliationExecutionName({ bucket: 'b', key: `incoming/${'x'.repeat(300)}.sta`, versionId: null });
    expect(long.length).toBeLessThanOrEqual(80);
  });

  it('reads EventBridge events and classic notifications (URL-decoded keys)', () => {
    expect(createdObjects(objectCreated('b', 'incoming/statements/a b.xml', 'v1'))).toEqual([{ bucket: 'b', key: 'incoming/statements/a b.xml', versionId: 'v1', size: 2048 }]);
    expect(
      createdObjects({
        Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'incoming/statements/a+b%281%29.xml', versionId: 'v2', size: 5 } } }],
      }),
    ).toEqual([{ bucket: 'b', key: 'incoming/statements/a b(1).xml', versionId: 'v2', size: 5 }]);
    expect(() => createdObjects({ hello: 'world' })).toThrow('expected an EventBridge "Object Created" event');
  });
});

describe('reconcile-trigger handler', () => {
  const sfn = new SFNClient({ region: 'eu-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const mock = mockClient(sfn);
  const started = new Set<string>();
  const handler = createReconcileTriggerHandler({ sfn, stateMachineArn: STATE_MACHINE });

  beforeEach(() => {
    mock.reset();
    started.clear();
    // Step Functions semantics: an execution name is used at most once per state machine.
    mock.on(StartExecutionCommand).callsFake((input: { name: string }) => {
      if (started.has(input.name)) throw Object.assign(new Error(`Execution Already Exists: '${input.name}'`), { name: 'ExecutionAlreadyExists', $metadata: { httpStatusCode: 400 } });
      started.add(input.name);
      return { executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() };
    });
  });

  it('starts one execution named from bucket/key/version, with the workflow input', async () => {
    const event = objectCreated('ledgerline-dev-ingest', 'incoming/statements/camt053.xml', 'v1');
    const result = await handler(event, context);
    const name = reconciliationExecutionName({ bucket: 'ledgerline-dev-ingest', key: 'incoming/statements/camt053.xml', versionId: 'v1' });
    expect(result.executions).toEqual([expect.objectContaining({ executionName: name, outcome: 'started' })]);
    const calls = mock.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE,
      name,
      input: JSON.stringify({ bucket: 'ledgerline-dev-ingest', key: 'incoming/statements/camt053.xml', versionId: 'v1', runId: name }),
    });
  });

  it('a duplicate notification (same object version, another event id) starts nothing new', async () => {
    await handler(objectCreated('ledgerline-dev-ingest', 'incoming/statements/camt053.xml', 'v1', 'evt-1'), context);
    const again = await handler(objectCreated('ledgerline-dev-ingest', 'incoming/statements/camt053.xml', 'v1', 'evt-2'), context);
    expect(again.executions).toEqual([expect.objectContaining({ outcome: 'already-started' })]);
    expect(started.size).toBe(1);
    // Both attempts asked for the same name: the second was refused by Step Functions.
    const names = mock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    expect(names).toHaveLength(2);
    expect(names[1]).toBe(names[0]);
    // A new version of the object is a new upload: a new execution.
    const newVersion = await handler(objectCreated('ledgerline-dev-ingest', 'incoming/statements/camt053.xml', 'v2'), context);
    expect(newVersion.executions[0]!.outcome).toBe('started');
    expect(started.size).toBe(2);
  });

  it('ignores folder markers and empty objects; other failures propagate (the rule retries)', async () => {
    const folder = await handler(objectCreated('b', 'incoming/statements/', 'v1'), context);
    expect(folder.executions[0]!.outcome).toBe('ignored');
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    mock.on(StartExecutionCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(handler(objectCreated('b', 'incoming/statements/x.sta', 'v1'), context)).rejects.toThrow('throttled');
  });

  it('reads its state machine from the environment, failing fast when it is missing', () => {
    expect(readReconFunctionConfig('reconcile-trigger', { RECONCILIATION_STATE_MACHINE_ARN: STATE_MACHINE }).stateMachineArn).toBe(STATE_MACHINE);
    expect(() => readReconFunctionConfig('reconcile-trigger', {})).toThrow('function reconcile-trigger: missing environment variables: RECONCILIATION_STATE_MACHINE_ARN');
    expect(() => readReconFunctionConfig('reconcile-trigger', { RECONCILIATION_STATE_MACHINE_ARN: 'nope' })).toThrow('is not a state machine ARN');
  });
});
