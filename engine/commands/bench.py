"""``engage bench``: speed, memory, load time and cold start, measured in one run."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "bench"
HELP = "measure decisions per second (against hand-written Python and bare durable-rules), --jobs, memory and start-up"
DESCRIPTION = (
    "Generate requests with a fixed seed and measure, in one run: Engage's decisions per second with full"
    " reasons, a hand-written Python function of policy v1 (the practical limit), the same rules in bare"
    " durable-rules, the speed-up of --jobs 2 on a batch of 100,000 requests, memory over 1,000,000"
    " evaluations, the time to load the rules and the cold start of engage evaluate. Takes about two minutes on a 2-core machine."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=100_000, help="requests to time Engage and the baselines on (default 100,000)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated requests (default 7)")
    parser.add_argument("--jobs-n", type=int, default=100_000, help="batch size for the --jobs comparison (0 skips it)")
    parser.add_argument("--memory-n", type=int, default=1_000_000, help="evaluations for the memory figure (0 skips it)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")
    parser.add_argument(
        "--authoring",
        action="store_true",
        help="measure the authors' tools instead: lint and explain (before and after the solver) on the shipped policy"
        " and on policies grown to 2, 5 and 10 times its rules, time and peak memory (takes a few minutes)",
    )
    parser.add_argument("--requests", type=int, default=20, help="--authoring: requests explained per policy (default 20)")
    parser.add_argument(
        "--log",
        action="store_true",
        help="measure the decision log instead: build a log of --decisions decisions and time recording, the web pages"
        " (engage serve on loopback), report, verify, backup, export and import, with peak RSS (about 20 minutes for a million)",
    )
    parser.add_argument("--decisions", type=int, default=1_000_000, help="--log: decisions in the log (default 1,000,000)")
    parser.add_argument("--db", metavar="URL", help="--log: an empty database to build the log in (default: a new SQLite file)")
    parser.add_argument(
        "--import-db", metavar="URL", help="--log: the empty database 'engage log import' fills (default: a new SQLite file)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="--log: seconds a command may take before it is stopped (default 600)",
    )
    parser.add_argument(
        "--page-timeout", type=float, default=120.0, help="--log: seconds a page may take before it is stopped (default 120)"
    )


def run(args: argparse.Namespace, streams: Streams) -> int:
    from ..bench.decisions import measure, render_text

    def report(line: str) -> None:
        if args.format == "text":
            streams.stderr.write(f"... {line}\n")

    if args.log:
        from ..bench import logbench

        if args.decisions < 1:
            streams.stderr.write("engage bench: --decisions must be 1 or more\n")
            return 2
        built = logbench.measure(
            args.decisions,
            args.db,
            seed=args.seed,
            import_db=args.import_db,
            timeout=args.timeout,
            page_timeout=args.page_timeout,
            report=report,
        )
        if args.format == "json":
            streams.stdout.write(json.dumps(built.to_dict(), sort_keys=True, indent=2) + "\n")
        else:
            streams.stdout.write(logbench.render_text(built) + "\n")
        return 0 if all(r.status == "ok" for r in built.rows) else 1

    if args.authoring:
        from ..bench import authoring

        before = 3
        rows = authoring.measure(requests=max(2, args.requests), before_requests=before, report=report)
        if args.format == "json":
            streams.stdout.write(json.dumps(authoring.to_dict(rows), sort_keys=True, indent=2) + "\n")
        else:
            streams.stdout.write(authoring.render_text(rows, max(2, args.requests), before) + "\n")
        return 0

    figures = measure(args.n, args.seed, jobs_n=args.jobs_n or None, memory_n=args.memory_n or None, report=report)
    if args.format == "json":
        streams.stdout.write(json.dumps(figures.to_dict(), sort_keys=True, indent=2) + "\n")
    else:
        streams.stdout.write(render_text(figures) + "\n")
    return 0
