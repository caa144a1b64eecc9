/**
 * Operational endpoints, no key: /health, /metrics, and this document.
 */
import { z } from 'zod';
import { ErrorJson } from '../views/error.js';
import { HealthJson } from '../views/health.js';
import { json, type ResourceDoc } from './operation.js';

/** What GET /v1/openapi.json answers, as far as a client checks it. */
const OpenApiDocumentJson = z.looseObject({
  openapi: z.string().meta({ examples: ['3.1.0'] }),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.looseObject({})),
}).meta({ description: 'this document (OpenAPI 3.1)' });

export const OPS: ResourceDoc = {
  tag: { name: 'operations', description: 'Health, metrics and this description; no key, nothing about any account\'s mail' },
  operations: [
    {
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      summary: 'Whether every enabled listener is up and the spool takes writes; the queue size rides along',
      auth: 'none',
      responses: {
        200: json('healthy (status ok)', HealthJson),
        // the Error body only while Outpost is starting, before it can look
        503: {
          description: 'a part is down (status unavailable, failing names it), or Outpost is starting (the Error body, shutting_down, with Retry-After)',
          json: z.union([HealthJson, ErrorJson]),
          headers: { 'Retry-After': { description: 'starting: seconds to wait', schema: { type: 'integer', minimum: 0 } } },
        },
      },
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      auth: 'none',
      responses: { 200: { description: 'the Prometheus text exposition format', text: 'text/plain' } },
    },
    {
      method: 'get',
      path: '/v1/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This description of the API (OpenAPI 3.1)',
      auth: 'none',
      responses: { 200: json('the document', OpenApiDocumentJson) },
    },
  ],
};
