/**
 * The comparison in any of the three outputs, by name: for callers that pick the format at run
 * time (and the tests that hold the three to the same words). Each output's own module renders it.
 */
import type { Comparison } from '../compare/types.ts';
import { comparisonHtml, comparisonTablesHtml, conclusionHtml } from './html/comparison.ts';
import { comparisonMarkdown, comparisonTablesMarkdown, conclusionMarkdown } from './markdown/comparison.ts';
import { comparisonTablesText, comparisonText, conclusionText } from './terminal/comparison.ts';

export type FragmentFormat = 'text' | 'markdown' | 'html';

export interface RenderOptions {
  /** ANSI colour in the text format (default off). */
  color?: boolean;
}

/** The per-cell tables of every pair (no heading). */
export function renderComparisonTables(
  comparison: Comparison,
  format: FragmentFormat,
  options: RenderOptions = {},
): string {
  if (format === 'markdown') return comparisonTablesMarkdown(comparison);
  if (format === 'html') return comparisonTablesHtml(comparison);
  return comparisonTablesText(comparison, options.color ?? false);
}

/** The verdicts and the caveats (no heading). */
export function renderConclusion(comparison: Comparison, format: FragmentFormat): string {
  if (format === 'markdown') return conclusionMarkdown(comparison);
  if (format === 'html') return conclusionHtml(comparison);
  return conclusionText(comparison);
}

/** Tables and conclusion together, with headings suited to the format. */
export function renderComparison(comparison: Comparison, format: FragmentFormat, options: RenderOptions = {}): string {
  if (format === 'markdown') return comparisonMarkdown(comparison);
  if (format === 'html') return comparisonHtml(comparison);
  return comparisonText(comparison, options.color ?? false);
}
