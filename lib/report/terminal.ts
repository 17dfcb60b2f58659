/** What bench prints at the end (terminal/report.ts), also at this path, which the CLI's tests import. */
export * from './terminal/report.ts';
