/** The broken servers of the groups conditional-requests and ranges. */
import type { Row } from './row.ts';

export const rows: Row[] = [
  {
    server: 'ims-over-inm',
    defect: 'If-Modified-Since is evaluated beside If-None-Match, and wins',
    caughtBy: ['conditional-requests-inm-over-ims'],
    properties: [],
    stillPasses: [
      'conditional-requests-inm-star-304',
      'conditional-requests-ims-future-304',
      'conditional-requests-inm-no-match-200',
    ],
  },
  {
    server: '304-with-body',
    defect: 'a 304 carries the file as content',
    caughtBy: [
      'conditional-requests-304-then-next-request',
      'conditional-requests-inm-before-range',
      'responses-304-no-content',
    ],
    properties: [],
    stillPasses: [
      'conditional-requests-inm-star-head-304',
      'conditional-requests-inm-no-match-200',
      'methods-get-file',
    ],
  },
  {
    server: 'range-end-exclusive',
    defect: 'the last byte of a range is left out',
    caughtBy: ['ranges-single-content', 'ranges-single-byte', 'ranges-last-byte', 'ranges-open-ended', 'ranges-suffix'],
    properties: [],
    stillPasses: ['ranges-single-content-range', 'ranges-multipart', 'ranges-unsatisfiable-416', 'methods-get-file'],
  },
  {
    server: 'range-416-no-content-range',
    defect: 'a 416 has no Content-Range',
    caughtBy: ['ranges-416-content-range'],
    properties: [],
    stillPasses: ['ranges-unsatisfiable-416', 'ranges-416-framed', 'ranges-single-content'],
  },
  {
    server: 'range-amplification',
    defect: 'every one of many overlapping ranges is served',
    caughtBy: ['ranges-overlapping-no-amplification'],
    properties: [],
    stillPasses: ['ranges-multipart', 'ranges-single-content', 'ranges-suffix'],
  },
];
