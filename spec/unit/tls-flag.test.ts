/** The `--tls` and `--insecure` flags: their options, and how they combine with the servers. */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TLS_OPTIONS, TLS_OPTION_HELP, tlsFlagsProblem, tlsRunProblem } from '../../lib/cli/tls-flag.ts';
import { urlServerSpec } from '../../lib/url-server.ts';

function parse(argv: string[]): { tls: boolean; insecure: boolean } {
  return parseArgs({ args: argv, options: TLS_OPTIONS, strict: true }).values;
}

describe('--tls and --insecure', () => {
  it('default to plain TCP', () => {
    const flags = parse([]);
    expect(flags).toEqual({ tls: false, insecure: false });
    expect(tlsFlagsProblem(flags, false)).toBeNull();
  });

  it('refuses --tls where every server is an http:// URL: nothing is started to talk TLS to', () => {
    const plain = urlServerSpec('http://127.0.0.1:8080/');
    const secure = urlServerSpec('https://127.0.0.1:8443/');
    expect(tlsRunProblem(parse(['--tls']), [plain], 'process')).toMatch(
      /^--tls: --url "http:\/\/127\.0\.0\.1:8080\/".*https:\/\//,
    );
    expect(tlsRunProblem(parse(['--tls']), [secure], 'process')).toBeNull();
    expect(tlsRunProblem(parse(['--tls', '--insecure']), [secure], 'process')).toBeNull();
    expect(tlsRunProblem(parse(['--tls']), [], 'container')).toMatch(/^--tls: servers in containers/);
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
