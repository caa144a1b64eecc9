/**
 * Turns the OperationDocs into the OpenAPI paths and component schemas. What
 * follows from an operation's traits is added here, once for all of them: its
 * security and the 401/403 of its key, the 400/413/415 of a JSON body, the
 * 500/503 any route answers, the path parameters. A mistake in an entry (a
 * path parameter left undescribed, an operationId used twice) throws, so the
 * server does not start with a wrong document and the tests say why.
 */
import { z } from 'zod';
import { ErrorJson } from '../views/error.js';
import { REQUEST_SCHEMAS, RESPONSE_SCHEMAS } from './components.js';
import type { Credential, OperationDoc, ResourceDoc, ResponseDoc } from './operation.js';

const RETRY_AFTER = { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } };

/** What every route can answer: a bug, and an Outpost that cannot serve right now. */
const EVERY_ROUTE: Record<number, ResponseDoc> = {
  500: { description: 'a bug (internal_error): the message carries a request id to quote; the stack is in the server log' },
  503: {
    description: 'Outpost is starting (shutting_down, Retry-After: 1) or stopping, or its storage is failing (storage_failed); retry in a moment',
    headers: { 'Retry-After': RETRY_AFTER },
  },
};

const BY_CREDENTIAL: Record<Credential, Record<number, ResponseDoc>> = {
  account: {
    401: { description: 'no Authorization: Bearer header, or not a valid API key (unauthorized)' },
    403: { description: 'the account is disabled (forbidden)' },
  },
  admin: {
    401: { description: 'no Authorization: Bearer header (unauthorized)' },
    403: { description: 'the key is not the admin key (forbidden)' },
  },
  none: {},
};

const SECURITY: Record<Credential, object[]> = { account: [{ apiKey: [] }], admin: [{ adminKey: [] }], none: [] };

const JSON_BODY: Record<number, ResponseDoc> = {
  400: { description: 'the body is not valid JSON, or a field is wrong (invalid_request; details names each field)' },
  413: { description: 'the body is larger than the route takes' },
  415: { description: 'the body is not application/json (unsupported_media_type)' },
};

const ERROR_MEDIA = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

/** Component schemas by name, in two registries: requests as read (io "input"), answers as written (io "output"). */
class SchemaComponents {
  private readonly registries = { input: z.registry<{ id: string }>(), output: z.registry<{ id: string }>() };

  constructor() {
    for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) this.registries.input.add(schema, { id: name });
    for (const [name, schema] of Object.entries(RESPONSE_SCHEMAS)) this.registries.output.add(schema, { id: name });
  }

  /** A $ref to `schema`; a schema without a name gets `fallbackName`. */
  ref(schema: z.ZodType, io: 'input' | 'output', fallbackName: string): { $ref: string } {
    const registry = this.registries[io];
    let id = registry.get(schema)?.id;
    if (id === undefined) {
      id = fallbackName;
      registry.add(schema, { id });
    }
    return { $ref: `#/components/schemas/${id}` };
  }

  /** Every named schema as JSON Schema 2020-12, cross-references as $refs into components/schemas. */
  toJsonSchemas(): Record<string, object> {
    const schemas: Record<string, object> = {};
    for (const io of ['input', 'output'] as const) {
      const converted = z.toJSONSchema(this.registries[io], {
        target: 'draft-2020-12',
        io,
        unrepresentable: 'any',
        uri: (id) => `#/components/schemas/${id}`,
      });
      for (const [name, schema] of Object.entries(converted.schemas)) {
        if (name in schemas) throw new Error(`openapi: schema ${name} is both a request and an answer; give one of them another name in components.ts`);
        // a component is not a schema resource of its own: no $id, and the dialect is the document's
        const component: Record<string, unknown> = { ...schema };
        delete component.$id;
        delete component.$schema;
        schemas[name] = component;
      }
    }
    return schemas;
  }
}

