"""`python -m bench` (make bench): run every benchmark and write docs/performance.md.

    python -m bench [--only fanout,votes,pages] [--output docs/performance.md] [--quick]

Each benchmark runs in a child process (bench.report) with its defaults (--quick: small
numbers, to try the whole chain in minutes; the report says so). The figures are collected
and written, with the machine, the date and the commit, to docs/performance.md. Exit status 1
when a benchmark failed (crashed, timed out, a correctness check or a page's query budget
failed); what cannot run here (the production layout without a reachable PostgreSQL) is
reported as not measured. The timing targets are reported, not enforced.
"""

import argparse
import datetime as dt
import sys
from pathlib import Path

from bench.report import ROOT, machine, run_child, write

BENCHMARKS = ["fanout", "votes", "pages"]
QUICK = {
    "fanout": ["--clients", "100", "--events", "5", "--interval", "0.5"],
    "votes": ["--voters", "40", "--proposals", "3", "--rounds", "2", "--concurrency", "8"],
    "pages": ["--proposals", "500", "--tasks", "100", "--requests", "5"],
}
TIMEOUT = {"fanout": 900, "votes": 900, "pages": 900}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma list of benchmarks")
    parser.add_argument(
        "--output", default=str(ROOT / "docs" / "performance.md"), help="the report to write"
    )
    parser.add_argument("--quick", action="store_true", help="small numbers (a smoke run)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    started = dt.datetime.now(dt.UTC)
    info = machine()  # before the runs: the load average says how busy the machine was
    if args.quick:
        info["run"] = "--quick (small numbers: a smoke run, not the issue's figures)"
    results = []
    for name in names:
        print(f"\n### bench.{name}\n", flush=True)
        results.append(run_child(name, QUICK[name] if args.quick else [], timeout=TIMEOUT[name]))
    output = Path(args.output)
    write(results, output, info=info, started=started)
    print(f"\nwrote {output}")
    skipped = [f["name"] for f in results if f.get("skipped")]
    failed = [
        f["name"]
        for f in results
        if not f.get("skipped") and (f.get("error") or f.get("status") != 0)
    ]
    if skipped:
        print(f"not measured (see the report): {', '.join(skipped)}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
