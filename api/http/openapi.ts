/**
 * The OpenAPI 3.1 description served at /v1/openapi.json, generated from the
 * zod schemas the routes validate requests with and the views they answer
 * with, so the document cannot drift from what the server accepts and writes.
 *
 * Documenting a route is one OperationDoc entry in its resource's file under
 * openapi/ (a new resource: a new file, listed in RESOURCES below). The tests
 * hold the document to the server: test/api/http/openapi.test.ts lints it
 * (Redocly) and fails on a route the router serves that it does not describe;
 * openapi-conformance.test.ts checks real answers against it.
 *
 * Left out on purpose, as they are not API calls: the plugins' routes (the
 * tracking plugin's /t/...), links in mail that each plugin answers its own
 * way (images, redirects, HTML pages) and whose set depends on the plugins a
 * server runs; and the web console under /ui, HTML pages for people.
 */
import { ACCOUNTS } from './openapi/accounts.js';
import { buildOperations } from './openapi/build.js';
import { DOMAINS } from './openapi/domains.js';
import { MAIL } from './openapi/mail.js';
import type { ResourceDoc } from './openapi/operation.js';
import { OPS } from './openapi/ops.js';
import { STATS } from './openapi/stats.js';
import { SUPPRESSIONS } from './openapi/suppressions.js';
import { WEBHOOKS } from './openapi/webhooks.js';

/** Every resource of the API, in the order the document lists them. */
const RESOURCES: ResourceDoc[] = [MAIL, DOMAINS, SUPPRESSIONS, WEBHOOKS, STATS, ACCOUNTS, OPS];

export function openApiDocument(serverUrl: string): object {
  const { paths, tags, schemas } = buildOperations(RESOURCES);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Outpost',
      version: '1',
      description:
        'Self-hosted transactional mail: send, track status, manage sending domains, suppressions and webhooks. ' +
        'Every error answers {code, message, details?}. A method a path does not take answers 405, a path that does not exist 404. ' +
        'Not described here: the links in mail (tracking, unsubscribe), which are the plugins\' routes, and the web console under /ui.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl }],
    tags,
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'an account\'s API key (op_...)' },
        adminKey: { type: 'http', scheme: 'bearer', description: 'the admin key (OUTPOST_ADMIN_KEY, or the data dir\'s admin.key)' },
      },
      schemas,
    },
  };
}
