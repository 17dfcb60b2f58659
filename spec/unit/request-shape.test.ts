/**
 * Shaped requests, built and checked without a socket: the bytes of each shape beside the ones
 * ab sends for the same -m, -H, -p and -T (ab.c test()), the round robin over several paths, what
 * results.json records, and the rules every shape keeps.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import {
  abRequestText,
  cellRequests,
  chunkedBody,
  requestCycle,
  shapeRecord,
  shapedRequestBytes,
  shapedRequestHead,
  type RequestFraming,
  type RequestShape,
} from '../../lib/load/ab-request.ts';
import { keepAliveRequestBytes } from '../../lib/load/timed-slots.ts';
import {
  headerProblem,
  methodProblem,
  parseHeaderLine,
  pathProblem,
  shapeProblem,
} from '../../lib/load/request-shape-check.ts';

const AB_TAIL = 'Host: h:8080\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n';
const body = Buffer.from('{"a":1}');

describe('shapedRequestHead: the bytes of each shape', () => {
  const rows: Array<[string, RequestShape, RequestFraming, string]> = [
    ['no shape, close: ab GET', {}, 'close', `GET /p HTTP/1.0\r\n${AB_TAIL}\r\n`],
    ['no shape, keep-alive', {}, 'keepalive', `GET /p HTTP/1.1\r\nConnection: keep-alive\r\n${AB_TAIL}\r\n`],
    ['a method (ab -m)', { method: 'DELETE' }, 'close', `DELETE /p HTTP/1.0\r\n${AB_TAIL}\r\n`],
    [
      "headers before ab's own, in order (ab -H)",
      {
        headers: [
          ['X-A', '1'],
          ['X-B', 'two words'],
        ],
      },
      'close',
      `GET /p HTTP/1.0\r\nX-A: 1\r\nX-B: two words\r\n${AB_TAIL}\r\n`,
    ],
    [
      "a Host, User-Agent or Accept replaces ab's own, whatever its case",
      {
        headers: [
          ['host', 'example.test'],
          ['Accept', 'text/html'],
        ],
      },
      'close',
      'GET /p HTTP/1.0\r\nhost: example.test\r\nAccept: text/html\r\nUser-Agent: ApacheBench/2.3\r\n\r\n',
    ],
    [
      "a body: POST, Content-length, ab's default Content-type (ab -p)",
      { body },
      'close',
      `POST /p HTTP/1.0\r\nContent-length: 7\r\nContent-type: text/plain\r\n${AB_TAIL}\r\n`,
    ],
    [
      "a Content-Type header with a body is ab's -T, not sent twice",
      {
        method: 'PUT',
        body,
        headers: [
          ['X-A', '1'],
          ['Content-Type', 'application/json'],
        ],
      },
      'close',
      `PUT /p HTTP/1.0\r\nContent-length: 7\r\nContent-type: application/json\r\nX-A: 1\r\n${AB_TAIL}\r\n`,
    ],
    [
      'a Content-Type header without a body is a header like another',
      { headers: [['Content-Type', 'text/html']] },
      'close',
      `GET /p HTTP/1.0\r\nContent-Type: text/html\r\n${AB_TAIL}\r\n`,
    ],
    [
      'chunked in close mode: HTTP/1.1 and Connection: close',
      { body, chunked: true },
      'close',
      `POST /p HTTP/1.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-type: text/plain\r\n${AB_TAIL}\r\n`,
    ],
    [
      'a body in keep-alive mode',
      { body },
      'keepalive',
      `POST /p HTTP/1.1\r\nConnection: keep-alive\r\nContent-length: 7\r\nContent-type: text/plain\r\n${AB_TAIL}\r\n`,
    ],
    [
      'chunked in keep-alive mode',
      { body, chunked: true },
      'keepalive',
      `POST /p HTTP/1.1\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-type: text/plain\r\n${AB_TAIL}\r\n`,
    ],
    [
      'an empty body still has its Content-length (ab -p of an empty file)',
      { body: Buffer.alloc(0) },
      'close',
      `POST /p HTTP/1.0\r\nContent-length: 0\r\nContent-type: text/plain\r\n${AB_TAIL}\r\n`,
    ],
  ];
  for (const [label, shape, framing, expected] of rows) {
    it(label, () => {
      expect(shapedRequestHead('h', 8080, '/p', shape, framing)).toBe(expected);
    });
  }

  it("keeps ab's plain GET byte for byte, on port 80 and IPv6 too", () => {
    for (const [host, port] of [
      ['127.0.0.1', 80],
      ['localhost', 8080],
      ['::1', 3000],
    ] as const) {
      expect(shapedRequestHead(host, port, '/a?b', {}, 'close')).toBe(abRequestText(host, port, '/a?b'));
      expect(shapedRequestBytes(host, port, '/x', {}, 'keepalive')).toEqual(keepAliveRequestBytes(host, port, '/x'));
    }
  });
});

describe('the body after the head', () => {
  it('Content-length framed: the body as it is', () => {
    const bytes = shapedRequestBytes('h', 8080, '/p', { body }, 'close');
    expect(bytes.subarray(bytes.length - body.length)).toEqual(body);
    expect(bytes.length).toBe(Buffer.byteLength(shapedRequestHead('h', 8080, '/p', { body }, 'close')) + 7);
  });

  it('chunked: one chunk of the body, then the last chunk', () => {
    expect(chunkedBody(body).toString('latin1')).toBe('7\r\n{"a":1}\r\n0\r\n\r\n');
    expect(chunkedBody(Buffer.alloc(4096, 1)).subarray(0, 6).toString('latin1')).toBe('1000\r\n');
    expect(chunkedBody(Buffer.alloc(0)).toString('latin1')).toBe('0\r\n\r\n');
    const bytes = shapedRequestBytes('h', 8080, '/p', { body, chunked: true }, 'close').toString('latin1');
    expect(bytes.endsWith('\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n')).toBe(true);
  });

  it('sends a binary body untouched', () => {
    const binary = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x80]);
    const bytes = shapedRequestBytes('h', 8080, '/p', { body: binary }, 'keepalive');
    expect(bytes.subarray(bytes.length - 5)).toEqual(binary);
  });
});

describe('several paths, round robin', () => {
  it('request i gets path i mod n, each with the whole shape', () => {
    const shape: RequestShape = { paths: ['/a', '/b', '/c'], method: 'POST', body };
    const next = requestCycle(cellRequests('h', 8080, '/a', shape, 'close'));
    const lines = Array.from({ length: 7 }, () => next().toString('latin1').split('\r\n')[0]);
    expect(lines).toEqual([
      'POST /a HTTP/1.0',
      'POST /b HTTP/1.0',
      'POST /c HTTP/1.0',
      'POST /a HTTP/1.0',
      'POST /b HTTP/1.0',
      'POST /c HTTP/1.0',
      'POST /a HTTP/1.0',
    ]);
  });

  it('one request is handed out again and again; no request at all is refused', () => {
    const one = Buffer.from('x');
    const next = requestCycle(one);
    expect([next(), next()]).toEqual([one, one]);
    expect(() => requestCycle([])).toThrow(RangeError);
  });

  it('without paths, the target path is the only one', () => {
    expect(cellRequests('h', 8080, '/t', undefined, 'close').map((b) => b.toString('latin1'))).toEqual([
      abRequestText('h', 8080, '/t'),
    ]);
  });
});

describe('shapeRecord: what results.json keeps', () => {
  it("ab's GET of one path", () => {
    expect(shapeRecord(undefined, '/')).toEqual({ method: 'GET', headers: [], body: null, paths: ['/'] });
  });

  it('a POST of a file with its type, several paths', () => {
    const shape: RequestShape = {
      headers: [
        ['X-A', '1'],
        ['content-type', 'application/json'],
      ],
      body: Buffer.alloc(4096),
      paths: ['/echo', '/echo?b'],
    };
    expect(shapeRecord(shape, '/echo')).toEqual({
      method: 'POST',
      headers: [{ name: 'X-A', value: '1' }],
      body: { bytes: 4096, framing: 'content-length', contentType: 'application/json' },
      paths: ['/echo', '/echo?b'],
    });
  });

  it("follows the schemas of bench's results.json and of the gate's settings", () => {
    interface Node {
      properties: Record<string, Node>;
    }
    const schema = (file: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', file), 'utf8')) as Node;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const validators = [
      ajv.compile(schema('results.schema.json').properties.request!),
      ajv.compile(schema('gate.schema.json').properties.settings!.properties.request!),
    ];
    const records = [
      shapeRecord(undefined, '/'),
      shapeRecord({ headers: [['X-A', '1']], body, chunked: true, paths: ['/a', '/b'] }, '/a'),
    ];
    for (const validate of validators) {
      for (const record of records) expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
      expect(validate({ ...records[1], body: { bytes: 1, framing: 'gzip', contentType: 'x' } })).toBe(false);
    }
  });

  it('a chunked body', () => {
    expect(shapeRecord({ method: 'PUT', body, chunked: true }, '/x').body).toEqual({
      bytes: 7,
      framing: 'chunked',
      contentType: 'text/plain',
    });
  });
});

describe('the rules', () => {
  const methods: Array<[string, RegExp | null]> = [
    ['GET', null],
    ['POST', null],
    ['PROPFIND', null],
    ['M-SEARCH', null],
    ['', /not a token/],
    ['PO ST', /not a token/],
    ['GET\r\nX: 1', /not a token/],
    ['G(ET', /not a token/],
    ['HEAD', null],
    ['CONNECT', /not supported/],
  ];
  for (const [method, problem] of methods) {
    it(`method ${JSON.stringify(method)}: ${problem ? 'refused' : 'taken'}`, () => {
      const found = methodProblem(method);
      if (problem) expect(found).toMatch(problem);
      else expect(found).toBeNull();
    });
  }

  const headers: Array<[string, readonly [string, string] | RegExp]> = [
    ['X-A: 1', ['X-A', '1']],
    ['X-A:1', ['X-A', '1']],
    ['X-A:   spaced value  ', ['X-A', 'spaced value']],
    ['X-Empty:', ['X-Empty', '']],
    ['Authorization: Basic a:b', ['Authorization', 'Basic a:b']],
    ['no colon here', /has no colon/],
    [': value', /name that is not a token/],
    ['X A: 1', /name that is not a token/],
    ['X-A : 1', /name that is not a token/],
    ['X-A: 1\r\nX-Injected: 2', /control character/],
    ['X-A: \u0000', /control character/],
    ['Content-Length: 5', /cannot be set: the body sets it/],
    ['transfer-encoding: chunked', /cannot be set: the body sets it \(--chunked\)/],
  ];
  for (const [line, outcome] of headers) {
    it(`header ${JSON.stringify(line)}`, () => {
      const parsed = parseHeaderLine(line);
      if (outcome instanceof RegExp) expect(parsed).toMatch(outcome);
      else expect(parsed).toEqual(outcome);
    });
  }

  it('paths: start with /, visible ASCII only', () => {
    expect(pathProblem('/a?b=c')).toBeNull();
    expect(pathProblem('a')).toMatch(/must start with \//);
    expect(pathProblem('/a b')).toMatch(/visible ASCII/);
    expect(headerProblem('X-A', 'é')).toBeNull();
  });

  const shapes: Array<[string, RequestShape, RegExp | null]> = [
    ['nothing', {}, null],
    [
      'everything that can be',
      { method: 'PUT', headers: [['X', '1']], body, chunked: true, paths: ['/a', '/b'] },
      null,
    ],
    ['chunked without a body', { chunked: true }, /chunked needs a body/],
    ['a bad method', { method: 'A B' }, /^method "A B" is not a token/],
    ['a bad header', { headers: [['X', 'a\nb']] }, /^header "X: a\\nb" has a value with a control character/],
    ['a bad path', { paths: ['/a', 'b'] }, /^path "b" must start with \//],
    ['a body that is not bytes', { body: 'text' as unknown as Buffer }, /body must be a Buffer/],
  ];
  for (const [label, shape, problem] of shapes) {
    it(`a whole shape: ${label}`, () => {
      const found = shapeProblem(shape);
      if (problem) expect(found).toMatch(problem);
      else expect(found).toBeNull();
    });
  }
});
