import type { ALBEvent, Context } from 'aws-lambda';
import { createWorkbenchFunction, createWorkbenchLambda, toAlbResult, toWorkbenchRequest } from '../../functions/reconcile-workbench/reconcile-workbench';
import { BULK_ADVANCE_EVENT, BULK_ADVANCE_MAX_RUN_MS, BULK_ADVANCE_RESERVE_MS } from '../../functions/reconcile-workbench/schedule';
import type { AdvanceUnfinishedOptions, BulkAdvanceSummary } from '../../src/recon/workbench/bulk';
import type { WorkbenchRequest, WorkbenchResponse } from '../../src/recon/workbench/ports';
import { createLogger } from '../../src/lambda/logger';
import { createWorkbenchApp } from '../../src/recon/workbench/app';
import { exceptionCase, memoryStore, raisedEvent, reconciler, steppingClock } from '../recon/workbench/helpers';

const CONTEXT = { awsRequestId: 'req-123' } as Context;
const TOKEN = 'f3Kq0wYk2mV8qB9pXz1sN4tR6uW7yA5cD0eF2gH3iJ4';

function albEvent(overrides: Partial<ALBEvent> = {}): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench/6d0ecf831eec9f09' } },
    httpMethod: 'GET',
    path: '/cases/exception%3Astatement%3Aabc',
    queryStringParameters: { status: 'OPEN', q: 'REF%2F1+2', 'account%20id': 'ACC-1' },
    headers: { Cookie: `__Host-ledgerline_session=${TOKEN}`, accept: 'text/html' },
    body: null,
    isBase64Encoded: false,
    ...overrides,
  };
}

