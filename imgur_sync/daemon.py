"""`imgur-sync run`: scheduled pulls, the drop-folder watcher, and systemd's notify protocol.

The only module that imports APScheduler. Jobs (one instance each, missed runs coalesced):
a quick pull every ``pull_every`` (and once at start), each carrying the next slice of the
rolling reconcile, which covers the account every ``reconcile_every`` within the credit
budget (docs/ARCHITECTURE.md §Reconcile); a rescan of the drop folders and a retry round for
failed uploads. Pulls and uploads take
turns on the tree (one lock), so they never write the same file at once.

systemd integration needs no extra dependency: ``READY=1`` once running, ``WATCHDOG=1`` at
half of ``WATCHDOG_USEC`` but only while the parts are healthy, ``STATUS=`` lines, and
``STOPPING=1`` on SIGTERM, after which the current step stops at its next safe point (the
upload journal keeps everything queued) and the process exits 0.

A pull is healthy while it moves: a download, link or other step finishes, or an API
request goes out, at least once per ``stuck_after``. One that does not is stuck: the
watchdog goes unanswered and systemd restarts the service. On SIGTERM every wait between
retries ends at once and downloads stop between chunks, so the stop takes seconds.

A broken backup is not silent (docs/ARCHITECTURE.md §Alerts): every pull goes through
``Alerts`` (ping, ``on_failure``, metrics); a sign-in Imgur refuses for good (a revoked
token, an expired cookie) is logged as an error and put in ``STATUS=`` until a pull gets in
again; and after ``[alerts] exit_after_failures`` failed pulls in a row the process exits
with ``ExitCode.FAILING`` (5), so that systemd's ``OnFailure=`` fires.

No thread dies silently: an error that escapes the drop-folder loop is logged with its
traceback, recorded for ``status``, shown in ``STATUS=``, and the loop starts again after a
backoff, while the pulls go on.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from .alerts import Alerts, one_line
from .api import AuthenticationError
from .dropfolders.folders import DropFolders
from .errors import ExitCode, ImgurSyncError
from .mirror.apply import Interrupted
from .mirror.progress import ProgressLog
from .mirror.pull import Mirror
from .settings.config import Config
from .workspace import Workspace

__all__ = ["Daemon", "Notifier", "keep_running"]

log = logging.getLogger(__name__)

RESTART_FIRST, RESTART_CAP = 5.0, 300.0  # seconds before a crashed loop starts again


def keep_running(name: str, target: Callable[[], None], stop: threading.Event, *,
                 on_crash: Callable[[Exception], None] = lambda exc: None,
                 wait: Callable[[float], bool] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
    """Run ``target`` until it returns or ``stop`` is set, starting it again after an error.

    The waits between restarts double from ``RESTART_FIRST`` to ``RESTART_CAP``, and start
    small again after a run that lasted longer than the cap.
    """
    wait = wait or stop.wait
    delay = RESTART_FIRST
    while not stop.is_set():
        started = clock()
        try:
            target()
            return
        except Exception as exc:  # whatever it was, the thread must not end with it
            if clock() - started > RESTART_CAP:
                delay = RESTART_FIRST
            log.exception("The %s stopped on an error (%s); starting it again in %.0f s",
                          name, exc, delay)
            on_crash(exc)
        if wait(delay):
            return
        delay = min(delay * 2, RESTART_CAP)


class Notifier:
    """sd_notify(3) over the datagram socket systemd names in ``$NOTIFY_SOCKET``."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() and mine else None

    def send(self, *lines: str) -> None:
        """Send ``KEY=value`` lines; silently nothing when not under systemd."""
        if not self.address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto("\n".join(lines).encode(), self.address)
            except OSError as exc:  # systemd gone: not a reason to stop backing up
                log.debug("sd_notify failed: %s", exc)


