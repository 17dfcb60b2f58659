/**
 * The locustfile of a cell, as text: a pure function of the cell and the request, so that what
 * Locust runs can be read and tested without Locust.
 *
 * The cell travels as Locust's own custom command-line argument `--gauntlet-cell` (base64 of a
 * JSON object): the master's file carries it as the argument's default, and Locust's master sends
 * its parsed options to every worker in the spawn message. A worker's file is the same code with
 * no cell of its own: a worker started elsewhere (`gauntlet worker`, or plain `locust --worker -f`
 * with any file this module wrote) needs no flag about the request, and cannot run a different one.
 */
import type { LoadMode } from '../types.ts';
import { AB_DEFAULT_CONTENT_TYPE, shapeMethod, shapePaths, type RequestShape } from '../load/ab-request.ts';

/** What the locustfile needs to know about a cell: everything else (host, users, time) is Locust's flags. */
export interface LocustCell {
  mode: LoadMode;
  /** The request path (the first `--path`); `shape.paths` round robin when several. */
  path: string;
  shape?: RequestShape;
  /** Connections (Locust users) of the cell: each user's share of `rate` is rate / concurrency. */
  concurrency: number;
  /** Requests per second in all: paced with constant_throughput, a closed loop (no correction). */
  rate?: number;
}

/** The JSON the Python side reads (snake_case, the body in base64 so that any byte survives). */
export interface LocustCellJson {
  method: string;
  paths: string[];
  headers: Array<[string, string]>;
  body_b64: string | null;
  close: boolean;
  per_user_rate: number | null;
}

/**
 * The version a Debian build of Locust lacks. Its `locust.__version__` is empty, and a 2.12 master
 * takes a worker that reports an empty version for an "old (pre 2.0)" one and ignores it: master
 * and workers must report the same non-empty string, set before the runner starts.
 */
export const LOCUST_VERSION_FALLBACK = '2.12.1';

/** The cell as the locustfile reads it. */
export function locustCellJson(cell: LocustCell): LocustCellJson {
  const shape = cell.shape;
  const headers: Array<[string, string]> = (shape?.headers ?? []).map(([n, v]) => [n, v]);
  const has = (name: string): boolean => headers.some(([n]) => n.toLowerCase() === name);
  // A body goes with ab's -T default, as the built-in engine sends it (results.json records it).
  if (shape?.body !== undefined && !has('content-type')) headers.push(['Content-Type', AB_DEFAULT_CONTENT_TYPE]);
  // Close mode: the server is asked to close after every response, so that the client opens a
  // new connection for the next one (checked on the wire: docs/scale.md).
  if (cell.mode === 'close' && !has('connection')) {
    headers.push(['Connection', 'close']);
  }
  return {
    method: shape ? shapeMethod(shape) : 'GET',
    paths: [...shapePaths(shape, cell.path)],
    headers,
    body_b64: shape?.body === undefined ? null : shape.body.toString('base64'),
    close: cell.mode === 'close',
    per_user_rate: cell.rate === undefined ? null : cell.rate / cell.concurrency,
  };
}

/** The value of `--gauntlet-cell`: base64 of the cell's JSON (plain ASCII, safe in Python and argv). */
export function encodeLocustCell(cell: LocustCell): string {
  return Buffer.from(JSON.stringify(locustCellJson(cell)), 'utf8').toString('base64');
}

/**
 * The locustfile: the master's with its cell, a worker's with none (it takes the master's).
 * `summaryFile`, on the master, is where the run's figures are written as JSON when Locust quits.
 */
export function locustfileText(cell: LocustCell | null): string {
  const encoded = cell === null ? '' : encodeLocustCell(cell);
  return `${HEADER}
CELL_B64 = ${JSON.stringify(encoded)}
${BODY}`;
}