describe('reconcile-workbench: ALB event ↔ workbench request / response', () => {
  it('passes the query string as sent and decodes its first values, lower-cases header names, keeps the raw path', () => {
    expect(toWorkbenchRequest(albEvent())).toEqual({
      method: 'GET',
      path: '/cases/exception%3Astatement%3Aabc',
      query: { status: 'OPEN', q: 'REF/1 2', 'account id': 'ACC-1' },
      search: 'status=OPEN&q=REF%2F1+2&account%20id=ACC-1',
      headers: { cookie: `__Host-ledgerline_session=${TOKEN}`, accept: 'text/html' },
      body: '',
    });
  });

  it('reads the multi-value event the target group sends: every value of a repeated query parameter kept in order, still encoded; repeated headers are joined, cookies with "; "', () => {
    const event = albEvent({
      queryStringParameters: undefined,
      headers: undefined,
      multiValueQueryStringParameters: { state: ['s%2B1', 's2'], code: ['c+1'] },
      multiValueHeaders: { Cookie: ['a=1', `__Host-ledgerline_session=${TOKEN}`], Accept: ['text/html', 'application/json'] },
    });
    expect(toWorkbenchRequest(event)).toMatchObject({
      query: { state: 's+1', code: 'c 1' },
      search: 'state=s%2B1&state=s2&code=c+1',
      headers: { cookie: `a=1; __Host-ledgerline_session=${TOKEN}`, accept: 'text/html, application/json' },
    });
  });

  it('a parameter given twice reaches the app twice: the workbench refuses it with the 400 naming it, as locally (WB-1)', async () => {
    const store = memoryStore();
    const raised = exceptionCase({ status: 'RESOLVED' });
    await store.save(raised, raisedEvent(raised));
    const app = createWorkbenchApp({ store, authenticator: { authenticate: async () => reconciler }, clock: steppingClock(), csrfSecret: 'adapter-test-secret-of-32-characters' });
    const handler = createWorkbenchLambda({ app });
    const twice = albEvent({ path: '/api/cases', queryStringParameters: undefined, multiValueQueryStringParameters: { status: ['OPEN', 'RESOLVED'] } });
    const refused = await handler(twice, CONTEXT);
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body!)).toEqual({ error: { code: 'INVALID', message: 'parameter "status" is given 2 times; give it once (several statuses as one comma list)' } });
    // Once, the same parameter is read: the resolved case is listed (the first value alone would have listed none).
    const once = await handler(albEvent({ path: '/api/cases', queryStringParameters: undefined, multiValueQueryStringParameters: { status: ['RESOLVED'] } }), CONTEXT);
    expect(once.statusCode).toBe(200);
    expect((JSON.parse(once.body!) as { cases: { caseId: string }[] }).cases.map((c) => c.caseId)).toEqual([raised.caseId]);
  });

  it('decodes base64 bodies and passes plain ones through', () => {
    const form = 'type=comment&note=looking&expectedVersion=1';
    expect(toWorkbenchRequest(albEvent({ httpMethod: 'post', body: Buffer.from(form).toString('base64'), isBase64Encoded: true }))).toMatchObject({ method: 'POST', body: form });
    expect(toWorkbenchRequest(albEvent({ httpMethod: 'POST', body: '{"type":"comment"}' })).body).toBe('{"type":"comment"}');
    expect(toWorkbenchRequest(albEvent({ queryStringParameters: undefined, headers: undefined })).query).toEqual({});
  });

  it('turns the app response into a multi-value ALB result: each of the cookies the app joined with newlines is a Set-Cookie of its own', () => {
    const response: WorkbenchResponse = {
      status: 303,
      headers: { location: '/cases', 'content-type': 'text/plain', 'set-cookie': '__Host-ledgerline_session=abc; Path=/; HttpOnly\nledgerline_sign_in=; Path=/callback; Max-Age=0' },
      body: 'See /cases',
    };
    expect(toAlbResult(response)).toEqual({
      statusCode: 303,
      statusDescription: '303 See Other',
      multiValueHeaders: {
        location: ['/cases'],
        'content-type': ['text/plain'],
        'set-cookie': ['__Host-ledgerline_session=abc; Path=/; HttpOnly', 'ledgerline_sign_in=; Path=/callback; Max-Age=0'],
      },
      body: 'See /cases',
      isBase64Encoded: false,
    });
  });

  it('serves a request through the app', async () => {
    const seen: WorkbenchRequest[] = [];
    const handler = createWorkbenchLambda({
      app: async (request) => {
        seen.push(request);
        return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<h1>Cases</h1>' };
      },
    });
    await expect(handler(albEvent(), CONTEXT)).resolves.toEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      multiValueHeaders: { 'content-type': ['text/html; charset=utf-8'] },
      body: '<h1>Cases</h1>',
      isBase64Encoded: false,
    });
    expect(seen[0]!.headers.cookie).toBe(`__Host-ledgerline_session=${TOKEN}`);
  });

  it('answers an app failure with a 500 JSON naming only the request id, and never logs the session cookie', async () => {
    const lines: string[] = [];
    const handler = createWorkbenchLambda({
      app: async () => {
        throw new Error('DynamoDB table ledgerline-prod-workbench: AccessDenied for arn:aws:iam::333333333333:role/x');
      },
      logger: createLogger({}, (line) => lines.push(line)),
    });
    const result = await handler(albEvent(), CONTEXT);
    expect(result.statusCode).toBe(500);
    expect(result.statusDescription).toBe('500 Internal Server Error');
    expect(result.isBase64Encoded).toBe(false);
    expect(JSON.parse(result.body!)).toEqual({ error: 'INTERNAL', message: 'the workbench failed to answer; quote this request id to support', requestId: 'req-123' });
    expect(result.body).not.toMatch(/DynamoDB|arn:aws/);
    expect(lines.join('\n')).toContain('AccessDenied');
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('passes a malformed percent-escape to the app as written, where the local server passes it too (the app reads both alike)', async () => {
    const seen: WorkbenchRequest[] = [];
    const app = async (request: WorkbenchRequest): Promise<WorkbenchResponse> => {
      seen.push(request);
      return { status: 200, headers: {}, body: '' };
    };
    const result = await createWorkbenchLambda({ app }).call(undefined, albEvent({ queryStringParameters: { q: '%E0%A4%A', 'a%ZZ': '1' } }), CONTEXT);
    expect(result.statusCode).toBe(200);
    expect(seen[0]!.search).toBe('q=%E0%A4%A&a%ZZ=1');
    expect(seen[0]!.query).toEqual(Object.fromEntries(new URL('http://workbench.test/?q=%E0%A4%A&a%ZZ=1').searchParams));
  });
});

