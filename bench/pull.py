"""Time and size a pull of the sandbox's ``big`` account against a plain parallel download.

docs/ARCHITECTURE.md §Pull. The sandbox runs in its own process (``imgur-sync sandbox``) and every
pull runs in its own child process, so its peak RSS (the child's own ``VmHWM``: ``os.wait4``'s
``ru_maxrss`` would keep the bench's RSS from before the exec) and CPU time (from
``os.wait4``) are the pull's alone. In the same run, on the same sandbox, it measures:

- the **minimum** a full pull can cost: one walk of every listing (pages up to and including
  the final empty one), one request per album and per conversation page — which also
  yields the media URLs a pull must download;
- a **baseline**: a plain parallel download of those media URLs into files (a thread pool
  of ``--concurrency`` workers, one ``requests.Session`` each), once before and once after
  the cold pull; the faster of the two is the one the pull is held to;
- for information, the same download through one ``urllib3.PoolManager``: the pull sends
  media with urllib3 directly (``imgur_sync/api/media.py``), so this shows how much of its
  lead over the requests baseline is the lighter HTTP stack alone;
- a **cold** pull (empty state and folder), a **quick** pull of the unchanged account and a
  **full** pull a simulated day later (the sandbox's clock moved on, so the client's daily
  credits have renewed: at ``--scale 100`` the walk and the cold pull spend most of them):
  seconds, API requests and media requests (from the sandbox's ``/__sandbox__/counters``),
  bytes, peak RSS, CPU;
- a cold pull of ``big --scale 1`` in a separate sandbox, to see whether memory grows
  with the size of the account.

Machines are noisy, so the targets are ratios against figures of the same run, apart from
the quick pull's request count and the absolute peak RSS. The user's hourly credit budget
of the sandbox is raised (``/__sandbox__/options``) so the walk and three pulls in one
hour never make the client wait for a reset. MB are 10^6 bytes.

    python bench/pull.py [--scale 10] [--concurrency 8] [--road oauth|cookie] [--check]
                         [--profile DIR] [--no-gallery]

``--road cookie`` signs in as a new user must since 2025 (Imgur's OAuth page broken): with
the browser's cookies, so own posts come through the web API; its minimum walk is then that
API's pages plus the public gallery favorites.

It prints figures and exits 0 whatever they are; ``--check`` exits 1 when a target is
missed. ``--profile DIR`` runs each pull under cProfile (main thread only) and writes
``DIR/<pull>.prof``; the timings of such a run are not comparable. ``--no-gallery`` pulls
with ``[mirror] gallery = false``, to measure the pull without the offline gallery.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import urllib3

from imgur_sync.settings.config import DEFAULT_WEB_CLIENT_ID

REPO = Path(__file__).resolve().parents[1]
CHUNK = 256 * 1024
MB = 1_000_000
TARGET_THROUGHPUT = 0.70  # cold pull / baseline, images per second
TARGET_QUICK_REQUESTS = 15
TARGET_FULL_OVERHEAD = 1.10  # full pull requests / minimum
TARGET_RSS_GROWTH = 1.5  # peak RSS at --scale / at scale 1
TARGET_RSS_MB = 150
SETTING = re.compile(r'^(api_url|client_id|client_secret|refresh_token) = "(.*)"$')
# Variables that would override the bench's config or state directory in the pull child.
FOREIGN_ENV = ("STATE_DIRECTORY", "CACHE_DIRECTORY", "IMGUR_CLIENT_SECRET",
               "IMGUR_REFRESH_TOKEN", "IMGUR_RAPIDAPI_KEY", "IMGUR_SYNC_CONFIG")

# The pull child: what `imgur-sync pull` does (cli.pull), timed around the workspace, with
# the result as one JSON line. Logging as the CLI sets it up when not on a terminal.
RUNNER = r"""
import json, logging, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
from imgur_sync.settings.config import load_config
from imgur_sync.mirror import Mirror
from imgur_sync.paths import config_path
from imgur_sync.workspace import Workspace
full, profile = sys.argv[1] == "full", sys.argv[2]
# The sandbox's clock may run ahead of the machine's (bench/week.py moves it): the pull runs
# on the sandbox's time, as a pull meets Imgur's, so its pacing and reconcile follow it.
offset = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
clock = lambda: time.time() + offset
config = load_config(config_path())
prof = None
if profile:
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
start = time.perf_counter()
with Workspace(config, purpose="pull", clock=clock) as ws:
    result = Mirror(config, ws.store, ws.client.transport, clock=clock).pull(full=full)
