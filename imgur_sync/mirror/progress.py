"""The pull's progress as log lines, for where no terminal shows a bar (journald, cron, a pipe).

It takes the progress the pull reports (``Mirror(progress=...)``: ``"listed"`` items,
``"planned"`` downloads (the pull plans a batch at a time: each report adds to the total),
each ``"download"`` done and its ``"bytes"``) and logs a line every ``every_files``
downloads or ``every_seconds``, whichever comes first, so a long first pull is never silent:
``progress: 5200 listed, 2300/10000 downloaded (1.2 GB, 8.5 MB/s)``. A ticker thread makes
the time-based lines also while nothing reports (a slow listing, a long download); a short
pull ends before any line is due and logs none.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..settings.sizes import format_size

__all__ = ["EVERY_FILES", "EVERY_SECONDS", "ProgressLog"]

log = logging.getLogger(__name__)

EVERY_SECONDS = 30.0
EVERY_FILES = 1000


class ProgressLog:
    """Log a pull's progress now and then; use as ``with ProgressLog() as p: ...p.update``."""

    def __init__(self, *, every_files: int = EVERY_FILES, every_seconds: float = EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic, poll: float = 1.0) -> None:
        self.every_files, self.every_seconds, self.clock = every_files, every_seconds, clock
        self.poll = min(poll, every_seconds)  # how often the ticker looks at the clock
        self.listed = self.done = self.bytes = 0
        self.planned: int | None = None
        self._last_time = self._rate_since = clock()  # the last line; the rate's start
        self._last_done = self._last_bytes = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def update(self, kind: str, n: int) -> None:
        """Take one report of the pull's (called from its download threads too)."""
        with self._lock:
            if kind == "listed":
                self.listed += n
            elif kind == "planned":  # the pull plans a batch at a time: each adds its own
                if self.planned is None:
                    self._rate_since = self.clock()  # the listing took time, not the downloads
                self.planned = (self.planned or 0) + n
            elif kind == "bytes":
                self.bytes += n
            elif kind == "download":
                self.done += n
            due = self.done - self._last_done >= self.every_files
            if due:  # claimed here, so two threads crossing the mark make one line
                self._last_done = self.done
        if due:
            self.report()

    def tick(self) -> None:
        """Log a line if ``every_seconds`` passed since the last one."""
        if self.clock() - self._last_time >= self.every_seconds:
            self.report()

    def report(self) -> None:
        """Log where the pull is now."""
        with self._lock:
            now = self.clock()
            seconds = now - self._rate_since
            rate = (self.bytes - self._last_bytes) / seconds if seconds > 0 else 0.0
            self._last_time = self._rate_since = now
            self._last_done, self._last_bytes = self.done, self.bytes
            if self.planned is None and not self.done:
                line = f"progress: {self.listed} listed so far"
            else:  # an import places files without a plan's total
                total = "" if self.planned is None else f"/{self.planned}"
                line = (f"progress: {self.listed} listed, {self.done}{total} downloaded "
                        f"({format_size(self.bytes)}, {format_size(int(rate))}/s)")
        log.info("%s", line)

    def __enter__(self) -> ProgressLog:
        self._ticker = threading.Thread(target=self._tick_until_stopped,
                                        name="imgur-sync-progress", daemon=True)
        self._ticker.start()
        return self

    def _tick_until_stopped(self) -> None:
        while True:  # wake when the next line is due (or sooner), so none comes late
            due = self.every_seconds - (self.clock() - self._last_time)
            if self._stop.wait(min(self.poll, max(due, 0.0))):
                return
            self.tick()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
