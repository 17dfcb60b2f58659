/**
 * The flags that shape bench's request, as ab's -m, -H, -p and -T do, and what ab cannot do:
 * `--method M`, `--header "Name: value"` (repeatable), `--body TEXT` or `--body-file F`
 * (Content-length framed; `--chunked` sends it chunked), and several `--path` taken round robin.
 * The rules themselves are lib/load/request-shape-check.ts's, shared with the gate's
 * configuration and the load engine; here each broken rule names its flag (exit 2).
 */
import { readFile } from 'node:fs/promises';
import type { RequestShape } from '../load/ab-request.ts';
import { methodProblem, parseHeaderLine } from '../load/request-shape-check.ts';
import { UsageError, flagError, requestPath } from './args.ts';

/** The options, to spread into a command's options (`--path` stays the command's own). */
export const REQUEST_OPTIONS = {
  method: { type: 'string' },
  header: { type: 'string', multiple: true },
  body: { type: 'string' },
  'body-file': { type: 'string' },
  chunked: { type: 'boolean', default: false },
} as const;

/** Their help lines. */
export const REQUEST_OPTION_HELP = `  --path PATH            the request path (default /, or a --url server's own path); given more
                         than once, request i goes to the i-th path mod their number (round robin)
  --method M             the request method (default GET, or POST with a body, as ab -m / -p)
  --header "Name: value" a request header, repeatable (as ab -H); Host, User-Agent or Accept
                         replace ab's own; with a body, Content-Type is ab's -T (default text/plain)
  --body TEXT            the request body, framed by Content-length (as ab -p)
  --body-file F          the request body read from the file F (as ab -p F)
  --chunked              send the body with Transfer-Encoding: chunked (HTTP/1.1 in close mode)`;

/** The flags as the parser hands them over. */
export interface RequestFlagValues {
  path?: string[];
  method?: string;
  header?: string[];
  body?: string;
  'body-file'?: string;
  chunked?: boolean;
}

/** The request the flags name: its first path, and its shape when any flag departs from ab's GET. */
export interface RequestFlags {
  path: string;
  /** Whether --path was given: if not, each URL server is sent its URL's own path. */
  pathGiven: boolean;
  shape?: RequestShape;
}

/** `--method M`: a token (RFC 9110), and a method whose responses the engine can frame. */
export function methodFlag(text: string): string {
  const problem = methodProblem(text);
  if (problem) throw flagError('--method', text, problem);
  return text;
}

/** `--header "Name: value"`, as ab's -H takes it. */
export function headerFlag(text: string): readonly [string, string] {
  const parsed = parseHeaderLine(text);
  if (typeof parsed === 'string') throw flagError('--header', text, parsed);
  return parsed;
}

/** The body of `--body` or `--body-file` (read whole, sent as it is), or undefined. */
async function bodyFlags(v: RequestFlagValues): Promise<Buffer | undefined> {
  const file = v['body-file'];
  if (v.body !== undefined && file !== undefined) {
    throw new UsageError('--body and --body-file both give the request body: give one of them');
  }
  if (v.body !== undefined) return Buffer.from(v.body, 'utf8');
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (err) {
    throw flagError('--body-file', file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** The request flags, every value checked; no shape when the request is ab's GET of one path. */
export async function parseRequestFlags(v: RequestFlagValues): Promise<RequestFlags> {
  const paths = (v.path ?? ['/']).map(requestPath);
  const method = v.method === undefined ? undefined : methodFlag(v.method);
  const headers = (v.header ?? []).map(headerFlag);
  const body = await bodyFlags(v);
  if (v.chunked && body === undefined) {
    throw new UsageError('--chunked sends the request body chunked, and there is none: give --body or --body-file');
  }
  const flags: RequestFlags = { path: paths[0]!, pathGiven: v.path !== undefined };
  if (method === undefined && headers.length === 0 && body === undefined && paths.length === 1) return flags;
  const shape: RequestShape = {
    ...(method !== undefined && { method }),
    ...(headers.length > 0 && { headers }),
    ...(body !== undefined && { body }),
    ...(v.chunked && { chunked: true }),
    ...(paths.length > 1 && { paths }),
  };
  return { ...flags, shape };
}
