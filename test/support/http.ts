/**
 * A tiny HTTP client for API tests (Node's fetch) against a TestOutpost, plus
 * account creation through the admin endpoint. Any server with an HTTP address
 * will do: an in-process Outpost, or a child process (outpost-process.ts).
 */
import { checkAnswerIfAsked } from './openapi-check.js';
import { TEST_ADMIN_KEY } from './outpost.js';

/** What the helpers need of a server: where its HTTP listener is (an Outpost, or an OutpostChild once ready). */
export interface HttpTarget {
  readonly httpAddress: string | undefined;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export function baseUrlOf(outpost: HttpTarget): string {
  const address = outpost.httpAddress;
  if (!address) throw new Error('the test server has no HTTP listener');
  return `http://${address}`;
}

/** Sends a request; `json` is serialised, `body` is sent as is. */
export async function request<T = Record<string, unknown>>(
  outpost: HttpTarget,
  method: string,
  path: string,
  options: { key?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<HttpResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(baseUrlOf(outpost) + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text for the assertion message
  }
  // TEST_OPENAPI_CHECK=1 holds every answer to /v1/openapi.json (test/support/openapi-check.ts)
  await checkAnswerIfAsked(outpost.httpAddress!, { method, path, status: response.status, contentType: response.headers.get('content-type'), body: parsed });
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Creates an account through POST /v1/accounts; returns its id and API key. */
export async function createAccount(outpost: HttpTarget, name = 'acme'): Promise<{ id: string; apiKey: string }> {
  const response = await request<{ id: string; api_key: string }>(outpost, 'POST', '/v1/accounts', { key: TEST_ADMIN_KEY, json: { name } });
  if (response.status !== 201) throw new Error(`account creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id, apiKey: response.body.api_key };
}
