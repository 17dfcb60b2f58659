/**
 * The property sections of check's reports: a line per property in the terminal grid with the
 * failure's replay and counterexample, a `properties` section per server in check.json, a
 * testcase per property in check.junit.xml, and a table with details in check.html. A run
 * without properties reads as before.
 */
import { describe, it, expect } from 'vitest';
import type { CheckRun } from '../../lib/conformance/types.ts';
import { renderGrid } from '../../lib/report/terminal/check-grid.ts';
import { renderJunit } from '../../lib/report/junit/check-junit.ts';
import { renderCheckJson, type JsonCheckRun } from '../../lib/report/json/check-json.ts';
import { renderCheckHtml } from '../../lib/report/html/check-report.ts';
import {
  propertiesFailed,
  propertyRecord,
  type PropertyCheckRun,
  type PropertyRecord,
} from '../../lib/conformance/properties/record.ts';
import type { PropertyResult } from '../../lib/conformance/properties/types.ts';
import { TEST_MACHINE } from '../helpers/test-machine.ts';

const REPLAY =
  "npx gauntlet check --server 'bad=bad {port}' --property prop-head-matches-get --seed 7 --shrink-path 3:0:1";

function result(verdict: PropertyResult['verdict'], extra: Partial<PropertyResult> = {}): PropertyResult {
  return {
    id: 'prop-head-matches-get',
    name: "HEAD gets GET's status and header fields and no body",
    rfc: 'RFC 9110 §9.3.2',
    level: 'MUST',
    verdict,
    seed: 7,
    numRuns: 25,
    replay: 'npx gauntlet check --server good --property prop-head-matches-get --seed 7',
    durationMs: 1200,
    ...extra,
  };
}

const failing: PropertyRecord = propertyRecord(
  result('fail', {
    numRuns: 4,
    reason: 'the HEAD response was followed by 115 more bytes: a body was sent',
    counterexample: 'GET request (40 bytes):\n    GET / HTTP/1.1\\r\\n\nwire log:\n<&> here',
    path: '3:0:1',
    replay: REPLAY,
  }),
);

function sampleRun(): PropertyCheckRun {
  return {
    tool: 'gauntlet',
    command: 'check',
    schemaVersion: 1,
    machine: TEST_MACHINE,
    version: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:05.000Z',
    status: 'complete',
    cases: [{ id: 'get-root', name: 'GET / is 200', rfc: 'RFC 9110 §9.3.1', level: 'MUST', group: 'methods' }],
    servers: [
      {
        name: 'good',
        command: 'good {port}',
        source: 'servers/good/server.json',
        capabilities: ['echo'],
        serverFlag: '--server good',
        properties: [propertyRecord(result('pass'))],
      },
      {
        name: 'bad',
        command: 'bad {port}',
        source: '--server "bad=bad {port}"',
        capabilities: [],
        serverFlag: "--server 'bad=bad {port}'",
        properties: [failing],
      },
    ],
    results: [
      { caseId: 'get-root', server: 'good', verdict: 'pass', reason: '', exchange: null, durationMs: 3 },
      { caseId: 'get-root', server: 'bad', verdict: 'pass', reason: '', exchange: null, durationMs: 3 },
    ],
  };
}

describe('property records', () => {
  it('give a failed MUST property the verdict fail, a SHOULD one warn, and keep runs, seed and path', () => {
    expect(failing).toMatchObject({ verdict: 'fail', runs: 4, seed: 7, path: '3:0:1', replay: REPLAY });
    expect(propertyRecord(result('fail', { level: 'SHOULD' })).verdict).toBe('warn');
    expect(propertyRecord(result('skip', { reason: 'needs echo' }))).toMatchObject({
      verdict: 'skip',
      reason: 'needs echo',
    });
  });

  it('fail the run only for a failed MUST property', () => {
    expect(propertiesFailed(sampleRun())).toBe(true);
    const warned = sampleRun();
    warned.servers[1]!.properties = [propertyRecord(result('fail', { level: 'SHOULD' }))];
    expect(propertiesFailed(warned)).toBe(false);
  });
});

describe('reports', () => {
  it('print a grid line per property after the cases, and the failure with its replay and counterexample', () => {
    const grid = renderGrid(sampleRun());
    const lines = grid.split('\n');
    expect(lines.indexOf('[properties]')).toBeGreaterThan(lines.findIndex((l) => l.startsWith('get-root')));
    expect(grid).toMatch(/prop-head-matches-get\s+MUST\s+pass\s+FAIL/);
    expect(grid).toContain('good: 1 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error; properties 1 pass, 0 fail');
    expect(grid).toContain(
      'FAIL bad prop-head-matches-get (MUST, RFC 9110 §9.3.2): the HEAD response was followed by 115 more bytes: a body was sent',
    );
    expect(grid).toContain(`     replay: ${REPLAY}`);
    expect(grid).toContain('         GET / HTTP/1.1\\r\\n');
  });

  it('put a properties section per server in check.json', () => {
    const json = JSON.parse(renderCheckJson(sampleRun())) as JsonCheckRun;
    const bad = json.servers.find((s) => s.name === 'bad')!;
    expect(bad.properties).toEqual([failing]);
    expect(Object.keys(bad.properties![0]!)).toEqual(
      expect.arrayContaining(['id', 'name', 'rfc', 'verdict', 'runs', 'seed', 'path', 'counterexample', 'replay']),
    );
  });

  it('write a testcase per property in check.junit.xml, counted in the suites', () => {
    const junit = renderJunit(sampleRun());
    expect(junit).toContain('<testsuites name="gauntlet check" tests="4" failures="1" errors="0" skipped="0"');
    expect(junit).toContain('<testsuite name="bad" tests="2" failures="1"');
    expect(junit).toContain(
      '<testcase classname="good.properties" name="prop-head-matches-get: HEAD gets GET&apos;s status and header fields and no body" time="1.200"/>',
    );
    expect(junit).toContain(
      '<failure message="the HEAD response was followed by 115 more bytes: a body was sent" type="MUST">',
    );
    expect(junit).toContain(`replay: ${REPLAY}`);
    expect(junit).toContain('&lt;&amp;&gt; here');
  });

  it('show a table of properties and the details of a failure in check.html', () => {
    const html = renderCheckHtml(sampleRun());
    expect(html).toContain('<h3>Properties</h3>');
    expect(html).toContain('<details id="p-bad--prop-head-matches-get">');
    expect(html).toContain('&lt;&amp;&gt; here');
    expect(html).toContain('seed 7, 4 runs, path 3:0:1');
  });

  it('read as before for a run without properties', () => {
    const run: CheckRun = sampleRun();
    for (const s of run.servers) delete (s as PropertyCheckRun['servers'][number]).properties;
    expect(renderGrid(run)).not.toContain('properties');
    expect(renderJunit(run)).toContain('tests="2" failures="0"');
    expect(renderCheckHtml(run)).not.toContain('<h3>Properties</h3>');
  });
});
