/**
 * The "Server resources" section of report.md: a pipe table per server of what it used per cell,
 * under the note that says how the figures were sampled.
 */
import type { RunResults } from '../../types.ts';
import { escapeMarkdown } from '../format.ts';
import { RESOURCE_HEADERS, RESOURCES_NOTE, resourceRow, serversWithResources } from '../resources.ts';

export function renderResourcesMarkdown(run: RunResults): string {
  const servers = serversWithResources(run);
  if (servers.length === 0) return '';
  const row = (cells: string[]): string => `| ${cells.map((c) => escapeMarkdown(c)).join(' | ')} |`;
  const blocks = servers.map(({ name, cells }) =>
    [
      `### ${escapeMarkdown(name)}`,
      '',
      row(RESOURCE_HEADERS),
      `|${RESOURCE_HEADERS.map(() => ' ---: ').join('|')}|`,
      ...cells.map((c) => row(resourceRow(c))),
    ].join('\n'),
  );
  return `## Server resources\n\n${escapeMarkdown(RESOURCES_NOTE)}\n\n${blocks.join('\n\n')}`;
}
