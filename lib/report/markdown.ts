/** report.md (markdown/report.ts), also at this path, which the CLI's tests import. */
export * from './markdown/report.ts';
