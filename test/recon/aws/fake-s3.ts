/** An in-memory S3 behind aws-sdk-client-mock: Get/Put (with If-None-Match) /Delete, enough for the reconciliation steps. */
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

export class FakeS3 {
  readonly client = new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  readonly objects = new Map<string, Buffer>();
  readonly mock = mockClient(this.client);

  constructor() {
    this.mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      const body = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!body) throw awsError('NoSuchKey', 404);
      return { Body: Readable.from([body]) };
    });
    this.mock.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string | Buffer; IfNoneMatch?: string }) => {
      const id = `${input.Bucket}/${input.Key}`;
      if (input.IfNoneMatch === '*' && this.objects.has(id)) throw awsError('PreconditionFailed', 412);
      this.objects.set(id, Buffer.isBuffer(input.Body) ? input.Body : Buffer.from(input.Body));
      return {};
    });
    this.mock.on(DeleteObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      this.objects.delete(`${input.Bucket}/${input.Key}`);
      return {};
    });
  }

  put(bucket: string, key: string, body: string | Buffer): void {
    this.objects.set(`${bucket}/${key}`, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.toString('utf8');
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}/${prefix}`))
      .map((id) => id.slice(bucket.length + 1))
      .sort();
  }
}
