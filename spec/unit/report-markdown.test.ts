import { describe, expect, it } from 'vitest';
import { renderMarkdownReport } from '../../lib/report/markdown/report.ts';
import { escapeMarkdown, markdownCode, markdownCodeBlock } from '../../lib/report/format.ts';
import {
  SEED_ASYNC_TABLE_HTML,
  SEED_CONCLUSION,
  SEED_THREADED_TABLE_HTML,
  seedResults,
} from './fixtures/seed-results.ts';

describe('renderMarkdownReport', () => {
  it('has the title, when, machine, mode, path and matrix', () => {
    const md = renderMarkdownReport(seedResults());
    expect(md.startsWith('# Gauntlet results: seed matrix\n')).toBe(true);
    expect(md).toContain('- When: 2021-05-01T10:00:00.000Z to 2021-05-01T10:03:00.000Z (3 min 0 s), complete');
    expect(md).toContain('- CPU: Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz, 2 cores');
    expect(md).toContain('- Node: v20.11.0');
    expect(md).toContain('- Python: 3.8.5');
    expect(md).toContain('- Mode: close');
    expect(md).toContain('- Path: `/`');
    expect(md).toContain('- Matrix: seed: 10 x {1, 5, 10}; 50 x {1, 10, 30, 50}; 100 x {1, 10, 50, 100}');
  });

  it.each([
    [{ method: 'GET', headers: [], body: null, paths: ['/'] }, 'GET /'],
    [
      {
        method: 'POST',
        headers: [{ name: 'X-Trace', value: 'abc' }],
        body: { bytes: 4096, framing: 'content-length' as const, contentType: 'text/plain' },
        paths: ['/echo'],
      },
      'POST /echo; headers X-Trace: abc; a 4096-byte body (Content-Length, text/plain)',
    ],
    [
      {
        method: 'PUT',
        headers: [],
        body: { bytes: 10, framing: 'chunked' as const, contentType: 'application/json' },
        paths: ['/a', '/b'],
      },
      'PUT /a, /b (in turn); a 10-byte body (sent chunked, application/json)',
    ],
  ])('names the request every cell sent, in place of the path: %j', (request, line) => {
    const md = renderMarkdownReport({ ...seedResults(), request });
    expect(md).toContain(`- Request: ${line}\n`);
    expect(md).not.toContain('- Path:');
  });

  it("gives each server a heading and the seed's own HTML table, between blank lines", () => {
    const md = renderMarkdownReport(seedResults());
    expect(md).toContain(`## Results for seed-threaded (threaded, python)`);
    expect(md).toContain(`## Results for seed-async (async, python)`);
    expect(md).toContain(`\n\n${SEED_THREADED_TABLE_HTML}\n\n`);
    expect(md).toContain(`\n\n${SEED_ASYNC_TABLE_HTML}\n\n`);
    expect(md.indexOf('seed-threaded (threaded')).toBeLessThan(md.indexOf(SEED_THREADED_TABLE_HTML));
  });

  it('ends with a comparison and a conclusion computed from the data, not the seed sentence', () => {
    const md = renderMarkdownReport(seedResults());
    const comparison = md.indexOf('## Comparison');
    const conclusion = md.indexOf('## Conclusion');
    expect(comparison).toBeGreaterThan(md.indexOf(SEED_ASYNC_TABLE_HTML));
    expect(conclusion).toBeGreaterThan(comparison);
    expect(md).toContain('| n=10 c=5 | 4.95 | 2005.21 | seed-async | 405x |');
    expect(md.slice(conclusion)).toContain('seed-async was faster than seed-threaded in 11 of 11 cells');
    expect(md.slice(conclusion)).toContain(
      '- One run per cell cannot tell noise from a difference: cells within 5% are called ties',
    );
    expect(md).not.toContain(SEED_CONCLUSION);
    expect(md).not.toContain('## Notes');
  });

  it('notes errors, interruption and missing cells', () => {
    const run = seedResults();
    run.status = 'interrupted';
    run.servers[0]!.error = 'exited with code 1\n```\nstack';
    run.cells = run.cells.filter((c) => !(c.server === 'seed-threaded' && c.requests === 100 && c.concurrency === 100));
    const md = renderMarkdownReport(run);
    const notes = md.slice(md.indexOf('## Notes'));
    expect(notes).toContain('- The run was interrupted before it finished');
    expect(notes).toContain('- seed-threaded failed:\n\n  ````text\n  exited with code 1\n  ```\n  stack\n  ````');
    expect(notes).toContain('- seed-threaded: 1 of 11 cells not measured (n=100 c=100).');
    expect(md).toContain('— n=100 c=100: not measured: seed-threaded failed (exited with code 1)');
  });

  it('escapes server names and commands for markdown', () => {
    const run = seedResults();
    run.servers[0]!.name = '<script>x</script>';
    run.servers[0]!.command = 'run `this` | that';
    for (const c of run.cells) if (c.server === 'seed-threaded') c.server = '<script>x</script>';
    const md = renderMarkdownReport(run);
    expect(md).not.toContain('<script>');
    expect(md).toContain('## Results for \\<script\\>x\\</script\\> (threaded, python)');
    expect(md).toContain('Command: ``run `this` | that``');
  });
});

describe('markdown helpers', () => {
  it('escape inline text and line starts', () => {
    expect(escapeMarkdown('a_b*c|d<e>&f')).toBe('a\\_b\\*c\\|d\\<e\\>\\&f');
    expect(escapeMarkdown('257.08')).toBe('257.08');
    expect(escapeMarkdown('1. item', { lineStart: true })).toBe('1\\. item');
    expect(escapeMarkdown('# not a heading', { lineStart: true })).toBe('\\# not a heading');
    expect(escapeMarkdown('two\nlines')).toBe('two lines');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCodeBlock('x\n```\ny')).toBe('````text\nx\n```\ny\n````');
  });
});