/** `getStats` → `GetStats`, for names of schemas that have none. */
const pascal = (operationId: string) => operationId.charAt(0).toUpperCase() + operationId.slice(1);

/** The query parameters of an operation, one per property of its schema. */
function queryParameters(schema: z.ZodType): object[] {
  const described = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: described.required?.includes(name) ?? false,
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}

function pathParameters(operation: OperationDoc): object[] {
  const named = [...operation.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
  const described = Object.keys(operation.params ?? {});
  const undescribed = named.filter((name) => !described.includes(name));
  const unknown = described.filter((name) => !named.includes(name));
  if (undescribed.length > 0 || unknown.length > 0) {
    throw new Error(`openapi: ${operation.operationId}: params must describe exactly the path's {names} (${named.join(', ') || 'none'}); got ${described.join(', ') || 'none'}`);
  }
  return named.map((name) => ({ name, in: 'path', required: true, description: operation.params![name], schema: { type: 'string' } }));
}

function responseObject(status: number, response: ResponseDoc, operationId: string, components: SchemaComponents): object {
  const headers = response.headers ? { headers: response.headers } : {};
  if (response.json) {
    const schema = components.ref(response.json, 'output', `${pascal(operationId)}${status < 300 ? 'Response' : status}`);
    return { description: response.description, ...headers, content: { 'application/json': { schema } } };
  }
  if (response.text) return { description: response.description, ...headers, content: { [response.text]: { schema: { type: 'string' } } } };
  // every error answer has the Error body (api/http/errors.ts)
  if (status >= 400) return { description: response.description, ...headers, content: ERROR_MEDIA };
  return { description: response.description, ...headers };
}

function requestBody(operation: OperationDoc, components: SchemaComponents): object | undefined {
  if (!operation.body) return undefined;
  const name = pascal(operation.operationId);
  return {
    required: !operation.bodyOptional,
    content: {
      'application/json': { schema: components.ref(operation.body, 'input', `${name}Body`) },
      ...(operation.multipart ? { 'multipart/form-data': { schema: components.ref(operation.multipart, 'input', `${name}Multipart`) } } : {}),
    },
  };
}

function operationObject(operation: OperationDoc, tag: string, components: SchemaComponents): object {
  const declared = Object.fromEntries(Object.entries(operation.responses).map(([status, response]) => [status, typeof response === 'string' ? { description: response } : response]));
  const responses: Record<string, ResponseDoc> = { ...EVERY_ROUTE, ...BY_CREDENTIAL[operation.auth], ...(operation.body ? JSON_BODY : {}), ...declared };
  const parameters = [
    ...pathParameters(operation),
    ...(operation.query ? queryParameters(operation.query) : []),
    ...(operation.headers ?? []).map((header) => ({ in: 'header', ...header })),
  ];
  const body = requestBody(operation, components);
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [tag],
    security: SECURITY[operation.auth],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: Object.fromEntries(
      Object.entries(responses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, response]) => [status, responseObject(Number(status), response, operation.operationId, components)]),
    ),
  };
}

/** The paths, tags and component schemas of `resources`. */
export function buildOperations(resources: ResourceDoc[]): { paths: Record<string, Record<string, object>>; tags: object[]; schemas: Record<string, object> } {
  const components = new SchemaComponents();
  components.ref(ErrorJson, 'output', 'Error');
  const paths: Record<string, Record<string, object>> = {};
  const operationIds = new Set<string>();
  for (const { tag, operations } of resources) {
    for (const operation of operations) {
      if (operationIds.has(operation.operationId)) throw new Error(`openapi: operationId ${operation.operationId} is used twice`);
      operationIds.add(operation.operationId);
      const methods = (paths[operation.path] ??= {});
      if (methods[operation.method]) throw new Error(`openapi: ${operation.method.toUpperCase()} ${operation.path} is described twice`);
      methods[operation.method] = operationObject(operation, tag.name, components);
    }
  }
  return { paths, tags: resources.map((resource) => resource.tag), schemas: components.toJsonSchemas() };
}
