/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table and its zod schemas,
 * so the document cannot drift from what the router accepts. OpenAPI 3.1 schemas are JSON Schema
 * draft 2020-12, which is what `z.toJSONSchema` emits.
 */
import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './pagination.ts';
import { MAX_ID_LENGTH } from './schemas.ts';
import type { Route } from './routes/types.ts';

export interface OpenApiOptions {
  readonly title?: string;
  readonly version?: string;
  /** Whether a route answers one page of `{ items, nextCursor? }` and takes `limit` and `cursor`. */
  readonly isPaged: (route: Route) => boolean;
}

type JsonObject = Record<string, unknown>;

const ERROR_SCHEMA: JsonObject = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Machine-readable reason, e.g. INVALID_REQUEST, NOT_FOUND, METHOD_NOT_ALLOWED, ILLEGAL_ACTION' },
        message: { type: 'string' },
        field: { type: 'string', description: 'The input at fault (dotted path into the body, or a query or path parameter)' },
      },
    },
  },
};

const PAGE_SCHEMA: JsonObject = {
  type: 'object',
  required: ['items'],
  properties: {
    items: { type: 'array', items: {} },
    nextCursor: { type: 'string', description: 'Pass as ?cursor= for the next page; absent on the last page' },
  },
};

const errorResponse = (description: string): JsonObject => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** JSON Schema of what a client sends: fields with defaults are optional. */
export function inputJsonSchema(schema: z.ZodType): JsonObject {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  // The dialect is the document's (OpenAPI 3.1: draft 2020-12), not repeated per schema.
  delete jsonSchema['$schema'];
  return jsonSchema;
}

/** One OpenAPI query parameter per property of a route's query schema. */
function queryParametersOf(query: z.ZodObject): JsonObject[] {
  const schema = inputJsonSchema(query) as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property }));
}

/** A unique name per operation, e.g. `postCampaignsCampaignIdPause`. */
function operationId(route: Route): string {
  const words = route.path
    .split('/')
    .flatMap((segment) => segment.replace(/[{}]/g, '').split(/[-.]/))
    .filter(Boolean);
  return `${route.method.toLowerCase()}${words.map((word) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`).join('')}`;
}

function operation(route: Route, paged: boolean): JsonObject {
  const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH } }));
  const queryParameters = paged
    ? [
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT } },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'nextCursor of the previous page' },
      ]
    : [];
  const parameters = [...pathParameters, ...(route.query === undefined ? [] : queryParametersOf(route.query)), ...queryParameters];
  // Creations answer 201: a POST on a collection (not the dry run) and a PUT.
  const creates = (route.method === 'POST' && !route.path.includes('}') && !route.path.endsWith('/dry-run')) || route.method === 'PUT';
  const success = creates ? '201' : '200';
  const responses: JsonObject = {
    [success]: { description: 'OK', content: { 'application/json': { schema: paged ? { $ref: '#/components/schemas/Page' } : {} } } },
  };
  if (route.body !== undefined || route.query !== undefined || paged) responses['400'] = errorResponse('Bad input; `field` names it');
  if (pathParameters.length > 0) responses['404'] = errorResponse('Unknown id');
  if (route.method !== 'GET') responses['409'] = errorResponse('Not allowed in the current state');
  responses['default'] = errorResponse('Any other error, e.g. 405 for a method the path does not allow');
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.path.split('/')[1] ?? 'api'],
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: inputJsonSchema(route.body) } } } }),
    responses,
  };
}

export function buildOpenApiDocument(routes: readonly Route[], options: OpenApiOptions): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route, options.isPaged(route));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'lwm2m-fota API',
      version: options.version ?? '1',
      description: 'Firmware-over-the-air campaigns for LwM2M fleets. In AWS every request is signed with SigV4 (service execute-api); the local stack listens on loopback without authentication.',
    },
    paths,
    components: { schemas: { Error: ERROR_SCHEMA, Page: PAGE_SCHEMA } },
  };
}