const HEADER = `# Written by gauntlet for one cell of load: it is written again for every cell, do not edit.
# The cell (method, paths, headers, body, close or keep-alive, rate) is the --gauntlet-cell
# argument; a worker takes the master's, sent with Locust's spawn message.
import base64
import itertools
import json
import os

import locust.runners
from locust import FastHttpUser, constant_throughput, events, task

# Debian's build of Locust reports an empty version, and a 2.12 master ignores workers that do
# ("old (pre 2.0)"): master and workers report this one instead.
if not locust.runners.__version__:
    locust.runners.__version__ = ${JSON.stringify(LOCUST_VERSION_FALLBACK)}`;

const BODY = `

@events.init_command_line_parser.add_listener
def _gauntlet_arguments(parser):
    parser.add_argument("--gauntlet-cell", default=CELL_B64, help="the cell, written by gauntlet")
    parser.add_argument("--gauntlet-summary", default="", help="where the master writes its figures")


# Status codes counted on each worker, sent with its reports, summed on the master.
_statuses = {}
_totals = {}
_workers = {}


@events.test_start.add_listener
def _gauntlet_workers(environment, **_kw):
    if isinstance(environment.runner, locust.runners.MasterRunner):
        _workers["count"] = environment.runner.worker_count


@events.request.add_listener
def _gauntlet_count(response=None, exception=None, response_length=0, **_kw):
    code = getattr(response, "status_code", None) if response is not None else None
    key = str(code) if code else "none"
    _statuses[key] = _statuses.get(key, 0) + 1


@events.report_to_master.add_listener
def _gauntlet_report(client_id, data):
    data["gauntlet_statuses"] = dict(_statuses)
    _statuses.clear()


@events.worker_report.add_listener
def _gauntlet_worker_report(client_id, data):
    for key, n in data.get("gauntlet_statuses", {}).items():
        _totals[key] = _totals.get(key, 0) + n


@events.quitting.add_listener
def _gauntlet_summary(environment, **_kw):
    target = environment.parsed_options.gauntlet_summary if environment.parsed_options else ""
    if not target or isinstance(environment.runner, locust.runners.WorkerRunner):
        return
    if not isinstance(environment.runner, locust.runners.MasterRunner):
        _gauntlet_worker_report(None, {"gauntlet_statuses": _statuses})
    total = environment.stats.total
    percentiles = {}
    if total.num_requests > 0:
        for p in (0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 0.99999, 1.0):
            percentiles[str(p)] = total.get_response_time_percentile(p)
    summary = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "start_time": total.start_time,
        "last_request_timestamp": total.last_request_timestamp,
        "rps": total.total_rps,
        "min_ms": total.min_response_time if total.num_requests else 0,
        "max_ms": total.max_response_time,
        "avg_ms": total.avg_response_time,
        "median_ms": total.median_response_time,
        "content_bytes": total.total_content_length,
        "percentiles_ms": percentiles,
        "statuses": _totals,
        "errors": {str(e.error): e.occurrences for e in environment.stats.errors.values()},
        "workers": _workers.get("count", 0),
    }
    with open(target + ".tmp", "w") as f:
        json.dump(summary, f)
    os.replace(target + ".tmp", target)


class GauntletUser(FastHttpUser):
    host = "http://127.0.0.1"

    def on_start(self):
        cell = json.loads(base64.b64decode(self.environment.parsed_options.gauntlet_cell))
        self._method = cell["method"]
        self._paths = itertools.cycle(cell["paths"])
        self._headers = dict(cell["headers"])
        self._body = base64.b64decode(cell["body_b64"]) if cell["body_b64"] is not None else None
        # Locust's constant_throughput: a closed loop that waits out the rest of each period, so a
        # slow response delays the next request (not corrected for coordinated omission).
        rate = cell["per_user_rate"]
        self._pace = constant_throughput(rate) if rate else None

    def wait_time(self):
        return self._pace(self) if self._pace is not None else 0

    @task
    def send(self):
        self.client.request(self._method, next(self._paths), headers=self._headers, data=self._body)
`;
