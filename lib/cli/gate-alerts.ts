/**
 * Where a gate's alerts (lib/perf/alerts.ts) go besides the terminal, the exit code and
 * results.json:
 * - GitHub Actions annotations (`::warning` / `::error`), escaped as the Actions toolkit escapes
 *   them, at most 10 of each level (GitHub shows no more per step); the rest are in the summary;
 * - the gate's report.md appended to $GITHUB_STEP_SUMMARY when it is set;
 * - a Slack-compatible webhook (a JSON POST with a `text` field) whose URL is read from an
 *   environment variable, so that it never sits in the repository.
 * Where they go is the command's to decide, from its flags and the environment; what they say is
 * the gate's record.
 */
import { appendFile } from 'node:fs/promises';
import type { Alert, GateResults } from '../perf/types.ts';
import { headline } from '../report/gate-words.ts';
import { renderGateMarkdown } from '../report/markdown/gate-report.ts';

/** GitHub shows at most 10 annotations of each level per step. */
export const MAX_ANNOTATIONS = 10;

/** Escapes an annotation's message (the Actions toolkit's escapeData). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes an annotation's property, such as its title (the Actions toolkit's escapeProperty). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Workflow commands for the alerts: at most `max` of each level; when some are left out, a plain
 * log line (not an annotation) says how many, and that the job summary lists them all.
 */
export function githubAnnotations(alerts: Alert[], max = MAX_ANNOTATIONS): string[] {
  const lines: string[] = [];
  for (const level of ['error', 'warning'] as const) {
    const of = alerts.filter((a) => a.level === level);
    for (const a of of.slice(0, max)) {
      lines.push(`::${level} title=${escapeProperty(`Gauntlet: ${a.title}`)}::${escapeData(a.message)}`);
    }
    if (of.length > max) {
      lines.push(
        `Gauntlet: ${of.length - max} more ${level === 'error' ? 'errors' : 'warnings'} are listed in the job summary.`,
      );
    }
  }
  return lines;
}

/** Appends the markdown report to the job summary file. */
export async function appendStepSummary(file: string, results: GateResults): Promise<void> {
  await appendFile(file, `${renderGateMarkdown(results)}\n`);
}

/** Slack's three control characters in message text. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const MAX_WEBHOOK_LINES = 20;

/** A Slack-compatible message: `text` (mrkdwn) carries everything; other chat tools read it too. */
export function webhookPayload(results: GateResults, env: NodeJS.ProcessEnv = process.env): { text: string } {
  const lines = [
    `*Gauntlet gate ${results.passed ? 'passed' : 'FAILED'}*: ${escapeSlack(headline(results).replace(/^(PASSED|FAILED): /, ''))}`,
  ];
  for (const a of results.alerts.slice(0, MAX_WEBHOOK_LINES)) {
    lines.push(`• ${a.level === 'error' ? ':x:' : ':warning:'} *${escapeSlack(a.title)}*: ${escapeSlack(a.message)}`);
  }
  if (results.alerts.length > MAX_WEBHOOK_LINES)
    lines.push(`• and ${results.alerts.length - MAX_WEBHOOK_LINES} more (see the report)`);
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    const url = `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
    lines.push(`<${url}|the workflow run>`);
  }
  return { text: lines.join('\n') };
}
export interface WebhookOutcome {
  ok: boolean;
  status: number | null;
  error?: string;
}

/** POSTs the payload as JSON; never throws (a lost notification must not hide the gate's result). */
export async function postWebhook(url: string, payload: unknown, timeoutMs = 10_000): Promise<WebhookOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, status: null, error: (err as Error).message };
  }
}

export interface DeliveryOptions {
  env?: NodeJS.ProcessEnv;
  /** Where workflow commands go (stdout in GitHub Actions). */
  write?: (line: string) => void;
  /** The variable holding the webhook URL. */
  webhookEnv: string;
  /** Post after every gate, or only when there are alerts. */
  webhookOn: 'alerts' | 'always';
  /** Force annotations on or off (default: on when GITHUB_ACTIONS is "true"). */
  annotations?: boolean;
}

/** Sends the alerts everywhere configured; returns what happened, as sentences for the terminal. */
export async function deliverAlerts(results: GateResults, options: DeliveryOptions): Promise<string[]> {
  const env = options.env ?? process.env;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const notes: string[] = [];
  const annotate = options.annotations ?? env.GITHUB_ACTIONS === 'true';
  if (annotate) for (const line of githubAnnotations(results.alerts)) write(line);
  const summary = env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      await appendStepSummary(summary, results);
      notes.push(`job summary: appended to ${summary}`);
    } catch (err) {
      notes.push(`job summary: could not append to ${summary}: ${(err as Error).message}`);
    }
  }
  const url = env[options.webhookEnv];
  if (url && (options.webhookOn === 'always' || results.alerts.length > 0)) {
    const outcome = await postWebhook(url, webhookPayload(results, env));
    // The URL is a secret: name the variable, never the address.
    notes.push(
      outcome.ok
        ? `webhook (${options.webhookEnv}): delivered`
        : `webhook (${options.webhookEnv}): not delivered (${outcome.error})`,
    );
  }
  return notes;
}
