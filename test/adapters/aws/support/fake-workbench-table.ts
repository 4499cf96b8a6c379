/**
 * A small in-memory workbench table behind aws-sdk-client-mock, for the paths dynalite cannot run
 * (it has no TransactWriteItems): GetItem, conditional PutItem / DeleteItem / UpdateItem (SET and
 * REMOVE, or ADD), BatchGetItem, BatchWriteItem, TransactWriteItems (all-or-nothing, cancellation reasons
 * in item order) and Query on the table or an index of tables.ts (`#key = :key`, optionally AND a
 * sort-key comparison or begins_with; in sort-key order, ScanIndexForward, Limit and
 * ExclusiveStartKey). It evaluates the condition grammar DynamoWorkbenchStore uses. The real query
 * syntax is checked on dynalite by the contract suite (test/adapters/contracts/workbench-store.*).
 */
import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_TRANSACTION_ITEMS } from '../../../../src/adapters/aws/dynamo-workbench-store';
import { TABLES } from '../../../../src/adapters/aws/tables';
import { TEST_AWS } from './dynalite';

type Item = Record<string, AttributeValue>;

/** DynamoDB's order of two values of one type (N numerically, S by UTF-8 bytes). */
function compareValues(a: AttributeValue, b: AttributeValue): number {
  if (a.N !== undefined && b.N !== undefined) return Number(a.N) - Number(b.N);
  return Buffer.compare(Buffer.from(a.S ?? '', 'utf8'), Buffer.from(b.S ?? '', 'utf8'));
}

