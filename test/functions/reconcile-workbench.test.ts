import type { ALBEvent, Context } from 'aws-lambda';
import { createWorkbenchLambda, toAlbResult, toWorkbenchRequest } from '../../functions/reconcile-workbench/reconcile-workbench';
import type { WorkbenchRequest, WorkbenchResponse } from '../../src/recon/workbench/ports';
import { createLogger } from '../../src/lambda/logger';

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
  it('decodes the query string, lower-cases header names, keeps the raw path', () => {
    expect(toWorkbenchRequest(albEvent())).toEqual({
      method: 'GET',
      path: '/cases/exception%3Astatement%3Aabc',
      query: { status: 'OPEN', q: 'REF/1 2', 'account id': 'ACC-1' },
      headers: { cookie: `__Host-ledgerline_session=${TOKEN}`, accept: 'text/html' },
      body: '',
    });
  });

  it('reads the multi-value event the target group sends: a query parameter given twice is its first value; repeated headers are joined, cookies with "; "', () => {
    const event = albEvent({
      queryStringParameters: undefined,
      headers: undefined,
      multiValueQueryStringParameters: { state: ['s%2B1', 's2'], code: ['c+1'] },
      multiValueHeaders: { Cookie: ['a=1', `__Host-ledgerline_session=${TOKEN}`], Accept: ['text/html', 'application/json'] },
    });
    expect(toWorkbenchRequest(event)).toMatchObject({
      query: { state: 's+1', code: 'c 1' },
      headers: { cookie: `a=1; __Host-ledgerline_session=${TOKEN}`, accept: 'text/html, application/json' },
    });
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

  it('answers a malformed query string with 400 without calling the app', async () => {
    const app = jest.fn();
    const result = await createWorkbenchLambda({ app }).call(undefined, albEvent({ queryStringParameters: { q: '%E0%A4%A' } }), CONTEXT);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body!)).toMatchObject({ error: 'INVALID' });
    expect(app).not.toHaveBeenCalled();
  });
});
