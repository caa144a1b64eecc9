/**
 * Holds real answers to /v1/openapi.json: the request's method and path must
 * be an operation of the document, the status one of that operation's
 * responses, the media type one the response lists, and a JSON body must
 * match the response's schema (ajv: OpenAPI 3.1 schemas are JSON Schema
 * 2020-12). test/api/http/openapi-conformance.test.ts checks every route with
 * it; request() in http.ts checks every answer with it when TEST_OPENAPI_CHECK=1.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface MediaTypeObject {
  schema?: object;
}

interface ResponseObject {
  description: string;
  content?: Record<string, MediaTypeObject>;
}

interface OperationObject {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, object> };
}

/** An answer to check: what was asked, and what came back. */
export interface CheckedAnswer {
  method: string;
  /** The request path; a query string is ignored. */
  path: string;
  status: number;
  /** The Content-Type header of the answer, when it had one. */
  contentType?: string | null;
  /** The body: parsed JSON, text, or undefined when empty. */
  body: unknown;
}

/** The operation an answer was checked against: `GET /v1/domains/{domain}` and the status found. */
export interface CheckedOperation {
  route: string;
  status: string;
}

interface PathTemplate {
  template: string;
  pattern: RegExp;
  parameters: number;
}

export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly templates: PathTemplate[];
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    // ajv-formats is CommonJS: as an ES import its plugin function is the module's `default`
    addFormats.default(this.ajv);
    // Response schemas refer to #/components/schemas/...: each is compiled inside a copy of the
    // components, which this keyword lets ajv carry (strict mode refuses unknown keywords).
    this.ajv.addKeyword({ keyword: 'components', schemaType: 'object' });
    this.templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+')}$`),
        parameters: template.split('{').length - 1,
      }))
      // a literal segment wins over a parameter, as in the router (/v1/account/health before /v1/accounts/{id})
      .sort((a, b) => a.parameters - b.parameters);
  }

  /** The documented route of `method path`, e.g. `GET /v1/domains/{domain}`; undefined when the document has none. */
  routeOf(method: string, path: string): string | undefined {
    const bare = path.split('?')[0]!;
    const lower = method.toLowerCase();
    const template = this.templates.find((candidate) => candidate.pattern.test(bare) && this.document.paths[candidate.template]![lower]);
    return template ? `${method.toUpperCase()} ${template.template}` : undefined;
  }

  /**
   * Throws an Error naming the mismatch: an undocumented operation (unless
   * `unknownRoutes` is 'skip'), an undocumented status or media type, a body
   * the schema refuses, a body where the document says none.
   */
  check(answer: CheckedAnswer, options: { unknownRoutes?: 'fail' | 'skip' } = {}): CheckedOperation | undefined {
    const route = this.routeOf(answer.method, answer.path);
    if (!route) {
      if (options.unknownRoutes === 'skip') return undefined;
      throw new Error(`${answer.method} ${answer.path} is not an operation of /v1/openapi.json`);
    }
    const [method, template] = route.split(' ') as [string, string];
    const responses = this.document.paths[template]![method.toLowerCase()]!.responses;
    const status = [String(answer.status), `${String(answer.status).charAt(0)}XX`, 'default'].find((key) => responses[key]);
    const where = `${route} answered ${answer.status}`;
    if (!status) throw new Error(`${where}, which the document does not list (it lists ${Object.keys(responses).join(', ')}); body: ${excerpt(answer.body)}`);
    const content = responses[status]!.content;
    if (!content) {
      if (answer.body !== undefined && answer.body !== '') throw new Error(`${where} with a body, where the document says none: ${excerpt(answer.body)}`);
      return { route, status };
    }
    const mediaType = (answer.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const documented = content[mediaType];
    if (!documented) throw new Error(`${where} with Content-Type "${answer.contentType ?? ''}", where the document lists ${Object.keys(content).join(', ')}`);
    if (documented.schema) {
      const validate = this.validatorFor(documented.schema);
      if (!validate(answer.body)) {
        throw new Error(`${where} with a body its schema refuses: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}; body: ${excerpt(answer.body)}`);
      }
    }
    return { route, status };
  }

  private validatorFor(schema: object): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile({ ...schema, components: { schemas: this.document.components?.schemas ?? {} } });
      this.validators.set(schema, validate);
    }
    return validate;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function excerpt(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text === undefined ? '(none)' : text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

/** Checkers by server address: the document is read once per server. */
const checkers = new Map<string, Promise<OpenApiChecker>>();

/** A checker for the server at `httpAddress` (host:port), from its own GET /v1/openapi.json. */
export function openApiCheckerFor(httpAddress: string): Promise<OpenApiChecker> {
  let checker = checkers.get(httpAddress);
  if (!checker) {
    checker = fetch(`http://${httpAddress}/v1/openapi.json`).then(async (response) => {
      if (response.status !== 200) throw new Error(`GET /v1/openapi.json answered ${response.status}`);
      return new OpenApiChecker((await response.json()) as OpenApiDocument);
    });
    // a port is reused by a later server: keep only a document that was read
    checker.catch(() => checkers.delete(httpAddress));
    checkers.set(httpAddress, checker);
  }
  return checker;
}

/**
 * What request() in http.ts calls for every answer when TEST_OPENAPI_CHECK=1,
 * so any test's answers are held to the document. A route the document does
 * not have passes unchecked: the plugins' links in mail, and the paths tests
 * call on purpose to see a 404 or 405.
 */
export async function checkAnswerIfAsked(httpAddress: string, answer: CheckedAnswer): Promise<void> {
  if (process.env.TEST_OPENAPI_CHECK !== '1') return;
  (await openApiCheckerFor(httpAddress)).check(answer, { unknownRoutes: 'skip' });
}
