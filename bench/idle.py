"""Measure the CPU an idle `imgur-sync watch` uses once many dropped files are known.

Issue 11: after 10,000 uploads an idle ``watch`` used about 18 % of a core, because it read
every journal row every 0.2 s. Here the sandbox runs in its own process (``imgur-sync
sandbox --scenario empty``), the drop folder gets ``--files`` small files, and the state
database gets one finished journal entry for each (written by the code under test, so
its own schema is used), as if every file had been uploaded. Then ``imgur-sync watch``
starts on that folder; once its start-up scan is over (its album exists and ``--warmup``
seconds passed) the CPU time it uses during ``--seconds`` is read from /proc. In the
same run, over the same window, a plain ``python`` process that only sleeps is measured
as the baseline: what any idle interpreter costs on this machine.

    python bench/idle.py [--files 5000] [--seconds 20] [--code /path/to/other/checkout]

``--code`` runs another checkout's imgur_sync (e.g. the main branch, for a before/after
pair). It prints figures and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from upload import ALBUM, REPO, BenchError, Child, Sandbox, on_sandbox, write_config


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seed(code: Path, state_dir: Path, drop: Path, files: int) -> None:
    """Write the files and their finished journal entries with the imgur_sync at ``code``."""
    script = f"""
import sys, time
sys.path.insert(0, {str(code)!r})
from pathlib import Path
from imgur_sync.store import Store
try:
    from imgur_sync.paths import database_path
except ImportError:  # a checkout from before issue 12 kept it in workspace
    from imgur_sync.workspace import database_path
drop, state = Path({str(drop)!r}), Path({str(state_dir)!r})
state.mkdir(parents=True, exist_ok=True)
rows = []
for n in range({files}):
    path = drop / f"known-{{n:05d}}.png"
    path.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + n.to_bytes(4, "big") * 8)
    now = time.time() + 1
    rows.append({{"path": str(path), "sha256": f"{{n:064x}}", "size": path.stat().st_size,
                 "state": "done", "marker": f"imgur-sync:{{n:016x}}", "image_id": f"b{{n}}",
                 "attempts": 1, "created": now, "updated": now}})
with Store(database_path(state)) as store:
    store.db["uploads"].insert_all(rows)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)


def measure(sb: Sandbox, work: Path, code: Path, files: int, warmup: float,
            seconds: float) -> dict[str, float]:
    """Start `watch` on a folder of ``files`` known files and time its idle CPU."""
    drop = work / "drop"
    drop.mkdir()
    state_home = work / "state"
    seed(code, state_home / "imgur-sync", drop, files)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(IMGUR_SYNC_CONFIG=str(write_config(work, sb.settings, drop)),
               XDG_STATE_HOME=str(state_home), PYTHONPATH=str(code))
    started = time.perf_counter()
    watch = Child(["watch"], work / "watch.log", env, cwd=code)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    try:
        sb.wait_album(ALBUM, lambda a: True, "the watcher to make its album")
        startup = time.perf_counter() - started
        time.sleep(warmup)  # the start-up scan of every known file ends within it
        if watch.proc.poll() is not None:
            raise BenchError(f"the watcher exited: {watch.log.read_text()[-2000:]}")
        watch_before, idle_before = cpu_seconds(watch.proc.pid), cpu_seconds(idle.pid)
        window = time.perf_counter()
        time.sleep(seconds)  # the measurement window itself
        window = time.perf_counter() - window
        watch_used = cpu_seconds(watch.proc.pid) - watch_before
        idle_used = cpu_seconds(idle.pid) - idle_before
    finally:
        watch.stop()
        idle.kill()
        idle.wait()
    return {"startup": startup, "window": window, "watch": watch_used / window * 100,
            "idle": idle_used / window * 100}


def main() -> None:
    """Run the measurement and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="known files in the folder")
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds after the album appears before measuring")
    parser.add_argument("--code", type=Path, default=REPO,
                        help="checkout whose imgur_sync runs (default: this one)")
    args = parser.parse_args()
    figures = on_sandbox(lambda sb, work: measure(sb, work, args.code.resolve(), args.files,
                                                  args.warmup, args.seconds))
    print(f"code: {args.code.resolve()}")
    print(f"{args.files} known files; watch made its album after {figures['startup']:.1f} s, "
          f"measured from {args.warmup:.0f} s later")
    tick = 100 / os.sysconf("SC_CLK_TCK") / figures["window"]
    print(f"idle CPU over {figures['window']:.1f} s, in % of one core "
          f"(resolution {tick:.2f} %):")
    print(f"  imgur-sync watch        : {figures['watch']:6.2f} %")
    print(f"  sleeping python (floor) : {figures['idle']:6.2f} %")


if __name__ == "__main__":
    main()
