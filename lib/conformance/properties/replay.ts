/**
 * The command that runs one property against one server again, with the seed (and for a
 * failure the shrink path) that reproduce what was found, and the message a failure is reported
 * with. Both the CLI and the test suite print these, so a failure found either way is replayed
 * the same way.
 */
import { resolve } from 'node:path';
import { DEFAULT_DOC_ROOT } from '../../paths.ts';
import { shellQuote } from '../wire-log.ts';
import type { PropertyResult, PropertySettings, PropertyTarget } from './types.ts';

/** The flag that selects a target's server again. */
function targetServerFlag(target: PropertyTarget): string {
  return target.serverFlag ?? `--server ${shellQuote(target.name ?? `${target.host}:${target.port}`)}`;
}

/**
 * `npx gauntlet check --server NAME --property ID --seed S [--shrink-path P]`, with the mode
 * when a search without a path depends on it and the root when it is not the default.
 */
export function propertyReplay(
  target: PropertyTarget,
  id: string,
  settings: Pick<PropertySettings, 'seed' | 'mode'>,
  path?: string,
): string {
  const words = [
    'npx gauntlet check',
    targetServerFlag(target),
    `--property ${shellQuote(id)}`,
    `--seed ${settings.seed}`,
  ];
  if (path) words.push(`--shrink-path ${path}`);
  else if (settings.mode && settings.mode !== 'quick') words.push(`--properties ${settings.mode}`);
  if (resolve(target.root) !== resolve(DEFAULT_DOC_ROOT)) words.push(`--root ${shellQuote(target.root)}`);
  return words.join(' ');
}

/** The message of a failed property: what went wrong, the seed, the shrunk request with its wire log, and the replay command. */
export function propertyFailureMessage(serverName: string, r: PropertyResult): string {
  return [
    `${serverName} ${r.id} (${r.level}, ${r.rfc}): ${r.name}`,
    `${r.verdict}: ${r.reason ?? ''}`,
    `seed: ${r.seed}`,
    r.counterexample ?? '',
    `replay: ${r.replay}`,
  ]
    .filter(Boolean)
    .join('\n');
}