describe('reconcile-workbench: the ALB request and the bulk schedule, told apart by shape (WB-BULK-1)', () => {
  const SUMMARY: BulkAdvanceSummary = { jobsSeen: 2, chunksWorked: 3, chunksFailed: 0, casesDone: 140, casesFailed: 10, jobsFinished: 1, outOfTime: true };

  it('serves an ALB request through the app and never advances jobs for it', async () => {
    const bulk = { advanceUnfinished: jest.fn() };
    const handler = createWorkbenchFunction({ app: async () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<h1>Cases</h1>' }), bulk });
    await expect(handler(albEvent(), CONTEXT)).resolves.toMatchObject({ statusCode: 200, body: '<h1>Cases</h1>' });
    expect(bulk.advanceUnfinished).not.toHaveBeenCalled();
  });

  it("advances the running jobs on the schedule's event with the time left before the timeout, capped for a run, and logs one line of counts", async () => {
    const app = jest.fn();
    let now = 1_000_000;
    let remaining = 28_000;
    const seen: number[] = [];
    const bulk = {
      advanceUnfinished: async (options: AdvanceUnfinishedOptions) => {
        expect(options.reserveMs).toBe(BULK_ADVANCE_RESERVE_MS);
        seen.push(options.timeLeftMs());
        // A 15-minute timeout: the run's own cap decides.
        remaining = 900_000;
        seen.push(options.timeLeftMs());
        now += 40_000;
        seen.push(options.timeLeftMs());
        now += 30_000;
        return SUMMARY;
      },
    };
    const lines: string[] = [];
    const context = { awsRequestId: 'req-9', getRemainingTimeInMillis: () => remaining } as unknown as Context;
    const handler = createWorkbenchFunction({ app, bulk, logger: createLogger({}, (line) => lines.push(line)), now: () => now });
    await expect(handler(BULK_ADVANCE_EVENT, context)).resolves.toEqual(SUMMARY);
    expect(seen).toEqual([28_000, BULK_ADVANCE_MAX_RUN_MS, BULK_ADVANCE_MAX_RUN_MS - 40_000]);
    expect(app).not.toHaveBeenCalled();
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([expect.objectContaining({ message: 'bulk jobs advanced', ...SUMMARY, elapsedMs: 70_000 })]);
  });

  it('refuses any other event (an EventBridge scheduled event, the input with a field more, nothing), naming its fields only', async () => {
    const bulk = { advanceUnfinished: jest.fn() };
    const lines: string[] = [];
    const handler = createWorkbenchFunction({ app: jest.fn(), bulk, logger: createLogger({}, (line) => lines.push(line)) });
    const call = (event: unknown) => handler(event as never, CONTEXT);
    await expect(call({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: { note: '4111111111111111' } })).rejects.toThrow('(fields: detail, detail-type, source)');
    await expect(call({ ...BULK_ADVANCE_EVENT, jobs: ['a'] })).rejects.toThrow('(fields: detail-type, jobs, source)');
    await expect(call({ ...BULK_ADVANCE_EVENT, source: 'aws.scheduler' })).rejects.toThrow('neither an ALB request');
    await expect(call(null)).rejects.toThrow('(fields: object)');
    expect(bulk.advanceUnfinished).not.toHaveBeenCalled();
    expect(lines.join('\n')).not.toContain('4111111111111111');
  });
});
