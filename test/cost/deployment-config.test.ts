/**
 * COST-1: what the bill reads from a real synth (memory, architecture, reserved concurrency,
 * event-source mappings, queue keys, table modes, bucket keys, log retention, region) is what the
 * environment's configuration asks for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupSynth, synthesizeAll } from '../infra/support/synth';
import { dev } from '../../environments/dev';
import { prod } from '../../environments/prod';
import { readDeploymentConfig } from '../../src/cost';
import { deployableFunctions, functionSizing } from '../../stacks/catalogue';

// The run's one synthesis of every environment (test/infra/support/synth.ts).
afterAll(cleanupSynth);

function stacksOf(env: string): Record<string, unknown> {
  const dir = join(synthesizeAll().outdir, 'stacks');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.startsWith(`ledgerline-${env}-`))
      .map((name) => [name, JSON.parse(readFileSync(join(dir, name, 'cdk.tf.json'), 'utf8')) as unknown]),
  );
}

describe.each([dev, prod])('the cost-relevant configuration of $name', (env) => {
  const config = () => readDeploymentConfig(env.name, stacksOf(env.name));

  it('has the region and every function with the memory and reserved concurrency of its environment, on arm64', () => {
    const read = config();
    expect(read.region).toBe(env.region);
    // Every deployed function, sized as the catalogue sizes it (the environment's sizing, or a mode function's default).
    const deployed = deployableFunctions()
      .filter((name) => read.functions[`${env.prefix}-${name}`])
      .map((name) => [name, functionSizing(env, name)] as const);
    expect(deployed.length).toBe(Object.keys(read.functions).length);
    for (const [name, sizing] of deployed) {
      const fn = read.functions[`${env.prefix}-${name}`]!;
      expect({ name, memoryMb: fn.memoryMb, architecture: fn.architecture, reserved: fn.reservedConcurrency }).toEqual({
        name,
        memoryMb: sizing.memoryMb,
        architecture: 'arm64',
        reserved: sizing.reservedConcurrency,
      });
    }
  });

  it('maps every event-source mapping to a deployed queue (on the messaging CMK) and function, with its batch and window', () => {
    const read = config();
    expect(read.eventSourceMappings.length).toBeGreaterThan(0);
    for (const mapping of read.eventSourceMappings) {
      expect(read.queues[mapping.queue]).toMatchObject({ kmsKey: true, fifo: false });
      expect(read.functions[mapping.functionName]).toBeDefined();
      expect(mapping.batchSize).toBeGreaterThan(0);
    }
  });

  it('reads the table modes, the bucket key and the retention of every function log group', () => {
    const read = config();
    for (const table of Object.values(read.tables)) expect(table).toMatchObject({ billingMode: 'PAY_PER_REQUEST', kmsKey: true });
    expect(Object.values(read.buckets).find((bucket) => bucket.name.startsWith(`${env.prefix}-ingest`))).toMatchObject({ kmsKey: true, bucketKey: true });
    for (const name of Object.keys(read.functions)) expect(read.logGroups[`/aws/lambda/${name}`]?.retentionDays).toBe(env.retention.logDays);
  });
});