seconds = time.perf_counter() - start
if prof is not None:
    prof.disable()
    prof.dump_stats(profile)
# The peak of this process's own memory (VmHWM, reset by exec). wait4's ru_maxrss is not:
# it keeps the parent's RSS from before the exec (the bench's own, with its walk).
try:
    with open("/proc/self/status") as status:
        peak = 1024 * int(next(l for l in status if l.startswith("VmHWM:")).split()[1])
except (OSError, StopIteration):
    peak = None
print(json.dumps({"seconds": seconds, "outcome": result.outcome, "requests": result.requests,
                  "peak_rss": peak,
                  "done": result.applied.done, "bytes": result.applied.downloaded_bytes,
                  "problems": result.problems[:5], "removed": result.removed}))
"""


class BenchError(Exception):
    """The bench could not measure (a process failed); not a missed target."""


# -- the sandbox process ------------------------------------------------------------------------


class SandboxProcess:
    """``imgur-sync sandbox --scenario big --scale N --port 0`` in a child process."""

    def __init__(self, scale: int, workdir: Path, road: str = "oauth") -> None:
        self.scale, self.road = scale, road
        self.stderr_path = workdir / f"sandbox-{scale}.err"
        # The 2026 road: Imgur's OAuth page broken, the browser's cookie the way in.
        self.cookies = workdir / f"cookies-{scale}.txt" if road == "cookie" else None
        self.proc: subprocess.Popen[str] | None = None
        self.settings: dict[str, str] = {}
        self.http = requests.Session()

    def __enter__(self) -> SandboxProcess:
        with self.stderr_path.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "imgur_sync", "sandbox", "--scenario", "big",
                 "--scale", str(self.scale), "--port", "0",
                 *(["--oauth-authorize", "broken", "--write-cookies", str(self.cookies)]
                   if self.cookies else [])],
                cwd=REPO, stdout=subprocess.PIPE, stderr=err, text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            self._read_settings(deadline=time.monotonic() + 180)
            self._wait_answering(deadline=time.monotonic() + 30)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _read_settings(self, deadline: float) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()

        def pump(stream: Any) -> None:  # keeps draining stdout so the sandbox never blocks
            for line in stream:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout,), daemon=True).start()
        while len(self.settings) < 4:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise BenchError(f"the scale {self.scale} sandbox printed no settings in time"
                                 ) from None
            if line is None:
                raise BenchError(f"the scale {self.scale} sandbox exited: "
                                 f"{self.stderr_path.read_text()[-2000:]}")
            match = SETTING.match(line.strip())
            if match:
                self.settings[match[1]] = match[2]

    def _wait_answering(self, deadline: float) -> None:
        while True:
            try:
                if self.http.get(self.url("__sandbox__/counters"), timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.proc is None or self.proc.poll() is not None:
                raise BenchError(f"the scale {self.scale} sandbox does not answer")
            time.sleep(0.05)

    def stop(self) -> None:
        """Interrupt the sandbox (as Ctrl-C would); terminate, then kill, if it lingers."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for stop, grace in ((lambda: proc.send_signal(signal.SIGINT), 10),
                            (proc.terminate, 5), (proc.kill, 5)):
            stop()
            try:
                proc.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def url(self, path: str) -> str:
        return f"{self.settings['api_url']}/{path.lstrip('/')}"

    def counters(self) -> dict[str, Any]:
        """The sandbox's request and media counters (control calls are not counted)."""
        answer = self.http.get(self.url("__sandbox__/counters"), timeout=30)
        answer.raise_for_status()
        return answer.json()["data"]

    def advance(self, seconds: float) -> float:
        """Move the sandbox's clock on (its credits renew with it); return its time."""
        answer = self.http.post(self.url("__sandbox__/clock"), json={"advance": seconds},
                                timeout=30)
        answer.raise_for_status()
        now: float = answer.json()["data"]["now"]
        return now

    def set_options(self, **options: Any) -> None:
        self.http.post(self.url("__sandbox__/options"), json=options,
                       timeout=30).raise_for_status()

    def cpu_seconds(self) -> float:
        """User + system CPU the sandbox process has used so far (from /proc)."""
        try:
            assert self.proc is not None
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except (OSError, AssertionError):
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Delta:
    """What the sandbox saw between two counter snapshots."""

    api: int
    media: int
    media_bytes: int
    by_route: dict[str, int]
    sandbox_cpu: float


