/**
 * How one route is described in /v1/openapi.json: an OperationDoc per method
 * and path, kept with the other routes of its resource (mail.ts, domains.ts,
 * ...). An entry says only what is particular to its route; build.ts adds what
 * follows from its traits: the security and 401/403 of its key, the 400/413/415
 * of a JSON body, the 500/503 every route can answer, and the path parameters'
 * schemas.
 */
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Which key a route takes: an account's API key, the admin key, or none. */
export type Credential = 'account' | 'admin' | 'none';

/** A header of a response: what it says, and its JSON Schema. */
export interface HeaderDoc {
  description: string;
  schema: object;
}

/** One answer of a route. */
export interface ResponseDoc {
  description: string;
  /** The JSON body (converted with io "output"); left out for a bodiless answer. */
  json?: z.ZodType;
  /** A text body of this media type instead (text/plain). */
  text?: string;
  headers?: Record<string, HeaderDoc>;
}

/** A request header the route reads, as an OpenAPI Parameter Object without `in`. */
export interface HeaderParameterDoc {
  name: string;
  description: string;
  required?: boolean;
  schema: object;
}

export interface OperationDoc {
  method: HttpMethod;
  /** The OpenAPI path template: `{name}` where @koa/router has `:name`. */
  path: string;
  /** camelCase, unique in the document: what generated clients name the call. */
  operationId: string;
  summary: string;
  description?: string;
  auth: Credential;
  /** Each `{name}` of the path and what it holds. */
  params?: Record<string, string>;
  /** The query: a zod object whose properties are the parameters. */
  query?: z.ZodType;
  headers?: HeaderParameterDoc[];
  /** The JSON body, read with readJson (so 400, 413 and 415 follow). */
  body?: z.ZodType;
  /** The same fields as multipart/form-data, when the route also takes that. */
  multipart?: z.ZodType;
  /** The body may be left out. */
  bodyOptional?: boolean;
  /**
   * Every status the route itself answers. A string is an error answer with
   * that description and the Error body; an entry here wins over the one
   * build.ts adds for the same status.
   */
  responses: Record<number, ResponseDoc | string>;
}

/** The routes of one resource, under one tag. */
export interface ResourceDoc {
  tag: { name: string; description: string };
  operations: OperationDoc[];
}

/** A JSON answer. */
export function json(description: string, schema: z.ZodType, headers?: Record<string, HeaderDoc>): ResponseDoc {
  return { description, json: schema, ...(headers ? { headers } : {}) };
}

/** An answer without a body (204). */
export function noContent(description: string): ResponseDoc {
  return { description };
}
