/**
 * Usage errors: every wrong command line exits 2 with one line naming the flag and the value,
 * then a hint to --help, and writes nothing. One table per command (argv -> exact line), run in
 * process through main() for speed; two real runs of bin/gauntlet.mjs check the exit code path.
 * Nothing here starts a server: every row fails before that.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, usageMessage } from '../../lib/cli/main.ts';
import { PROJECT_ROOT, SERVERS_DIR } from '../../lib/paths.ts';
import { DEFAULT_BENCH_ROUNDS } from '../../lib/bench.ts';
import { parseBenchArgs } from '../../lib/cli/bench-args.ts';
import { ConfigError, resolveConfig } from '../../lib/perf/config.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'gauntlet.mjs');
const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
const SRV = `srv:threaded:python=python3 -u ${TINY} {port}`;
const PORT_DETAIL = (port: string) => `the port after "@" must be a whole number from 1 to 65535, got "${port}"`;
const UNKNOWN_MATRIX = 'unknown matrix (seed, tugas9, or N:C1,C2,... (N requests, or a duration such as 10s))';
/** The servers of servers/, as the unknown-server message lists them. */
const KNOWN_SERVERS = readdirSync(SERVERS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.'))
  .map((e) => e.name)
  .sort()
  .join(', ');
const unknownServer = (name: string) =>
  `no server named "${name}" in ${SERVERS_DIR} (known servers: ${KNOWN_SERVERS}); an ad-hoc server is NAME=COMMAND, with {port} in the command`;

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, its output captured. */
async function run(argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

/** The two lines a usage error prints: the one naming the flag and the value, and the hint. */
function expectUsageError(result: Captured, label: string, line: string): void {
  expect(result.code, result.stderr).toBe(2);
  const hint =
    label === 'gauntlet' ? 'Run "gauntlet help" for the commands.' : `Run "${label} --help" for its options.`;
  expect(result.stderr).toBe(`${label}: ${line}\n${hint}\n`);
  expect(result.stdout).toBe('');
}

/** Files the rows point at, made before the tables are built so that the rows can name them. */
const dir = mkdtempSync(join(tmpdir(), 'gauntlet-usage-'));
/** Where each row points --out: it must not exist after the row. */
const never = join(dir, 'never');
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a folder\n');
const brokenServer = join(dir, 'broken');
mkdirSync(brokenServer);
writeFileSync(
  join(brokenServer, 'server.json'),
  JSON.stringify({ name: 'broken', model: 'async', language: 'python', command: 'python3 s.py', port: 70000 }),
);
const badJson = join(dir, 'bad.json');
writeFileSync(badJson, '{ "kind": ');
const notBaseline = join(dir, 'not-baseline.json');
writeFileSync(notBaseline, '{"kind": "something else"}');
const emptyCases = join(dir, 'no-cases');
mkdirSync(emptyCases);
const badCases = join(dir, 'bad-cases');
mkdirSync(badCases);
// Outside the project, a .ts file is an ES module only when its package says so.
writeFileSync(join(badCases, 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(badCases, 'bad.ts'), 'export const cases = [{ id: "Not An Id", request: [], accept: [] }];\n');
function config(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}
const configs = {
  ok: config('ok.json', { claims: ['failed == 0'], baseline: false }),
  colour: config('colour.json', { claims: ['failed == 0'], colour: 'red' }),
  matrix: config('matrix.json', { claims: ['failed == 0'], matrix: 'constructor' }),
  matrixObject: config('matrix-object.json', {
    claims: ['failed == 0'],
    matrix: { name: 'm', groups: [{ requests: 10, concurrencies: [0] }] },
  }),
  path: config('path.json', { claims: ['failed == 0'], path: '/a b' }),
  timeout: config('timeout.json', { claims: ['failed == 0'], timeoutS: 0.0004 }),
  servers: config('servers.json', { claims: ['failed == 0'], servers: ['ghost'], baseline: false }),
  root: config('root.json', { claims: ['failed == 0'], servers: [SRV], root: 'no-such-root', baseline: false }),
  noClaims: config('no-claims.json', { claims: [], baseline: false }),
  baseline: config('baseline.json', { claims: ['failed == 0'], servers: [SRV], baseline: { file: 'bad.json' } }),
};

afterEach(() => {
  expect(existsSync(never), 'a usage error wrote its report folder').toBe(false);
});

describe('gauntlet bench: usage errors', () => {
  const rows: Array<[string[], string]> = [
    [['--server', 'mine@99999=python3 s.py'], `--server "mine@99999=python3 s.py": ${PORT_DETAIL('99999')}`],
    [['--server', 'mine@0=python3 s.py'], `--server "mine@0=python3 s.py": ${PORT_DETAIL('0')}`],
    [['--server', 'mine:threaded:python@http=x'], `--server "mine:threaded:python@http=x": ${PORT_DETAIL('http')}`],
    [['--server', 'no-such-server'], `--server "no-such-server": ${unknownServer('no-such-server')}`],
    [['--server', 'constructor'], `--server "constructor": ${unknownServer('constructor')}`],
    [
      ['--server', 'My=python3 s.py {port}'],
      `--server "My=python3 s.py {port}": the name must be lower-case letters, digits, '.', '_' or '-', got "My"`,
    ],
    [
      ['--server', 'a=x {port}', '--server', 'a=y {port}'],
      '--server "a=y {port}": names the server "a" a second time (first: "a=x {port}")',
    ],
    [['--matrix', 'constructor'], `--matrix "constructor": ${UNKNOWN_MATRIX}`],
    [['--matrix', '__proto__'], `--matrix "__proto__": ${UNKNOWN_MATRIX}`],
    [['--matrix', 'toString'], `--matrix "toString": ${UNKNOWN_MATRIX}`],
    [['--matrix', 'hasOwnProperty'], `--matrix "hasOwnProperty": ${UNKNOWN_MATRIX}`],
    [
      ['--matrix', '10:20'],
      '--matrix "10:20": group "10:20": concurrency 20 is greater than the 10 requests of its group',
    ],
    [
      ['--matrix', '10:1,,2'],
      '--matrix "10:1,,2": group "10:1,,2" is not N:C1,C2,... (whole numbers, or a duration such as 10s for N; groups separated by ";")',
    ],
    [['--matrix', '0s:1'], '--matrix "0s:1": group "0s:1": the duration must be above 0 s, got 0'],
    [['--concurrency', '10'], '--concurrency needs --requests N or --duration D'],
    [['--duration', '6s'], '--requests and --duration need --concurrency C'],
    [
      ['--concurrency', '10', '--duration', '6s', '--matrix', 'seed'],
      '--concurrency names one cell, and --matrix a matrix: give one or the other',
    ],
    [['--concurrency', '0', '--duration', '6s'], '--concurrency "0": must be at least 1'],
    [['--concurrency', '10', '--duration', 'soon'], '--duration "soon": is not a duration such as 10s, 500ms or 2m'],
    [['--rate', 'fast'], '--rate "fast": is not a number of requests per second'],
    [['--rate', '0'], '--rate "0": must be above 0'],
    [['--timeout', 'Infinity'], '--timeout "Infinity": is not a number of seconds such as 30 or 2.5'],
    [
      ['--timeout', '0.0004'],
      '--timeout "0.0004": is below 0.001 s, the least it takes (1 ms): anything shorter rounds to 0 ms',
    ],
    [['--timeout', '0'], '--timeout "0": is below 0.001 s, the least it takes (1 ms): anything shorter rounds to 0 ms'],
    [['--timeout', '-1'], '--timeout "-1": is not a number of seconds such as 30 or 2.5'],
    [['--timeout', ''], '--timeout "": is not a number of seconds such as 30 or 2.5'],
    [['--timeout', '1e3'], '--timeout "1e3": is not a number of seconds such as 30 or 2.5'],
    [['--timeout', 'NaN'], '--timeout "NaN": is not a number of seconds such as 30 or 2.5'],
    [['--timeout', '3601'], '--timeout "3601": is above 3600 s, the most it takes'],
    [['--warmup', '-1'], '--warmup "-1": is not a whole number'],
    [['--warmup', '1.5'], '--warmup "1.5": is not a whole number'],
    [['--rounds', '0'], '--rounds "0": must be at least 1'],
    [['--shard', '0/2'], '--shard "0/2": counts shards from 1: i must be 1 or more'],
    [['--rounds', '2.5'], '--rounds "2.5": is not a whole number of at least 1'],
    [['--rounds', 'Infinity'], '--rounds "Infinity": is not a whole number of at least 1'],
    [['--rounds', '1001'], '--rounds "1001": must be at most 1000'],
    [['--warmup', '99999999999'], '--warmup "99999999999": must be at most 2147483647'],
    [['--server', ''], '--server "": is empty: name a server of servers/, or write NAME=COMMAND'],
    [['--root', ''], '--root "": is empty: name a folder'],
    [['--mode', 'fast'], '--mode "fast": takes close or keepalive'],
    [['--path', 'index.html'], '--path "index.html": must start with /'],
    [
      ['--path', '/a b'],
      '--path "/a b": must be visible ASCII characters, without spaces or control characters (percent-encode them)',
    ],
    [
      ['--path', '/\r\nX-Injected: 1'],
      '--path "/\\r\\nX-Injected: 1": must be visible ASCII characters, without spaces or control characters (percent-encode them)',
    ],
    [['--path', '/a', '--path', 'b'], '--path "b": must start with /'],
    [['--header', 'X-A 1'], '--header "X-A 1": has no colon: write it as "Name: value"'],
    [
      ['--method', 'PO ST'],
      '--method "PO ST": is not a token (letters, digits and !#$%&\'*+-.^_`|~, RFC 9110 section 9.1)',
    ],
    [
      ['--body', 'a', '--body-file', '/etc/hostname'],
      '--body and --body-file both give the request body: give one of them',
    ],
    [['--chunked'], '--chunked sends the request body chunked, and there is none: give --body or --body-file'],
    [['--root', '/no/such/root'], '--root "/no/such/root": is not a folder'],
    [['--csv', '/'], '--csv "/": is a folder: name a file, such as cells.csv'],
    [
      ['--csv', '/etc/hostname/cells.csv'],
      '--csv "/etc/hostname/cells.csv": cannot be made: /etc/hostname is not a folder',
    ],
    [['--runtime', 'docker', '--server', SRV], '--runtime "docker": takes process or container'],
    [
      ['--cpus', '1', '--server', SRV],
      '--cpus is a container limit, and servers run as processes here: add --runtime container',
    ],
    [
      ['--runtime', 'container', '--cpus', 'Infinity', '--server', 'python-async'],
      '--cpus "Infinity": is not a positive number of CPUs such as 1 or 0.5',
    ],
    [
      ['--runtime', 'container', '--cpus', '-1', '--server', 'python-async'],
      '--cpus "-1": is not a positive number of CPUs such as 1 or 0.5',
    ],
    [
      ['--runtime', 'container', '--cpus', '0.001', '--server', 'python-async'],
      '--cpus "0.001": is below 0.01, the least a container engine accepts',
    ],
    [
      ['--runtime', 'container', '--memory', 'Infinity', '--server', 'python-async'],
      '--memory "Infinity": is not a size such as 512m or 1g',
    ],
    [
      ['--runtime', 'container', '--memory', '-1g', '--server', 'python-async'],
      '--memory "-1g": is not a size such as 512m or 1g',
    ],
    [
      ['--runtime', 'container', '--memory', '0.5', '--server', 'python-async'],
      '--memory "0.5": is below 6 MiB, the least a container engine accepts',
    ],
    [['--frob'], 'unknown flag --frob'],
    [['--timout', '3'], 'unknown flag --timout (did you mean --timeout?)'],
    [['--constructor'], 'unknown flag --constructor'],
    [['-x'], 'unknown flag -x'],
    [['extra'], 'unexpected argument "extra": every option is a flag such as --name VALUE'],
    [['--no-check=yes'], '--no-check takes no value, got "--no-check=yes"'],
    [['--keep-going=no'], '--keep-going takes no value, got "--keep-going=no"'],
    [['--matrix'], '--matrix needs a value'],
    [
      ['--matrix', '--no-check'],
      '--matrix needs a value, and the next argument is the flag --no-check (write --matrix=VALUE for a value that starts with -)',
    ],
    [['--matrix', 'seed', '--matrix', 'tugas9'], '--matrix is given twice ("seed", then "tugas9"): it takes one value'],
    [['--engine', 'wrk'], '--engine "wrk": is not an engine: the engines are gauntlet and locust'],
    [['--workers', '2'], "--workers places Locust's processes: it needs --engine locust"],
    [
      ['--engine', 'gauntlet', '--locust-master', '127.0.0.1:5557'],
      "--locust-master places Locust's processes: it needs --engine locust",
    ],
    [
      ['--engine', 'locust', '--workers', '0', '--duration', '5s', '--concurrency', '2'],
      '--workers "0": must be at least 1',
    ],
    [
      ['--engine', 'locust', '--locust-master', 'localhost', '--duration', '5s', '--concurrency', '2'],
      '--locust-master "localhost": is not HOST:PORT (for example 127.0.0.1:5557, or [::1]:5557)',
    ],
    [
      ['--engine', 'locust', '--requests', '100', '--concurrency', '2'],
      '--engine locust runs cells of a duration: give --duration D (or --matrix 10s:C1,C2), not a number of requests',
    ],
    [
      ['--engine', 'locust', '--duration', '500ms', '--concurrency', '2'],
      '--duration "0.5s": is not whole seconds, which Locust runs',
    ],
  ];

  it.each(rows)('%j', async (args, line) => {
    expectUsageError(await run(['bench', '--out', never, ...args]), 'gauntlet bench', line);
  });

  it('refuses an --out that is a file, and a manifest that is wrong, naming the file and the field', async () => {
    expectUsageError(
      await run(['bench', '--out', aFile]),
      'gauntlet bench',
      `--out ${JSON.stringify(aFile)}: is a file, not a folder`,
    );
    expectUsageError(await run(['bench', '--out', '']), 'gauntlet bench', '--out "": is empty: name a folder');
    expectUsageError(
      await run(['bench', '--out', never, '--server', brokenServer]),
      'gauntlet bench',
      `--server ${JSON.stringify(brokenServer)}: ${join(brokenServer, 'server.json')}: field "port" must be a whole number from 1 to 65535, got 70000`,
    );
  });

  it('takes --rounds and --keep-going, and defaults to DEFAULT_BENCH_ROUNDS rounds that stop at the first refusal', async () => {
    expect(await parseBenchArgs(['--server', SRV])).toMatchObject({
      rounds: DEFAULT_BENCH_ROUNDS,
      keepGoing: false,
      timeoutMs: 30_000,
    });
    expect(
      await parseBenchArgs(['--server', SRV, '--rounds', '1', '--keep-going', '--timeout', '0.0015']),
    ).toMatchObject({
      rounds: 1,
      keepGoing: true,
      timeoutMs: 2,
    });
    // A value that starts with "-" but is no flag is still a value, and is then checked as one.
    await expect(parseBenchArgs(['--server', SRV, '--warmup=-1'])).rejects.toThrow(
      '--warmup "-1": is not a whole number',
    );
  });

  it('documents a command without {port} and NAME@PORT=CMD in its help', async () => {
    const help = await run(['bench', '--help']);
    expect(help.stdout).toContain('without {port} its port is found from what it listens on');
    expect(help.stdout).toContain('NAME@PORT=CMD states the port');
  });

  it('documents --rounds and --keep-going in its help', async () => {
    const help = await run(['bench', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      `  --rounds N             runs of each cell, servers interleaved; the table shows the median run\n` +
        `                         (default ${DEFAULT_BENCH_ROUNDS}; 1: one run per cell, as the seed did)\n`,
    );
    expect(help.stdout).toContain(
      '  --keep-going           count refused connects and timeouts as failures and go on, as ab -r does\n' +
        '                         (default: a cell stops at the first one, as ab does)\n',
    );
  });
});

describe('gauntlet check: usage errors', () => {
  const rows: Array<[string[], string]> = [
    [['--jobs', '0'], '--jobs "0": must be at least 1'],
    [['--jobs', '1.5'], '--jobs "1.5": is not a whole number of at least 1'],
    [['--jobs', 'Infinity'], '--jobs "Infinity": is not a whole number of at least 1'],
    [['--jobs', '-8'], '--jobs "-8": is not a whole number of at least 1'],
    [['--concurrency', '0'], '--concurrency "0": must be at least 1'],
    [['--jobs', '2', '--concurrency', '2'], '--concurrency "2": is the old name of --jobs: give --jobs only'],
    [['--properties', 'all'], '--properties "all": is not a mode; modes: none, quick, full'],
    [['--property', 'prop-nope'], '--property "prop-nope": no property has this id; properties: prop-'],
    [
      ['--properties', 'none', '--property', 'prop-no-traversal'],
      '--property "prop-no-traversal": runs a property, and --properties is none',
    ],
    [['--seed', 'x'], '--seed "x": is not a whole number'],
    [['--shard', '2'], '--shard "2": is not i/n (two whole numbers, such as 1/2)'],
    [['--shrink-path', '1:2'], '--shrink-path "1:2": replays one property: give exactly one --property'],
    [['--group', 'nope'], '--group "nope": is not a group; groups: '],
    [['--cases', '/no/such/cases'], '--cases "/no/such/cases": is not a folder'],
    [['--server', 'mine@=python3 s.py'], `--server "mine@=python3 s.py": ${PORT_DETAIL('')}`],
    [['--server', '__proto__'], `--server "__proto__": ${unknownServer('__proto__')}`],
    [['--case', 'get-rot', '--server', SRV], '--case "get-rot": no case has this id'],
    [['--timeout', '5'], 'unknown flag --timeout'],
    [['--concurency', '2'], 'unknown flag --concurency (did you mean --concurrency?)'],
    [['--job', '2'], 'unknown flag --job (did you mean --jobs?)'],
    [['--root'], '--root needs a value'],
    [['--cases', emptyCases, '--server', SRV], `--cases ${JSON.stringify(emptyCases)}: holds no case files`],
    [['--cases', badCases, '--server', SRV], `--cases ${JSON.stringify(badCases)}: invalid conformance cases: `],
  ];

  it.each(rows)('%j', async (args, line) => {
    const result = await run(['check', '--out', never, ...args]);
    expect(result.code, result.stderr).toBe(2);
    // The list of groups and the nearest case ids change with the cases: the start of the line is exact.
    expect(result.stderr.startsWith(`gauntlet check: ${line}`), result.stderr).toBe(true);
    expect(result.stderr.split('\n')).toHaveLength(3);
    expect(result.stderr.endsWith('\nRun "gauntlet check --help" for its options.\n')).toBe(true);
  });
});

describe('gauntlet gate: usage errors', () => {
  const rows: Array<[string[], string]> = [
    [['--matrix', 'constructor'], `--matrix "constructor": ${UNKNOWN_MATRIX}`],
    [['--max-time', 'Infinity'], '--max-time "Infinity": is not a number of seconds such as 30 or 2.5'],
    [['--max-time', '0'], '--max-time "0": is below 0.001 s, the least it takes'],
    [['--max-time', '0.0004'], '--max-time "0.0004": is below 0.001 s, the least it takes'],
    [['--max-time', '3601'], '--max-time "3601": is above 3600 s, the most it takes'],
    [['--warmup', 'Infinity'], '--warmup "Infinity": is not a number of seconds such as 30 or 2.5'],
    [['--warmup', '-1'], '--warmup "-1": is not a number of seconds such as 30 or 2.5'],
    [['--warmup', '601'], '--warmup "601": is above 600 s, the most it takes'],
    [
      ['--tolerance', '150%'],
      '--tolerance "150%": must be a fraction from 0 to 0.9 such as 0.1, or a percentage such as 10%',
    ],
    [
      ['--tolerance', 'Infinity'],
      '--tolerance "Infinity": must be a fraction from 0 to 0.9 such as 0.1, or a percentage such as 10%',
    ],
    [['--mode', 'fast'], '--mode "fast": takes close or keepalive'],
    [['--mode', 'close,fast'], '--mode "fast": takes close or keepalive'],
    [['--server', 'nope'], `--server "nope": ${unknownServer('nope')}`],
    [['--root', '/no/such/root'], '--root "/no/such/root": is not a folder'],
    [
      ['--baseline', 'b.json', '--no-baseline'],
      '--baseline "b.json": and --no-baseline contradict each other: give one',
    ],
    [['--annotations', '--no-annotations'], '--annotations and --no-annotations contradict each other: give one'],
    [['--rounds', '3'], 'unknown flag --rounds'],
    [['--max-tme', '3'], 'unknown flag --max-tme (did you mean --max-time?)'],
    [['--matrix', 'seed', '--matrix', 'seed'], '--matrix is given twice ("seed", then "seed"): it takes one value'],
    // Locust runs cells of a duration: the cells of a number of requests are named.
    [
      ['--engine', 'locust', '--matrix', '100:1,10'],
      '--engine locust runs cells of a duration, and the matrix "100:1,10" has cells of a number of requests: ' +
        'n=100 c=1, n=100 c=10 (give durations, for example --matrix 10s:1,10)',
    ],
    [
      ['--engine', 'locust', '--workers', '1', '--matrix', '2s:1;50:2'],
      '--engine locust runs cells of a duration, and the matrix "2s:1;50:2" has cells of a number of requests: ' +
        'n=50 c=2 (give durations, for example --matrix 10s:1,10)',
    ],
    [
      ['--engine', 'locust', '--matrix', '1.5s:1'],
      '--engine locust runs whole seconds, and the matrix has cells of a fraction of one: 1.5s c=1',
    ],
    [['--engine', 'wrk', '--matrix', '1s:1'], '--engine "wrk": is not an engine: the engines are gauntlet and locust'],
    [['--workers', '2', '--matrix', '1s:1'], "--workers places Locust's processes: it needs --engine locust"],
    [['--engine', 'locust', '--workers', '0', '--matrix', '1s:1'], '--workers "0": must be at least 1'],
  ];

  it.each(rows)('%j', async (args, line) => {
    expectUsageError(
      await run(['gate', '--out', never, '--config', configs.ok, '--claim', 'failed == 0', '--server', SRV, ...args]),
      'gauntlet gate',
      line,
    );
  });

  it('names a bad claim, a bad baseline file and an --out that is a file', async () => {
    const claim = await run(['gate', '--out', never, '--config', configs.ok, '--claim', 'a >>= b']);
    expect(claim.code).toBe(2);
    // The claim parser's own explanation follows the flag and the value.
    expect(claim.stderr).toMatch(
      /^gauntlet gate: --claim "a >>= b": \S.*\nRun "gauntlet gate --help" for its options\.\n$/,
    );
    const baseline = await run([
      'gate',
      '--out',
      never,
      '--config',
      configs.ok,
      '--claim',
      'failed == 0',
      '--server',
      SRV,
      '--baseline',
      badJson,
    ]);
    expect(baseline.code).toBe(2);
    expect(
      baseline.stderr.startsWith(
        `gauntlet gate: --baseline ${JSON.stringify(badJson)}: ${badJson}: is not valid JSON: `,
      ),
    ).toBe(true);
    expectUsageError(
      await run(['gate', '--out', aFile, '--claim', 'failed == 0']),
      'gauntlet gate',
      `--out ${JSON.stringify(aFile)}: is a file, not a folder`,
    );
    expectUsageError(
      await run(['gate', '--out', never, '--config', '', '--claim', 'failed == 0']),
      'gauntlet gate',
      '--config "": is empty: name a file',
    );
  });

  it('names the configuration file and the field at fault', async () => {
    const known =
      'servers, mode, matrix, path, request, root, tolerance, alpha, confidence, claims, sampling, remeasure, pin, baseline, webhook, timeoutS, runtime, cpus, memory';
    const cases: Array<[string, string]> = [
      [configs.colour, `${configs.colour}: colour is not a known field (known: ${known})`],
      [configs.matrix, `${configs.matrix}: matrix "constructor": ${UNKNOWN_MATRIX}`],
      [
        configs.matrixObject,
        `${configs.matrixObject}: matrix groups[0]: concurrency must be a whole number of at least 1, got 0`,
      ],
      [
        configs.path,
        `${configs.path}: path must be visible ASCII characters, without spaces or control characters (percent-encode them), got "/a b"`,
      ],
      [configs.timeout, `${configs.timeout}: timeoutS must be a number from 0.001 to 3600, got 0.0004`],
      [configs.servers, `${configs.servers}: servers[0] "ghost": ${unknownServer('ghost')}`],
      [configs.root, `${configs.root}: root ${JSON.stringify(join(dir, 'no-such-root'))} is not a folder`],
      [configs.noClaims, `no claims to check: ${configs.noClaims} lists none`],
      [configs.baseline, `${configs.baseline}: baseline.file: ${badJson}: is not valid JSON: `],
      [join(dir, 'missing.json'), `--config ${JSON.stringify(join(dir, 'missing.json'))}: does not exist`],
    ];
    for (const [file, line] of cases) {
      const result = await run(['gate', '--out', never, '--config', file]);
      expect(result.code, result.stderr).toBe(2);
      const first = result.stderr.split('\n')[0]!;
      if (line.endsWith(': ')) expect(first.startsWith(`gauntlet gate: ${line}`), first).toBe(true);
      else expect(first).toBe(`gauntlet gate: ${line}`);
    }
  });

  it('names the claims when a server they name is not known', async () => {
    expectUsageError(
      await run(['gate', '--out', never, '--config', configs.ok, '--claim', 'ghost >= srv']),
      'gauntlet gate',
      `server "ghost", named by the claims (--claim): ${unknownServer('ghost')}`,
    );
  });

  it('reads non-finite and oversized numbers of a configuration as they were written', () => {
    const err = (raw: Record<string, unknown>) => {
      try {
        resolveConfig({ claims: [], ...raw }, 'c.ts');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(err({ timeoutS: Infinity })).toBe('c.ts: timeoutS must be a number from 0.001 to 3600, got Infinity');
    expect(err({ tolerance: NaN })).toBe('c.ts: tolerance must be a number from 0 to 0.9, got NaN');
    expect(err({ sampling: { maxRounds: 1e300 } })).toBe(
      'c.ts: sampling.maxRounds must be a whole number of at least 1, got 1e+300',
    );
    expect(err({ sampling: { minRounds: Infinity } })).toBe(
      'c.ts: sampling.minRounds must be a whole number of at least 1, got Infinity',
    );
    expect(err({ cpus: 0.001 })).toBe('c.ts: cpus "0.001" is below 0.01, the least a container engine accepts');
    expect(err({ matrix: 'toString' })).toBe(`c.ts: matrix "toString": ${UNKNOWN_MATRIX}`);
    expect(err({ matrix: { name: 'm', groups: [{ requests: 10, concurrencies: [Infinity] }] } })).toBe(
      'c.ts: matrix groups[0]: concurrency must be a whole number of at least 1, got Infinity',
    );
  });
});

describe('gauntlet baseline: usage errors', () => {
  it.each<[string[], string, string]>([
    [['drop'], 'gauntlet baseline', 'unknown subcommand "drop": baseline takes save or show'],
    [
      ['show', '--server', 'x'],
      'gauntlet baseline show',
      '--server does not apply: baseline show takes only --baseline FILE',
    ],
    [['show', '--frobnicate'], 'gauntlet baseline show', 'unknown flag --frobnicate'],
    [['show', '--frm', 'x'], 'gauntlet baseline show', 'unknown flag --frm (did you mean --from?)'],
    [
      ['save', '--from', '/no/such/gate', '--server', SRV],
      'gauntlet baseline save',
      '--server does not apply: with --from nothing is measured: it takes only --baseline and --keep',
    ],
    [['save', '--from', '/no/such/gate'], 'gauntlet baseline save', '--from "/no/such/gate": does not exist'],
    [['save', '--frobnicate'], 'gauntlet baseline save', 'unknown flag --frobnicate'],
    [['save', '--from', ''], 'gauntlet baseline save', '--from "": is empty: name a gate folder or its results.json'],
    [['save', '--keep', '0'], 'gauntlet baseline save', '--keep "0": must be at least 1'],
    [
      ['save', '--keep', 'Infinity'],
      'gauntlet baseline save',
      '--keep "Infinity": is not a whole number of at least 1',
    ],
    [
      ['save', '--config', configs.ok, '--max-time', 'Infinity', '--claim', 'failed == 0', '--server', SRV],
      'gauntlet baseline save',
      '--max-time "Infinity": is not a number of seconds such as 30 or 2.5',
    ],
  ])('%j', async (args, label, line) => {
    expectUsageError(await run(['baseline', ...args]), label, line);
  });

  it('names a baseline file that is there but is no baseline, before measuring anything', async () => {
    const show = await run(['baseline', 'show', '--baseline', notBaseline]);
    expectUsageError(
      show,
      'gauntlet baseline show',
      `--baseline ${JSON.stringify(notBaseline)}: ${notBaseline}: is not a Gauntlet baseline (written by \`gauntlet baseline save\`)`,
    );
    const save = await run([
      'baseline',
      'save',
      '--out',
      never,
      '--config',
      configs.ok,
      '--server',
      SRV,
      '--baseline',
      notBaseline,
    ]);
    expectUsageError(
      save,
      'gauntlet baseline save',
      `--baseline ${JSON.stringify(notBaseline)}: ${notBaseline}: is not a Gauntlet baseline (written by \`gauntlet baseline save\`)`,
    );
  });
});

describe('gauntlet: usage errors', () => {
  it('refuses an unknown command', async () => {
    expectUsageError(
      await run(['frobnicate']),
      'gauntlet',
      'unknown command "frobnicate": the commands are bench, check, diff, merge, gate, baseline, init and worker',
    );
  });

  it('prints the usage on stderr and exits 2 without a command', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^usage: gauntlet <command> \[options\]/);
  });

  it('formats the message with the command and the subcommand', () => {
    expect(usageMessage(['baseline', 'save', '--x'], 'm')).toBe(
      'gauntlet baseline save: m\nRun "gauntlet baseline save --help" for its options.\n',
    );
    expect(usageMessage(['check'], 'm')).toBe('gauntlet check: m\nRun "gauntlet check --help" for its options.\n');
    expect(usageMessage(['nope'], 'm')).toBe('gauntlet: m\nRun "gauntlet help" for the commands.\n');
  });
});

describe('gauntlet init: usage errors', () => {
  const rows: Array<[string[], string]> = [
    [['--dir', ''], '--dir "": is empty: name a folder'],
    [['--dir', aFile], `--dir ${JSON.stringify(aFile)}: is a file, not a folder`],
    [['--dir'], '--dir needs a value'],
    [
      ['--dir', never, '--dir', never],
      `--dir is given twice (${JSON.stringify(never)}, then ${JSON.stringify(never)}): it takes one value`,
    ],
    [['--force=yes'], '--force takes no value, got "--force=yes"'],
    [['--forse'], 'unknown flag --forse (did you mean --force?)'],
    [['--out', never], 'unknown flag --out'],
    [['here'], 'unexpected argument "here": every option is a flag such as --name VALUE'],
  ];

  it.each(rows)('%j', async (args, line) => {
    expectUsageError(await run(['init', ...args]), 'gauntlet init', line);
  });

  it('documents --dir and --force in its help', async () => {
    const help = await run(['init', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('  --dir DIR   the folder to write into');
    expect(help.stdout).toContain('  --force     overwrite files that exist');
  });
});

describe('gauntlet worker: usage errors', () => {
  const rows: Array<[string[], string]> = [
    [[], '--master HOST:PORT is needed: where the Locust master listens'],
    [['--master', '127.0.0.1'], '--master "127.0.0.1": is not HOST:PORT (for example 127.0.0.1:5557, or [::1]:5557)'],
    [['--master', '127.0.0.1:70000'], '--master "127.0.0.1:70000": has a port outside 1-65535'],
    [['--master', '[nope]:5557'], '--master "[nope]:5557": has brackets around something other than an IPv6 address'],
    [['--master', '127.0.0.1:5557', '--processes', '0'], '--processes "0": must be at least 1'],
  ];

  it.each(rows)('%j', async (args, line) => {
    expectUsageError(await run(['worker', ...args]), 'gauntlet worker', line);
  });
});

describe('gauntlet --version', () => {
  it('prints the version of package.json and exits 0, as --version and as version', async () => {
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const argv of [['--version'], ['version']]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
      expect(result.stderr).toBe('');
    }
  });

  it('refuses an argument after it', async () => {
    expectUsageError(await run(['--version', 'x']), 'gauntlet', 'unexpected argument "x": --version takes no argument');
  });

  it('is listed in gauntlet --help, with init and the colour variables', async () => {
    const help = await run(['--help']);
    expect(help.stdout).toMatch(/^ {2}init {5}\S/m);
    expect(help.stdout).toMatch(/^ {2}version {2}the version of gauntlet \(also --version\)$/m);
    expect(help.stdout).toContain('NO_COLOR=1');
    expect(help.stdout).toContain('FORCE_COLOR=1');
  });
});

describe('bin/gauntlet.mjs: a usage error as a process', () => {
  function runBin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolveRun({ code, stdout, stderr }));
    });
  }

  it('exits 2 for --matrix constructor, with the one line and the hint, and writes no report', async () => {
    const out = join(dir, 'bin-out');
    const result = await runBin(['bench', '--matrix', 'constructor', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `gauntlet bench: --matrix "constructor": ${UNKNOWN_MATRIX}\nRun "gauntlet bench --help" for its options.\n`,
    );
    expect(result.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 for a gate whose --timeout is not a flag of gate', async () => {
    const result = await runBin(['gate', '--timeout', 'Infinity', '--claim', 'failed == 0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('gauntlet gate: unknown flag --timeout\nRun "gauntlet gate --help" for its options.\n');
  });
});

describe('--tls and --insecure: usage errors', () => {
  const INSECURE = '--insecure: certificates are only checked over TLS; give --tls (or an https:// server) with it';
  const CONTAINER =
    '--tls: servers in containers are not given a certificate; --tls starts servers as processes (--runtime process)';
  const rows: Array<[string, string[], string]> = [
    ['bench', ['--insecure', '--server', SRV], INSECURE],
    ['check', ['--insecure', '--server', SRV], INSECURE],
    ['gate', ['--claim', 'failed == 0', '--insecure', '--server', SRV], INSECURE],
    ['bench', ['--insecure', '--url', 'http://127.0.0.1:1/'], INSECURE],
    ['bench', ['--tls', '--runtime', 'container', '--server', 'python-async'], CONTAINER],
    ['check', ['--tls', '--runtime', 'container', '--server', 'python-async'], CONTAINER],
    ['bench', ['--tls=yes', '--server', SRV], '--tls takes no value, got "--tls=yes"'],
    ['check', ['--insecure=no', '--server', SRV], '--insecure takes no value, got "--insecure=no"'],
  ];

  it.each(rows)('%s %j', async (command, args, line) => {
    expectUsageError(await run([command, '--out', never, ...args]), `gauntlet ${command}`, line);
  });

  it('takes --insecure with an https:// server, and --tls alone', async () => {
    const https = await parseBenchArgs(['--url', 'https://127.0.0.1:8443/', '--insecure']);
    expect([https.servers[0]!.url, https.tls, https.insecure]).toEqual(['https://127.0.0.1:8443/', false, true]);
    const started = await parseBenchArgs(['--server', SRV, '--tls']);
    expect([started.tls, started.insecure]).toEqual([true, false]);
  });

  it('documents --tls and --insecure in the help of bench, check and gate', async () => {
    for (const command of ['bench', 'check', 'gate']) {
      const result = await run([command, '--help']);
      expect(result.stdout, command).toMatch(/^ {2}--tls .*node-async/ms);
      expect(result.stdout, command).toMatch(/^ {2}--insecure /m);
    }
  });
});

describe('--url: usage errors', () => {
  const rows: Array<[string, string[], string]> = [
    [
      'gate',
      ['--claim', 'failed == 0', '--url', 'ftp://127.0.0.1/'],
      '--url "ftp://127.0.0.1/": the URL has the scheme "ftp:": only http:// and https:// URLs are supported',
    ],
    ['bench', ['--url', 'not a url'], '--url "not a url": the URL has no scheme: write http://HOST:PORT/PATH'],
    ['bench', ['--url', 'http://'], '--url "http://": the URL is not a URL such as http://127.0.0.1:8080/'],
    ['bench', ['--url', 'web='], '--url "web=": the URL is empty: write [NAME=]http://HOST:PORT/PATH'],
    [
      'bench',
      ['--url', 'Web=http://127.0.0.1:1/'],
      `--url "Web=http://127.0.0.1:1/": the name must be lower-case letters, digits, '.', '_' or '-', got "Web"`,
    ],
    [
      'check',
      ['--url', 'a:b:c:d=http://127.0.0.1:1/'],
      '--url "a:b:c:d=http://127.0.0.1:1/": takes at most NAME:MODEL:LANGUAGE before "="',
    ],
    [
      'bench',
      ['--url', 'http://127.0.0.1:1/#top'],
      '--url "http://127.0.0.1:1/#top": the URL must not have a #fragment: it is never sent to a server',
    ],
    [
      'bench',
      ['--url', 'http://127.0.0.1:1/a', '--url', 'http://127.0.0.1:1/b'],
      '--url "http://127.0.0.1:1/b": names the server "127.0.0.1:1" a second time (first: --url "http://127.0.0.1:1/a")',
    ],
    [
      'bench',
      ['--server', 'a=x {port}', '--url', 'a=http://127.0.0.1:1/'],
      '--url "a=http://127.0.0.1:1/": names the server "a" a second time (first: "a=x {port}")',
    ],
    ['bench', ['--url'], '--url needs a value'],
  ];

  it.each(rows)('%s %j', async (command, args, line) => {
    expectUsageError(await run([command, '--out', never, ...args]), `gauntlet ${command}`, line);
  });

  it('reads NAME, MODEL and LANGUAGE, defaults the name to host:port, and keeps --server and --url in order', async () => {
    const args = await parseBenchArgs([
      '--url',
      'http://127.0.0.1:8080/index.html?x=1',
      '--server',
      SRV,
      '--url',
      'api:async:go=http://[::1]:9000',
    ]);
    expect(args.servers.map((s) => [s.name, s.model, s.language, s.url])).toEqual([
      ['127.0.0.1:8080', 'unknown', 'unknown', 'http://127.0.0.1:8080/index.html?x=1'],
      ['srv', 'threaded', 'python', undefined],
      ['api', 'async', 'go', 'http://[::1]:9000'],
    ]);
    expect(args.pathGiven).toBe(false);
    expect((await parseBenchArgs(['--url', 'http://127.0.0.1:1/', '--path', '/x'])).pathGiven).toBe(true);
  });

  it('lets a URL server be with --runtime container: it runs already, nothing is started', async () => {
    const args = await parseBenchArgs(['--url', 'http://127.0.0.1:1/', '--runtime', 'container']);
    expect(args.runtime).toBe('container');
  });

  it('documents --url in the help of bench, check and gate', async () => {
    for (const command of ['bench', 'check', 'gate']) {
      const result = await run([command, '--help']);
      expect(result.stdout, command).toContain('--url [NAME=]URL');
    }
  });

  it('takes { url } servers in a configuration, and names a wrong one', () => {
    const resolved = resolveConfig({ claims: ['failed == 0'], servers: [{ url: 'http://127.0.0.1:1/' }] }, 'c.json');
    expect(resolved.servers).toEqual([{ url: 'http://127.0.0.1:1/' }]);
    expect(resolved.pathGiven).toBe(false);
    expect(() => resolveConfig({ claims: ['failed == 0'], servers: [{ url: 'x', name: 'y' }] }, 'c.json')).toThrow(
      ConfigError,
    );
  });
});