class Window:
    """Counter and sandbox-CPU snapshots around one measured phase."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox

    def __enter__(self) -> Window:
        self.before, self.cpu = self.sandbox.counters(), self.sandbox.cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        after, cpu = self.sandbox.counters(), self.sandbox.cpu_seconds()
        routes = {k: v - self.before["by_route"].get(k, 0) for k, v in after["by_route"].items()}
        self.delta = Delta(after["requests"] - self.before["requests"],
                           after["media_requests"] - self.before["media_requests"],
                           after["media_bytes"] - self.before["media_bytes"],
                           {k: v for k, v in routes.items()
                            if v and not k.split(" ", 1)[1].startswith("/__sandbox__")},
                           cpu - self.cpu)


# -- the minimum walk and the baseline ----------------------------------------------------------


@dataclass
class Walk:
    """One pass over every listing, as a full pull must make it."""

    seconds: float = 0.0
    delta: Delta | None = None
    media: dict[str, str] = field(default_factory=dict)  # image id -> link
    counts: dict[str, int] = field(default_factory=dict)


def walk_account(sandbox: SandboxProcess) -> Walk:
    """List everything a pull lists, making the fewest requests the API allows."""
    s = sandbox.settings
    http = requests.Session()
    token = http.post(sandbox.url("oauth2/token"), timeout=30, data={
        "client_id": s["client_id"], "client_secret": s["client_secret"],
        "grant_type": "refresh_token", "refresh_token": s["refresh_token"]})
    token.raise_for_status()
    http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def get(path: str) -> Any:
        answer = http.get(sandbox.url(path), timeout=60)
        answer.raise_for_status()
        return answer.json()["data"]

    def pages(path: str) -> list[dict[str, Any]]:
        items, page = [], 0
        while batch := get(path.format(page=page)):
            items.extend(batch)
            page += 1
        return items

    walk = Walk()
    albums: set[str] = set()

    def keep(image: dict[str, Any]) -> None:
        walk.media.setdefault(image["id"], image["link"])

    start = time.perf_counter()
    with Window(sandbox) as window:
        images = pages("3/account/me/images/{page}")
        for image in images:
            keep(image)
        own_albums = pages("3/account/me/albums/{page}")
        favorites = pages("3/account/me/favorites/{page}/newest")
        gallery = pages("3/account/me/gallery_favorites/{page}/newest")
        for album_id in [a["id"] for a in own_albums] + [
                f["id"] for f in favorites + gallery if f.get("is_album")]:
            if album_id not in albums:
                albums.add(album_id)
                for image in get(f"3/album/{album_id}/images"):
                    keep(image)
        for item in favorites + gallery:
            if not item.get("is_album"):
                keep(item)
        conversations = get("3/conversations")
        for conversation in conversations:
            page = 1
            while True:
                data = get(f"3/conversations/{conversation['id']}/{page}/0")
                if data.get("done", True) or not data.get("messages"):
                    break
                page += 1
    walk.seconds = time.perf_counter() - start
    walk.delta = window.delta
    walk.counts = {"images": len(images), "albums": len(own_albums),
                   "favorites": len(favorites), "gallery favorites": len(gallery),
                   "conversations": len(conversations)}
    http.close()
    return walk


def walk_web(sandbox: SandboxProcess) -> Walk:
    """List what a pull signed in by cookie lists, with the fewest requests: every page of
    posts and hidden albums, then the public gallery favorites (and their albums)."""
    assert sandbox.cookies is not None
    jar = http.cookiejar.MozillaCookieJar(str(sandbox.cookies))
    jar.load()
    token = next(c.value for c in jar if c.name == "accesstoken")
    web_id = DEFAULT_WEB_CLIENT_ID  # the sandbox's, as imgur.com's
    http_session = requests.Session()

    def get(path: str, **headers: str) -> Any:
        answer = http_session.get(sandbox.url(path), timeout=60, headers=headers)
        answer.raise_for_status()
        body = answer.json()
        return body["data"] if isinstance(body, dict) else body

    def posts(kind: str) -> list[dict[str, Any]]:
        items, page = [], 1
        while batch := get(f"post/v1/accounts/me/{kind}?client_id={web_id}&page={page}"
                           "&include=media,account&sort=-created_at",
                           Cookie=f"accesstoken={token}", Origin="https://imgur.com"):
            items.extend(batch)
            page += 1
        return items

    walk = Walk()
    client = {"Authorization": f"Client-ID {sandbox.settings['client_id']}"}
    start = time.perf_counter()
    with Window(sandbox) as window:
        own = {p["id"]: p for p in posts("all_posts") + posts("hidden_albums")}
        for post in own.values():
            for media in post["media"]:
                walk.media.setdefault(media["id"], media["url"])
        name = next(p["account"]["username"] for p in own.values() if p.get("account"))
        gallery, page = [], 0
        while batch := get(f"3/account/{name}/gallery_favorites/{page}/newest", **client):
            gallery.extend(batch)
            page += 1
        for item in gallery:
            if item.get("is_album"):
                for image in get(f"3/album/{item['id']}/images", **client):
                    walk.media.setdefault(image["id"], image["link"])
            else:
                walk.media.setdefault(item["id"], item["link"])
    walk.seconds = time.perf_counter() - start
    walk.delta = window.delta
    walk.counts = {"posts": len(own), "gallery favorites": len(gallery)}
    http_session.close()
    return walk


@dataclass
class Figures:
    """One measured phase: a baseline download or a pull."""

    label: str
    seconds: float
    delta: Delta
    process_seconds: float | None = None
    rss_bytes: int | None = None
    cpu: float | None = None
    result: dict[str, Any] | None = None

    @property
    def images_per_s(self) -> float:
        return self.delta.media / self.seconds if self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.delta.media_bytes / MB / self.seconds if self.seconds else 0.0


def baseline(sandbox: SandboxProcess, urls: list[str], folder: Path, concurrency: int,
             label: str, stack: str = "requests") -> Figures:
    """Download ``urls`` into ``folder`` with a plain thread pool; time only the downloads.

    ``stack`` is ``requests`` (a session per thread) or ``urllib3`` (one shared pool).
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    local = threading.local()
    sessions: list[requests.Session] = []
    lock = threading.Lock()
    http = urllib3.PoolManager(maxsize=concurrency)

    def fetch_requests(url: str) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            with lock:
                sessions.append(session)
        size = 0
        with session.get(url, stream=True, timeout=60) as answer:
            answer.raise_for_status()
            with (folder / url.rsplit("/", 1)[1]).open("wb") as out:
                for chunk in answer.iter_content(CHUNK):
                    out.write(chunk)
                    size += len(chunk)
        return size

    def fetch_urllib3(url: str) -> int:
        size = 0
        answer = http.request("GET", url, preload_content=False, timeout=60)
        try:
            if answer.status >= 400:
                raise BenchError(f"the baseline got HTTP {answer.status} for {url}")
            with (folder / url.rsplit("/", 1)[1]).open("wb") as out:
                for chunk in answer.stream(CHUNK):
                    out.write(chunk)
                    size += len(chunk)
        finally:
            answer.release_conn()
        return size

    fetch = fetch_urllib3 if stack == "urllib3" else fetch_requests

    with Window(sandbox) as window:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            sum(pool.map(fetch, urls))
        seconds = time.perf_counter() - start
    for session in sessions:
        session.close()
    http.clear()
    shutil.rmtree(folder, ignore_errors=True)
    return Figures(label, seconds, window.delta)


