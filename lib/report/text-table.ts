/**
 * The terminal's plain-text table (terminal/text-table.ts), also at this path, which
 * lib/perf/report.ts imports.
 */
export * from './terminal/text-table.ts';
