/**
 * API-2: the OpenAPI 3.1 document, generated from the route table (src/api/routes.ts) and the
 * schemas (schemas/api/, schemas/authorisation.schema.json and the shared definitions), never
 * written by hand: `npx tsx scripts/openapi.ts` writes docs/openapi.json, and a test fails when
 * the checked-in document is not what this generates. Schemas go into components.schemas with
 * their references rewritten (`common.schema.json#/definitions/x` → `#/components/schemas/x`).
 */
import { API_SCHEMAS, COMMON_SCHEMA, type ApiSchemaName } from '../../schemas/api';
import { PROBLEMS, PROBLEM_CONTENT_TYPE, JSON_CONTENT_TYPE } from './http';
import { DEFAULT_BODY_LIMIT_BYTES } from './input';
import { API_ROUTES, API_SCOPES, COMMON_PROBLEM_STATUSES, type ApiRoute } from './routes';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const COMMON_DEFINITIONS = (COMMON_SCHEMA as unknown as { definitions: Record<string, Json> }).definitions;

/** Rewrites every $ref of a schema to components, noting the shared definitions it needs. */
function rewrite(value: Json, needed: Set<string>): Json {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, needed));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$id' || key === '$schema') continue;
    if (key === '$ref' && typeof child === 'string') {
      const definition = /^(?:(?:\.\.\/)?common\.schema\.json)?#\/definitions\/([A-Za-z0-9]+)$/.exec(child);
      if (!definition) throw new Error(`openapi: unsupported $ref "${child}"`);
      needed.add(definition[1]!);
      out.$ref = `#/components/schemas/${definition[1]}`;
      continue;
    }
    out[key] = rewrite(child, needed);
  }
  return out;
}

function componentSchemas(): Record<string, Json> {
  const needed = new Set<string>();
  const schemas: Record<string, Json> = {};
  for (const name of Object.keys(API_SCHEMAS) as ApiSchemaName[]) schemas[name] = rewrite(API_SCHEMAS[name] as unknown as Json, needed);
  const done = new Set<string>();
  while ([...needed].some((name) => !done.has(name))) {
    for (const name of [...needed].filter((n) => !done.has(n))) {
      const definition = COMMON_DEFINITIONS[name];
      if (definition === undefined) throw new Error(`openapi: common.schema.json has no definition "${name}"`);
      schemas[name] = rewrite(definition, needed);
      done.add(name);
    }
  }
  return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
}

const ref = (schema: string): Json => ({ $ref: `#/components/schemas/${schema}` });

function problemResponseOf(status: number): Json {
  const kinds = Object.entries(PROBLEMS)
    .filter(([, problem]) => problem.status === status)
    .map(([kind]) => kind);
  const headers: Record<string, Json> = {};
  if (status === 401 || status === 403) headers['WWW-Authenticate'] = { description: 'Bearer challenge (RFC 6750): error and, for 403, the scope needed', schema: { type: 'string' } };
  if (status === 429 || status === 503 || status === 409) headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
  if (status === 405) headers.Allow = { description: 'The methods the path answers', schema: { type: 'string' } };
  return {
    description: `Problem: ${kinds.map((kind) => `${kind} (${PROBLEMS[kind as keyof typeof PROBLEMS].title})`).join('; ')}`,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
  };
}

function operationOf(route: ApiRoute): Json {
  const responses: Record<string, Json> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const headers: Record<string, Json> = { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } };
    if (route.idempotent) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
    if (status === '201') headers.Location = { description: 'The payment: GET it for its status', schema: { type: 'string' } };
    responses[status] = { description: response.description, headers, content: { [JSON_CONTENT_TYPE]: { schema: ref(response.schema) } } };
  }
  const statuses = [...new Set<number>([...COMMON_PROBLEM_STATUSES, ...route.problems])].filter((status) => route.requestSchema !== undefined || ![413, 415].includes(status)).sort((a, b) => a - b);
  for (const status of statuses) responses[String(status)] = problemResponseOf(status);
  const parameters: Json[] = route.pathParameters.map((parameter) => ({ name: parameter.name, in: 'path', required: true, description: parameter.description, schema: ref(parameter.schema) }));
  if (route.idempotent) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  const operation: Record<string, Json> = {
    operationId: route.operationId,
    summary: route.summary,
    security: [{ oauth2: [route.scope] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    responses,
  };
  if (route.requestSchema) {
    operation.requestBody = {
      required: true,
      description: `At most ${DEFAULT_BODY_LIMIT_BYTES} bytes (413 beyond). A card number in any field is refused with 422 naming the field, never echoing it.`,
      content: { [JSON_CONTENT_TYPE]: { schema: ref(route.requestSchema) } },
    };
  }
  return operation;
}

export function openApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of API_ROUTES) (paths[route.path] ??= {})[route.method.toLowerCase()] = operationOf(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ledgerline payments API',
      version: '1.0.0',
      description:
        'Submit authorised card payments for real-time posting, read their lifecycle status and account balances. Generated from src/api/routes.ts and schemas/ (npx tsx scripts/openapi.ts): do not edit by hand. See docs/api.md.',
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'ledgerline serve (local); on AWS the API Gateway stage URL' }],
    security: [{ oauth2: [] }],
    paths: paths as unknown as Json,
    components: {
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description: "OAuth2 client credentials: Cognito's token endpoint on AWS, POST /oauth2/token of `ledgerline serve` locally. Send the access token as Authorization: Bearer.",
          flows: { clientCredentials: { tokenUrl: 'http://127.0.0.1:8080/oauth2/token', scopes: { ...API_SCOPES } } },
        },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description: 'The same key with the same body returns the first response byte for byte; with a different body, 409. Per client, kept 24 hours.',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
        },
      },
      headers: {
        RequestId: { description: 'The request id (quote it when asking about a request)', schema: { type: 'string' } },
        IdempotentReplayed: { description: '"true" when the response is the stored answer to an earlier request with this Idempotency-Key', schema: { type: 'string', enum: ['true'] } },
        RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
      },
      schemas: componentSchemas(),
    },
  };
}

/** The document as checked in: two-space JSON and a final newline. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
