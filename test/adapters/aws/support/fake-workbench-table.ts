/**
 * A small in-memory workbench table behind aws-sdk-client-mock, for the paths dynalite cannot run
 * (it has no TransactWriteItems): GetItem, conditional PutItem, TransactWriteItems (all-or-nothing,
 * cancellation reasons in item order) and Query by one index key (`#key = :key`). It evaluates
 * the condition grammar DynamoWorkbenchStore uses.
 */
import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_TRANSACTION_ITEMS } from '../../../../src/adapters/aws/dynamo-workbench-store';
import { TEST_AWS } from './dynalite';

type Item = Record<string, AttributeValue>;

/** Evaluates the condition grammar the store uses: attribute_not_exists, =, AND, OR, parentheses. */
function conditionHolds(expression: string, names: Record<string, string>, values: Record<string, AttributeValue>, item: Item | undefined): boolean {
  const tokens = expression.match(/attribute_not_exists\(#\w+\)|[#:]\w+|=|\(|\)|AND|OR/g)!;
  let position = 0;
  const same = (a: AttributeValue | undefined, b: AttributeValue | undefined) => JSON.stringify(a) === JSON.stringify(b);
  const primary = (): boolean => {
    const token = tokens[position++]!;
    if (token === '(') {
      const result = or();
      position += 1;
      return result;
    }
    if (token.startsWith('attribute_not_exists')) return !item || item[names[token.slice(21, -1)]!] === undefined;
    position += 1; // '='
    return same(item?.[names[token]!], values[tokens[position++]!]);
  };
  const and = (): boolean => {
    let result = primary();
    while (tokens[position] === 'AND') {
      position += 1;
      result = primary() && result;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (tokens[position] === 'OR') {
      position += 1;
      result = and() || result;
    }
    return result;
  };
  return or();
}

export class FakeWorkbenchTable {
  readonly items = new Map<string, Item>();
  readonly client = new DynamoDBClient(TEST_AWS);
  readonly mock = mockClient(this.client);
  transactSizes: number[] = [];
  /** Fails the n-th TransactWriteItems (1-based) after applying nothing: a crash mid-import. */
  failOnCall?: { call: number; error: Error };

  constructor() {
    const key = (item: Item) => `${item.pk!.S}|${item.sk!.S}`;
    this.mock.on(GetItemCommand).callsFake((input: { Key: Item }) => ({ Item: this.items.get(key(input.Key)) }));
    this.mock.on(PutItemCommand).callsFake((input: { Item: Item; ConditionExpression: string; ExpressionAttributeNames: Record<string, string> }) => {
      if (!conditionHolds(input.ConditionExpression, input.ExpressionAttributeNames, {}, this.items.get(key(input.Item)))) {
        throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      }
      this.items.set(key(input.Item), input.Item);
      return {};
    });
    this.mock.on(QueryCommand).callsFake((input: { KeyConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, AttributeValue> }) => {
      const keyCondition = /^(#\w+) = (:\w+)$/.exec(input.KeyConditionExpression);
      if (!keyCondition) throw new Error(`FakeWorkbenchTable: unsupported key condition ${input.KeyConditionExpression}`);
      const attribute = input.ExpressionAttributeNames[keyCondition[1]!]!;
      const wanted = JSON.stringify(input.ExpressionAttributeValues[keyCondition[2]!]);
      return { Items: [...this.items.values()].filter((item) => JSON.stringify(item[attribute]) === wanted) };
    });
    this.mock.on(TransactWriteItemsCommand).callsFake((input: { TransactItems: TransactWriteItem[] }) => {
      this.transactSizes.push(input.TransactItems.length);
      if (this.failOnCall?.call === this.transactSizes.length) throw this.failOnCall.error;
      if (input.TransactItems.length > MAX_TRANSACTION_ITEMS) throw Object.assign(new Error('too many items'), { name: 'ValidationException' });
      const reasons = input.TransactItems.map(({ Put }) =>
        conditionHolds(Put!.ConditionExpression!, Put!.ExpressionAttributeNames ?? {}, Put!.ExpressionAttributeValues ?? {}, this.items.get(key(Put!.Item!)))
          ? { Code: 'None' }
          : { Code: 'ConditionalCheckFailed' },
      );
      if (reasons.some((reason) => reason.Code !== 'None')) {
        throw new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: { httpStatusCode: 400 }, CancellationReasons: reasons });
      }
      for (const { Put } of input.TransactItems) this.items.set(key(Put!.Item!), Put!.Item!);
      return {};
    });
  }

  caseVersion(caseId: string): string | undefined {
    return this.items.get(`CASE#${caseId}|CASE`)?.version?.N;
  }

  events(): string[] {
    return [...this.items.keys()].filter((k) => k.includes('|EVENT#')).sort();
  }
}
