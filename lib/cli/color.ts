/**
 * Whether the CLI paints its output with ANSI escape codes: one decision for every command, so
 * that NO_COLOR (https://no-color.org) and FORCE_COLOR mean the same thing everywhere. Colour is
 * for people at a terminal; logs, pipes and files get plain text unless asked otherwise.
 */

/** The variables the decision reads: process.env by default, a record in tests. */
export type ColorEnv = Readonly<Record<string, string | undefined>>;

/** A stream that may be a terminal (process.stdout, process.stderr). */
export interface MaybeTerminal {
  readonly isTTY?: boolean;
}

/** NO_COLOR set and not empty: no escape code at all, even on a terminal. */
export function noColorAsked(env: ColorEnv = process.env): boolean {
  const value = env.NO_COLOR;
  return value !== undefined && value !== '';
}

/** FORCE_COLOR set and not "0" (an empty value counts as set, as chalk and Node read it). */
function forceColorAsked(env: ColorEnv): boolean {
  const value = env.FORCE_COLOR;
  return value !== undefined && value !== '0';
}

/** FORCE_COLOR=0: no colour, even on a terminal (as Node and chalk read it). */
function colorRefused(env: ColorEnv): boolean {
  return env.FORCE_COLOR === '0';
}

/**
 * Colour on this stream: NO_COLOR (or FORCE_COLOR=0) turns it off, then FORCE_COLOR turns it on
 * even when the output is piped, and otherwise a terminal gets colour and anything else does not.
 */
export function useColor(stream: MaybeTerminal, env: ColorEnv = process.env): boolean {
  if (noColorAsked(env) || colorRefused(env)) return false;
  if (forceColorAsked(env)) return true;
  return Boolean(stream.isTTY);
}

/**
 * Whether progress may rewrite its line in place (`\r` and an erase-line escape). That is no
 * colour, but someone who sets NO_COLOR wants no escape code in the output at all, so progress
 * then writes plain lines as it does in a log. A piped stream never gets rewrites: FORCE_COLOR
 * asks for colour, not for a terminal.
 */
export function rewritesLines(stream: MaybeTerminal, env: ColorEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !noColorAsked(env);
}
