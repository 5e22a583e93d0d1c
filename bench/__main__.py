"""`python -m bench` (make bench): run every benchmark in turn with its defaults."""

import sys

BENCHMARKS = ["bench.fanout", "bench.votes"]


def main() -> int:
    import importlib

    status = 0
    for name in BENCHMARKS:
        print(f"\n### {name}\n", flush=True)
        status |= importlib.import_module(name).main([])
    return status


if __name__ == "__main__":
    sys.exit(main())
