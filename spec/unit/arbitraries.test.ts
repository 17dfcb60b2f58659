/**
 * The arbitraries of lib/conformance/arbitraries/ generate what their ABNF says, checked with
 * fixed seeds against grammars written out again here as regular expressions and small
 * decoders, independent of the generators' own code.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { dirname, join } from 'node:path';
import { token, TCHARS } from '../../lib/conformance/arbitraries/token.ts';
import { fieldValue } from '../../lib/conformance/arbitraries/field-value.ts';
import { headerField, SEMANTIC_FIELDS } from '../../lib/conformance/arbitraries/field-line.ts';
import { method, STANDARD_METHODS } from '../../lib/conformance/arbitraries/method.ts';
import { requestTarget, removeDotSegments, UNRESERVED } from '../../lib/conformance/arbitraries/request-target.ts';
import { chunkedBody, encodeChunked } from '../../lib/conformance/arbitraries/chunked-body.ts';
import { messageBody, expandBody } from '../../lib/conformance/arbitraries/message-body.ts';
import { request, type WellFormedRequest } from '../../lib/conformance/arbitraries/http-message.ts';
import { splitPoints, splitAt } from '../../lib/conformance/arbitraries/split-points.ts';
import { pathAttack, naiveResolve, OUTSIDE_FILE } from '../../lib/conformance/arbitraries/path-attack.ts';
import {
  applyMutations,
  mutation,
  type InsertableName,
  type Mutation,
} from '../../lib/conformance/arbitraries/mutation.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';

const SEED = 20_240_611;
const RUNS = { seed: SEED, numRuns: 300 };

// The grammars, written out again (RFC 9110 §5.5, §5.6.2, §5.6.4; RFC 9112 §3, §5, §7.1; RFC 3986 §3.3, §3.4).
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const TOKEN_RE = new RegExp(`^${TOKEN}$`);
const FIELD_VCHAR = '[\\x21-\\x7e\\x80-\\xff]';
const FIELD_VALUE_RE = new RegExp(`^(?:${FIELD_VCHAR}(?:[\\x21-\\x7e\\x80-\\xff \\t]*${FIELD_VCHAR})?)?$`);
const FIELD_LINE_RE = new RegExp(
  `^(${TOKEN}):[ \\t]*((?:${FIELD_VCHAR}(?:[\\x21-\\x7e\\x80-\\xff \\t]*${FIELD_VCHAR})?)?)[ \\t]*$`,
);
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const CHUNK_EXT = `(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*`;
const CHUNK_LINE_RE = new RegExp(`^([0-9A-Fa-f]+)(${CHUNK_EXT})$`);
const PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})";
const ORIGIN_FORM_RE = new RegExp(`^((?:/${PCHAR}*)+)(?:\\?((?:${PCHAR}|[/?])*))?$`);
const REQUEST_LINE_RE = new RegExp(`^(${TOKEN}) (\\S+) HTTP/(\\d)\\.(\\d)$`);

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** A strict chunked-body decoder: the content, the chunk sizes, the trailer lines and where it ended. */
function decodeChunked(
  bytes: Uint8Array,
  start = 0,
): { body: Uint8Array; sizes: number[]; sizeLines: string[]; trailers: string[]; end: number } {
  const text = latin1(bytes);
  const parts: Uint8Array[] = [];
  const sizes: number[] = [];
  const sizeLines: string[] = [];
  let pos = start;
  const line = () => {
    const crlf = text.indexOf('\r\n', pos);
    if (crlf < 0) throw new Error(`no CRLF after offset ${pos}`);
    const l = text.slice(pos, crlf);
    pos = crlf + 2;
    return l;
  };
  for (;;) {
    const l = line();
    const m = CHUNK_LINE_RE.exec(l);
    if (!m) throw new Error(`not a chunk line: ${JSON.stringify(l)}`);
    sizeLines.push(l);
    const size = parseInt(m[1]!, 16);
    if (size === 0) break;
    sizes.push(size);
    if (pos + size + 2 > bytes.length) throw new Error('chunk data runs past the end');
    parts.push(bytes.subarray(pos, pos + size));
    pos += size;
    if (text.slice(pos, pos + 2) !== '\r\n') throw new Error(`chunk data not followed by CRLF at ${pos}`);
    pos += 2;
  }
  const trailers: string[] = [];
  for (let l = line(); l !== ''; l = line()) {
    if (!FIELD_LINE_RE.test(l)) throw new Error(`not a field line: ${JSON.stringify(l)}`);
    trailers.push(l);
  }
  return { body: Buffer.concat(parts), sizes, sizeLines, trailers, end: pos };
}

