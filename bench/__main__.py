"""`make bench`: run every bench/bench_*.py module's run() and print its table.

`python -m bench NAME...` runs only the named modules (e.g. `python -m bench import rep_card`).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback

import bench
from bench.support import print_table


def main(selected: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if n.removeprefix("bench_") in selected or n in selected]
    failures = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        title = (module.__doc__ or name).strip().splitlines()[0]
        started = time.perf_counter()
        try:
            rows = module.run()
        except Exception:
            failures += 1
            print(f"\n## {title}\nFAILED:\n{traceback.format_exc()}")
            continue
        print_table(f"{title} ({time.perf_counter() - started:.1f} s)", rows)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
