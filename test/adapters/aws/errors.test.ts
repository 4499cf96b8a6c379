import { isTransientAwsError, toStoreError } from '../../../src/adapters/aws/errors';
import { TransientStoreError } from '../../../src/ports';

const aws = (name: string, status: number, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });

describe('isTransientAwsError', () => {
  it.each([
    aws('ProvisionedThroughputExceededException', 400),
    aws('ThrottlingException', 400),
    aws('RequestLimitExceeded', 400),
    aws('InternalServerError', 500),
    aws('ServiceUnavailable', 503),
    aws('SomethingNew', 502),
    aws('TooManyRequests', 429),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    new Error('AWS SDK error wrapper for Error: socket hang up'),
    Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
    Object.assign(new Error('outer'), { cause: Object.assign(new Error('inner'), { code: 'ETIMEDOUT' }) }),
  ])('transient: %s', (error) => {
    expect(isTransientAwsError(error)).toBe(true);
    expect(toStoreError(error, 'op')).toBeInstanceOf(TransientStoreError);
  });

  it.each([
    aws('ConditionalCheckFailedException', 400),
    aws('TransactionCanceledException', 400),
    aws('ValidationException', 400),
    aws('ExecutionAlreadyExists', 400),
    aws('PreconditionFailed', 412),
    new Error('plain bug'),
    'not even an error',
  ])('not transient: %s', (error) => {
    expect(isTransientAwsError(error)).toBe(false);
    expect(toStoreError(error, 'op')).toBe(error);
  });

  it('keeps the cause and names the operation', () => {
    const cause = aws('ThrottlingException', 400);
    const mapped = toStoreError(cause, 'dedup PutItem') as TransientStoreError;
    expect(mapped.message).toBe('dedup PutItem: ThrottlingException: ThrottlingException');
    expect(mapped.cause).toBe(cause);
  });
});