/** A strict parser of one request: the head split as RFC 9112 §2.1 says, the body framed as §6.3 says. */
function parseRequest(bytes: Uint8Array) {
  const text = latin1(bytes);
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error('no end of head');
  const [requestLine, ...fieldLines] = text.slice(0, headEnd).split('\r\n');
  const rl = REQUEST_LINE_RE.exec(requestLine!);
  if (!rl) throw new Error(`not a request line: ${JSON.stringify(requestLine)}`);
  const fields = fieldLines.map((l) => {
    const m = FIELD_LINE_RE.exec(l);
    if (!m) throw new Error(`not a field line: ${JSON.stringify(l)}`);
    return [m[1]!.toLowerCase(), m[2]!] as const;
  });
  const values = (n: string) => fields.filter(([k]) => k === n).map(([, v]) => v);
  const bodyStart = headEnd + 4;
  let body: Uint8Array;
  let end: number;
  const te = values('transfer-encoding');
  const cl = values('content-length');
  if (te.length > 0) {
    expect(te.map((v) => v.toLowerCase())).toEqual(['chunked']);
    const d = decodeChunked(bytes, bodyStart);
    body = d.body;
    end = d.end;
  } else if (cl.length > 0) {
    expect(cl).toHaveLength(1);
    expect(cl[0]).toMatch(/^\d+$/);
    const n = Number(cl[0]);
    body = bytes.subarray(bodyStart, bodyStart + n);
    end = bodyStart + n;
  } else {
    body = new Uint8Array(0);
    end = bodyStart;
  }
  return { method: rl[1]!, target: rl[2]!, version: `HTTP/${rl[3]}.${rl[4]}`, fields, values, te, cl, body, end };
}

/** RFC 3986 §6.2.2.2: percent-encoded unreserved characters decoded; others left as they are. */
function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (all, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.includes(c) ? c : all;
  });
}

describe('token', () => {
  it('is 1*tchar', () => {
    fc.assert(
      fc.property(token(), (t) => TOKEN_RE.test(t)),
      RUNS,
    );
  });

  it('keeps to its length bounds and draws on every kind of tchar', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(token({ minLength: 3, maxLength: 5 }), (t) => {
        for (const c of t) seen.add(c);
        return t.length >= 3 && t.length <= 5;
      }),
      { seed: SEED, numRuns: 1000 },
    );
    expect([...seen].every((c) => TCHARS.includes(c))).toBe(true);
    expect([...seen].some((c) => "!#$%&'*+-.^_`|~".includes(c))).toBe(true);
  });
});

describe('fieldValue', () => {
  it('is *field-content: no CR, LF, NUL or other control, no leading or trailing whitespace', () => {
    fc.assert(
      fc.property(fieldValue(), (v) => FIELD_VALUE_RE.test(v)),
      RUNS,
    );
  });

  it('leaves obs-text out when asked', () => {
    fc.assert(
      fc.property(fieldValue({ obsText: false }), (v) => !/[\x80-\xff]/.test(v)),
      RUNS,
    );
  });
});

