/** The broken servers of the first groups: framing, persistence, methods, limits, traversal. */
import type { Row } from './row.ts';

export const rows: Row[] = [
  {
    server: 'cl-off-by-one',
    defect: 'Content-Length of file responses is one more than the content',
    caughtBy: [
      'methods-get-file',
      'responses-content-length-matches',
      'persistence-pipeline-2',
      'methods-head-content-length-never-wrong',
    ],
    properties: ['prop-well-formed-response', 'prop-pipelining-order'],
    stillPasses: ['methods-get-missing-404', 'responses-404-framed', 'host-missing', 'methods-post-echo'],
  },
  {
    server: 'head-with-body',
    defect: 'HEAD is answered with the content',
    caughtBy: [
      'methods-head-no-content',
      'methods-head-404-no-content',
      'responses-head-no-content-raw',
      'persistence-pipeline-head-then-get',
    ],
    properties: ['prop-head-matches-get'],
    stillPasses: ['methods-get-file', 'persistence-pipeline-3', 'responses-404-framed'],
  },
  {
    server: 'path-traversal',
    defect: '"/../outside-root.txt" is served from above the root',
    caughtBy: [
      'path-traversal-dot-dot',
      'path-traversal-encoded-dots',
      'path-traversal-sub-dot-dot',
      'path-traversal-absolute-form',
    ],
    properties: ['prop-no-traversal'],
    stillPasses: ['methods-get-file', 'methods-get-missing-404', 'responses-subdirectory-file'],
  },
  {
    server: 'crash-on-bad-request-line',
    defect: 'the process exits on a request line that is not three words',
    // Dying is a close without a response, which the request-line cases (SHOULD: 400 or a 301)
    // only warn about; the liveness case is the one that fails it for dying.
    caughtBy: ['liveness-valid-then-garbage'],
    properties: ['prop-mutation-liveness'],
    stillPasses: ['methods-get-file', 'persistence-pipeline-3', 'host-missing'],
    dies: true,
  },
  {
    server: 'one-read-per-request',
    defect: 'a request split across reads is answered 400',
    caughtBy: [
      'framing-split-in-method',
      'framing-split-between-header-lines',
      'framing-split-request-line-cr-lf',
      'framing-split-head-and-body-together',
      'expect-continue-then-content-echoed',
    ],
    properties: ['prop-fragmentation-invariance'],
    stillPasses: ['methods-get-file', 'persistence-pipeline-3', 'methods-post-echo', 'chunked-basic'],
  },
  {
    server: 'drops-pipelined',
    defect: 'only the first request of a read is answered',
    caughtBy: [
      'persistence-pipeline-2',
      'persistence-pipeline-3',
      'framing-cl-body-then-next-request',
      'chunked-basic',
    ],
    properties: ['prop-pipelining-order'],
    // Not persistence-many-sequential: its twenty requests are paced by a 30 ms pause, not by the
    // responses, so on a busy machine two of them can arrive in one read, which this server drops.
    stillPasses: ['methods-get-file', 'persistence-keepalive-sequence'],
  },
  {
    server: 'shared-buffer',
    defect: 'one receive buffer shared by every connection',
    // Alone, each of these passes (see stillPasses); while another client's head is incomplete,
    // the request is parsed together with that client's bytes.
    caughtBy: ['methods-get-file', 'methods-post-echo', 'persistence-pipeline-3'],
    alongside: 'timeouts-partial-head',
    // And on its own, by the property that makes two connections overlap.
    properties: ['prop-connection-isolation'],
    stillPasses: ['methods-get-file', 'methods-post-echo', 'persistence-pipeline-3'],
  },
  {
    server: 'cl-wins-over-te',
    defect: 'Content-Length frames the body when Transfer-Encoding: chunked is also present',
    caughtBy: ['framing-te-and-cl-processed-by-te', 'smuggling-cl-te', 'smuggling-te-cl'],
    properties: [],
    stillPasses: ['chunked-basic', 'framing-cl-body-then-next-request', 'methods-post-echo'],
  },
  {
    server: 'no-host-check',
    defect: 'an HTTP/1.1 request without Host is served',
    caughtBy: ['host-missing', 'host-absolute-form-without-host'],
    properties: [],
    stillPasses: ['host-duplicate-different', 'host-duplicate-same', 'host-with-port', 'methods-get-file'],
  },
  {
    server: 'bare-lf-chunked',
    defect: 'a bare LF ends chunk-size lines and chunk data',
    caughtBy: ['chunked-size-line-bare-lf', 'chunked-data-bare-lf', 'chunked-last-chunk-bare-lf'],
    properties: [],
    stillPasses: ['chunked-basic', 'chunked-many-small-chunks', 'request-line-lf-separators', 'smuggling-bare-lf-te'],
  },
  {
    server: 'ignores-connection-close',
    defect: 'Connection: close is ignored',
    // The server's idle timeout (1 s under CONFORMANCE_ENV) ends the connection anyway; the
    // honoured cases catch it because the close must come at once after the response.
    caughtBy: [
      'connection-close-later-bytes-ignored',
      'connection-close-bytes-after-ignored',
      'connection-close-response-says-close',
      'connection-close-honoured',
      'connection-close-case-insensitive',
      'connection-close-in-list',
    ],
    properties: [],
    stillPasses: ['persistence-http10-closes', 'persistence-pipeline-2', 'host-missing'],
  },
  {
    server: 'no-head-timeout',
    defect: 'an incomplete request head is never timed out',
    caughtBy: ['timeouts-partial-request-line', 'timeouts-partial-head'],
    properties: [],
    stillPasses: ['timeouts-stalled-body', 'timeouts-idle-keepalive-closed', 'methods-get-file'],
  },
  {
    server: 'unknown-method-200',
    defect: 'unknown methods are answered 200, as GET',
    caughtBy: ['methods-case-sensitive', 'methods-unknown-501'],
    properties: [],
    stillPasses: ['methods-trace-405-allow', 'methods-post-to-file-405-allow', 'methods-get-file'],
  },
  {
    server: 'echo-truncates',
    defect: 'POST /echo answers only the first 8 KiB of the content',
    caughtBy: ['limits-body-64k-echoed'],
    properties: ['prop-echo-roundtrip'],
    stillPasses: ['methods-post-echo', 'expect-continue-echo', 'chunked-many-small-chunks'],
  },
];
