/**
 * Every route of the REST API the client calls, named as /v1/openapi.json
 * names it (`METHOD /path/{param}`), with the key it needs. The client's
 * methods call routes only by these names, and a test compares this table with
 * the OpenAPI document of a running server, so a route the server gains
 * without the client following fails that test.
 */
import { clientError } from './errors.js';

/** Which key a route takes: an account's API key, the admin key, or none. */
export type Credential = 'account' | 'admin' | 'none';

export const ROUTES = {
  'POST /v1/mail/send': 'account',
  'GET /v1/mail/messages': 'account',
  'GET /v1/mail/messages/{id}': 'account',
  'POST /v1/domains': 'account',
  'GET /v1/domains': 'account',
  'GET /v1/domains/{domain}': 'account',
  'PATCH /v1/domains/{domain}': 'account',
  'DELETE /v1/domains/{domain}': 'account',
  'POST /v1/domains/{domain}/verify': 'account',
  'POST /v1/domains/{domain}/dkim/rotate': 'account',
  'GET /v1/suppressions': 'account',
  'POST /v1/suppressions': 'account',
  'GET /v1/suppressions/{address}': 'account',
  'DELETE /v1/suppressions/{address}': 'account',
  'POST /v1/webhooks': 'account',
  'GET /v1/webhooks': 'account',
  'DELETE /v1/webhooks/{id}': 'account',
  'GET /v1/webhooks/{id}/deliveries': 'account',
  'GET /v1/account/health': 'account',
  'GET /v1/stats': 'account',
  'POST /v1/accounts': 'admin',
  'GET /v1/accounts': 'admin',
  'GET /v1/accounts/{id}': 'admin',
  'PATCH /v1/accounts/{id}': 'admin',
  'DELETE /v1/accounts/{id}': 'admin',
  'POST /v1/accounts/{id}/disable': 'admin',
  'POST /v1/accounts/{id}/enable': 'admin',
  'POST /v1/accounts/{id}/resume': 'admin',
  'POST /v1/accounts/{id}/rotate-key': 'admin',
  'GET /v1/accounts/{id}/health': 'admin',
  'GET /v1/openapi.json': 'none',
  'GET /health': 'none',
  'GET /metrics': 'none',
} as const satisfies Record<string, Credential>;

export type RouteName = keyof typeof ROUTES;

/** The method and the path of `route` with its `{param}`s filled in (each URL-encoded). */
export function routePath(route: RouteName, params: Record<string, string> = {}): { method: string; path: string } {
  const [method, template] = route.split(' ') as [string, string];
  const path = template.replace(/\{([a-z]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw clientError('invalid_argument', `${route}: give the ${name}`);
    return encodeURIComponent(value);
  });
  return { method, path };
}
