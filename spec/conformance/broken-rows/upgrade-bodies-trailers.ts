/** The broken servers of the groups upgrade, unread-bodies, trailers and request-target. */
import type { Row } from './row.ts';

export const rows: Row[] = [
  {
    server: 'upgrade-always-101',
    defect: 'any Upgrade is answered 101 Switching Protocols, then the server goes on in HTTP/1.1',
    caughtBy: [
      'upgrade-unknown-protocol-ignored',
      'upgrade-unknown-then-pipelined',
      'upgrade-without-connection-option',
      'upgrade-http10-ignored',
      'upgrade-h2c-ignored-or-switched',
    ],
    properties: [],
    stillPasses: ['methods-get-file', 'persistence-pipeline-2', 'upgrade-connect-refused'],
  },
  {
    server: 'connect-tunnels',
    defect: 'CONNECT is answered 200 and the connection becomes a tunnel to nowhere',
    caughtBy: [
      'upgrade-connect-refused',
      'upgrade-connect-bytes-after-not-relayed',
      'upgrade-connect-without-port-refused',
    ],
    properties: [],
    stillPasses: ['methods-get-file', 'upgrade-connect-origin-form-400', 'upgrade-unknown-then-pipelined'],
  },
  {
    server: 'head-body-unread',
    defect: 'the content of a HEAD request is left in the buffer and read as the next request',
    caughtBy: [
      'unread-bodies-head-content-length',
      'unread-bodies-head-chunked',
      'unread-bodies-head-content-is-a-request',
      'unread-bodies-head-content-later',
    ],
    properties: [],
    stillPasses: ['framing-get-body-consumed', 'methods-head-no-content', 'persistence-pipeline-head-then-get'],
  },
  {
    server: 'expect-refusal-body-unread',
    defect: 'content sent at once after Expect: 100-continue is left unread when the head alone is refused',
    caughtBy: [
      'unread-bodies-expect-refused-content-at-once',
      'unread-bodies-expect-missing-content-at-once',
      'unread-bodies-expect-refused-content-later',
    ],
    properties: [],
    stillPasses: [
      'unread-bodies-expect-echo-content-at-once',
      'unread-bodies-post-to-file-content',
      'expect-continue-echo',
    ],
  },
  {
    server: 'trailer-fields-merged',
    defect: 'trailer fields are merged into the header section (Host checked, Connection: close honoured)',
    caughtBy: [
      'trailers-host-not-validated-as-header',
      'trailers-host-not-a-second-host',
      'trailers-host-other-authority',
      'trailers-connection-close-ignored',
      'trailers-get-host-trailer',
    ],
    properties: [],
    stillPasses: ['chunked-then-pipelined-after-trailers', 'trailers-many-fields', 'trailers-empty-value'],
  },
  {
    server: 'trailer-in-echo',
    defect: 'the trailer section of a chunked request is appended to its content',
    caughtBy: ['trailers-not-in-echoed-content', 'trailers-many-fields', 'chunked-then-pipelined-after-trailers'],
    properties: [],
    stillPasses: ['chunked-basic', 'methods-post-echo', 'unread-bodies-get-chunked-with-trailer'],
  },
  {
    server: 'fragment-stripped',
    defect: 'a #fragment in the request-target is cut off and the rest served',
    caughtBy: [
      'request-target-absolute-fragment',
      'request-target-query-then-fragment',
      'request-target-empty-fragment',
      'request-line-fragment-in-target',
    ],
    properties: [],
    stillPasses: ['methods-get-file', 'request-target-absolute-empty-path', 'host-absolute-form'],
  },
];
