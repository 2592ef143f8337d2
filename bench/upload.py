"""Time drop-folder uploads: file closed → image in its album, against a plain upload loop.

docs/ARCHITECTURE.md §Upload. The sandbox runs in its own process (``imgur-sync sandbox --scenario
empty``) and ``imgur-sync watch`` in another, on a config written to a temporary folder, so
the figures are those of the real commands. In the same run, on the same sandbox, it
measures:

- **latency**: ``--files`` files dropped one at a time, each when the previous one is in
  the album; from the moment the file is closed to the moment the sandbox's state
  (``/__sandbox__/state``, polled every few ms, neither counted nor charged) shows the
  image in the album: p50, p95, max (target: p95 ≤ 2 s);
- **burst**: ``--burst`` files written at once; seconds until all are in the album, files/s;
- a **baseline**: the same uploads made by a plain ``requests`` loop (``POST /3/image``
  with the same bytes, the album in the form): one at a time for the latency, back to back
  for the throughput. The ratios say what watching, settling, journaling and mirroring cost
  over the bare HTTP call.

The sandbox's credit budgets are raised (``/__sandbox__/options``) before anything runs:
uploads cost 10 credits and Imgur's hourly user budget of 2000 would stop the run after
200 of them (the client would then wait for the reset, as it must).

    python bench/upload.py [--files 30] [--burst 200]

It prints figures and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from imgur_sync.sandbox.media import render_tiny_png  # noqa: E402

SETTING = re.compile(r'^(api_url|client_id|client_secret|refresh_token) = "(.*)"$')
TARGET_P95 = 2.0
POLL = 0.005
DEADLINE = 120.0
ALBUM = "Bench drops"
T = TypeVar("T")


class BenchError(Exception):
    """The bench could not measure (a process failed); not a missed target."""


class Child:
    """A ``python -m imgur_sync ...`` child process, stopped like Ctrl-C would stop it."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None,
                 cwd: Path = REPO) -> None:
        self.log = log
        with log.open("w") as err:  # `-m` imports the package from cwd first
            self.proc = subprocess.Popen([sys.executable, "-m", "imgur_sync", *args], cwd=cwd,
                                         stdout=subprocess.PIPE, stderr=err, text=True,
                                         env={**(env or os.environ), "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:  # keeps draining stdout so the child never blocks on it
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stop(self) -> None:
        """SIGINT, then terminate, then kill, whichever ends it."""
        if self.proc.poll() is not None:
            return
        for stop, grace in ((lambda: self.proc.send_signal(signal.SIGINT), 10),
                            (self.proc.terminate, 5), (self.proc.kill, 5)):
            stop()
            try:
                self.proc.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue


def start_sandbox(work: Path) -> tuple[Child, dict[str, str]]:
    """Start the sandbox process and return it with the [imgur] settings it printed."""
    child = Child(["sandbox", "--scenario", "empty", "--port", "0"], work / "sandbox.log")
    settings: dict[str, str] = {}
    end = time.monotonic() + 60
    while len(settings) < 4:
        try:
            line = child.lines.get(timeout=max(0.0, end - time.monotonic()))
        except queue.Empty:
            child.stop()
            raise BenchError("the sandbox printed no settings in time") from None
        if line is None:
            raise BenchError(f"the sandbox exited: {child.log.read_text()[-2000:]}")
        if match := SETTING.match(line.strip()):
            settings[match[1]] = match[2]
    return child, settings


class Sandbox:
    """What the bench asks the sandbox over HTTP."""

    def __init__(self, settings: dict[str, str]) -> None:
        self.settings = settings
        self.url = settings["api_url"]
        self.http = requests.Session()

    def set_options(self, **options: Any) -> None:
        self.http.post(f"{self.url}/__sandbox__/options", json=options,
                       timeout=30).raise_for_status()

    def album(self, title: str) -> dict[str, Any] | None:
        """The album called ``title`` as the sandbox's state shows it, or None."""
        state = self.http.get(f"{self.url}/__sandbox__/state", timeout=30).json()["data"]
        return next((a for a in state["albums"] if a["title"] == title and not a["deleted"]),
                    None)

    def wait_album(self, title: str, predicate: Any, what: str) -> tuple[dict[str, Any], float]:
        """Poll until the album satisfies ``predicate``; return it and when it was seen."""
        end = time.monotonic() + DEADLINE
        while True:
            album = self.album(title)
            seen = time.perf_counter()
            if album is not None and predicate(album):
                return album, seen
            if time.monotonic() > end:
                raise BenchError(f"timed out waiting for {what}")
            time.sleep(POLL)

    def access_token(self) -> str:
        answer = self.http.post(f"{self.url}/oauth2/token", timeout=30, data={
            "client_id": self.settings["client_id"],
            "client_secret": self.settings["client_secret"],
            "grant_type": "refresh_token", "refresh_token": self.settings["refresh_token"]})
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def write_config(work: Path, settings: dict[str, str], drop: Path) -> Path:
    config = work / "config.toml"
    config.write_text(
        "[imgur]\n" + "".join(f'{k} = "{v}"\n' for k, v in settings.items())
        + f'\n[mirror]\nroot = "{work / "mirror"}"\n'
        + f'\n[[upload]]\npath = "{drop}"\nalbum = "{ALBUM}"\n', encoding="utf-8")
    return config


def measure_watch(sb: Sandbox, work: Path, files: int, burst: int) -> dict[str, Any]:
    """Drop files into a folder `imgur-sync watch` watches; time them into the album."""
    drop = work / "drop"
    drop.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(IMGUR_SYNC_CONFIG=str(write_config(work, sb.settings, drop)),
               XDG_STATE_HOME=str(work / "state"), PYTHONPATH=str(REPO))
    watch = Child(["watch"], work / "watch.log", env)
    try:
        started = time.perf_counter()
        sb.wait_album(ALBUM, lambda a: True, "the watcher to make its album")
        startup = time.perf_counter() - started
        latencies = []
        for n in range(files):
            path = drop / f"single-{n:03d}.png"
            path.write_bytes(render_tiny_png(1_000_000 + n))
            closed = time.perf_counter()
            _, seen = sb.wait_album(ALBUM, lambda a, k=n + 1: len(a["image_ids"]) >= k,
                                    f"file {n + 1} in the album")
            latencies.append(seen - closed)
        started = time.perf_counter()
        for n in range(burst):
            (drop / f"burst-{n:03d}.png").write_bytes(render_tiny_png(2_000_000 + n))
        written = time.perf_counter() - started
        _, seen = sb.wait_album(ALBUM, lambda a: len(a["image_ids"]) >= files + burst,
                                f"{burst} burst files in the album")
        burst_seconds = seen - started
        if watch.proc.poll() is not None:
            raise BenchError(f"the watcher exited: {watch.log.read_text()[-2000:]}")
    finally:
        watch.stop()
    return {"startup": startup, "latencies": latencies, "burst_seconds": burst_seconds,
            "burst_written": written}


def measure_baseline(sb: Sandbox, files: int, burst: int) -> dict[str, Any]:
    """The same uploads by a plain requests loop: POST /3/image, album in the form."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {sb.access_token()}"
        made = http.post(f"{sb.url}/3/album", data={"title": "Baseline"}, timeout=30)
        made.raise_for_status()
        album = made.json()["data"]["id"]

        def upload(name: str, data: bytes) -> None:
            answer = http.post(f"{sb.url}/3/image", timeout=30,
                               data={"type": "file", "title": name, "album": album},
                               files={"image": (f"{name}.png", data)})
            answer.raise_for_status()

        latencies = []
        for n in range(files):
            start = time.perf_counter()
            upload(f"single-{n:03d}", render_tiny_png(1_000_000 + n))
            latencies.append(time.perf_counter() - start)
        started = time.perf_counter()
        for n in range(burst):
            upload(f"burst-{n:03d}", render_tiny_png(2_000_000 + n))
        burst_seconds = time.perf_counter() - started
    return {"latencies": latencies, "burst_seconds": burst_seconds}


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(args: argparse.Namespace, watch: dict[str, Any], base: dict[str, Any]) -> None:
    """Print the figures and the verdict."""
    lat, blat = watch["latencies"], base["latencies"]
    p50, p95 = percentile(lat, 50), percentile(lat, 95)
    b50, b95 = percentile(blat, 50), percentile(blat, 95)
    print(f"watch start-up until its album exists: {watch['startup']:6.2f} s")
    print(f"latency, {args.files} files one at a time (file closed -> image in album):")
    print(f"  imgur-sync watch : p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
          f"max {max(lat) * 1000:7.1f} ms  mean {statistics.mean(lat) * 1000:7.1f} ms")
    print(f"  plain POST loop  : p50 {b50 * 1000:7.1f} ms  p95 {b95 * 1000:7.1f} ms  "
          f"max {max(blat) * 1000:7.1f} ms  mean {statistics.mean(blat) * 1000:7.1f} ms")
    print(f"  ratio watch / plain: p50 {p50 / b50:5.1f}x  p95 {p95 / b95:5.1f}x")
    rate = args.burst / watch["burst_seconds"]
    brate = args.burst / base["burst_seconds"]
    print(f"burst of {args.burst} files (written in {watch['burst_written']:.2f} s):")
    print(f"  imgur-sync watch : {watch['burst_seconds']:6.2f} s until all in the album, "
          f"{rate:6.1f} files/s")
    print(f"  plain POST loop  : {base['burst_seconds']:6.2f} s, {brate:6.1f} files/s")
    print(f"  ratio watch / plain throughput: {rate / brate:5.2f}")
    verdict = "ok" if p95 <= TARGET_P95 else "OVER"
    print(f"target: latency p95 <= {TARGET_P95:.0f} s -> {verdict}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30, help="files dropped one at a time")
    parser.add_argument("--burst", type=int, default=200, help="files dropped at once")
    args = parser.parse_args()

    def measure(sb: Sandbox, work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        sb.set_options(user_limit=10**7, client_limit=10**7, post_limit=10**7)
        return (measure_watch(sb, work, args.files, args.burst),
                measure_baseline(sb, args.files, args.burst))

    watch, base = on_sandbox(measure)
    report(args, watch, base)


def on_sandbox(measure: Callable[[Sandbox, Path], T]) -> T:
    """Run ``measure`` on a sandbox process in a temporary folder; exit 2 if it cannot."""
    with tempfile.TemporaryDirectory(prefix="imgur-sync-bench-") as tmp:
        work = Path(tmp)
        try:
            child, settings = start_sandbox(work)
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            sys.exit(2)
        try:
            return measure(Sandbox(settings), work)
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            sys.exit(2)
        finally:
            child.stop()


if __name__ == "__main__":
    main()
