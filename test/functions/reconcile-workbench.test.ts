import type { ALBEvent, Context } from 'aws-lambda';
import { createWorkbenchLambda, toAlbResult, toWorkbenchRequest } from '../../functions/reconcile-workbench/reconcile-workbench';
import type { WorkbenchRequest, WorkbenchResponse } from '../../src/recon/workbench/ports';
import { createLogger } from '../../src/lambda/logger';

const CONTEXT = { awsRequestId: 'req-123' } as Context;
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJlbWFpbCI6ImFuYUBiYW5rIn0=.c2lnbmF0dXJl';

function albEvent(overrides: Partial<ALBEvent> = {}): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench/6d0ecf831eec9f09' } },
    httpMethod: 'GET',
    path: '/cases/exception%3Astatement%3Aabc',
    queryStringParameters: { status: 'OPEN', q: 'REF%2F1+2', 'account%20id': 'ACC-1' },
    headers: { 'X-Amzn-Oidc-Data': TOKEN, accept: 'text/html' },
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
      headers: { 'x-amzn-oidc-data': TOKEN, accept: 'text/html' },
      body: '',
    });
  });

  it('decodes base64 bodies and passes plain ones through', () => {
    const form = 'type=comment&note=looking&expectedVersion=1';
    expect(toWorkbenchRequest(albEvent({ httpMethod: 'post', body: Buffer.from(form).toString('base64'), isBase64Encoded: true }))).toMatchObject({ method: 'POST', body: form });
    expect(toWorkbenchRequest(albEvent({ httpMethod: 'POST', body: '{"type":"comment"}' })).body).toBe('{"type":"comment"}');
    expect(toWorkbenchRequest(albEvent({ queryStringParameters: undefined, headers: undefined })).query).toEqual({});
  });

  it('turns the app response into an ALB result', () => {
    const response: WorkbenchResponse = { status: 303, headers: { location: '/cases', 'content-type': 'text/plain' }, body: 'See /cases' };
    expect(toAlbResult(response)).toEqual({
      statusCode: 303,
      statusDescription: '303 See Other',
      headers: { location: '/cases', 'content-type': 'text/plain' },
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
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: '<h1>Cases</h1>',
      isBase64Encoded: false,
    });
    expect(seen[0]!.headers['x-amzn-oidc-data']).toBe(TOKEN);
  });

  it('answers an app failure with a 500 JSON naming only the request id, and never logs the identity token', async () => {
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