/** Evaluates the condition grammar the store uses: attribute_(not_)exists, = <= < >= >, AND, OR, parentheses. */
function conditionHolds(expression: string | undefined, names: Record<string, string>, values: Record<string, AttributeValue>, item: Item | undefined): boolean {
  if (!expression) return true;
  const tokens = expression.match(/attribute_not_exists\(#\w+\)|attribute_exists\(#\w+\)|[#:]\w+|<=|>=|=|<|>|\(|\)|AND|OR/g)!;
  let position = 0;
  const primary = (): boolean => {
    const token = tokens[position++]!;
    if (token === '(') {
      const result = or();
      position += 1;
      return result;
    }
    if (token.startsWith('attribute_not_exists')) return !item || item[names[token.slice(21, -1)]!] === undefined;
    if (token.startsWith('attribute_exists')) return Boolean(item) && item![names[token.slice(17, -1)]!] !== undefined;
    const operator = tokens[position++]!;
    const left = item?.[names[token]!];
    const right = values[tokens[position++]!]!;
    if (left === undefined) return false;
    if (operator === '=') return JSON.stringify(left) === JSON.stringify(right);
    const order = compareValues(left, right);
    return operator === '<=' ? order <= 0 : operator === '<' ? order < 0 : operator === '>=' ? order >= 0 : order > 0;
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

/** `SET #a = :a, #b = :b REMOVE #c, #d` applied to a copy of `item`. */
/** `SET #a = :a, #b = :b REMOVE #c` or `ADD #a :a, #b :b` (numbers) applied to a copy of `item`. */
function updated(item: Item, expression: string, names: Record<string, string>, values: Record<string, AttributeValue>): Item {
  const next = { ...item };
  const set = /SET (.*?)(?: REMOVE |$)/.exec(expression)?.[1];
  const remove = /REMOVE (.*)$/.exec(expression)?.[1];
  const add = /^ADD (.*)$/.exec(expression)?.[1];
  for (const assignment of set ? set.split(', ') : []) {
    const [name, value] = assignment.split(' = ') as [string, string];
    next[names[name]!] = values[value]!;
  }
  for (const name of remove ? remove.split(', ') : []) delete next[names[name]!];
  for (const addition of add ? add.split(', ') : []) {
    const [name, value] = addition.split(' ') as [string, string];
    next[names[name]!] = { N: String(Number(next[names[name]!]?.N ?? '0') + Number(values[value]!.N)) };
  }
  return next;
}

const conditionalFailure = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
const INDEXES = new Map(TABLES.workbench.globalSecondaryIndexes.map((index) => [index.indexName, index]));

export class FakeWorkbenchTable {
  readonly items = new Map<string, Item>();
  readonly client = new DynamoDBClient(TEST_AWS);
  readonly mock = mockClient(this.client);
  transactSizes: number[] = [];
  /** Awaited before a TransactWriteItems is evaluated (lets a test interleave another write between a store's read and its transaction). */
  beforeTransact?: () => Promise<void>;
  /** Awaited before a DeleteItem is applied (a slow request: lets a test interleave another write). */
  beforeDelete?: () => Promise<void>;
  /** Fails the n-th TransactWriteItems (1-based) after applying nothing: a crash mid-import. */
  failOnCall?: { call: number; error: Error };

  constructor() {
    const key = (item: Item) => `${item.pk!.S}|${item.sk!.S}`;
    this.mock.on(GetItemCommand).callsFake((input: { Key: Item }) => ({ Item: this.items.get(key(input.Key)) }));
    this.mock
      .on(PutItemCommand)
      .callsFake((input: { Item: Item; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
        if (!conditionHolds(input.ConditionExpression, input.ExpressionAttributeNames ?? {}, input.ExpressionAttributeValues ?? {}, this.items.get(key(input.Item)))) throw conditionalFailure();
        this.items.set(key(input.Item), input.Item);
        return {};
      });
    this.mock
      .on(DeleteItemCommand)
      .callsFake(async (input: { Key: Item; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
        await this.beforeDelete?.();
        if (!conditionHolds(input.ConditionExpression, input.ExpressionAttributeNames ?? {}, input.ExpressionAttributeValues ?? {}, this.items.get(key(input.Key)))) throw conditionalFailure();
        this.items.delete(key(input.Key));
        return {};
      });
    this.mock
      .on(UpdateItemCommand)
      .callsFake(
        (input: {
          Key: Item;
          UpdateExpression: string;
          ConditionExpression?: string;
          ExpressionAttributeNames?: Record<string, string>;
          ExpressionAttributeValues?: Record<string, AttributeValue>;
        }) => {
          const current = this.items.get(key(input.Key));
          if (!conditionHolds(input.ConditionExpression, input.ExpressionAttributeNames ?? {}, input.ExpressionAttributeValues ?? {}, current)) throw conditionalFailure();
          this.items.set(key(input.Key), updated(current ?? input.Key, input.UpdateExpression, input.ExpressionAttributeNames ?? {}, input.ExpressionAttributeValues ?? {}));
          return {};
        },
      );
    this.mock.on(BatchGetItemCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => ({
      Responses: Object.fromEntries(Object.entries(input.RequestItems).map(([table, { Keys }]) => [table, Keys.flatMap((k) => (this.items.has(key(k)) ? [this.items.get(key(k))!] : []))])),
      UnprocessedKeys: {},
    }));
    this.mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]> }) => {
      for (const requests of Object.values(input.RequestItems)) {
        for (const request of requests) {
          if (request.PutRequest) this.items.set(key(request.PutRequest.Item), request.PutRequest.Item);
          else if (request.DeleteRequest) this.items.delete(key(request.DeleteRequest.Key));
        }
      }
      return { UnprocessedItems: {} };
    });
    this.mock
      .on(QueryCommand)
      .callsFake(
        (input: {
          IndexName?: string;
          KeyConditionExpression: string;
          ExpressionAttributeNames: Record<string, string>;
          ExpressionAttributeValues: Record<string, AttributeValue>;
          ScanIndexForward?: boolean;
          Limit?: number;
          ExclusiveStartKey?: Item;
        }) => {
          const condition = /^(#\w+) = (:\w+)(?: AND (?:(#\w+) (<=|>=|<|>|=) (:\w+)|begins_with\((#\w+), (:\w+)\)))?$/.exec(input.KeyConditionExpression);
          if (!condition) throw new Error(`FakeWorkbenchTable: unsupported key condition ${input.KeyConditionExpression}`);
          const names = input.ExpressionAttributeNames;
          const values = input.ExpressionAttributeValues;
          const partition = names[condition[1]!]!;
          const index = input.IndexName ? INDEXES.get(input.IndexName) : undefined;
          if (input.IndexName && !index) throw new Error(`FakeWorkbenchTable: no index ${input.IndexName}`);
          const sortName = index ? index.sortKey?.name : TABLES.workbench.sortKey.name;
          const wanted = JSON.stringify(values[condition[2]!]);
          let found = [...this.items.values()].filter((item) => JSON.stringify(item[partition]) === wanted && (!index || !index.sortKey || item[index.sortKey.name] !== undefined));
          if (condition[3]) {
            found = found.filter((item) => conditionHolds(`${condition[3]} ${condition[4]} ${condition[5]}`, names, values, item));
          } else if (condition[6]) {
            const prefix = values[condition[7]!]!.S!;
            found = found.filter((item) => item[names[condition[6]!]!]?.S?.startsWith(prefix));
          }
          const order = (item: Item) => `${sortName ? (item[sortName]?.S ?? '') : ''}\u0000${item.pk!.S}\u0000${item.sk!.S}`;
          found.sort((a, b) => compareValues({ S: order(a) }, { S: order(b) }));
          if (input.ScanIndexForward === false) found.reverse();
          if (input.ExclusiveStartKey) {
            const start = found.findIndex((item) => key(item) === key(input.ExclusiveStartKey!));
            found = found.slice(start + 1);
          }
          if (input.Limit !== undefined && found.length > input.Limit) {
            const page = found.slice(0, input.Limit);
            const last = page[page.length - 1]!;
            return { Items: page, Count: page.length, LastEvaluatedKey: { pk: last.pk!, sk: last.sk! } };
          }
          return { Items: found, Count: found.length };
        },
      );
    this.mock.on(TransactWriteItemsCommand).callsFake(async (input: { TransactItems: TransactWriteItem[] }) => {
      const hook = this.beforeTransact;
      this.beforeTransact = undefined;
      await hook?.();
      this.transactSizes.push(input.TransactItems.length);
      if (this.failOnCall?.call === this.transactSizes.length) throw this.failOnCall.error;
      if (input.TransactItems.length > MAX_TRANSACTION_ITEMS) throw Object.assign(new Error('too many items'), { name: 'ValidationException' });
      const target = (item: TransactWriteItem) => item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck!;
      const keyOf = (item: TransactWriteItem) => key(item.Put ? item.Put.Item! : (item.Update ?? item.Delete ?? item.ConditionCheck)!.Key!);
      const reasons = input.TransactItems.map((item) =>
        conditionHolds(target(item).ConditionExpression, target(item).ExpressionAttributeNames ?? {}, target(item).ExpressionAttributeValues ?? {}, this.items.get(keyOf(item)))
          ? { Code: 'None' }
          : { Code: 'ConditionalCheckFailed' },
      );
      if (reasons.some((reason) => reason.Code !== 'None')) {
        throw new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: { httpStatusCode: 400 }, CancellationReasons: reasons });
      }
      for (const item of input.TransactItems) {
        if (item.Put) this.items.set(keyOf(item), item.Put.Item!);
        else if (item.Delete) this.items.delete(keyOf(item));
        else if (item.Update) {
          const { Key, UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues } = item.Update;
          this.items.set(keyOf(item), updated(this.items.get(keyOf(item)) ?? Key!, UpdateExpression!, ExpressionAttributeNames ?? {}, ExpressionAttributeValues ?? {}));
        }
      }
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
