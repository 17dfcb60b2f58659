/**
 * `--csv FILE`: the rows (pure, table-driven), RFC 4180 quoting read back by a strict parser, the
 * flag's checks (a folder, a file that cannot be written, a place no file can be made) and the
 * writer that appends a line per run of a cell.
 */
import { describe, it, expect } from 'vitest';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellRecord } from '../../lib/types.ts';
import {
  CSV_HEADERS,
  csvField,
  csvFields,
  csvHeaderLine,
  csvLine,
  csvRowLine,
  renderCsv,
} from '../../lib/report/csv/rows.ts';
import { CsvWriter } from '../../lib/report/csv/writer.ts';
import { csvFlag, csvPathProblem, type CsvPathFacts } from '../../lib/cli/csv-flag.ts';
import { parseBenchArgs } from '../../lib/cli/bench-args.ts';
import { UsageError } from '../../lib/cli/args.ts';
import { abCell } from './fixtures/seed-results.ts';
import { runInProcess } from './helpers/cli-in-process.ts';

/**
 * RFC 4180 read strictly: CRLF line ends, quoted fields with doubled quotes; anything else (a
 * bare quote inside an unquoted field, a lone LF between records) throws, so that a quoting
 * fault fails the test instead of being read leniently.
 */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`a quote inside an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`no CRLF after a record at ${i}`);
    i += 2;
    rows.push(row);
    row = [];
  }
  return rows;
}

/** A run of a cell: 200 requests at c=10, 0.5 s, 1 ms at the median. */
function record(over: Partial<CellRecord> = {}, result: Partial<CellRecord['result']> = {}): CellRecord {
  return {
    server: 'node-async',
    group: 0,
    requests: 200,
    concurrency: 10,
    result: {
      ...abCell({ concurrency: 10, requests: 200, timeTakenS: 0.5, complete: 200, totalTransferred: 40_000 }),
      documentLength: 100,
      htmlTransferred: 20_000,
      percentilesUs: {
        p50: 1000,
        p75: 1200,
        p90: 1500,
        p99: 2345,
        p99_9: 4000,
        p99_99: 4100,
        p99_999: 4100,
        max: 4100,
      },
      ...result,
    },
    finishedAt: '2026-12-07T03:00:00.000Z',
    ...over,
  };
}

/** A CSV row as a header -> field map, for readable expectations. */
function fieldsOf(r: CellRecord): Record<string, string> {
  const fields = csvFields(r);
  return Object.fromEntries(CSV_HEADERS.map((h, i) => [h, fields[i]!]));
}

describe('CSV fields: RFC 4180 quoting', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['crlf\r\n', '"crlf\r\n"'],
    ['semi;colon and spaces', 'semi;colon and spaces'],
  ])('%j is written %j', (text, written) => {
    expect(csvField(text)).toBe(written);
    // ...and read back as it was.
    expect(parseCsv(csvLine([text, 'x']))).toEqual([[text, 'x']]);
  });

  it('ends every line with CRLF, the header included', () => {
    expect(csvLine(['a', 'b'])).toBe('a,b\r\n');
    expect(csvHeaderLine()).toBe(`${CSV_HEADERS.join(',')}\r\n`);
  });
});

describe('CSV rows: one per run of a cell, ab\u2019s figures and the percentiles in ms', () => {
  it('has a header row naming ab\u2019s figures, the round and the percentiles', () => {
    expect(CSV_HEADERS).toEqual([
      'server',
      'mode',
      'group',
      'requests',
      'concurrency',
      'duration_s',
      'rate',
      'round',
      'time_taken_s',
      'complete_requests',
      'failed_requests',
      'failed_connect',
      'failed_receive',
      'failed_length',
      'failed_exceptions',
      'non_2xx',
      'document_length',
      'total_transferred',
      'html_transferred',
      'requests_per_second',
      'time_per_request_ms',
      'time_per_request_all_ms',
      'transfer_rate_kbps',
      'achieved_rate',
      'completed_rate',
      'p50_ms',
      'p75_ms',
      'p90_ms',
      'p99_ms',
      'p99_9_ms',
      'p99_99_ms',
      'p99_999_ms',
      'max_ms',
      'stopped',
      'finished_at',
    ]);
  });

  const cases: Array<[string, CellRecord, Record<string, string>]> = [
    [
      'a closed-loop cell of one round: ab\u2019s decimals, round 1, no duration or rate',
      record(),
      {
        server: 'node-async',
        mode: 'close',
        group: '1',
        requests: '200',
        concurrency: '10',
        duration_s: '',
        rate: '',
        round: '1',
        time_taken_s: '0.500',
        complete_requests: '200',
        failed_requests: '0',
        non_2xx: '0',
        document_length: '100',
        total_transferred: '40000',
        html_transferred: '20000',
        requests_per_second: '400.00',
        time_per_request_ms: '25.000',
        time_per_request_all_ms: '2.500',
        transfer_rate_kbps: '78.13',
        achieved_rate: '',
        p50_ms: '1.000',
        p99_ms: '2.345',
        max_ms: '4.100',
        stopped: '',
      },
    ],
    [
      'the third run of a cell measured in rounds says round 3',
      record({ round: 2, group: 1 }),
      { round: '3', group: '2' },
    ],
    [
      'a cell of a duration in the open model: its duration, rate and the rates reached',
      record(
        { requests: 0, durationS: 6, rate: 1000 },
        {
          durationS: 6,
          open: {
            targetRate: 1000,
            scheduledS: 6,
            scheduled: 6000,
            sent: 5990,
            achievedRate: 998.333,
            completedRate: 997.5,
            maxSendDelayMs: 12,
          },
        },
      ),
      { requests: '0', duration_s: '6', rate: '1000', achieved_rate: '998.33', completed_rate: '997.50' },
    ],
    [
      'a stopped cell keeps its reason, and its failures by ab\u2019s kinds',
      record(
        {},
        {
          completeRequests: 0,
          failedRequests: 1,
          failed: { connect: 1, receive: 0, length: 0, exceptions: 0 },
          requestsPerSecond: 0,
          stopped: {
            kind: 'connect',
            reason: 'connection refused (ECONNREFUSED) at request 1 of 200: the cell stopped, as ab does',
            afterRequests: 1,
          },
        },
      ),
      {
        complete_requests: '0',
        failed_requests: '1',
        failed_connect: '1',
        requests_per_second: '0.00',
        stopped: 'connection refused (ECONNREFUSED) at request 1 of 200: the cell stopped, as ab does',
      },
    ],
    [
      'a record written before percentiles existed has empty percentile fields',
      record({}, { percentilesUs: undefined, documentLength: null }),
      { p50_ms: '', p99_999_ms: '', max_ms: '', document_length: '' },
    ],
    [
      'a figure that is not finite is "n/a", as in the other reports',
      record({}, { requestsPerSecond: Number.NaN }),
      { requests_per_second: 'n/a' },
    ],
  ];

  it.each(cases)('%s', (_name, r, expected) => {
    expect(fieldsOf(r)).toMatchObject(expected);
  });

  it('quotes what needs it and reads back field for field, a server name with a comma and quotes included', () => {
    const runs = [
      record({ server: 'odd, "name"' }),
      record(
        {},
        { stopped: { kind: 'timeout', reason: 'no response within 30000 ms, "x"\nsecond line', afterRequests: 3 } },
      ),
    ];
    const text = renderCsv(runs);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual(CSV_HEADERS);
    expect(rows[1]).toEqual(csvFields(runs[0]!));
    expect(rows[1]![0]).toBe('odd, "name"');
    expect(rows[2]![CSV_HEADERS.indexOf('stopped')]).toBe('no response within 30000 ms, "x"\nsecond line');
    expect(text).toBe(csvHeaderLine() + csvRowLine(runs[0]!) + csvRowLine(runs[1]!));
  });
});

describe('--csv FILE: the path is checked before anything starts', () => {
  const facts = (over: Partial<CsvPathFacts>): CsvPathFacts => ({
    target: 'missing',
    targetWritable: false,
    ancestor: '/tmp/x',
    ancestorKind: 'folder',
    ancestorWritable: true,
    ...over,
  });

  it.each<[string, Partial<CsvPathFacts>, string | null]>([
    ['a new file in a writable folder', {}, null],
    ['a file that can be written (it is replaced)', { target: 'file', targetWritable: true }, null],
    ['a folder', { target: 'folder' }, 'is a folder: name a file, such as cells.csv'],
    ['a device or a socket', { target: 'other' }, 'is not a regular file'],
    ['a file that cannot be written', { target: 'file' }, 'is a file that cannot be written (permission denied)'],
    [
      'a new file in a folder that cannot be written',
      { ancestorWritable: false },
      'cannot be made: the folder /tmp/x cannot be written',
    ],
    [
      'a new file under a file',
      { ancestorKind: 'other', ancestorWritable: false },
      'cannot be made: /tmp/x is not a folder',
    ],
  ])('%s', (_name, over, problem) => {
    expect(csvPathProblem(facts(over))).toBe(problem);
  });

  it('resolves a good path, and names the flag and the value of a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    await writeFile(join(dir, 'file'), 'x');
    expect(csvFlag(join(dir, 'cells.csv'))).toBe(join(dir, 'cells.csv'));
    // Missing folders are made when the run starts.
    expect(csvFlag(join(dir, 'a', 'b', 'cells.csv'))).toBe(join(dir, 'a', 'b', 'cells.csv'));
    expect(() => csvFlag(dir)).toThrow(`--csv ${JSON.stringify(dir)}: is a folder`);
    expect(() => csvFlag(`${dir}/new/`)).toThrow(`--csv ${JSON.stringify(`${dir}/new/`)}: is a folder`);
    expect(() => csvFlag(join(dir, 'file', 'cells.csv'))).toThrow(
      `cannot be made: ${join(dir, 'file')} is not a folder`,
    );
    expect(() => csvFlag('')).toThrow('--csv "": is empty');
    expect(() => csvFlag(dir)).toThrow(UsageError);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it cannot write into (not as root, who can)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    await mkdir(join(dir, 'ro'));
    await chmod(join(dir, 'ro'), 0o500);
    expect(() => csvFlag(join(dir, 'ro', 'cells.csv'))).toThrow('cannot be written');
  });

  it('is taken by bench, and a folder is a usage error (exit 2) naming the flag, before anything starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    const server = ['--server', 'x=python3 s.py {port}'];
    expect((await parseBenchArgs([...server, '--csv', join(dir, 'c.csv')])).csv).toBe(join(dir, 'c.csv'));
    expect((await parseBenchArgs(server)).csv).toBeUndefined();
    const run = await runInProcess(['bench', ...server, '--csv', dir, '--out', join(dir, 'out')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`gauntlet bench: --csv ${JSON.stringify(dir)}: is a folder`);
    expect(run.stdout).toBe('');
  });

  it('is in bench --help', async () => {
    const run = await runInProcess(['bench', '--help']);
    expect(run.stdout + run.stderr).toMatch(/--csv FILE +also write one CSV row per run of a cell/);
  });
});

describe('CsvWriter', () => {
  it('makes the file and its folders with the header, then appends a line per run as it comes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    const file = join(dir, 'deep', 'er', 'cells.csv');
    const writer = CsvWriter.open(file);
    expect(await readFile(file, 'utf8')).toBe(csvHeaderLine());
    writer.append(record());
    // On disk at once: a run killed now keeps this line.
    expect(await readFile(file, 'utf8')).toBe(csvHeaderLine() + csvRowLine(record()));
    writer.append(record({ round: 1 }));
    writer.close();
    writer.append(record({ round: 2 }));
    writer.close();
    expect(parseCsv(await readFile(file, 'utf8')).map((r) => r[CSV_HEADERS.indexOf('round')])).toEqual([
      'round',
      '1',
      '2',
    ]);
  });

  it('replaces a file that was there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    const file = join(dir, 'cells.csv');
    await writeFile(file, 'old,content\r\nmore\r\n');
    CsvWriter.open(file).close();
    expect(await readFile(file, 'utf8')).toBe(csvHeaderLine());
  });
});
