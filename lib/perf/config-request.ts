/**
 * The request of a gate's configuration: `path`, and `request`, the shape bench takes from
 * --method, --header, --body, --body-file, --chunked and several --path:
 *
 *   request: {
 *     method: 'POST',
 *     headers: { 'Content-Type': 'application/json' },   // or ['Name: value', ...]
 *     bodyFile: 'fixtures/order.json',                    // or body: '...'; relative to the file
 *     chunked: false,
 *     paths: ['/a', '/b'],                                // round robin, instead of path
 *   }
 *
 * Checked with the load engine's own rules (lib/load/request-shape-check.ts), each broken one
 * naming its field.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RequestShape } from '../load/ab-request.ts';
import { headerProblem, methodProblem, parseHeaderLine, pathProblem } from '../load/request-shape-check.ts';

/** `request` as a configuration writes it. */
export interface GateRequestConfig {
  /** The method (default GET, or POST with a body, as ab). */
  method?: string;
  /** Headers, as `{ Name: 'value' }` or `['Name: value']` (as ab -H); Content-Type with a body is ab's -T. */
  headers?: Record<string, string> | string[];
  /** The body, framed by Content-length (as ab -p). */
  body?: string;
  /** The body read from this file, relative to the configuration file. */
  bodyFile?: string;
  /** Send the body chunked. */
  chunked?: boolean;
  /** Several paths, request i sent to paths[i mod n] (instead of `path`). */
  paths?: string[];
}

/** Builds the error of a field (the configuration's ConfigError). */
type Fail = (field: string, detail: string) => Error;

/** What the configuration says of the request: the first path, whether one was given, the shape. */
export interface ResolvedRequest {
  path: string;
  pathGiven: boolean;
  shape?: RequestShape;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkedPath(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string') throw fail(field, `must be a string starting with /, got ${JSON.stringify(v)}`);
  const problem = pathProblem(v);
  if (problem) throw fail(field, `${problem}, got ${JSON.stringify(v)}`);
  return v;
}

function headersOf(v: unknown, fail: Fail): Array<readonly [string, string]> {
  if (Array.isArray(v)) {
    return v.map((line, i) => {
      const parsed = typeof line === 'string' ? parseHeaderLine(line) : 'must be a string "Name: value"';
      if (typeof parsed === 'string') throw fail(`request.headers[${i}]`, parsed);
      return parsed;
    });
  }
  if (!isObject(v)) throw fail('request.headers', 'must be { Name: "value" } or ["Name: value"]');
  return Object.entries(v).map(([name, value]) => {
    if (typeof value !== 'string') throw fail(`request.headers.${name}`, 'must be a string');
    const problem = headerProblem(name, value.trim());
    if (problem) throw fail(`request.headers.${name}`, problem);
    return [name, value.trim()] as const;
  });
}

function bodyOf(r: Record<string, unknown>, baseDir: string, fail: Fail): Buffer | undefined {
  if (r.body !== undefined && r.bodyFile !== undefined) throw fail('request.body', 'and request.bodyFile: give one');
  if (r.body !== undefined) {
    if (typeof r.body !== 'string') throw fail('request.body', 'must be a string');
    return Buffer.from(r.body, 'utf8');
  }
  if (r.bodyFile === undefined) return undefined;
  if (typeof r.bodyFile !== 'string') throw fail('request.bodyFile', 'must be a path');
  try {
    return readFileSync(resolve(baseDir, r.bodyFile));
  } catch (err) {
    throw fail('request.bodyFile', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

const REQUEST_FIELDS = new Set(['method', 'headers', 'body', 'bodyFile', 'chunked', 'paths']);

/** The shape of `request`, every field checked. */
function shapeOf(r: Record<string, unknown>, baseDir: string, fail: Fail): RequestShape {
  for (const key of Object.keys(r)) {
    if (!REQUEST_FIELDS.has(key)) {
      throw fail(`request.${key}`, `is not a known field (known: ${[...REQUEST_FIELDS].join(', ')})`);
    }
  }
  const shape: RequestShape = {};
  if (r.method !== undefined) {
    const problem = typeof r.method === 'string' ? methodProblem(r.method) : 'must be a string';
    if (problem) throw fail('request.method', `${problem}, got ${JSON.stringify(r.method)}`);
    shape.method = r.method as string;
  }
  if (r.headers !== undefined) shape.headers = headersOf(r.headers, fail);
  const body = bodyOf(r, baseDir, fail);
  if (body !== undefined) shape.body = body;
  if (r.chunked !== undefined && typeof r.chunked !== 'boolean') throw fail('request.chunked', 'must be true or false');
  if (r.chunked && body === undefined) throw fail('request.chunked', 'needs a body (request.body or request.bodyFile)');
  if (r.chunked) shape.chunked = true;
  return shape;
}

/** `path` and `request` of a configuration (`raw`), relative files from `baseDir`. */
export function resolveRequestConfig(raw: Record<string, unknown>, baseDir: string, fail: Fail): ResolvedRequest {
  const request = raw.request;
  if (request !== undefined && !isObject(request)) throw fail('request', 'must be an object');
  const paths = request?.paths;
  if (paths !== undefined && raw.path !== undefined)
    throw fail('request.paths', 'and path both name the path: give one');
  if (paths !== undefined && (!Array.isArray(paths) || paths.length === 0)) {
    throw fail('request.paths', 'must be a list of one path or more');
  }
  const list = paths === undefined ? [raw.path === undefined ? '/' : checkedPath(raw.path, 'path', fail)] : [];
  if (Array.isArray(paths))
    for (const [i, p] of paths.entries()) list.push(checkedPath(p, `request.paths[${i}]`, fail));
  const resolved: ResolvedRequest = { path: list[0]!, pathGiven: raw.path !== undefined || paths !== undefined };
  if (request === undefined) return resolved;
  const shape = shapeOf(request, baseDir, fail);
  if (list.length > 1) shape.paths = list;
  return Object.keys(shape).length > 0 ? { ...resolved, shape } : resolved;
}