# -- the pull child -----------------------------------------------------------------------------


class Account:
    """A config, a state directory and a mirror folder for pulls of one sandbox."""

    # This bench times pulls, not the shared budget: its account may spend all of the
    # client's daily credits, as it could before the ledger (README, "Sharing a client id"),
    # so a cold pull of --scale 100 is not cut at a quarter of them. bench/week.py passes
    # the defaults.
    ALL_CREDITS = 'share = "100%"\nreserve = 0\n'

    def __init__(self, sandbox: SandboxProcess, home: Path, concurrency: int,
                 budget: str = ALL_CREDITS, gallery: bool = True, *,
                 settings: dict[str, str] | None = None, shared: Path | None = None,
                 more: str = "") -> None:
        """``settings`` sign in as another account of the sandbox (its client id, refresh
        token…); ``shared`` is a state directory shared with other accounts, where the
        credit ledger of their client id is kept (as under ``imgur-sync@.service``); ``more``
        is TOML added to the config."""
        self.sandbox, self.home = sandbox, home
        self.clock_offset = 0.0  # seconds the sandbox's clock runs ahead of this machine's
        # The state directory: XDG's, or with ``shared`` one named as the account's home
        # (as imgur-sync@.service names each instance's).
        self.state = home / "state" / (home.name if shared is not None else "imgur-sync")
        home.mkdir(parents=True)
        s = settings or sandbox.settings
        self.config = home / "config.toml"
        keys = ("client_id", "client_secret", "api_url") + (
            () if sandbox.cookies else ("refresh_token",))
        self._config = (
            "[imgur]\n" + "".join(f'{key} = {json.dumps(s[key])}\n' for key in keys) +
            f"[mirror]\nroot = {json.dumps(str(home / 'mirror'))}\n"
            f"concurrency = {concurrency}\ngallery = {json.dumps(gallery)}\n"
            "[budget]\n{budget}" + more)
        self.set_budget(budget)
        self.env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        self.env.update(IMGUR_SYNC_CONFIG=str(self.config), XDG_STATE_HOME=str(home / "state"),
                        XDG_CACHE_HOME=str(home / "cache"))
        if shared is not None:  # systemd's StateDirectory= of the unit: its own, then shared;
            # the ledger names an account by its own directory's name (the instance's)
            self.env["STATE_DIRECTORY"] = f"{self.state}:{shared}"
        if sandbox.cookies:  # sign in as the README says: with the browser's cookies
            signed = subprocess.run([sys.executable, "-m", "imgur_sync", "auth", "--cookies",
                                     str(sandbox.cookies)], cwd=REPO, env=self.env,
                                    capture_output=True, text=True, timeout=120)
            if signed.returncode != 0:
                raise BenchError(f"auth --cookies failed: {signed.stderr.strip()}")

    def set_budget(self, budget: str) -> None:
        """Write the config with these ``[budget]`` lines ("": the defaults)."""
        self.config.write_text(self._config.replace("{budget}", budget))

    def pull(self, label: str, full: bool, profile_dir: Path | None) -> Figures:
        """Run one pull in a child process; read its CPU from ``wait4``, its peak RSS from
        what it reports."""
        profile = str(profile_dir / f"{label.replace(' ', '-')}.prof") if profile_dir else ""
        out, err = self.home / f"{label}.out", self.home / f"{label}.err"
        with Window(self.sandbox) as window, out.open("w") as o, err.open("w") as e:
            start = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-c", RUNNER, "full" if full else "quick", profile,
                 repr(self.clock_offset)],
                cwd=REPO, env=self.env, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
            try:
                _, status, usage = os.wait4(child.pid, 0)
            except BaseException:  # interrupted: do not leave the pull running
                child.kill()
                child.wait()
                raise
            process_seconds = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if child.returncode != 0:
            raise BenchError(f"the {label} child exited {child.returncode}:\n"
                             f"{err.read_text()[-3000:]}")
        result = json.loads(out.read_text().strip().splitlines()[-1])
        return Figures(label, result["seconds"], window.delta, process_seconds,
                       result.get("peak_rss") or usage.ru_maxrss * 1024,
                       usage.ru_utime + usage.ru_stime, result)


