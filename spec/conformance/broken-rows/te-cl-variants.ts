/** The broken servers of the group te-cl-variants: lenient Transfer-Encoding and Content-Length parsing. */
import type { Row } from './row.ts';

export const rows: Row[] = [
  {
    server: 'te-substring-chunked',
    defect: 'any Transfer-Encoding value containing "chunked" is read as chunked',
    caughtBy: [
      'te-cl-variants-te-value-xchunked',
      'te-cl-variants-te-value-chunked-false',
      'te-cl-variants-te-value-quoted',
      'te-cl-variants-te-value-chunked-gzip',
      'te-cl-variants-te-after-value-a0',
    ],
    properties: [],
    stillPasses: [
      'te-cl-variants-te-value-upper',
      'te-cl-variants-te-after-value-20',
      'te-cl-variants-te-value-identity',
      'chunked-basic',
    ],
  },
  {
    server: 'cl-lenient-int',
    defect: 'Content-Length is read with int(x, 0): "+0", "0x0a", "0o12" are lengths, "0010" is refused',
    caughtBy: [
      'te-cl-variants-cl-plus-zero',
      'te-cl-variants-cl-minus-zero',
      'te-cl-variants-cl-hex',
      'te-cl-variants-cl-octal-prefix',
      'te-cl-variants-cl-leading-zeros',
      'framing-cl-plus-sign',
    ],
    properties: [],
    stillPasses: [
      'te-cl-variants-cl-no-space',
      'te-cl-variants-cl-decimal-point',
      'framing-cl-body-then-next-request',
      'methods-post-echo',
    ],
  },
];
