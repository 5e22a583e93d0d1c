"""Run one benchmark in a child process and collect its figures; write docs/performance.md.

Each benchmark runs in a process of its own (`python -m bench.report --child NAME --json FILE
-- ARGS`), because each one sets Django up for its own throwaway database. The child calls the
module's `run()` when it has one (the figures are a dict), else its `main()` with the printed
output captured; either way it writes a JSON file that `python -m bench` reads.

Figures of bench.pages and bench.votes have this shape (bench.fanout has its own, see
`bench.fanout.run`, rendered by `fanout_section`):

    {"name", "title", "ok": bool, "setup": str, "error": str (when not measured),
     "tables": [{"head": [...], "rows": [[...], ...]}],
     "targets": [{"target": str, "measured": str, "met": bool}],
     "notes": [str, ...], "correctness": [str, ...]}
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from bench.layouts import LABELS as LAYOUT_LABELS
from bench.servers import ROOT, pg_params, postgres_server

FANOUT_LABELS = {"floor": "floor: bare websockets", **LAYOUT_LABELS}
#: the latency figures of every fan-out table, in their order
STATS = ("p50", "p95", "p99", "max")

# --- the child ----------------------------------------------------------------------------


class Tee(io.TextIOBase):
    """Write to the console and keep a copy."""

    def __init__(self, stream):
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text):
        self.stream.write(text)
        self.copy.write(text)
        return len(text)

    def flush(self):
        self.stream.flush()


def child(name: str, argv: list[str]) -> dict:
    module = importlib.import_module(f"bench.{name}")
    tee = Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        if hasattr(module, "run"):
            args = module.parse_args(argv) if hasattr(module, "parse_args") else argv
            figures = module.run(args)
            if hasattr(module, "report"):
                text = module.report(figures)
                print(text)
                figures = {**figures, "text": text}
        else:  # no figures to collect: keep what it prints
            status = module.main(argv)
            figures = {"status": status}
    figures.setdefault("name", name)
    figures["output"] = tee.copy.getvalue()[-20000:]
    return figures


def run_child(name: str, argv: list[str], *, timeout: float) -> dict:
    """Run bench.<name> in a child process; its figures, or {"error": ...}."""
    out = ROOT / "var" / "bench" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.report", "--child", name, "--json", str(out), "--", *argv]
    started = dt.datetime.now(dt.UTC)
    try:
        proc = subprocess.run(cmd, cwd=ROOT, timeout=timeout, check=False)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        status = None
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    if out.exists():
        figures = json.loads(out.read_text())
    else:
        figures = {"name": name}
        figures["error"] = (
            f"did not finish within {timeout:.0f} s"
            if status is None
            else f"failed with exit status {status} (see its output above)"
        )
    figures["status"] = status
    figures["seconds"] = round(seconds)
    return figures


# --- the machine --------------------------------------------------------------------------


def _first_line(cmd: list[str]) -> str | None:
    if not shutil.which(cmd[0]):
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (
        (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else None
    )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _ram() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "?"


def _os() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    return platform.platform()


def _postgres_version() -> str:
    try:
        import psycopg

        parsed = pg_params(postgres_server())
        if parsed is None:
            return "- (DATABASE_URL is not PostgreSQL)"
        with psycopg.connect(**parsed[0], dbname="postgres", connect_timeout=5) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # any failure: say so, do not stop the report
        return f"unreachable ({type(exc).__name__})"


def _versions(*packages: str) -> str:
    from importlib import metadata

    parts = []
    for package in packages:
        with contextlib.suppress(metadata.PackageNotFoundError):
            parts.append(f"{package} {metadata.version(package)}")
    return ", ".join(parts)


def _git() -> str:
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"]) or "?"
    try:
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return f"{commit} (with uncommitted changes)" if dirty else commit


def machine() -> dict:
    import sqlite3

    redis = _first_line(["redis-server", "--version"]) or "not installed"
    if redis.startswith("Redis server"):
        redis = redis.split()[2].removeprefix("v=")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": _ram(),
        "OS": _os(),
        "Python": platform.python_version(),
        "PostgreSQL": _postgres_version(),
        "SQLite": sqlite3.sqlite_version,
        "Redis": redis,
        "packages": _versions(
            "Django",
            "wagtail",
            "django-allauth",
            "daphne",
            "gunicorn",
            "channels",
            "channels-redis",
            "psycopg",
        ),
        "load average at start (1/5/15 min)": (
            " / ".join(f"{x:.2f}" for x in load) if load else "?"
        ),
    }


# --- markdown -----------------------------------------------------------------------------


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(head, rows) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |"]
    lines.append("|" + "|".join("---" for _ in head) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _met(value) -> str:
    return "-" if value is None else ("met" if value else "**NOT met**")


def _ms(value) -> str:
    return "-" if value is None or value != value else f"{value:.1f}"


def fanout_targets(figures: dict) -> list[dict]:
    ratio = figures.get("target_ratio", 1.5)
    targets = []
    for row in figures.get("scenarios", []):
        if row.get("key") == "floor":
            continue
        p50, p99 = row.get("ratio_p50"), row.get("ratio_p99")
        measured = (
            f"p50 {p50:.2f}x, p99 {p99:.2f}x the floor's, lost {row.get('lost')}"
            if p50 is not None and p99 is not None
            else f"no floor to compare with; lost {row.get('lost')}"
        )
        targets.append(
            {
                "target": f"{row.get('label')}: p50 and p99 within {ratio:g}x the floor's, "
                "nothing lost",
                "measured": measured,
                "met": row.get("met"),
            }
        )
    for key, why in (figures.get("not_measured") or {}).items():
        targets.append(
            {
                "target": f"{FANOUT_LABELS.get(key, key)}: p50 and p99 within {ratio:g}x the "
                "floor's, nothing lost",
                "measured": f"not measured: {why}",
                "met": None,
            }
        )
    return targets


def fanout_section(figures: dict) -> list[str]:
    lines = [
        f"{figures.get('clients')} WebSocket clients subscribed to one task topic, "
        f"{figures.get('actions')} actions {figures.get('interval')} s apart in "
        f"{figures.get('rounds')} rounds (+{figures.get('warmup')} uncounted each), "
        f"{figures.get('client_procs')} client process(es). The layouts:",
        "",
        *(
            f"- {FANOUT_LABELS.get(key, key)}: {text}."
            for key, text in (figures.get("layouts") or {}).items()
        ),
        *(
            f"- {FANOUT_LABELS.get(key, key)}: not measured: {why}."
            for key, why in (figures.get("not_measured") or {}).items()
        ),
        "",
        f"Redis of the production layout: {figures.get('redis')}. The driver sends its HTTP "
        "requests to the server that serves HTTP (daphne in the embedded default, gunicorn in "
        "the production layout); the clients connect to the daphne process(es), spread evenly.",
        "",
        "Latency = receipt by a client minus the moment the driver sent the request (ms).",
        "",
    ]
    head = [
        "scenario",
        "subscribers",
        "events",
        "deliveries",
        "lost",
        "p50",
        "p95",
        "p99",
        "max",
        "event bytes",
        "p50 / floor",
        "p99 / floor",
        "target (1.5x, 0 lost)",
    ]
    rows = []
    for r in figures.get("scenarios", []):
        rows.append(
            [
                r.get("label"),
                r.get("subscribers"),
                r.get("events"),
                r.get("deliveries"),
                r.get("lost"),
                _ms(r.get("p50")),
                _ms(r.get("p95")),
                _ms(r.get("p99")),
                _ms(r.get("max")),
                "-" if r.get("event_bytes") is None else r["event_bytes"],
                "-" if r.get("ratio_p50") is None else f"{r['ratio_p50']:.2f}x",
                "-" if r.get("ratio_p99") is None else f"{r['ratio_p99']:.2f}x",
                "(floor)" if r.get("key") == "floor" else _met(r.get("met")),
            ]
        )
    lines += md_table(head, rows)
    logged = [r for r in figures.get("scenarios", []) if r.get("from_log")]
    if logged:
        lines += [
            "",
            "Linli, from the event's row in the live log (written in the transaction) to "
            "receipt, which leaves out the HTTP request (ms; the ratios to the floor's are for "
            "comparison, the target is judged on the figures above):",
            "",
        ]
        lines += md_table(
            ["scenario", "p50", "p95", "p99", "max", "p50 / floor", "p99 / floor"],
            [
                [
                    r["label"],
                    *(_ms(r["from_log"].get(k)) for k in STATS),
                    *(
                        "-" if r["from_log"].get(k) is None else f"{r['from_log'][k]:.2f}x"
                        for k in ("ratio_p50", "ratio_p99")
                    ),
                ]
                for r in logged
            ],
        )
    requested = [r for r in figures.get("scenarios", []) if r.get("request")]
    if requested:
        lines += [
            "",
            "Linli, from the request leaving the driver to the event's row in the live log, once "
            "per event: the HTTP request's share of the latency above (ms):",
            "",
        ]
        lines += md_table(
            ["scenario", "p50", "p95", "p99", "max"],
            [[r["label"], *(_ms(r["request"].get(k)) for k in STATS)] for r in requested],
        )
    by_action = [
        [r["label"], kind, f["deliveries"], *(_ms(f.get(k)) for k in STATS)]
        for r in figures.get("scenarios", [])
        for kind, f in (r.get("by_action") or {}).items()
    ]
    if by_action:
        lines += [
            "",
            "By the action that caused the event (a round of Linli's: a claim, an update that "
            "starts the task, plain updates; ms from the request):",
            "",
        ]
        lines += md_table(
            ["scenario", "action", "deliveries", "p50", "p95", "p99", "max"], by_action
        )
    errors = [f"{r.get('label')}: {e}" for r in figures.get("scenarios", []) for e in r["errors"]]
    if errors:
        lines += ["", *[f"- {e}" for e in errors]]
    lines += [
        "",
        "How: the floor is a bare `websockets` broadcast server speaking the same messages, "
        "and its events carry the data of a real Linli task update, so that the clients read "
        "events of the same size from both (event bytes: the mean UTF-8 size of the counted "
        "events); for Linli a team leader claims the task and posts updates through the JSON "
        "API and every subscriber of `task:<id>` must receive every event the topic's log holds "
        "(lost = (client, event) pairs never received). One machine runs the servers, the "
        "client processes and the driver, so they compete for the same cores; the floor pays "
        "the same client-side cost. See bench/README.md.",
    ]
    return lines


def generic_section(figures: dict) -> list[str]:
    lines = []
    if figures.get("setup"):
        lines += [figures["setup"], ""]
    for table in figures.get("tables", []):
        lines += [*md_table(table["head"], table["rows"]), ""]
    for target in [] if figures.get("error") else figures.get("targets", []):
        lines.append(
            f"- Target: {target['target']}. Measured: {target['measured']}: {_met(target['met'])}."
        )
    if figures.get("correctness"):
        lines += ["", *[f"- {line}" for line in figures["correctness"]]]
    if figures.get("notes"):
        lines += ["", "How it is measured:", "", *[f"- {note}" for note in figures["notes"]]]
    return lines


SECTIONS = {
    "fanout": "Fan-out latency (bench.fanout)",
    "votes": "Vote throughput (bench.votes)",
    "pages": "Page cost (bench.pages)",
}


def targets_of(figures: dict) -> list[dict]:
    if figures.get("name") == "fanout" and "scenarios" in figures:
        return fanout_targets(figures)
    return figures.get("targets", [])


def write(results: list[dict], path: Path, *, info: dict, started: dt.datetime) -> str:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. The figures are "
        "from one run on the machine below; timings on a shared or busy machine are noisy "
        "(see the load average), query counts are not.",
        "",
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Commit: {_git()}",
    ]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += ["", "## Targets", ""]
    rows = []
    for figures in results:
        name = figures.get("name")
        targets = targets_of(figures)
        if figures.get("error") or not targets:
            what = "; ".join(t["target"] for t in targets) or "-"
            why = figures.get("error", "no figures")
            rows.append([SECTIONS.get(name, name), what, f"not measured: {why}", "-"])
            continue
        for target in targets:
            rows.append(
                [
                    SECTIONS.get(name, name),
                    target["target"],
                    target["measured"],
                    _met(target["met"]),
                ]
            )
    lines += md_table(["benchmark", "target", "measured", "result"], rows)
    for figures in results:
        name = figures.get("name")
        lines += ["", f"## {SECTIONS.get(name, name)}", ""]
        took = f"Ran in {figures.get('seconds', '?')} s"
        if figures.get("error"):
            lines += [f"Not measured: {figures['error']}.", ""]
        if name == "fanout" and "scenarios" in figures:
            lines += fanout_section(figures)
        elif figures.get("tables") or figures.get("targets"):
            lines += generic_section(figures)
        elif figures.get("output"):
            lines += ["Its output:", "", "```", figures["output"].strip()[-6000:], "```"]
        lines += ["", f"{took}."]
    text = "\n".join(lines).rstrip() + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("--child", required=True, help="the benchmark (fanout, votes, pages)")
    parser.add_argument("--json", required=True, help="where to write its figures")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    figures = child(args.child, rest)
    Path(args.json).write_text(json.dumps(figures, default=str, ensure_ascii=False, indent=1))
    ok = figures.get("ok", figures.get("status", 0) == 0)
    if args.child == "fanout" and "lost" in figures:
        ok = figures["lost"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
