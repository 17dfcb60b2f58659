/**
 * The `--url` flag of bench, check and gate: a server already running, given by its URL, which
 * may be mixed with `--server` values. The servers run in the order the two flags were written,
 * so the values are read back from the command line's tokens rather than from each flag's list.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The help text of the `--url` flag, shared by the commands that take servers. */
export const URL_OPTION_HELP = `  --url [NAME=]URL       a server already running at an http:// or https:// URL: neither
                         started nor stopped (repeatable, mixes with --server; NAME defaults to
                         the URL's host:port; NAME:MODEL:LANGUAGE=URL also states its model and
                         language)`;

/** The `--url` option, to spread into a command's options. */
export const URL_OPTION = { url: { type: 'string', multiple: true } } as const;

/** A server as written: a `--server` value (a name, a folder, NAME=CMD) or a URL server's value. */
export type ServerValue = string | { url: string };

/** The value as its flag writes it: `--server "x"` or `--url "x"`. */
export function describeServerValue(value: ServerValue): string {
  return typeof value === 'string' ? `--server ${JSON.stringify(value)}` : `--url ${JSON.stringify(value.url)}`;
}

/**
 * The `--server` and `--url` values of a command line, in the order written. The line must have
 * been checked by parseFlags first: this reads its tokens only.
 */
export function serverValuesInOrder(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): ServerValue[] {
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: ServerValue[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if (token.name === 'server') values.push(token.value);
    else if (token.name === 'url') values.push({ url: token.value });
  }
  return values;
}
