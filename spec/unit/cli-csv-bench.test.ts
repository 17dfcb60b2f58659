/**
 * `gauntlet bench --csv FILE` end to end, against a tiny server: a row per run of a cell with the
 * same figures as results.json, the rows of a run stopped by Ctrl-C kept, and the live progress
 * of a cell of a duration on stderr while --json keeps stdout for the record.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { RunResults } from '../../lib/types.ts';
import { CSV_HEADERS, csvFields } from '../../lib/report/csv/rows.ts';
import { runCli } from './helpers/cli-child.ts';

const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
const tiny = (name: string, args = '') => `${name}=python3 -u ${TINY} {port} ${args}`;

/** The CSV's lines split on CRLF into fields (these rows quote nothing: no comma in them). */
function csvRows(text: string): string[][] {
  expect(text.endsWith('\r\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\r\n')
    .map((line) => line.split(','));
}

const column = (rows: string[][], header: string): string[] =>
  rows.slice(1).map((r) => r[CSV_HEADERS.indexOf(header)]!);

describe('gauntlet bench --csv', () => {
  it('writes a header and one row per run of a cell, its round said, with the figures of results.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    const file = join(dir, 'sub', 'cells.csv');
    const args = ['bench', '--server', tiny('one'), '--matrix', '20:1,5', '--rounds', '2'];
    const run = await runCli([...args, '--out', join(dir, 'out'), '--no-check', '--csv', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`reports: `);
    expect(run.stderr).toContain(file);
    const rows = csvRows(await readFile(file, 'utf8'));
    expect(rows[0]).toEqual(CSV_HEADERS);
    expect(rows).toHaveLength(5);
    expect(column(rows, 'concurrency')).toEqual(['1', '1', '5', '5']);
    expect(column(rows, 'round')).toEqual(['1', '2', '1', '2']);
    expect(column(rows, 'complete_requests')).toEqual(['20', '20', '20', '20']);
    const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as RunResults;
    // Row for row, the runs results.json keeps, in the order they finished.
    expect(rows.slice(1)).toEqual(results.cells.map(csvFields));
    for (const p99 of column(rows, 'p99_ms')) expect(Number(p99)).toBeGreaterThan(0);
  }, 60_000);

  it('keeps the rows of the cells measured before Ctrl-C', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    const file = join(dir, 'cells.csv');
    let sent = false;
    const run = await runCli(
      [
        'bench',
        '--server',
        tiny('slow', '--slow 0.05'),
        '--matrix',
        '10:1;10:1;10:1;10:1;10:1;10:1',
        '--rounds',
        '1',
        '--out',
        join(dir, 'out'),
        '--no-check',
        '--csv',
        file,
      ],
      {
        onStderr: (text, child) => {
          if (!sent && /cell 1\/6: .* req\/s/.test(text)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as RunResults;
    expect(results.status).toBe('interrupted');
    const rows = csvRows(await readFile(file, 'utf8'));
    expect(rows.length - 1).toBeGreaterThanOrEqual(1);
    expect(rows.slice(1)).toEqual(results.cells.map(csvFields));
  }, 60_000);

  it('shows a cell of a duration live on stderr, requests/s and p99 each second, while --json keeps stdout for the record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-csv-'));
    const run = await runCli([
      'bench',
      '--server',
      tiny('steady', '--slow 0.01'),
      '--concurrency',
      '2',
      '--duration',
      '2.5s',
      '--rounds',
      '1',
      '--out',
      join(dir, 'out'),
      '--no-check',
      '--json',
      '--csv',
      join(dir, 'cells.csv'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    // Plain lines, as in a log: no terminal here.
    const live =
      run.stderr.match(/cell 1\/1: 2\.5 s x 2 concurrent {2}\d+ s: \d+ req\/s, p99 \d+\.\d\d ms so far\n/g) ?? [];
    expect(live.length, run.stderr).toBeGreaterThanOrEqual(1);
    expect(run.stderr).not.toContain('\r');
    // stdout is results.json alone.
    const results = JSON.parse(run.stdout) as RunResults;
    expect(results.cells).toHaveLength(1);
    const rows = csvRows(await readFile(join(dir, 'cells.csv'), 'utf8'));
    expect(column(rows, 'duration_s')).toEqual(['2.5']);
  }, 60_000);
});
