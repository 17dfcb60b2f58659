/**
 * The rules a shaped request (ab-request.ts's RequestShape) keeps, as pure functions returning
 * what is wrong, or null: the command line, the gate's configuration and the load engine all
 * check with these, each wording the error its own way (a flag, a field, a cell).
 */
import type { RequestShape } from './ab-request.ts';

/** RFC 9110 section 5.6.2: token = 1*tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A field value: visible characters, spaces, tabs and obs-text, never CR or LF (RFC 9110 section 5.5). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Methods whose responses the engine cannot frame, with why. */
const REFUSED_METHODS: Record<string, string> = {
  CONNECT: 'it opens a tunnel instead of asking for a response',
};

/** Headers the framing of the request owns. */
const FRAMING_HEADERS: Record<string, string> = {
  'content-length': 'the body sets it (--body, --body-file)',
  'transfer-encoding': 'the body sets it (--chunked)',
};

/** What is wrong with a method, or null. */
export function methodProblem(method: string): string | null {
  if (!TOKEN.test(method)) return "is not a token (letters, digits and !#$%&'*+-.^_`|~, RFC 9110 section 9.1)";
  const refused = REFUSED_METHODS[method];
  return refused ? `is not supported: ${refused}` : null;
}

/** What is wrong with a header's name or value, or null. */
export function headerProblem(name: string, value: string): string | null {
  if (!TOKEN.test(name)) return `has a name that is not a token: ${JSON.stringify(name)}`;
  if (!FIELD_VALUE.test(value)) return 'has a value with a control character (CR, LF, NUL...)';
  const framing = FRAMING_HEADERS[name.toLowerCase()];
  return framing ? `cannot be set: ${framing}` : null;
}

/**
 * `Name: value` as ab's -H takes it: the name up to the first colon, the value after it with the
 * whitespace around it dropped; a string without a colon is the problem it has.
 */
export function parseHeaderLine(text: string): readonly [string, string] | string {
  const colon = text.indexOf(':');
  if (colon < 0) return 'has no colon: write it as "Name: value"';
  const name = text.slice(0, colon);
  const value = text.slice(colon + 1).trim();
  return headerProblem(name, value) ?? ([name, value] as const);
}

/** What is wrong with a request path, or null (it goes into the request line as it is). */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'must start with /';
  if (!/^[\x21-\x7e]+$/.test(path))
    return 'must be visible ASCII characters, without spaces or control characters (percent-encode them)';
  return null;
}

/** The first thing wrong with a whole shape, naming its part, or null. */
export function shapeProblem(shape: RequestShape): string | null {
  if (shape.method !== undefined) {
    const problem = methodProblem(shape.method);
    if (problem) return `method ${JSON.stringify(shape.method)} ${problem}`;
  }
  for (const [name, value] of shape.headers ?? []) {
    const problem = headerProblem(name, value);
    if (problem) return `header ${JSON.stringify(`${name}: ${value}`)} ${problem}`;
  }
  if (shape.body !== undefined && !Buffer.isBuffer(shape.body)) return 'body must be a Buffer';
  if (shape.chunked && shape.body === undefined) return 'chunked needs a body to send';
  for (const path of shape.paths ?? []) {
    const problem = pathProblem(path);
    if (problem) return `path ${JSON.stringify(path)} ${problem}`;
  }
  return null;
}
