/**
 * `--shard I/N`, taken by check (pairs of server and case) and bench (servers): the value checked
 * and its help line, one meaning on both commands.
 */
import { flagError } from './args.ts';
import { parseShard, shardProblem, type Shard } from '../shard/split.ts';

/** --shard i/n, checked: a bad value is a usage error naming the flag. */
export function shardFlag(value: string): Shard {
  const problem = shardProblem(value);
  if (problem) throw flagError('--shard', value, problem);
  return parseShard(value);
}

export const SHARD_OPTION = { shard: { type: 'string' } } as const;
