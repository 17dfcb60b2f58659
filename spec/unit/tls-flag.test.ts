/** The `--tls` and `--insecure` flags: their options, how they combine, and the target they give. */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TLS_OPTIONS, TLS_OPTION_HELP, targetTls, tlsFlagsProblem } from '../../lib/cli/tls-flag.ts';

function parse(argv: string[]): { tls: boolean; insecure: boolean } {
  return parseArgs({ args: argv, options: TLS_OPTIONS, strict: true }).values;
}

describe('--tls and --insecure', () => {
  it('default to plain TCP', () => {
    const flags = parse([]);
    expect(flags).toEqual({ tls: false, insecure: false });
    expect(tlsFlagsProblem(flags, false)).toBeNull();
    expect(targetTls(flags)).toBeUndefined();
  });

  it('--tls verifies against the certificate of the run; --insecure accepts any', () => {
    expect(targetTls(parse(['--tls']), 'PEM')).toEqual({ insecure: false, ca: 'PEM' });
    expect(targetTls(parse(['--tls', '--insecure']))).toEqual({ insecure: true });
  });

  it('refuses --insecure where nothing is TLS, naming the flag', () => {
    expect(tlsFlagsProblem(parse(['--insecure']), false)).toMatch(/^--insecure: .*give --tls/);
    expect(tlsFlagsProblem(parse(['--insecure']), true)).toBeNull();
  });

  it('are in the help text', () => {
    expect(TLS_OPTION_HELP).toMatch(/^ {2}--tls /m);
    expect(TLS_OPTION_HELP).toMatch(/^ {2}--insecure /m);
  });
});
