/**
 * The reconciliation Lambdas' S3 writes (src/adapters/aws/recon-s3.ts): every PutObject says its
 * length in bytes, an empty body (an empty NDJSON part) included, whatever the text holds.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { writeObject } from '../../../src/adapters/aws/recon-s3';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { TEST_AWS } from './support/dynalite';

describe('writeObject', () => {
  const s3 = mockClient(S3Client);
  const client = new S3Client(TEST_AWS);
  beforeEach(() => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
  });
  afterAll(() => s3.restore());

  it('gives the body length in bytes, for text of any characters and for bytes, empty included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
        ),
        async (body) => {
          s3.resetHistory();
          await writeObject(client, 'analytics', 'runs/r-1/part-00000.ndjson', body, 'application/x-ndjson');
          const [call] = s3.commandCalls(PutObjectCommand);
          const input = call!.args[0].input;
          expect(input.ContentLength).toBe(typeof body === 'string' ? Buffer.from(body, 'utf8').length : body.length);
          expect([input.Bucket, input.Key, input.ContentType, input.Body]).toEqual(['analytics', 'runs/r-1/part-00000.ndjson', 'application/x-ndjson', body]);
        },
      ),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(0x5a3) },
    );
  });
});
