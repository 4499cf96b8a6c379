/**
 * The workbench function's statement upload configuration (REC-1, src/adapters/aws/workbench-config.ts):
 * none of its variables → no upload page; all of them with the ingest bucket and the region → the
 * S3 inbox's options; any other mix, a prefix that is not one, or a bad region → refused, naming
 * every fault at once (the function fails at cold start, the stack at synth).
 */
import fc from 'fast-check';
import { readWorkbenchUploadConfig, WORKBENCH_UPLOAD_VARIABLE_NAMES } from '../../../src/adapters/aws/workbench-config';

const FULL = {
  INGEST_BUCKET: 'ledgerline-dev-ingest-123456789012',
  AWS_REGION: 'eu-west-2',
  STATEMENTS_PREFIX: 'incoming/statements/',
  QUARANTINE_PREFIX: 'quarantine/',
  REGISTRY_PREFIX: 'results/registry/',
};

describe('readWorkbenchUploadConfig', () => {
  it('none of its variables: no upload (whatever else is set)', () => {
    expect(readWorkbenchUploadConfig({ INGEST_BUCKET: FULL.INGEST_BUCKET, AWS_REGION: FULL.AWS_REGION })).toBeUndefined();
    expect(readWorkbenchUploadConfig({ STATEMENTS_PREFIX: '  ', QUARANTINE_PREFIX: '' })).toBeUndefined();
  });

  it('all of them: the S3 inbox options', () => {
    expect(readWorkbenchUploadConfig(FULL)).toEqual({
      bucket: FULL.INGEST_BUCKET,
      region: 'eu-west-2',
      statementsPrefix: 'incoming/statements/',
      quarantinePrefix: 'quarantine/',
      registryPrefix: 'results/registry/',
    });
  });

  it('any partial set is refused, naming each missing variable', () => {
    fc.assert(
      fc.property(fc.subarray([...WORKBENCH_UPLOAD_VARIABLE_NAMES, 'INGEST_BUCKET', 'AWS_REGION'] as const, { minLength: 1 }), (dropped) => {
        const env: Record<string, string> = { ...FULL };
        for (const variable of dropped) delete env[variable];
        if (WORKBENCH_UPLOAD_VARIABLE_NAMES.every((variable) => dropped.includes(variable))) return expect(readWorkbenchUploadConfig(env)).toBeUndefined();
        let message = '';
        try {
          readWorkbenchUploadConfig(env);
        } catch (error) {
          message = (error as Error).message;
        }
        for (const variable of dropped) expect(message).toContain(`${variable} is missing`);
      }),
    );
  });

  it('a prefix that is not a relative key prefix ending with "/", or a bad region, is refused', () => {
    for (const bad of ['incoming/statements', '/incoming/statements/', 'incoming//statements/', '../x/', 'a b/']) {
      expect(() => readWorkbenchUploadConfig({ ...FULL, STATEMENTS_PREFIX: bad })).toThrow('STATEMENTS_PREFIX is not a key prefix ending with "/"');
    }
    expect(() => readWorkbenchUploadConfig({ ...FULL, AWS_REGION: 'mars' })).toThrow('AWS_REGION is not a region name');
  });
});
