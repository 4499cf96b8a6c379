/**
 * API-2: docs/openapi.json is what the route table and the schemas generate (a stale document
 * fails here), and it is a structurally valid OpenAPI 3.1 document: every route with its scope,
 * the scopes declared by the security scheme, every $ref resolving, every schema compiling as
 * JSON Schema 2020-12, and (where python's openapi-spec-validator is installed) the validator's verdict.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument, openApiText } from '../../src/api/openapi';
import { API_ROUTES, API_SCOPES } from '../../src/api/routes';

const FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { security: Record<string, string[]>[]; responses: Record<string, unknown>; requestBody?: unknown; parameters?: unknown[] }>>;
  components: { securitySchemes: { oauth2: { type: string; flows: { clientCredentials: { scopes: Record<string, string>; tokenUrl: string } } } }; schemas: Record<string, unknown> };
};

it('the checked-in document is the generated one (run `npx tsx scripts/openapi.ts` after changing a route or schema)', () => {
  expect(readFileSync(FILE, 'utf8')).toBe(openApiText());
});

it('names every route with its scope, and declares every scope it uses', () => {
  const doc = openApiDocument() as unknown as Doc;
  expect(doc.openapi).toBe('3.1.0');
  const scheme = doc.components.securitySchemes.oauth2;
  expect(scheme.type).toBe('oauth2');
  expect(Object.keys(scheme.flows.clientCredentials.scopes).sort()).toEqual(Object.keys(API_SCOPES).sort());
  for (const route of API_ROUTES) {
    const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
    expect(operation).toBeDefined();
    expect(operation!.security).toEqual([{ oauth2: [route.scope] }]);
    for (const status of Object.keys(route.responses)) expect(operation!.responses[status]).toBeDefined();
    for (const status of ['401', '403', '422', '429']) expect(operation!.responses[status]).toBeDefined();
    expect(operation!.requestBody !== undefined).toBe(route.requestSchema !== undefined);
  }
  // Nothing in the document the table does not have.
  expect(Object.values(doc.paths).flatMap((methods) => Object.keys(methods))).toHaveLength(API_ROUTES.length);
});

it('every $ref resolves inside the document and every schema compiles as JSON Schema 2020-12', () => {
  const doc = openApiDocument() as unknown as Doc;
  const refs: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref') refs.push(child as string);
        else walk(child);
      }
    }
  };
  walk(doc);
  expect(refs.length).toBeGreaterThan(10);
  for (const target of refs) {
    expect(target.startsWith('#/')).toBe(true);
    let at: unknown = doc;
    for (const part of target.slice(2).split('/')) at = (at as Record<string, unknown>)?.[part];
    expect({ target, found: at !== undefined }).toEqual({ target, found: true });
  }
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: doc.components } as never);
  for (const name of Object.keys(doc.components.schemas)) expect(() => ajv.getSchema(`doc#/components/schemas/${name}`)).not.toThrow();
});

const python = spawnSync('python3', ['-c', 'import openapi_spec_validator'], { encoding: 'utf8' });
(python.status === 0 ? it : it.skip)('openapi-spec-validator (python) finds the document valid OpenAPI 3.1', () => {
  const out = execFileSync(
    'python3',
    [
      '-c',
      'import sys; from openapi_spec_validator import validate; from openapi_spec_validator.readers import read_from_filename; d,_=read_from_filename(sys.argv[1]); validate(d); print("valid")',
      FILE,
    ],
    { encoding: 'utf8' },
  );
  expect(out.trim()).toBe('valid');
});
