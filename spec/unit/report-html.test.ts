import { describe, expect, it } from 'vitest';
import { renderHtmlReport, serverSection } from '../../lib/report/html/report.ts';
import type { HtmlSection } from '../../lib/report/html/page.ts';
import { seedTableModel } from '../../lib/report/seed-table.ts';
import { renderTgTable } from '../../lib/report/html/tg-table.ts';
import { SEED_ASYNC_TABLE_HTML, SEED_THREADED_TABLE_HTML, seedResults } from './fixtures/seed-results.ts';

/** The texts of a table's cells, in document order. */
function cellTexts(html: string): string[] {
  return [...html.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => m[1]!.trim());
}

function tgTables(html: string): string[] {
  return html.match(/<table class="tg">[\s\S]*?<\/table>/g) ?? [];
}

describe('the seed table layout', () => {
  it("is the seed's HTML, byte for byte, for both servers", () => {
    const run = seedResults();
    expect(renderTgTable(seedTableModel(run, 'seed-threaded'))).toBe(SEED_THREADED_TABLE_HTML);
    expect(renderTgTable(seedTableModel(run, 'seed-async'))).toBe(SEED_ASYNC_TABLE_HTML);
  });

  it("has the seed's cell texts in the seed's order and its rowspans", () => {
    const run = seedResults();
    const threaded = renderTgTable(seedTableModel(run, 'seed-threaded'));
    expect(cellTexts(threaded)).toEqual(cellTexts(SEED_THREADED_TABLE_HTML));
    expect(cellTexts(threaded)).toContain('257.08');
    expect(threaded.match(/rowspan="3"/g)).toHaveLength(1);
    expect(threaded.match(/rowspan="4"/g)).toHaveLength(2);
    expect(threaded.indexOf('rowspan="3">1<')).toBeLessThan(threaded.indexOf('rowspan="4">2<'));
    expect(threaded.indexOf('rowspan="4">2<')).toBeLessThan(threaded.indexOf('rowspan="4">3<'));
  });
});

describe('renderHtmlReport', () => {
  it('is one self-contained page: inline CSS, no scripts, nothing fetched', () => {
    const html = renderHtmlReport(seedResults());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toMatch(/<style>[\s\S]*\.tg td\{[^}]*border-width:1px[\s\S]*text-align:center[\s\S]*<\/style>/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it("holds each server's seed table, the comparison, the conclusion and the machine", () => {
    const html = renderHtmlReport(seedResults());
    const tables = tgTables(html);
    expect(tables).toEqual([SEED_THREADED_TABLE_HTML, SEED_ASYNC_TABLE_HTML]);
    expect(html).toContain('<h2>Results for seed-threaded (threaded, python)</h2>');
    expect(html).toContain('<h2>Results for seed-async (async, python)</h2>');
    expect(html).toContain('<section id="comparison">');
    expect(html).toContain('seed-async was faster than seed-threaded in 11 of 11 cells');
    expect(html).toContain('Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz, 2 cores');
    expect(html).toContain('v20.11.0');
    expect(html).toContain('3.8.5');
    expect(html).toContain('seed: 10 x {1, 5, 10}; 50 x {1, 10, 30, 50}; 100 x {1, 10, 50, 100}');
    expect(html).toContain('<code>gauntlet gate</code>');
    // Comparison before conclusion, both after the servers.
    const order = [
      'id="run"',
      'id="server-seed-threaded"',
      'id="server-seed-async"',
      'id="comparison"',
      'id="conclusion"',
    ];
    const positions = order.map((needle) => html.indexOf(needle));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // A complete run with every cell has nothing to note.
    expect(html).not.toContain('id="notes"');
  });

  it('escapes every string from the data', () => {
    const run = seedResults();
    const evil = '<script>alert("x")</script>';
    run.servers[0]!.name = evil;
    run.servers[0]!.command = `python3 -c 'print("<b>&")' {port}`;
    run.servers[0]!.error = 'crashed: <img src=x onerror=alert(1)> & "quotes"';
    for (const c of run.cells) if (c.server === 'seed-threaded') c.server = evil;
    run.machine.cpuModel = 'CPU <i>fast</i>';
    run.path = '/a?b=<c>&d';
    const html = renderHtmlReport(run);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
    expect(html).toContain('Results for &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; (threaded, python)');
    expect(html).toContain('python3 -c &#39;print(&quot;&lt;b&gt;&amp;&quot;)&#39; {port}');
    expect(html).toContain('crashed: &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('CPU &lt;i&gt;fast&lt;/i&gt;');
    expect(html).toContain('/a?b=&lt;c&gt;&amp;d');
    // The name that slugs to nothing still yields a usable, escaped id.
    expect(html).toMatch(/<section id="server-script-alert-x-script">/);
  });

  it("notes a server's error in its section and missing cells and interruption in the notes", () => {
    const run = seedResults();
    run.status = 'interrupted';
    run.servers[1]!.error = 'exited with code 137\nKilled';
    run.cells = run.cells.filter((c) => !(c.server === 'seed-async' && c.group === 2 && c.concurrency >= 50));
    const html = renderHtmlReport(run);
    const section = serverSection(run, 'seed-async').body;
    expect(section).toContain('<pre>exited with code 137\nKilled</pre>');
    expect(section).toContain('— n=100 c=50, n=100 c=100: not measured: seed-async failed (exited with code 137)');
    expect(html).toContain('<section id="notes">');
    expect(html).toContain('The run was interrupted before it finished');
    expect(html).toContain('seed-async: 2 of 11 cells not measured (n=100 c=50, n=100 c=100).');
    const table = tgTables(html)[1]!;
    expect(cellTexts(table).slice(-16)).toEqual([
      '50',
      ...Array<string>(7).fill('—'),
      '100',
      ...Array<string>(7).fill('—'),
    ]);
    expect(html).toContain('2 of 11 cells were left out: n=100 c=50 and n=100 c=100 (not measured for seed-async).');
  });

  it('takes extra sections, placed before the notes', () => {
    const extra: HtmlSection = { id: 'charts', title: 'Charts & <more>', body: '<p>chart</p>' };
    const run = seedResults();
    run.status = 'interrupted';
    const html = renderHtmlReport(run, { extraSections: [extra] });
    expect(html).toContain('<section id="charts">\n<h2>Charts &amp; &lt;more&gt;</h2>\n<p>chart</p>\n</section>');
    expect(html.indexOf('id="conclusion"')).toBeLessThan(html.indexOf('id="charts"'));
    expect(html.indexOf('id="charts"')).toBeLessThan(html.indexOf('id="notes"'));
  });
});