class Daemon:
    """Run pulls on a schedule and watch the drop folders until SIGTERM or SIGINT."""

    def __init__(self, config: Config, workspace: Workspace, *,
                 notifier: Notifier | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config, self.ws = config, workspace
        self.notifier = notifier or Notifier()
        self.clock = clock
        self.stop = threading.Event()
        self.tree_lock = threading.Lock()
        self.transport = workspace.client.transport
        # Backoffs and rate-limit waits end when a stop is asked for, not minutes later.
        self.transport.sleep = self._pause
        self.alerts = Alerts(config, workspace.store, workspace.state_dir, clock=clock)
        self.failed_in_a_row = 0
        self.refused: str | None = None  # why Imgur refuses the sign-in, until a pull gets in
        self.exit_code = ExitCode.OK
        self.mirror = Mirror(config, workspace.store, self.transport, clock=clock,
                             should_stop=self.stop.is_set, progress=self._progressed)
        self.folders = (DropFolders(config, workspace.store, workspace.client, clock=clock,
                                    tree_lock=self.tree_lock)
                        if config.uploads else None)
        self.last: dict[str, str] = {}
        self.folders_error: str | None = None  # the last error that stopped the drop folders
        self._threads: list[threading.Thread] = []
        # The running pull: when it started, and when it last moved (monotonic seconds).
        self._pull_started: float | None = None
        self._moved = 0.0
        self._requests_seen = -1
        self._said_stuck = False
        self._reporter: ProgressLog | None = None  # the running pull's progress lines

    def _pause(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def _progressed(self, kind: str, n: int) -> None:
        self._moved = time.monotonic()
        if self._reporter is not None:
            self._reporter.update(kind, n)

    # -- jobs -------------------------------------------------------------------------------

    def _pull(self, full: bool) -> None:
        kind = "full" if full else "quick"
        with self.tree_lock:
            if self.stop.is_set():
                return
            self.notifier.send(f"STATUS=Running a {kind} pull")
            self._pull_started = self._moved = time.monotonic()
            try:
                with ProgressLog() as self._reporter:  # journald hears how a long pull goes
                    result = self.alerts.around(kind, lambda: self.mirror.pull(full=full))
            except Interrupted:
                self.last[kind] = "interrupted"
                return
            except AuthenticationError as exc:  # no pull can work until the user signs in
                self.refused = one_line(str(exc))
                log.error("IMGUR REFUSES THE SIGN-IN, so nothing is backed up: %s", exc)
                self.notifier.send(self.status_line())
                self._failed(kind, exc)
                return
            except ImgurSyncError as exc:  # logged and recorded; the next run tries again
                log.error("%s pull failed: %s", kind.capitalize(), exc)
                self._failed(kind, exc)
                return
            except Exception as exc:  # APScheduler logs the traceback; counted all the same
                self._failed(kind, exc)
                raise
            finally:
                self._pull_started, self._reporter = None, None
        self.failed_in_a_row, self.refused = 0, None
        done = result.applied.done
        # A pull the credit budget held back is not a failure, but STATUS= says so.
        outcome = result.outcome if result.deferred is None else f"{result.outcome}, deferred"
        self.last[kind] = (f"{outcome} at {datetime.now(timezone.utc):%H:%M} UTC, "
                           f"{done.get('download', 0)} downloaded")
        log.info("%s pull %s: %s", kind, outcome, done or "nothing to change")

    def _failed(self, kind: str, exc: Exception) -> None:
        """Count a failed pull; stop the process after ``exit_after_failures`` in a row."""
        self.last[kind] = f"failed ({one_line(str(exc))})"
        self.failed_in_a_row += 1
        limit = self.config.alerts.exit_after_failures
        if limit and self.failed_in_a_row >= limit and not self.stop.is_set():
            log.error("%d pulls failed in a row ([alerts] exit_after_failures); imgur-sync "
                      "exits with code %d so that systemd's OnFailure= can tell someone",
                      self.failed_in_a_row, ExitCode.FAILING)
            self.exit_code = ExitCode.FAILING
            self.stop.set()

    def _watch_folders(self) -> None:
        """The drop-folder thread: the loop, started again whenever an error stops it."""
        folders = self.folders
        assert folders is not None
        keep_running("drop-folder watcher", lambda: folders.watch(self.stop), self.stop,
                     on_crash=self._folders_crashed)

    def _folders_crashed(self, exc: Exception) -> None:
        self.folders_error = f"{type(exc).__name__}: {exc}"  # STATUS= shows it from now on
        try:
            self.ws.store.add_failure("daemon", "drop folders",
                                      f"the drop-folder watcher stopped on an error and was "
                                      f"started again: {self.folders_error}")
        except Exception as store_exc:  # the store may be what failed; the log has the rest
            log.error("could not record the drop-folder error: %s", store_exc)

    def _rescan(self) -> None:
        if self.folders is not None:
            self.folders.request_rescan()

    def _retry_uploads(self) -> None:
        if self.folders is not None:
            self.folders.request_retry()

    def _scheduler(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=timezone.utc)
        schedule = self.config.schedule
        now = datetime.now(timezone.utc)
        scheduler.add_job(self._pull, "interval", seconds=schedule.pull_every, args=[False],
                          id="quick_pull", name="quick pull", next_run_time=now)
        if self.folders is not None:
            scheduler.add_job(self._rescan, "interval", minutes=5, id="rescan", name="rescan")
            scheduler.add_job(self._retry_uploads, "interval", minutes=1, id="upload_retries",
                              name="upload retries")
        return scheduler

    # -- the run ----------------------------------------------------------------------------

    def healthy(self) -> bool:
        """True while every part works: the watcher thread, the scheduler, a moving pull."""
        return all(t.is_alive() for t in self._threads) and (
            self.folders is None or self.folders.healthy) and self.stuck_for() is None

    def stuck_for(self) -> float | None:
        """Seconds the running pull has not moved, once that is more than ``stuck_after``."""
        started = self._pull_started  # read once: the pull's thread resets it
        if started is None:
            self._said_stuck = False
            return None
        now = time.monotonic()
        sent = self.transport.requests_sent
        if sent != self._requests_seen:  # an API request went out: the pull moves
            self._requests_seen, self._moved = sent, now
        idle = now - max(self._moved, started)
        if idle <= self.config.schedule.stuck_after:
            return None
        if not self._said_stuck:
            self._said_stuck = True
            log.error("The pull has not moved for %d s (schedule.stuck_after): no longer "
                      "answering systemd's watchdog, so that systemd restarts imgur-sync",
                      idle)
        return idle

    def status_line(self) -> str:
        """The one-line status systemctl shows."""
        counts = self.ws.store.counts()
        waiting = sum(counts[f"uploads_{s}"] for s in ("pending", "uploading", "failed"))
        last = self.last.get("quick", "not yet")
        stuck = self.stuck_for()
        now = f"Pull stuck for {stuck:.0f} s; " if stuck is not None else ""
        line = f"STATUS={now}Last quick pull: {last}; {waiting} upload(s) waiting"
        if self.refused is not None:  # first, where `systemctl status` cannot cut it off
            line = (f"STATUS=SIGN-IN REFUSED, nothing is backed up (run `imgur-sync auth`): "
                    f"{self.refused}; {line[len('STATUS='):]}")
        elif self.failed_in_a_row > 1:
            line += f"; {self.failed_in_a_row} pulls failed in a row"
        if self.folders_error is not None:
            line += f"; drop folders restarted after an error ({self.folders_error})"
        return line

    def run(self) -> ExitCode:
        """Run until stopped; return the exit code."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        scheduler = self._scheduler()
        if self.folders is not None:
            watcher = threading.Thread(target=self._watch_folders, name="drop-folders",
                                       daemon=True)
            watcher.start()
            self._threads.append(watcher)
        scheduler.start()
        self.notifier.send("READY=1", "STATUS=Started")
        log.info("imgur-sync is running: quick pull every %d s, a reconcile every %d s, %d "
                 "drop folder(s)", self.config.schedule.pull_every,
                 self.config.schedule.reconcile_every, len(self.config.uploads))
        interval = self.notifier.watchdog_interval
        try:
            while not self.stop.wait(min(interval or 5.0, 5.0)):
                if interval is not None and self.healthy() and scheduler.running:
                    self.notifier.send("WATCHDOG=1")
                self.notifier.send(self.status_line())
        finally:
            self.notifier.send("STOPPING=1", "STATUS=Stopping")
            scheduler.shutdown(wait=True)  # the running job stops at its next safe point
            for thread in self._threads:
                thread.join(timeout=8)
        log.info("imgur-sync stopped; nothing queued was lost")
        return self.exit_code

    def _on_signal(self, signum: int, frame: Any) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        self.stop.set()
