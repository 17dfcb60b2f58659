/**
 * npm run conformance:coverage [-- --check]
 *
 * Compares the conformance cases with Http11Probe's tests (lib/conformance/coverage.ts) and writes
 * the comparison into docs/conformance.md, between the lines `<!-- coverage:start -->` and
 * `<!-- coverage:end -->`; the rest of the page is hand-written and kept as it is. With --check,
 * writes nothing and exits 1 when the block is not what it would write (for CI). A case naming a
 * peer id the list does not have is exit 2, naming it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { loadCases } from '../lib/conformance/registry.ts';
import {
  coverage,
  parsePeerList,
  renderCoverage,
  replaceBetweenMarkers,
  UnknownPeerError,
} from '../lib/conformance/coverage.ts';

const DOC = join(PROJECT_ROOT, 'docs', 'conformance.md');
const PEERS = join(PROJECT_ROOT, 'fixtures', 'peers', 'http11probe.json');
const COMMAND = 'npm run conformance:coverage';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const cases = (await loadCases()).map((l) => l.case);
  const peers = parsePeerList(JSON.parse(readFileSync(PEERS, 'utf8')), 'fixtures/peers/http11probe.json');
  let block: string;
  try {
    block = renderCoverage(coverage(cases, peers.tests), peers, COMMAND);
  } catch (err) {
    if (err instanceof UnknownPeerError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const before = readFileSync(DOC, 'utf8');
  const after = replaceBetweenMarkers(before, block);
  if (values.check) {
    if (after === before) return 0;
    console.error(`docs/conformance.md: the coverage block is out of date; run ${COMMAND}`);
    return 1;
  }
  if (after !== before) writeFileSync(DOC, after);
  console.log(`docs/conformance.md: coverage block ${after === before ? 'already up to date' : 'written'}`);
  return 0;
}

process.exitCode = await main();
