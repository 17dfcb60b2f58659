/**
 * report.html's page and the report itself (html/page.ts, html/report.ts), also at this path,
 * which lib/conformance/html.ts imports.
 */
export * from './html/page.ts';
export * from './html/report.ts';
