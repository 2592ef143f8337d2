"""Time a first `imgur-sync push` of many new files, and how long it stays silent.

Issue 11: 10,000 dropped files took about 9 minutes to upload, with about 5 minutes of no
output. Here ``--files`` distinct tiny PNGs are written to a drop folder and one
``imgur-sync push`` (its own process, on a sandbox process whose credit budgets are
raised) uploads them. Printed: the wall time, files/s, how many lines it logged, and the
longest stretch without a line (from the log's timestamps, the start and the exit). In
the same run a plain ``requests`` loop makes the same uploads as the baseline.

    python bench/push.py [--files 2000] [--code /path/to/other/checkout]

It prints figures and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from upload import REPO, Sandbox, measure_baseline, on_sandbox, write_config

from imgur_sync.sandbox.media import render_tiny_png

STAMP = "%Y-%m-%d %H:%M:%S,%f"


def measure(sb: Sandbox, work: Path, code: Path, files: int) -> dict[str, float]:
    """Write ``files`` new files and time one push of them, then the plain loop."""
    sb.set_options(user_limit=10**7, client_limit=10**7, post_limit=10**7)
    drop = work / "drop"
    drop.mkdir()
    for n in range(files):
        (drop / f"new-{n:05d}.png").write_bytes(render_tiny_png(3_000_000 + n))
    old = time.time() - 3600  # dropped a while ago: nothing waits for a writer
    for path in drop.iterdir():
        os.utime(path, (old, old))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(IMGUR_SYNC_CONFIG=str(write_config(work, sb.settings, drop)),
               XDG_STATE_HOME=str(work / "state"), PYTHONPATH=str(code))
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "imgur_sync", "push"], env=env, cwd=code,
                          capture_output=True, text=True, timeout=3600)
    ended = time.time()
    stamps = [started]
    for line in done.stderr.splitlines():
        try:
            stamps.append(datetime.strptime(line[:23], STAMP).timestamp())
        except ValueError:
            continue
    stamps.append(ended)
    base = measure_baseline(sb, 0, files)
    return {"seconds": ended - started, "lines": len(stamps) - 2, "returncode": done.returncode,
            "silent": max(b - a for a, b in itertools.pairwise(stamps)),
            "baseline": base["burst_seconds"]}


def main() -> None:
    """Run the measurement and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="new files to push")
    parser.add_argument("--code", type=Path, default=REPO,
                        help="checkout whose imgur_sync runs (default: this one)")
    args = parser.parse_args()
    code = args.code.resolve()
    figures = on_sandbox(lambda sb, work: measure(sb, work, code, args.files))
    print(f"code: {code}")
    print(f"push of {args.files} new files (exit code {figures['returncode']:.0f}):")
    print(f"  imgur-sync push : {figures['seconds']:7.1f} s, "
          f"{args.files / figures['seconds']:6.1f} files/s, {figures['lines']:.0f} log lines, "
          f"longest silence {figures['silent']:.1f} s")
    print(f"  plain POST loop : {figures['baseline']:7.1f} s, "
          f"{args.files / figures['baseline']:6.1f} files/s")


if __name__ == "__main__":
    main()