describe('headerField', () => {
  it('is field-name ":" OWS field-value OWS, the value being what a recipient keeps', () => {
    fc.assert(
      fc.property(headerField(), (f) => {
        const m = FIELD_LINE_RE.exec(f.line);
        return m !== null && m[1] === f.name && m[2] === f.value;
      }),
      RUNS,
    );
  });

  it('never takes the name of a field that changes framing, routing or the connection', () => {
    fc.assert(
      fc.property(headerField(), (f) => !SEMANTIC_FIELDS.includes(f.name.toLowerCase())),
      { seed: SEED, numRuns: 1000 },
    );
    // A generator made only of such names still yields none of them.
    fc.assert(
      fc.property(
        headerField({ name: fc.constantFrom('Host', 'content-length', 'TRANSFER-ENCODING') }),
        (f) => f.name.startsWith('X-') && TOKEN_RE.test(f.name),
      ),
      RUNS,
    );
  });
});

describe('method', () => {
  it('is a token, never CONNECT (which takes the authority-form)', () => {
    fc.assert(
      fc.property(method(), (m) => TOKEN_RE.test(m) && m !== 'CONNECT'),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('keeps to the standardized methods when extensions are off', () => {
    fc.assert(
      fc.property(method({ extension: false }), (m) => (STANDARD_METHODS as readonly string[]).includes(m)),
      RUNS,
    );
  });
});

describe('removeDotSegments', () => {
  it('follows RFC 3986 §5.2.4 and the examples of §5.4', () => {
    expect(removeDotSegments('/a/b/c/./../../g')).toBe('/a/g');
    expect(removeDotSegments('mid/content=5/../6')).toBe('mid/6');
    expect(removeDotSegments('/b/c/.')).toBe('/b/c/');
    expect(removeDotSegments('/b/c/..')).toBe('/b/');
    expect(removeDotSegments('/../g')).toBe('/g');
    expect(removeDotSegments('/b/c/g;x=1/./y')).toBe('/b/c/g;x=1/y');
    expect(removeDotSegments('/b/c/g..')).toBe('/b/c/g..');
    expect(removeDotSegments('/')).toBe('/');
  });
});

describe('requestTarget', () => {
  const files = ['/', '/index.html', '/sub/page.html', '/data.json'];

  it('is origin-form: absolute-path [ "?" query ]', () => {
    fc.assert(
      fc.property(requestTarget({ files }), (t) => {
        const m = ORIGIN_FORM_RE.exec(t.target);
        return m !== null && m[1] === t.path && (m[2] ?? null) === t.query;
      }),
      RUNS,
    );
  });

  it('names the file it was made from once normalized as RFC 3986 §6.2.2 says', () => {
    let named = 0;
    fc.assert(
      fc.property(requestTarget({ files }), (t) => {
        if (t.names === null) return true;
        named++;
        return removeDotSegments(decodeUnreserved(t.path)) === t.names;
      }),
      RUNS,
    );
    expect(named).toBeGreaterThan(RUNS.numRuns / 2);
  });

  it('spells the files in many ways: dot segments and percent-encoded unreserved characters', () => {
    const spellings = fc
      .sample(requestTarget({ files: ['/sub/page.html'], arbitraryShare: 0 }), { seed: SEED, numRuns: 200 })
      .map((t) => t.path);
    expect(spellings.some((p) => p.includes('/./'))).toBe(true);
    expect(spellings.some((p) => p.includes('/../'))).toBe(true);
    expect(spellings.some((p) => /%[0-9A-Fa-f]{2}/.test(p))).toBe(true);
    expect(spellings).toContain('/sub/page.html');
  });
});

describe('messageBody', () => {
  it('stays within its length and is the same for the same description', () => {
    fc.assert(
      fc.property(messageBody({ maxLength: 5000 }), (b) => b.length <= 5000),
      RUNS,
    );
    expect(Buffer.from(expandBody(300, 7, 'protocol'))).toEqual(Buffer.from(expandBody(300, 7, 'protocol')));
    expect(latin1(expandBody(4000, 1, 'protocol'))).toContain('\r\n');
  });
});

describe('chunkedBody', () => {
  it('decodes back to its body under a strict chunked-body decoder, to the last byte', () => {
    fc.assert(
      fc.property(chunkedBody({ body: messageBody({ maxLength: 20_000 }) }), (c) => {
        const d = decodeChunked(c.encoded);
        expect(d.end).toBe(c.encoded.length);
        expect(Buffer.from(d.body).equals(Buffer.from(c.body))).toBe(true);
        expect(d.sizes).toEqual(c.plan.sizes);
        expect(d.trailers).toEqual(c.trailers.map((t) => t.line));
        return d.sizes.every((s) => s > 0);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('generates extensions, quoted strings, BWS, leading zeros, upper-case hex and trailers', () => {
    const decoded = fc
      .sample(chunkedBody({ body: messageBody({ maxLength: 200 }) }), { seed: SEED, numRuns: 300 })
      .map((c) => decodeChunked(c.encoded));
    const lines = decoded.flatMap((d) => d.sizeLines);
    expect(lines.some((l) => /;[^;]*=/.test(l))).toBe(true);
    expect(lines.some((l) => /=[ \t]*"/.test(l))).toBe(true);
    expect(lines.some((l) => /[ \t][;=]|[;=][ \t]/.test(l))).toBe(true);
    expect(lines.some((l) => /^0+[1-9a-fA-F]/.test(l))).toBe(true);
    expect(lines.some((l) => /^[0-9A-F]*[A-F]/.test(l))).toBe(true);
    expect(lines.some((l) => /^00+(?:[; \t]|$)/.test(l))).toBe(true);
    expect(decoded.some((d) => d.trailers.length > 0)).toBe(true);
  });

  it('writes an empty body as the last-chunk alone', () => {
    expect(latin1(encodeChunked(new Uint8Array(0), { sizes: [] }))).toBe('0\r\n\r\n');
  });
});

describe('request', () => {
  const check = (r: WellFormedRequest) => {
    const p = parseRequest(r.bytes);
    expect(p.end).toBe(r.bytes.length);
    expect(p.method).toBe(r.method);
    expect(p.target).toBe(r.target);
    expect(p.version).toBe(r.version);
    expect(Buffer.from(p.body).equals(Buffer.from(r.body))).toBe(true);
    // "A client MUST send a Host header field in all HTTP/1.1 request messages" (RFC 9110 §7.2)
    expect(p.values('host')).toHaveLength(1);
    // never both Content-Length and Transfer-Encoding (RFC 9112 §6.2); chunked only in HTTP/1.1 (§6.1)
    expect(p.te.length > 0 && p.cl.length > 0).toBe(false);
    if (r.version === 'HTTP/1.0') expect(p.te).toHaveLength(0);
    expect(r.framing).toBe(p.te.length > 0 ? 'chunked' : p.cl.length > 0 ? 'content-length' : 'none');
    return true;
  };

  it('is one well-formed request, nothing more, carrying the method, target and body it says', () => {
    fc.assert(
      fc.property(request({ versions: ['HTTP/1.1', 'HTTP/1.0'], content: messageBody({ maxLength: 4096 }) }), check),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('frames every body when one is required, and none when none is wanted', () => {
    fc.assert(
      fc.property(
        request({ body: 'always', content: messageBody({ maxLength: 256 }) }),
        (r) => r.framing !== 'none' && check(r),
      ),
      { seed: SEED, numRuns: 100 },
    );
    fc.assert(
      fc.property(request({ body: 'never' }), (r) => r.framing === 'none' && r.body.length === 0 && check(r)),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('says whether the connection persists as RFC 9112 §9.3 does', () => {
    fc.assert(
      fc.property(request({ versions: ['HTTP/1.1', 'HTTP/1.0'], body: 'never' }), (r) => {
        const conn = r.headers.filter((h) => h.name.toLowerCase() === 'connection').map((h) => h.value.toLowerCase());
        return r.keepAlive === (r.version === 'HTTP/1.1' ? !conn.includes('close') : conn.includes('keep-alive'));
      }),
      RUNS,
    );
  });
});

describe('splitPoints', () => {
  const bytes = fc.uint8Array({ minLength: 0, maxLength: 600 });

  it('gives parts that concatenate back to the input, with pauses of 0-5 ms within the budget', () => {
    fc.assert(
      fc.property(splitPoints(bytes, { delayBudgetMs: 50 }), (s) => {
        const joined = Buffer.concat(
          s.parts.map((p) => (typeof p.data === 'string' ? Buffer.from(p.data, 'latin1') : Buffer.from(p.data))),
        );
        const delays = s.parts.map((p) => p.delayMs ?? 0);
        return (
          joined.equals(Buffer.from(s.bytes)) &&
          Buffer.from(s.input).equals(Buffer.from(s.bytes)) &&
          delays.every((d) => d >= 0 && d <= 5) &&
          delays.reduce((a, b) => a + b, 0) <= 50 &&
          (s.parts[0]?.delayMs ?? 0) === 0 &&
          s.points.every((p, i) => p > 0 && p < s.bytes.length && (i === 0 || p > s.points[i - 1]!))
        );
      }),
      RUNS,
    );
  });

  it('sometimes writes one byte at a time', () => {
    const splits = fc.sample(splitPoints(fc.constant(new Uint8Array(40)), { everyByteUpTo: 256 }), {
      seed: SEED,
      numRuns: 100,
    });
    expect(splits.some((s) => s.parts.length === 40 && s.parts.every((p) => (p.data as Uint8Array).length === 1))).toBe(
      true,
    );
  });

  it('keeps what the bytes came from', () => {
    fc.assert(
      fc.property(splitPoints(request({ body: 'never' }), { bytesOf: (r) => r.bytes }), (s) =>
        Buffer.from(s.bytes).equals(Buffer.from(s.input.bytes)),
      ),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('cuts where it is told', () => {
    const s = splitAt(Buffer.from('GET / HTTP/1.1\r\n\r\n'), [3, 3, 0, 99, 1], [2]);
    expect(s.parts.map((p) => latin1(p.data as Uint8Array))).toEqual(['G', 'ET', ' / HTTP/1.1\r\n\r\n']);
    expect(s.parts.map((p) => p.delayMs ?? 0)).toEqual([0, 2, 2]);
  });
});

describe('pathAttack', () => {
  const outside = join(dirname(DEFAULT_DOC_ROOT), OUTSIDE_FILE);

  it('reaches <root>/../outside-root.txt for a server that decodes everything and resolves dot segments', () => {
    fc.assert(
      fc.property(
        pathAttack({ root: DEFAULT_DOC_ROOT }),
        (a) => naiveResolve(a.target, DEFAULT_DOC_ROOT, a.decodeTimes) === outside,
      ),
      { seed: SEED, numRuns: 1000 },
    );
    fc.assert(
      fc.property(pathAttack(), (a) => naiveResolve(a.target, DEFAULT_DOC_ROOT, a.decodeTimes) === outside),
      RUNS,
    );
  });

  it('sends only visible ASCII, so that the request line stays a request line', () => {
    fc.assert(
      fc.property(pathAttack({ root: DEFAULT_DOC_ROOT }), (a) => /^[\x21-\x7e]+$/.test(a.target)),
      RUNS,
    );
  });

  it('uses every trick over enough runs', () => {
    const techniques = new Set(
      fc.sample(pathAttack({ root: DEFAULT_DOC_ROOT }), { seed: SEED, numRuns: 500 }).flatMap((a) => a.techniques),
    );
    for (const t of [
      'percent-encoding',
      'double-encoding',
      'overlong-utf8',
      'backslash',
      'encoded-slash',
      'path-parameter',
      'nul-truncation',
      'u-encoding',
      'absolute-form',
    ]) {
      expect(techniques).toContain(t);
    }
  });

  it('resolves known attacks the naive way', () => {
    const root = '/srv/www';
    expect(naiveResolve('/../outside-root.txt', root)).toBe('/srv/outside-root.txt');
    expect(naiveResolve('/%2e%2e/outside-root.txt', root)).toBe('/srv/outside-root.txt');
    expect(naiveResolve('/%c0%ae%c0%ae%c0%afoutside-root.txt', root)).toBe('/srv/outside-root.txt');
    expect(naiveResolve('/%252e%252e/outside-root.txt', root, 2)).toBe('/srv/outside-root.txt');
    expect(naiveResolve('/%252e%252e/outside-root.txt', root, 1)).toBe('/srv/www/%2e%2e/outside-root.txt');
    expect(naiveResolve('/sub/..%5c..%5coutside-root.txt%00.png', root)).toBe('/srv/outside-root.txt');
  });
});

describe('mutation', () => {
  const base = request({ body: 'maybe', content: messageBody({ maxLength: 128 }) });
  const lines = (b: Uint8Array) => {
    const t = latin1(b);
    return t.slice(0, t.indexOf('\r\n\r\n')).split('\r\n');
  };

  it('inserts exactly the octet it says, where it says', () => {
    const octet = fc.constantFrom<InsertableName>('CR', 'LF', 'NUL', 'SP', 'HTAB');
    fc.assert(
      fc.property(base, octet, fc.nat(), (r, o, at) => {
        const { bytes } = applyMutations(r, [{ kind: 'insert', octet: o, at }]);
        const pos = at % (r.bytes.length + 1);
        const code = { CR: 13, LF: 10, NUL: 0, SP: 32, HTAB: 9 }[o];
        return (
          bytes.length === r.bytes.length + 1 &&
          bytes[pos] === code &&
          Buffer.concat([bytes.subarray(0, pos), bytes.subarray(pos + 1)]).equals(Buffer.from(r.bytes))
        );
      }),
      RUNS,
    );
  });

  it('duplicates or deletes one head line', () => {
    fc.assert(
      fc.property(base, fc.nat(), (r, line) => {
        const i = line % r.lines.length;
        const dup = lines(applyMutations(r, [{ kind: 'duplicate-line', line }]).bytes);
        const del = lines(applyMutations(r, [{ kind: 'delete-line', line }]).bytes);
        expect(dup).toEqual([...r.lines.slice(0, i + 1), r.lines[i], ...r.lines.slice(i + 1)]);
        // Deleting the only line leaves an empty first line: the head is then just the blank line.
        expect(del).toEqual(r.lines.length === 1 ? [''] : [...r.lines.slice(0, i), ...r.lines.slice(i + 1)]);
        return true;
      }),
      RUNS,
    );
  });

  it('re-chunks a chunked body into chunks that still carry the same content', () => {
    fc.assert(
      fc.property(
        request({ body: 'always', framings: ['chunked'], content: messageBody({ maxLength: 500 }) }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
        (r, pattern) => {
          const m: Mutation = { kind: 'rechunk', pattern };
          const { bytes } = applyMutations(r, [m]);
          const p = parseRequest(bytes);
          return p.end === bytes.length && Buffer.from(p.body).equals(Buffer.from(r.body));
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('always changes the request and says how', () => {
    fc.assert(
      fc.property(mutation(base), (m) => m.applied.length === m.mutations.length && m.mutations.length >= 1),
      RUNS,
    );
    const changed = fc
      .sample(mutation(base), { seed: SEED, numRuns: 200 })
      .filter((m) => !Buffer.from(m.bytes).equals(Buffer.from(m.original.bytes)));
    expect(changed.length).toBeGreaterThan(180);
  });
});
