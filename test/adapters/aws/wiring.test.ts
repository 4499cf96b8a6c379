/** The Lambdas' lazy reference data follows the META#VERSION pointer (DEP-2) and never keeps a failed open. */
import { lazyReferenceData, REFERENCE_POINTER_TTL_MS, type AwsContext } from '../../../src/adapters/aws/wiring';
import { DynamoReferenceData } from '../../../src/adapters/aws/dynamo-reference-data';

function context(now: { value: number }, referenceDataVersion?: string): AwsContext {
  return {
    config: { referenceDataVersion },
    clock: { now: () => new Date(now.value) },
    dynamo: {},
    table: () => 'ledgerline-dev-reference',
  } as unknown as AwsContext;
}

function fakeReference(version: string): DynamoReferenceData {
  return { card: async (token: string) => ({ token, version }) } as unknown as DynamoReferenceData;
}

afterEach(() => jest.restoreAllMocks());

test('re-reads the pointer once the TTL has passed, not before', async () => {
  const now = { value: 1_000_000 };
  const open = jest.spyOn(DynamoReferenceData, 'open').mockResolvedValueOnce(fakeReference('v1')).mockResolvedValueOnce(fakeReference('v2'));
  const reference = lazyReferenceData(context(now));
  expect(await reference.card('tok')).toEqual({ token: 'tok', version: 'v1' });
  now.value += REFERENCE_POINTER_TTL_MS - 1;
  expect(await reference.card('tok')).toEqual({ token: 'tok', version: 'v1' });
  expect(open).toHaveBeenCalledTimes(1);
  now.value += 1;
  expect(await reference.card('tok')).toEqual({ token: 'tok', version: 'v2' });
  expect(open).toHaveBeenCalledTimes(2);
});

test('a failed open is retried by the next lookup', async () => {
  const now = { value: 0 };
  const open = jest.spyOn(DynamoReferenceData, 'open').mockRejectedValueOnce(new Error('throttled')).mockResolvedValueOnce(fakeReference('v1'));
  const reference = lazyReferenceData(context(now));
  await expect(reference.card('tok')).rejects.toThrow('throttled');
  expect(await reference.card('tok')).toEqual({ token: 'tok', version: 'v1' });
  expect(open).toHaveBeenCalledTimes(2);
});

test('a pinned REFERENCE_DATA_VERSION is opened once and never re-read', async () => {
  const now = { value: 0 };
  const open = jest.spyOn(DynamoReferenceData, 'open').mockResolvedValue(fakeReference('pinned'));
  const reference = lazyReferenceData(context(now, 'pinned'));
  await reference.card('a');
  now.value += 10 * REFERENCE_POINTER_TTL_MS;
  await reference.card('b');
  expect(open).toHaveBeenCalledTimes(1);
  expect(open.mock.calls[0]![0]).toMatchObject({ version: 'pinned' });
});