# -- the run ------------------------------------------------------------------------------------


def prepare(sandbox: SandboxProcess) -> None:
    # Room for the walk and three pulls within the hour; the client's pacer would otherwise
    # wait for the reset once the default 2000 user credits ran out.
    sandbox.set_options(user_limit=1_000_000)


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Run every phase and return the figures."""
    out: dict[str, Any] = {}
    profile = Path(args.profile).resolve() if args.profile else None
    if profile:
        profile.mkdir(parents=True, exist_ok=True)
    if args.scale != 1:
        with SandboxProcess(1, work, args.road) as small:
            prepare(small)
            out["cold1"] = Account(small, work / "scale1", args.concurrency,
                                   gallery=args.gallery).pull(
                "cold pull scale 1", False, profile)
    with SandboxProcess(args.scale, work, args.road) as sandbox:
        prepare(sandbox)
        walk = out["walk"] = walk_web(sandbox) if args.road == "cookie" else \
            walk_account(sandbox)
        urls = sorted(walk.media.values())
        account = Account(sandbox, work / f"scale{args.scale}", args.concurrency,
                          gallery=args.gallery)
        out["base1"] = baseline(sandbox, urls, work / "baseline", args.concurrency,
                                "baseline before")
        out["cold"] = account.pull("cold pull", False, profile)
        out["base2"] = baseline(sandbox, urls, work / "baseline", args.concurrency,
                                "baseline after")
        out["base3"] = baseline(sandbox, urls, work / "baseline", args.concurrency,
                                "urllib3 baseline", stack="urllib3")
        out["quick"] = account.pull("quick pull", False, profile)
        # The walk, the cold and the quick pull spent about two full walks of the client's
        # daily credits at --scale 100: the full pull runs the next day, when they renew.
        account.clock_offset = sandbox.advance(86400) - time.time()
        out["full"] = account.pull("full pull next day", True, profile)
    if args.scale == 1:
        out["cold1"] = out["cold"]
    return out


def report(args: argparse.Namespace, m: dict[str, Any]) -> bool:
    """Print the table and the targets; return True when every target is met."""
    walk: Walk = m["walk"]
    assert walk.delta is not None
    counts = ", ".join(f"{v} {k}" for k, v in walk.counts.items())
    print(f"pull bench: big --scale {args.scale} ({counts}), signed in by {args.road}, "
          f"concurrency {args.concurrency}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"minimum walk: {walk.delta.api} API requests in {walk.seconds:.2f} s; "
          f"{len(walk.media)} distinct media to download")
    print()
    head = (f"{'':20} {'seconds':>8} {'process':>8} {'API req':>8} {'media':>7} {'MB':>7} "
            f"{'images/s':>9} {'MB/s':>6} {'RSS MB':>7} {'CPU s':>6} {'sbx CPU':>8}")
    print(head)
    print("-" * len(head))
    for key in ("base1", "cold", "base2", "base3", "quick", "full", "cold1"):
        if key == "cold1" and args.scale == 1:
            continue
        f: Figures = m[key]
        d = f.delta

        def opt(value: float | None, fmt: str) -> str:
            return "-" if value is None else format(value, fmt)

        print(f"{f.label:20} {f.seconds:8.2f} {opt(f.process_seconds, '8.2f'):>8} "
              f"{d.api:8d} {d.media:7d} {d.media_bytes / MB:7.2f} "
              f"{f.images_per_s:9.1f} {f.mb_per_s:6.2f} "
              f"{opt(f.rss_bytes and f.rss_bytes / MB, '7.1f'):>7} {opt(f.cpu, '6.2f'):>6} "
              f"{d.sandbox_cpu:8.2f}")
    print("(seconds: the pull itself; process: the child from exec to exit; sbx CPU: the "
          "sandbox process's CPU seconds in the phase)")
    print()

    for key in ("cold", "quick", "full", "cold1"):
        f = m[key]
        r = f.result or {}
        if r.get("outcome") != "ok" or r.get("problems"):
            print(f"note: {f.label} outcome {r.get('outcome')}: {r.get('problems')}")
    cold, quick, full, cold1 = m["cold"], m["quick"], m["full"], m["cold1"]
    if cold.delta.media != len(walk.media):
        print(f"note: the cold pull made {cold.delta.media} media requests for "
              f"{len(walk.media)} distinct media")

    best = max(m["base1"], m["base2"], key=lambda b: b.images_per_s)
    throughput = cold.images_per_s / best.images_per_s if best.images_per_s else 0.0
    minimum = walk.delta.api
    overhead = full.delta.api / minimum if minimum else float("inf")
    worst = max((cold, quick, full), key=lambda f: f.rss_bytes or 0)  # every pull is held
    rss, rss1 = worst.rss_bytes or 0, cold1.rss_bytes or 0
    growth = rss / rss1 if rss1 else float("inf")
    extra = {k: v - walk.delta.by_route.get(k, 0) for k, v in full.delta.by_route.items()
             if v != walk.delta.by_route.get(k, 0)
             and k.startswith(("GET /3", "POST /3", "GET /post"))}
    print(f"cold pull / faster baseline ({best.label}): {throughput:.2f} x images/s, "
          f"{cold.mb_per_s / best.mb_per_s if best.mb_per_s else 0:.2f} x MB/s")
    plain = m["base3"]
    print(f"cold pull / plain urllib3 download (information, no target): "
          f"{cold.images_per_s / plain.images_per_s if plain.images_per_s else 0:.2f} x images/s")
    print(f"full pull API requests / minimum: {full.delta.api} / {minimum} = {overhead:.3f}"
          + (f"  (routes above the minimum: {extra})" if extra else ""))
    print(f"full pull {full.seconds:.2f} s / minimum walk {walk.seconds:.2f} s = "
          f"{full.seconds / walk.seconds if walk.seconds else 0:.1f} x (same requests, plus "
          "saving and planning)")
    print(f"quick pull: {quick.delta.api} API requests, {quick.delta.media} media requests, "
          f"by route {quick.delta.by_route}")
    print(f"peak RSS of the pulls ({worst.label} the highest): scale {args.scale} "
          f"{rss / MB:.1f} MB, cold pull scale 1 {rss1 / MB:.1f} MB, ratio {growth:.2f}")
    print()

    targets = [
        (f"cold pull throughput >= {TARGET_THROUGHPUT:.2f} x baseline", f"{throughput:.2f}",
         throughput >= TARGET_THROUGHPUT),
        (f"quick pull API requests <= {TARGET_QUICK_REQUESTS}", f"{quick.delta.api}",
         quick.delta.api <= TARGET_QUICK_REQUESTS),
        (f"full pull requests <= {TARGET_FULL_OVERHEAD:.1f} x minimum", f"{overhead:.3f}",
         overhead <= TARGET_FULL_OVERHEAD),
        (f"peak RSS scale {args.scale} <= {TARGET_RSS_GROWTH} x scale 1", f"{growth:.2f}",
         growth <= TARGET_RSS_GROWTH),
        (f"peak RSS scale {args.scale} <= {TARGET_RSS_MB} MB", f"{rss / MB:.1f} MB",
         rss / MB <= TARGET_RSS_MB),
    ]
    return print_targets(targets)


def run_bench(args: argparse.Namespace, prefix: str,
              measure: Callable[[argparse.Namespace, Path], Any],
              report: Callable[[argparse.Namespace, Any], bool]) -> None:
    """Measure in a temporary folder, print the report and exit: 2 when the bench could not
    measure, 1 with ``--check`` when a target is missed, else 0."""
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        try:
            figures = measure(args, Path(work))
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            sys.exit(2)
    met = report(args, figures)
    sys.exit(1 if args.check and not met else 0)


def print_targets(targets: list[tuple[str, str, bool]]) -> bool:
    """Print each target's figure and whether it is met; return True when all are."""
    width = max(len(name) for name, _, _ in targets)
    print("targets:")
    for name, value, ok in targets:
        print(f"  {name:{width}} : {value:>9} -> {'ok' if ok else 'MISSED'}")
    return all(ok for _, _, ok in targets)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--road", choices=("oauth", "cookie"), default="oauth",
                        help="sign in with an OAuth token (API v3), or as a new user must "
                             "since 2025: with the browser's cookie (the web API)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed (default: always exit 0)")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="run each pull under cProfile, writing DIR/<pull>.prof")
    parser.add_argument("--no-gallery", dest="gallery", action="store_false",
                        help="pull with [mirror] gallery = false, to measure the pull alone")
    args = parser.parse_args()
    run_bench(args, "imgur-sync-bench-", measure, report)


if __name__ == "__main__":
    main()
